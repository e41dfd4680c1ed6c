/** Training-mode behaviour on the cpu backend (the one that has every gradient kernel). */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { SegmentationNet } from '../../src/main/engine/destseg/segmentation'
import { StudentNet } from '../../src/main/engine/destseg/student'
import { BatchNorm2d, type NamedTensor } from '../../src/main/engine/nn/layers'
import { leakedTensors, maxAbsDiff, useBackend } from './helpers'

function variablesOf(ps: NamedTensor[]): tf.Variable[] {
  return ps.map((p) => p.tensor as tf.Variable)
}

describe('training mode', () => {
  beforeAll(async () => {
    await useBackend('cpu')
  })

  it('BatchNorm2d uses batch statistics in training and updates running stats like PyTorch', () => {
    const bn = new BatchNorm2d('bn', 3)
    const x = tf.randomNormal([2, 4, 5, 3], 2, 3, 'float32', 11) as tf.Tensor4D
    const xs = x.dataSync() as Float32Array
    const n = 2 * 4 * 5
    const mean = [0, 1, 2].map((c) => xs.filter((_, i) => i % 3 === c).reduce((s, v) => s + v, 0) / n)
    const varB = [0, 1, 2].map((c) => xs.filter((_, i) => i % 3 === c).reduce((s, v) => s + (v - mean[c]) ** 2, 0) / n)

    const leaked = leakedTensors(() => {
      tf.tidy(() => {
        const y = bn.apply(x, true).dataSync()
        const yExpected = Array.from(xs, (v, i) => (v - mean[i % 3]) / Math.sqrt(varB[i % 3] + 1e-5))
        expect(maxAbsDiff(y, yExpected)).toBeLessThan(1e-4)
      })
    })
    expect(leaked).toBe(0)
    // momentum 0.1; running_var takes the unbiased variance.
    expect(maxAbsDiff(bn.runningMean.dataSync(), mean.map((m) => 0.1 * m))).toBeLessThan(1e-5)
    expect(maxAbsDiff(bn.runningVar.dataSync(), varB.map((v) => 0.9 + 0.1 * v * (n / (n - 1))))).toBeLessThan(1e-5)
    // Eval uses the running stats and leaves them alone.
    tf.tidy(() => {
      const y = bn.apply(x, false).dataSync()
      const rm = bn.runningMean.dataSync()
      const rv = bn.runningVar.dataSync()
      expect(maxAbsDiff(y, Array.from(xs, (v, i) => (v - rm[i % 3]) / Math.sqrt(rv[i % 3] + 1e-5)))).toBeLessThan(1e-4)
    })
    expect(maxAbsDiff(bn.runningMean.dataSync(), mean.map((m) => 0.1 * m))).toBeLessThan(1e-5)
    bn.dispose()
    x.dispose()
  })

  /** The gradients' path from the loss back to the first conv crosses every layer; only a few filters are asked for, since the cpu backend's Conv2DBackpropFilter is a very slow loop. */
  it('StudentNet: gradients reach the first encoder conv and the decoder; running stats move; steps leak nothing', () => {
    const student = new StudentNet({ seed: 3 })
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 12) as tf.Tensor4D
    const wanted = ['encoder.conv1.weight', 'encoder.layer4.1.bn2.weight', 'decoder_layer4.0.bn1.bias', 'decoder_layer1.1.bn2.weight']
    const params = student.parameters().filter((p) => wanted.includes(p.name))
    expect(params).toHaveLength(wanted.length)
    const vars = variablesOf(params)
    const step = (): void => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const s = student.apply(x, true)
          return tf.addN([tf.mean(tf.square(s.s1)), tf.mean(tf.square(s.s2)), tf.mean(tf.square(s.s3))]) as tf.Scalar
        }, vars)
        for (const p of params) {
          const g = grads[(p.tensor as tf.Variable).name]
          expect(g.shape, p.name).toEqual(p.tensor.shape)
          expect(tf.abs(g).max().arraySync(), p.name).toBeGreaterThan(0)
        }
      })
    }
    const rm = student.buffers().find((b) => b.name === 'decoder_layer1.1.bn2.running_mean')!.tensor
    const before = rm.dataSync().slice()
    expect(leakedTensors(step)).toBe(0)
    expect(maxAbsDiff(rm.dataSync(), before)).toBeGreaterThan(0)
    student.dispose()
    x.dispose()
  })

  it('SegmentationNet: gradients flow through ASPP (dilated convs, pooled branch) back to the residual blocks', () => {
    const seg = new SegmentationNet({ seed: 4 })
    const x = tf.randomNormal([2, 6, 6, 448], 0, 0.05, 'float32', 13) as tf.Tensor4D
    const mask = tf.cast(tf.greater(tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 14), 0.7), 'float32')
    const wanted = [
      'res.0.bn1.weight',
      'head.0.aspp_feature_extractors.0.1.conv.weight',
      'head.0.aspp_feature_extractors.1.conv.weight',
      'head.0.aspp_feature_extractors.3.conv.weight',
      'head.0.aspp_fusion_layer.norm.bias',
      'head.4.weight',
      'head.4.bias'
    ]
    const params = seg.parameters().filter((p) => wanted.includes(p.name))
    expect(params).toHaveLength(wanted.length)
    const vars = variablesOf(params)
    const step = (): void => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.abs(tf.sub(seg.apply(x, true), mask))) as tf.Scalar, vars)
        expect(Number.isFinite(value.arraySync())).toBe(true)
        for (const p of params) {
          const g = grads[(p.tensor as tf.Variable).name]
          expect(g.shape, p.name).toEqual(p.tensor.shape)
          const m = tf.abs(g).max().arraySync() as number
          expect(Number.isFinite(m) && m > 0, p.name).toBe(true)
        }
      })
    }
    expect(leakedTensors(step)).toBe(0)
    seg.dispose()
    tf.dispose([x, mask])
  })
})
