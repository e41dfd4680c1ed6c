/** The wasm convolution gradient kernels against the cpu backend's, on small shapes. */
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { setFilterGradChunkBytes } from '../../../src/main/engine/kernels'
import { useBackend } from '../helpers'
import { liveCounts, onCpuAndWasm, scaledMaxDiff, seeded } from './compare'

interface Case {
  name: string
  x: [number, number, number, number]
  k: number
  stride: number
  pad: number | 'same' | 'valid'
  co: number
}

const CASES: Case[] = [
  { name: '1x1 stride 1', x: [2, 5, 6, 3], k: 1, stride: 1, pad: 0, co: 4 },
  { name: '1x1 stride 2 (downsample), odd size', x: [2, 7, 9, 6], k: 1, stride: 2, pad: 0, co: 5 },
  { name: '3x3 stride 1 pad 1', x: [2, 7, 5, 4], k: 3, stride: 1, pad: 1, co: 3 },
  { name: '3x3 stride 1 valid', x: [1, 6, 7, 2], k: 3, stride: 1, pad: 'valid', co: 2 },
  { name: '3x3 stride 2 pad 1, odd size', x: [2, 9, 8, 3], k: 3, stride: 2, pad: 1, co: 5 },
  { name: '3x3 stride 2 same (asymmetric pad)', x: [1, 8, 8, 3], k: 3, stride: 2, pad: 'same', co: 2 },
  { name: '3x3 stride 3 pad 1', x: [1, 9, 7, 2], k: 3, stride: 3, pad: 1, co: 2 },
  { name: '5x5 stride 1 pad 2', x: [1, 6, 5, 3], k: 5, stride: 1, pad: 2, co: 2 },
  { name: '7x7 stride 2 pad 3 (stem)', x: [2, 13, 11, 3], k: 7, stride: 2, pad: 3, co: 4 },
  { name: 'channels 17 -> 2, batch 3', x: [3, 5, 5, 17], k: 3, stride: 1, pad: 1, co: 2 },
  { name: 'channels 2 -> 19', x: [1, 6, 6, 2], k: 3, stride: 2, pad: 1, co: 19 }
]

const diffs: Record<string, { dx: number; dw: number }> = {}

/** dL/dx and dL/dw of L = sum(conv(x, w) * r), r fixed. */
function convGrads(c: Case): tf.Tensor[] {
  const ws = [c.k, c.k, c.x[3], c.co] as [number, number, number, number]
  const x = tf.tensor4d(seeded(c.x.reduce((a, b) => a * b), 1), c.x)
  const w = tf.tensor4d(seeded(ws.reduce((a, b) => a * b), 2), ws)
  const yShape = tf.conv2d(x, w, c.stride, c.pad).shape
  const r = tf.tensor(seeded(yShape.reduce((a, b) => a * b), 3), yShape)
  return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), r)))([x, w])
}

describe('wasm Conv2DBackpropInput / Conv2DBackpropFilter', () => {
  afterAll(async () => {
    console.info('conv gradient max scaled |diff| wasm vs cpu:', JSON.stringify(diffs))
    await useBackend('cpu')
  })

  it.each(CASES)('$name', async (c) => {
    const { cpu, wasm } = await onCpuAndWasm(() => convGrads(c))
    const dx = scaledMaxDiff(wasm[0], cpu[0])
    const dw = scaledMaxDiff(wasm[1], cpu[1])
    diffs[c.name] = { dx, dw }
    expect(dx).toBeLessThan(1e-4)
    expect(dw).toBeLessThan(1e-4)
  })

  it('filter gradient built in several tap groups gives the same result', async () => {
    const c: Case = { name: 'grouped', x: [2, 9, 8, 5], k: 3, stride: 2, pad: 1, co: 3 }
    const { cpu } = await onCpuAndWasm(() => convGrads(c))
    // 2 taps of 5 x 2*5*4 floats per group: 5 groups for the 9 taps.
    const old = setFilterGradChunkBytes(2 * 5 * 40 * 4)
    try {
      const { wasm } = await onCpuAndWasm(() => convGrads(c))
      expect(scaledMaxDiff(wasm[1], cpu[1])).toBeLessThan(1e-4)
    } finally {
      setFilterGradChunkBytes(old)
    }
  })

  it('leaves no tensors or backend data behind across steps', async () => {
    await useBackend('wasm')
    const w = tf.variable(tf.tensor4d(seeded(3 * 3 * 4 * 6, 5), [3, 3, 4, 6]))
    const x = tf.tensor4d(seeded(2 * 9 * 9 * 4, 6), [2, 9, 9, 4])
    const step = (): void => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(tf.square(tf.conv2d(tf.conv2d(x, w, 2, 1), tf.ones([3, 3, 6, 6]) as tf.Tensor4D, 1, 'same'))) as tf.Scalar, [w])
        w.assign(tf.sub(w, tf.mul(grads[w.name], 1e-3)))
      })
    }
    step()
    const before = liveCounts()
    step()
    step()
    expect(liveCounts()).toEqual(before)
    tf.dispose([w, x])
  })
})
