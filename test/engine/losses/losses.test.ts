import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { cosineDistanceLoss, cosineDistanceMap } from '../../../src/main/engine/losses/cosine-distance'
import { focalLoss } from '../../../src/main/engine/losses/focal'
import { l1Loss } from '../../../src/main/engine/losses/l1'
import { useBackend } from '../helpers'

beforeAll(async () => {
  await useBackend('cpu')
})

/** The value of a loss; disposes it and checks the tensor count is back where it was. */
function scalar(fn: () => tf.Scalar): number {
  const before = tf.memory().numTensors
  const s = fn()
  const v = s.dataSync()[0]
  s.dispose()
  expect(tf.memory().numTensors).toBe(before)
  return v
}

describe('cosine distance (Eqs. 2-4)', () => {
  it('D = 1 - cos over channels, per pixel', () => {
    // [1, 1, 4, 2]: same direction, orthogonal, opposite, scaled
    const t = tf.tensor4d([1, 0, 1, 0, 1, 0, 3, 4], [1, 1, 4, 2])
    const s = tf.tensor4d([2, 0, 0, 5, -1, 0, 4, 3], [1, 1, 4, 2])
    const before = tf.memory().numTensors
    const d = cosineDistanceMap(t, s)
    expect(d.shape).toEqual([1, 1, 4, 1])
    const got = Array.from(d.dataSync())
    d.dispose()
    expect(tf.memory().numTensors).toBe(before)
    const expected = [0, 1, 2, 1 - 24 / 25]
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6))
    tf.dispose([t, s])
  })

  it('L_cos sums the per-level pixel means over levels and the batch', () => {
    // level 1: [2, 1, 2, 2]; batch 0 D = (0, 1), batch 1 D = (2, 1) -> means 0.5 and 1.5 -> 2
    const t1 = tf.tensor4d([1, 0, 1, 0, 1, 0, 0, 1], [2, 1, 2, 2])
    const s1 = tf.tensor4d([1, 0, 0, 1, -1, 0, 1, 0], [2, 1, 2, 2])
    // level 2: [2, 1, 1, 3]; batch 0 D = 0, batch 1 D = 1 - 1/sqrt(3) ([1,1,1] vs [1,0,0])
    const t2 = tf.tensor4d([1, 2, 3, 1, 1, 1], [2, 1, 1, 3])
    const s2 = tf.tensor4d([2, 4, 6, 1, 0, 0], [2, 1, 1, 3])
    const v = scalar(() => cosineDistanceLoss([t1, t2], [s1, s2]))
    expect(v).toBeCloseTo(2 + (1 - 1 / Math.sqrt(3)), 5)
    tf.dispose([t1, s1, t2, s2])
  })

  it('rejects mismatched shapes', () => {
    const a = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D
    const b = tf.zeros([1, 2, 2, 4]) as tf.Tensor4D
    expect(() => cosineDistanceMap(a, b)).toThrow(/differ/)
    tf.dispose([a, b])
  })
})

describe('focal loss (Eq. 5, gamma 4)', () => {
  it('matches hand values, including both targets', () => {
    const p = tf.tensor4d([0.5, 0.9, 0.2, 0.7], [1, 2, 2, 1])
    const m = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1])
    // -(1 - p_t)^4 log(p_t): p_t = 0.5, 0.1, 0.8, 0.7
    const terms = [0.5, 0.1, 0.8, 0.7].map((pt) => -((1 - pt) ** 4) * Math.log(pt))
    const expected = terms.reduce((a, b) => a + b, 0) / 4
    expect(scalar(() => focalLoss(p, m))).toBeCloseTo(expected, 6)
    // gamma 0 is plain binary cross-entropy
    const bce = [0.5, 0.1, 0.8, 0.7].map((pt) => -Math.log(pt)).reduce((a, b) => a + b, 0) / 4
    expect(scalar(() => focalLoss(p, m, 0))).toBeCloseTo(bce, 5)
    tf.dispose([p, m])
  })

  it('stays finite, with finite gradients, for saturated probabilities', () => {
    const p = tf.tensor1d([0, 1, 0, 1])
    const m = tf.tensor1d([1, 0, 0, 1])
    const v = scalar(() => focalLoss(p, m))
    expect(Number.isFinite(v)).toBe(true)
    expect(v).toBeCloseTo((2 * -Math.log(1e-6) * (1 - 1e-6) ** 4) / 4, 2)
    const logits = tf.tensor1d([-30, 30, 0, 2])
    const before = tf.memory().numTensors
    const g = tf.grad((x: tf.Tensor) => focalLoss(tf.sigmoid(x), m))(logits)
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true)
    tf.dispose(g)
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([p, m, logits])
  })
})

describe('L1 loss (Eq. 6)', () => {
  it('is the mean absolute difference', () => {
    const p = tf.tensor4d([0.5, 0.9, 0.2, 0.7], [1, 2, 2, 1])
    const m = tf.tensor4d([1, 0, 0, 1], [1, 2, 2, 1])
    expect(scalar(() => l1Loss(p, m))).toBeCloseTo((0.5 + 0.9 + 0.2 + 0.3) / 4, 6)
    tf.dispose([p, m])
  })
})
