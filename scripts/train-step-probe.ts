/**
 * Times one DeSTSeg training step per phase on a tfjs backend and prints JSON (random weights and
 * inputs; no data set needed). Not a test: timings vary with the machine and its load.
 *
 *   npx tsx scripts/train-step-probe.ts [--backend wasm] [--size 256] [--batch 4] [--phase 1|2|both]
 *                                       [--steps 2] [--profile] [--winograd on|off]
 *                                       [--winograd-min-channels 64] [--threads 1]
 *
 * Phase 1: the student sees I_a, the teacher I_n; L_cos over the three levels; gradients of every
 * student parameter. Phase 2: teacher and student (frozen) see I_a; the segmentation net's focal + L1
 * loss against a mask; gradients of every segmentation parameter. Each step runs inside tidy, as
 * a trainer would, and includes an SGD momentum update (lr 0.01, momentum 0.9). The first step
 * warms up (XNNPACK operator creation, heap growth); the rest are timed (median and best, since
 * other work on the machine makes single runs noisy). --profile adds the top
 * kernels by time of one more step (tf.profile; kernels called from inside other kernels count
 * towards their caller; ops with custom gradients appear both as 'unnamedscope' and as their
 * kernels), --profile-detail the top 40 by kernel and input shapes.
 */
import * as tf from '@tensorflow/tfjs'
import { selectBackend } from '../src/main/engine/backend'
import { SegmentationNet, segmentationInput } from '../src/main/engine/destseg/segmentation'
import { StudentNet } from '../src/main/engine/destseg/student'
import { TeacherNet } from '../src/main/engine/destseg/teacher'
import { randomTeacherWeights } from '../src/main/engine/destseg/weights'
import { cosineDistanceLoss } from '../src/main/engine/losses/cosine-distance'
import { focalLoss } from '../src/main/engine/losses/focal'
import { l1Loss } from '../src/main/engine/losses/l1'
import { winogradOptions } from '../src/main/engine/kernels'
import type { NamedTensor } from '../src/main/engine/nn/layers'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback
}

const backendName = arg('backend', 'wasm')
const size = Number(arg('size', '256'))
const batch = Number(arg('batch', '4'))
const phase = arg('phase', 'both')
const steps = Math.max(2, Number(arg('steps', '2')))
const profileDetail = process.argv.includes('--profile-detail')
const profile = profileDetail || process.argv.includes('--profile')
const winograd = arg('winograd', 'on') !== 'off'
const threads = Number(arg('threads', '1'))
const minChannels = Number(arg('winograd-min-channels', String(winogradOptions.minChannels)))

function variables(ps: NamedTensor[]): tf.Variable[] {
  return ps.map((p) => p.tensor as tf.Variable)
}

function rssMb(): number {
  return Math.round(process.memoryUsage().rss / 2 ** 20)
}

function heapMb(): number | undefined {
  const b = tf.engine().backend as unknown as { wasm?: { HEAPU8: Uint8Array } }
  return b.wasm ? Math.round(b.wasm.HEAPU8.length / 2 ** 20) : undefined
}

interface PhaseResult {
  phase: number
  step_ms: number[]
  median_ms: number
  best_ms: number
  loss: number
  tensors_leaked_per_step: number
  backend_data_ids_leaked_per_step: number
  top_kernels?: { name: string; ms: number; calls: number }[]
}

/**
 * One training step: `frozen` (outside the gradient tape, as a trainer computes the frozen nets'
 * features) then variableGrads of `loss` over `params`, then an SGD momentum update.
 */
async function timeSteps<F>(
  label: number,
  frozen: () => F,
  loss: (f: F) => tf.Scalar,
  params: tf.Variable[]
): Promise<PhaseResult> {
  const opt = tf.train.momentum(0.01, 0.9)
  const run = (): number =>
    tf.tidy(() => {
      const f = frozen()
      const { value, grads } = tf.variableGrads(() => loss(f), params)
      const v = value.dataSync()[0]
      opt.applyGradients(grads as unknown as Record<string, tf.Variable>)
      return v
    })
  const times: number[] = []
  let lastLoss = 0
  const dataIds = (): number => (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds()
  let tensorsAfterFirst = 0
  let idsAfterFirst = 0
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now()
    lastLoss = run()
    times.push(Math.round(performance.now() - t0))
    if (i === 0) {
      tensorsAfterFirst = tf.memory().numTensors
      idsAfterFirst = dataIds()
    }
  }
  const timed = times.slice(1).sort((a, b) => a - b)
  const result: PhaseResult = {
    phase: label,
    step_ms: times,
    median_ms: timed.length % 2 ? timed[(timed.length - 1) / 2] : Math.round((timed[timed.length / 2 - 1] + timed[timed.length / 2]) / 2),
    best_ms: timed[0],
    loss: lastLoss,
    tensors_leaked_per_step: (tf.memory().numTensors - tensorsAfterFirst) / (steps - 1),
    backend_data_ids_leaked_per_step: (dataIds() - idsAfterFirst) / (steps - 1)
  }
  if (profile) {
    const info = await tf.profile(() => {
      run()
    })
    const byName = new Map<string, { ms: number; calls: number }>()
    for (const k of info.kernels) {
      const key = profileDetail ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name
      const e = byName.get(key) ?? { ms: 0, calls: 0 }
      e.ms += k.kernelTimeMs as number
      e.calls++
      byName.set(key, e)
    }
    result.top_kernels = [...byName.entries()]
      .map(([name, e]) => ({ name, ms: Math.round(e.ms), calls: e.calls }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, profileDetail ? 40 : 15)
  }
  opt.dispose()
  return result
}

async function main(): Promise<void> {
  const choice = await selectBackend(backendName, { wasmThreads: threads })
  winogradOptions.enabled = winograd
  winogradOptions.minChannels = minChannels
  const teacher = new TeacherNet(randomTeacherWeights(1))
  const student = new StudentNet({ seed: 2 })
  const seg = new SegmentationNet({ seed: 3 })
  const normal = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 4) as tf.Tensor4D
  const anomalous = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 5) as tf.Tensor4D
  const f = size / 4
  const mask = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([batch, f, f, 1], 0, 1, 'float32', 6), 0.8), 'float32'))
  const results: PhaseResult[] = []

  if (phase === '1' || phase === 'both') {
    results.push(
      await timeSteps(
        1,
        () => teacher.apply(normal),
        (t) => {
          const s = student.apply(anomalous, true)
          return cosineDistanceLoss([t.t1, t.t2, t.t3], [s.s1, s.s2, s.s3])
        },
        variables(student.parameters())
      )
    )
  }
  if (phase === '2' || phase === 'both') {
    results.push(
      await timeSteps(
        2,
        // Student frozen (eval mode) and, like the teacher, outside the tape.
        () => segmentationInput(teacher.apply(anomalous), student.apply(anomalous, false)),
        (x) => {
          const y = seg.apply(x, true)
          return tf.add(focalLoss(y, mask), l1Loss(y, mask)) as tf.Scalar
        },
        variables(seg.parameters())
      )
    )
  }
  console.log(
    JSON.stringify(
      {
        backend: choice.name,
        threads: choice.threads,
        trains: choice.trains,
        size,
        batch,
        winograd: winograd ? winogradOptions : false,
        results,
        peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
        rss_mb: rssMb(),
        wasm_heap_mb: heapMb()
      },
      null,
      2
    )
  )
  teacher.dispose()
  student.dispose()
  seg.dispose()
  tf.dispose([normal, anomalous, mask])
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
