/**
 * Times one training step of each phase on the active backend, as the trainer runs them (forward,
 * backward and the SGD update), with random weights and inputs: one warm-up step, then
 * the median of three.
 * A step is timed until its losses have been read back (on a GPU, until its queued work has run).
 */
import * as tf from '@tensorflow/tfjs'
import { cpus } from 'node:os'
import { SegmentationNet } from '../destseg/segmentation'
import { StudentNet } from '../destseg/student'
import { TeacherNet } from '../destseg/teacher'
import { WEBGPU_BACKEND, webGpuAdapterInfo } from '../kernels/webgpu'
import { segmentationOptimizer, segmentationStep, studentOptimizer, studentStep, type DeSTSegNets } from './phases'
import { PRESETS } from './presets'
import { chooseTrainingBackend } from './trainer'

/** Timed repetitions after the warm-up. */
export const BENCH_REPEATS = 3

export interface BenchTrainOptions {
  /** input side, a multiple of 32; default 256 */
  size?: number
  /** default 4 */
  batch?: number
  /** preferred backend; default the best that trains */
  backend?: string | null
  /** one line per step and backend notes */
  log?: (message: string) => void
}

/** What `destseg bench train --json` prints. */
export interface BenchTrainResult {
  backend: string
  /** the backend asked for with --backend, or null for the best that trains */
  requested: string | null
  /** what it computed on: the WebGPU adapter's name on webgpu, else the CPU model */
  device: string
  /** why better or requested backends were not used (e.g. 'webgpu: no Vulkan loader ...'), or null */
  fallback: string | null
  threads: number
  size: number
  batch: number
  student_step_ms: number
  seg_step_ms: number
}

/** The CPU's model name, for results computed on the CPU. */
export function cpuName(): string {
  return cpus()[0]?.model?.trim() || 'cpu'
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Milliseconds of `fn` after one warm-up call: the median of BENCH_REPEATS calls. */
async function timeStep(fn: () => unknown, onStep: (ms: number, warmUp: boolean) => void): Promise<number> {
  const times: number[] = []
  for (let i = 0; i <= BENCH_REPEATS; i++) {
    const t0 = performance.now()
    await fn()
    const ms = performance.now() - t0
    onStep(ms, i === 0)
    if (i > 0) times.push(ms)
  }
  return median(times)
}

export async function benchTrainSteps(options: BenchTrainOptions = {}): Promise<BenchTrainResult> {
  const size = options.size ?? 256
  const batch = options.batch ?? 4
  const log = options.log ?? (() => undefined)
  if (!(Number.isInteger(size) && size >= 32 && size % 32 === 0)) throw new Error(`size must be a multiple of 32, got ${size}`)
  if (!(Number.isInteger(batch) && batch >= 1 && batch * (size / 32) ** 2 >= 2)) throw new Error(`bad batch size ${batch} at size ${size}`)
  const notes: string[] = []
  const backend = await chooseTrainingBackend(options.backend ?? null, (m) => {
    notes.push(m)
    log(m)
  })
  const onGpu = backend.name === WEBGPU_BACKEND

  // Random weights: the teacher's values do not change the time, and no shared data is needed.
  const nets: DeSTSegNets = {
    teacher: TeacherNet.load({ kind: 'random', seed: 1 }),
    student: new StudentNet({ seed: 1 }),
    segmentation: new SegmentationNet({ seed: 1 })
  }
  const p = PRESETS.paper
  const sgd = { momentum: p.momentum, weightDecay: p.weight_decay }
  const opt1 = studentOptimizer(nets.student, p.lr_student, sgd)
  const opt2 = segmentationOptimizer(nets.segmentation, p.lr_res, p.lr_head, sgd)
  const normal = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 2) as tf.Tensor4D
  const anomalous = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 3) as tf.Tensor4D
  const mask = tf.tidy(() =>
    tf.cast(tf.greater(tf.randomUniform([batch, size / 4, size / 4, 1], 0, 1, 'float32', 4), 0.8), 'float32')
  ) as tf.Tensor4D
  const report = (phase: string) => (ms: number, warmUp: boolean) =>
    log(`${phase} step${warmUp ? ' (warm-up)' : ''}: ${(ms / 1000).toFixed(2)} s`)
  try {
    const studentMs = await timeStep(
      () => studentStep(nets, opt1, normal, anomalous),
      report('student')
    )
    const segMs = await timeStep(
      () => segmentationStep(nets, opt2, anomalous, mask),
      report('segmentation')
    )
    return {
      backend: backend.name,
      requested: options.backend ?? null,
      device: (onGpu ? webGpuAdapterInfo()?.name : undefined) ?? cpuName(),
      fallback: notes.length > 0 ? notes.join('; ') : null,
      threads: backend.threads,
      size,
      batch,
      student_step_ms: Math.round(studentMs),
      seg_step_ms: Math.round(segMs)
    }
  } finally {
    tf.dispose([normal, anomalous, mask])
    opt1.dispose()
    opt2.dispose()
    nets.teacher.dispose()
    nets.student.dispose()
    nets.segmentation.dispose()
  }
}
