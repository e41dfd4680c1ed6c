import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { dilatedConv2d, dilatedConv2dSpaceToBatch } from '../../src/main/engine/nn/dilated-conv'
import { leakedTensors, maxAbsDiff, useBackend } from './helpers'

/** Naive float64 reference: x [B, H, W, Ci], w [k, k, Ci, Co], stride 1, symmetric padding p, dilation d. */
function referenceConv(
  x: Float64Array,
  xs: number[],
  w: Float64Array,
  ws: number[],
  d: number,
  p: number
): { y: Float64Array; shape: number[] } {
  const [B, H, W, Ci] = xs
  const [k, , , Co] = ws
  const Ho = H + 2 * p - d * (k - 1)
  const Wo = W + 2 * p - d * (k - 1)
  const y = new Float64Array(B * Ho * Wo * Co)
  for (let b = 0; b < B; b++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let o = 0; o < Co; o++) {
          let s = 0
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const r = i - p + u * d
              const c = j - p + v * d
              if (r < 0 || r >= H || c < 0 || c >= W) continue
              for (let q = 0; q < Ci; q++) s += x[((b * H + r) * W + c) * Ci + q] * w[((u * k + v) * Ci + q) * Co + o]
            }
          y[((b * Ho + i) * Wo + j) * Co + o] = s
        }
  return { y, shape: [B, Ho, Wo, Co] }
}

function seededValues(n: number, seed: number): Float64Array {
  const out = new Float64Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = Math.fround(s / 2 ** 32 - 0.5)
  }
  return out
}

describe.each(['cpu', 'wasm'] as const)('dilated convolution (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })

  const cases = [
    { x: [2, 9, 7, 3], k: 3, d: 2, p: 2, co: 4 },
    { x: [1, 8, 8, 2], k: 3, d: 3, p: 3, co: 3 },
    { x: [1, 11, 10, 2], k: 3, d: 6, p: 6, co: 2 },
    { x: [1, 7, 9, 2], k: 3, d: 4, p: 1, co: 2 }, // padding smaller than the dilation: output shrinks
    { x: [1, 6, 6, 2], k: 2, d: 5, p: 0, co: 2 }, // even kernel, no padding
    { x: [1, 5, 6, 2], k: 3, d: 2, p: 5, co: 2 } // padding beyond the kernel's reach: output grows
  ]

  it.each(cases)('forward equals tf.conv2d with dilations %#', ({ x: xs, k, d, p, co }) => {
    tf.tidy(() => {
      const x = tf.randomNormal<tf.Rank>(xs, 0, 1, 'float32', 1) as tf.Tensor4D
      const w = tf.randomNormal([k, k, xs[3], co], 0, 1, 'float32', 2) as tf.Tensor4D
      const want = tf.conv2d(x, w, 1, p, 'NHWC', d)
      for (const f of [dilatedConv2d, dilatedConv2dSpaceToBatch]) {
        const got = f(x, w, d, p)
        expect(got.shape).toEqual(want.shape)
        expect(maxAbsDiff(got.dataSync(), want.dataSync())).toBeLessThan(1e-5)
      }
    })
  })

  it.each(cases)('gradients match a float64 reference (and the space-to-batch gradient on cpu) %#', ({ x: xs, k, d, p, co }) => {
    const ws = [k, k, xs[3], co]
    const xv = seededValues(xs.reduce((a, b) => a * b), 3)
    const wv = seededValues(ws.reduce((a, b) => a * b), 4)
    const ref = referenceConv(xv, xs, wv, ws, d, p)
    const r = seededValues(ref.y.length, 5) // loss L = sum(y * r)

    // Reference gradients of the bilinear loss, by central differences on the float64 conv (exact up to rounding).
    const loss = (xa: Float64Array, wa: Float64Array): number => referenceConv(xa, xs, wa, ws, d, p).y.reduce((s, v, i) => s + v * r[i], 0)
    const numeric = (which: 'x' | 'w'): Float64Array => {
      const base = which === 'x' ? xv : wv
      const g = new Float64Array(base.length)
      for (let i = 0; i < base.length; i++) {
        const plus = Float64Array.from(base)
        const minus = Float64Array.from(base)
        plus[i] += 0.5
        minus[i] -= 0.5
        g[i] = which === 'x' ? loss(plus, wv) - loss(minus, wv) : loss(xv, plus) - loss(xv, minus)
      }
      return g
    }
    const gxRef = numeric('x')
    const gwRef = numeric('w')

    tf.tidy(() => {
      const x = tf.tensor<tf.Rank>(Float32Array.from(xv), xs) as tf.Tensor4D
      const w = tf.tensor<tf.Rank>(Float32Array.from(wv), ws) as tf.Tensor4D
      const rt = tf.tensor(Float32Array.from(r), ref.shape)
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(dilatedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, d, p), rt)))([x, w])
      expect(gx.shape).toEqual(xs)
      expect(gw.shape).toEqual(ws)
      if (backend === 'cpu') {
        // tfjs's own gradient of the space-to-batch form (wasm lacks its Conv2DBackpropFilter).
        const [sx, sw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(dilatedConv2dSpaceToBatch(a as tf.Tensor4D, b as tf.Tensor4D, d, p), rt))
        )([x, w])
        expect(maxAbsDiff(gx.dataSync(), sx.dataSync())).toBeLessThan(1e-5)
        expect(maxAbsDiff(gw.dataSync(), sw.dataSync())).toBeLessThan(1e-5)
      }
      expect(maxAbsDiff(gx.dataSync(), gxRef)).toBeLessThan(1e-4)
      expect(maxAbsDiff(gw.dataSync(), gwRef)).toBeLessThan(1e-4)
    })
  })

  it('trains a variable filter through tf.variableGrads without leaking tensors', () => {
    const w = tf.variable(tf.randomNormal([3, 3, 4, 4], 0, 0.1, 'float32', 7) as tf.Tensor4D)
    const x = tf.randomNormal([2, 12, 12, 4], 0, 1, 'float32', 8) as tf.Tensor4D
    const step = (): void => {
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(dilatedConv2d(x, w, 6, 6))) as tf.Scalar, [w])
        expect(Number.isFinite(value.dataSync()[0])).toBe(true)
        w.assign(tf.sub(w, tf.mul(grads[w.name], 0.1)))
      })
    }
    step() // first call builds the cached custom gradient
    expect(leakedTensors(step)).toBe(0)
    tf.dispose([w, x])
  })
})
