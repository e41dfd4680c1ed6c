import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { bilinearMatrix, resizeBilinear } from '../../src/main/engine/nn/resize'
import { leakedTensors, maxAbsDiff, useBackend } from './helpers'

/** y = Rh x Rw^T per image and channel, in float64. x [B, h, w, C] -> [B, H, W, C] */
function referenceResize(x: Float64Array, [b, h, w, c]: number[], H: number, W: number): Float64Array {
  const rh = bilinearMatrix(h, H)
  const rw = bilinearMatrix(w, W)
  const y = new Float64Array(b * H * W * c)
  for (let n = 0; n < b; n++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let p = 0; p < h; p++)
          for (let q = 0; q < w; q++) {
            const k = rh[i * h + p] * rw[j * w + q]
            if (k === 0) continue
            for (let ch = 0; ch < c; ch++) y[((n * H + i) * W + j) * c + ch] += k * x[((n * h + p) * w + q) * c + ch]
          }
  return y
}

describe.each(['cpu', 'wasm'] as const)('half-pixel bilinear resize (%s)', (backend) => {
  beforeAll(async () => {
    await useBackend(backend)
  })

  const cases: [number[], number, number][] = [
    [[2, 4, 4, 3], 8, 8],
    [[1, 5, 3, 2], 16, 7],
    [[2, 1, 1, 4], 6, 6], // the ASPP pooled branch
    [[1, 7, 9, 2], 3, 4] // downsampling
  ]

  it.each(cases)('matches PyTorch interpolation and has the exact gradient %j -> %i x %i', (shape, H, W) => {
    const n = shape.reduce((a, b) => a * b)
    const xv = Float64Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.7) + 0.1 * i))
    const out = [shape[0], H, W, shape[3]]
    const r = Float64Array.from({ length: out.reduce((a, b) => a * b) }, (_, i) => Math.fround(Math.cos(i * 0.3)))
    // Gradient of the linear map L = sum(resize(x) * r): dL/dx_i = L(e_i).
    const gradRef = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const e = new Float64Array(n)
      e[i] = 1
      gradRef[i] = referenceResize(e, shape, H, W).reduce((s, v, k) => s + v * r[k], 0)
    }
    tf.tidy(() => {
      const x = tf.tensor<tf.Rank>(Float32Array.from(xv), shape) as tf.Tensor4D
      const y = resizeBilinear(x, [H, W])
      expect(y.shape).toEqual(out)
      expect(maxAbsDiff(y.dataSync(), referenceResize(xv, shape, H, W))).toBeLessThan(1e-5)
      const rt = tf.tensor<tf.Rank>(Float32Array.from(r), out)
      const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(resizeBilinear(a as tf.Tensor4D, [H, W]), rt)))(x)
      expect(maxAbsDiff(g.dataSync(), gradRef)).toBeLessThan(1e-4)
    })
  })

  it('leaks no tensors through forward and backward', () => {
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D
    const run = (): void => {
      tf.tidy(() => {
        tf.grad((a: tf.Tensor) => tf.sum(tf.square(resizeBilinear(a as tf.Tensor4D, [32, 32]))))(x).dataSync()
      })
    }
    run()
    expect(leakedTensors(run)).toBe(0)
    x.dispose()
  })
})
