/**
 * The final segmentation net of a run: stochastic weight averaging over the end of phase 2
 * (weight-average.ts) and BatchNorm statistics recomputed for the final weights
 * (batch-norm-update.ts), both options of a run; in the trainer, a cancel or a resume at any point
 * ends with the same weights as a straight run.
 */
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import type { TrainBatch } from '../../../src/main/engine/data/batch-producer'
import { SegmentationNet, segmentationInput } from '../../../src/main/engine/destseg/segmentation'
import { StudentNet } from '../../../src/main/engine/destseg/student'
import { TeacherNet } from '../../../src/main/engine/destseg/teacher'
import type { NamedTensor } from '../../../src/main/engine/nn/layers'
import { updateBatchNorm } from '../../../src/main/engine/trainer/batch-norm-update'
import { loadLatestCheckpoint } from '../../../src/main/engine/trainer/checkpoint'
import { makeRunConfig } from '../../../src/main/engine/trainer/presets'
import { readTensorFile, type TensorEntry } from '../../../src/main/engine/trainer/tensor-file'
import { train } from '../../../src/main/engine/trainer/trainer'
import { isSwaSample, WeightAverage } from '../../../src/main/engine/trainer/weight-average'
import { tempDirs } from '../../helpers/fixtures'
import { leakedTensors, maxAbsDiff, useBackend } from '../helpers'
import { tinyConfig } from './helpers'

const tempDir = tempDirs()

const sameTensors = (a: Map<string, TensorEntry>, b: Map<string, TensorEntry>): boolean =>
  a.size === b.size && [...a].every(([name, t]) => t.data.every((v, i) => v === b.get(name)!.data[i]))

describe('isSwaSample', () => {
  it('takes every `every`-th step of the last fraction, counted back from the last, which is always one', () => {
    const samples = (steps: number, fraction: number, every: number): number[] =>
      Array.from({ length: steps }, (_, i) => i + 1).filter((d) => isSwaSample(d, steps, fraction, every))
    expect(samples(200, 0.5, 10)).toEqual([110, 120, 130, 140, 150, 160, 170, 180, 190, 200])
    expect(samples(4, 0.5, 1)).toEqual([3, 4])
    expect(samples(200, 0.001, 10)).toEqual([200])
    expect(samples(7, 1, 3)).toEqual([1, 4, 7])
    expect(samples(200, 0, 10)).toEqual([])
  })
})

describe('WeightAverage and updateBatchNorm', () => {
  beforeAll(async () => {
    await useBackend('wasm')
  })

  it('keeps the running mean of the parameters and restores it from its checkpoint entries', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]))
    const params: NamedTensor[] = [{ name: 'w', tensor: w }]
    const average = new WeightAverage(params)
    const leaked = leakedTensors(() => {
      for (const values of [[1, 2, 3], [3, 2, 1], [5, 5, 5]]) {
        tf.tidy(() => w.assign(tf.tensor1d(values)))
        average.update()
      }
    })
    expect(leaked).toBe(0)
    const entries = new Map(average.entries('swa.').map((e) => [e.name, e]))
    expect(maxAbsDiff(entries.get('swa.w')!.data, [3, 3, 3])).toBeLessThan(1e-6)

    const again = new WeightAverage(params)
    again.restore(entries, 'swa.', average.count, 'test')
    tf.tidy(() => w.assign(tf.tensor1d([7, 7, 7])))
    again.update() // (3 * 3 + 7) / 4
    again.assignToParameters()
    expect(maxAbsDiff(w.dataSync(), [4, 4, 4])).toBeLessThan(1e-6)
    expect(() => new WeightAverage(params).restore(new Map(), 'swa.', 1, 'ckpt')).toThrow(/ckpt: no swa\.w/)
    expect(() => new WeightAverage(params).assignToParameters()).toThrow(/no weights were averaged/)
    for (const a of [average, again]) a.dispose()
    w.dispose()
  })

  it('leaves each BatchNorm with the plain mean of its per-batch statistics; says when it was stopped', async () => {
    const nets = {
      teacher: TeacherNet.load({ kind: 'random', seed: 1 }),
      student: new StudentNet({ seed: 1 }),
      segmentation: new SegmentationNet({ seed: 1 })
    }
    const batch = (step: number): TrainBatch => {
      const anomalous = tf.tidy(() => tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', step).dataSync() as Float32Array)
      return { step, batch: 2, size: 32, maskSize: 8, normal: anomalous, anomalous, mask: new Float32Array(2 * 8 * 8), imageIndices: [0, 1] }
    }
    // The first BatchNorm follows the first conv of the first residual block: its batch statistics
    // depend on the input only, so they can be computed directly.
    const first = nets.segmentation.res.units()[0]
    const stats = (b: TrainBatch): { mean: Float32Array; variance: Float32Array } =>
      tf.tidy(() => {
        const x = tf.tensor4d(b.anomalous, [b.batch, b.size, b.size, 3])
        const y = first.conv.apply(segmentationInput(nets.teacher.apply(x), nets.student.apply(x, false)))
        const n = y.shape[0] * y.shape[1] * y.shape[2]
        const m = tf.moments(y, [0, 1, 2])
        return { mean: m.mean.dataSync() as Float32Array, variance: tf.mul(m.variance, n / (n - 1)).dataSync() as Float32Array }
      })
    const [a, b] = [stats(batch(5)), stats(batch(6))]
    const bn = first.bn!
    const before = bn.runningMean.dataSync().slice()

    expect(await updateBatchNorm(nets, 2, async (k) => batch(5 + k), () => false)).toBe(true)
    expect(maxAbsDiff(bn.runningMean.dataSync(), a.mean.map((v, i) => (v + b.mean[i]) / 2))).toBeLessThan(1e-4)
    expect(maxAbsDiff(bn.runningVar.dataSync(), a.variance.map((v, i) => (v + b.variance[i]) / 2))).toBeLessThan(1e-3)
    expect(maxAbsDiff(before, bn.runningMean.dataSync())).toBeGreaterThan(1e-3)
    expect(nets.segmentation.batchNorms().every((n) => n.momentum === 0.1)).toBe(true)

    // Stopped before the second batch: false, and the momentum is back.
    let asked = 0
    expect(await updateBatchNorm(nets, 3, async (k) => batch(9 + k), () => ++asked > 1)).toBe(false)
    expect(asked).toBe(2)
    expect(nets.segmentation.batchNorms().every((n) => n.momentum === 0.1)).toBe(true)
    for (const n of Object.values(nets)) n.dispose()
  }, 120_000)
})

describe('train with swa_fraction and bn_update_batches (tiny preset, magnetic-tile)', () => {
  const config = tinyConfig({ seed: 2, student_steps: 1, segmentation_steps: 4, checkpoint_every: 1, swa_fraction: 0.5, swa_every: 1, bn_update_batches: 2 })

  it('needs BatchNorm batches with averaging; the presets keep the reference final model', () => {
    const base = { dataset: '/d', textures: '/t' }
    expect(() => makeRunConfig({ ...base, preset: 'tiny', swa_fraction: 0.5 })).toThrow(/swa_fraction needs bn_update_batches > 0/)
    expect(() => makeRunConfig({ ...base, preset: 'tiny', swa_fraction: 2, bn_update_batches: 1 })).toThrow(/swa_fraction must be a fraction/)
    expect(() => makeRunConfig({ ...base, preset: 'tiny', swa_every: 0 })).toThrow(/swa_every must be an integer >= 1/)
    for (const preset of ['paper', 'tiny'] as const) {
      expect(makeRunConfig({ ...base, preset })).toMatchObject({ swa_fraction: 0, bn_update_batches: 0 })
    }
  })

  it('ends with the same weights after a cancel inside the averaging and one inside the BatchNorm update', async () => {
    const logs: string[] = []
    const straight = join(tempDir(), 'straight')
    const result = await train({ request: { config, run_dir: straight }, onLog: (m) => logs.push(m) })
    expect(result.status).toBe('done')
    expect(logs).toContain('segmentation net: the mean of 2 weight samples of the last 50 % of phase 2')
    expect(logs).toContain('segmentation net: recomputing BatchNorm statistics over 2 batches')
    // The checkpoint before the final model holds the trained weights and the average.
    const last = loadLatestCheckpoint(join(straight, 'checkpoints'))!
    expect(last.state.step).toBe(5)
    expect(last.state.swa_count).toBe(2)
    expect([...last.tensors.keys()].filter((k) => k.startsWith('swa.segmentation.')).length).toBeGreaterThan(0)

    const resumed = join(tempDir(), 'resumed')
    for (const stopAt of [4, 5]) {
      // 4: after phase 2's third step, the first averaged one; 5: the last step, so the cancel
      // lands in the BatchNorm update
      const stop = new AbortController()
      const r = await train({
        request: { config, run_dir: resumed, resume: stopAt === 5 },
        signal: stop.signal,
        onProgress: (p) => {
          if (p.global_step === stopAt) stop.abort()
        }
      })
      expect(r.status).toBe('cancelled')
      expect(loadLatestCheckpoint(join(resumed, 'checkpoints'))!.state.step).toBe(stopAt)
    }
    expect((await train({ request: { config, run_dir: resumed, resume: true } })).status).toBe('done')
    for (const file of ['student.json', 'seg.json']) {
      expect(sameTensors(readTensorFile(join(straight, file)), readTensorFile(join(resumed, file)))).toBe(true)
    }

    // The reference final model (last weights, running statistics) is another one.
    const reference = join(tempDir(), 'reference')
    await train({ request: { config: { ...config, swa_fraction: 0, bn_update_batches: 0 }, run_dir: reference } })
    expect(sameTensors(readTensorFile(join(straight, 'seg.json')), readTensorFile(join(reference, 'seg.json')))).toBe(false)
    expect(sameTensors(readTensorFile(join(straight, 'student.json')), readTensorFile(join(reference, 'student.json')))).toBe(true)
  }, 300_000)
})
