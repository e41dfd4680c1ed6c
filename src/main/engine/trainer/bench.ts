/**
 * Times one training step of each phase on the active backend, as the trainer runs them (forward,
 * backward and the SGD update, inside tidy), with random weights and inputs: one warm-up step, then
 * the median of three.
 */
import * as tf from '@tensorflow/tfjs'
import { SegmentationNet } from '../destseg/segmentation'
import { StudentNet } from '../destseg/student'
import { TeacherNet } from '../destseg/teacher'
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
  threads: number
  size: number
  batch: number
  student_step_ms: number
  seg_step_ms: number
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Milliseconds of `fn` after one warm-up call: the median of BENCH_REPEATS calls. */
function timeStep(fn: () => void, onStep: (ms: number, warmUp: boolean) => void): number {
  const times: number[] = []
  for (let i = 0; i <= BENCH_REPEATS; i++) {
    const t0 = performance.now()
    fn()
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
  const backend = await chooseTrainingBackend(options.backend ?? null, log)

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
    const studentMs = timeStep(() => void studentStep(nets, opt1, normal, anomalous), report('student'))
    const segMs = timeStep(() => void segmentationStep(nets, opt2, anomalous, mask), report('segmentation'))
    return {
      backend: backend.name,
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
