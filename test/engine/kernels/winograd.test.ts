/** Winograd F(2x2, 3x3) convolutions (forward, input and filter gradients, dilations) on wasm vs cpu. */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setWinogradChunkBytes, winogradOptions } from '../../../src/main/engine/kernels'
import { dilatedConv2d } from '../../../src/main/engine/nn/dilated-conv'
import { useBackend } from '../helpers'
import { liveCounts, onCpuAndWasm, scaledMaxDiff, seeded } from './compare'

interface Case {
  name: string
  x: [number, number, number, number]
  co: number
  pad: number | 'same' | 'valid'
  dilation: number
}

const CASES: Case[] = [
  { name: 'pad 1, odd sizes, batch 2', x: [2, 7, 9, 5], co: 4, pad: 1, dilation: 1 },
  { name: 'valid', x: [1, 8, 7, 3], co: 6, pad: 'valid', dilation: 1 },
  { name: 'same', x: [2, 6, 5, 4], co: 3, pad: 'same', dilation: 1 },
  { name: 'dilation 2 pad 2', x: [2, 9, 7, 3], co: 4, pad: 2, dilation: 2 },
  { name: 'dilation 3 pad 1 (output shrinks)', x: [1, 11, 10, 2], co: 3, pad: 1, dilation: 3 },
  { name: 'dilation 6 pad 6', x: [1, 13, 11, 3], co: 2, pad: 6, dilation: 6 },
  { name: 'pad 2 (beyond the kernel)', x: [1, 5, 6, 3], co: 2, pad: 2, dilation: 1 }
]


function tensors(c: Case): { x: tf.Tensor4D; w: tf.Tensor4D } {
  return {
    x: tf.tensor4d(seeded(c.x.reduce((a, b) => a * b), 1), c.x),
    w: tf.tensor4d(seeded(9 * c.x[3] * c.co, 2), [3, 3, c.x[3], c.co])
  }
}

describe.each([2, 4] as const)('Winograd F(%ix%i, 3x3) convolutions on wasm', (tile) => {
  let saved: typeof winogradOptions
  const diffs: Record<string, number[]> = {}
  beforeAll(() => {
    // Take the Winograd path on these small shapes too.
    saved = { ...winogradOptions }
    Object.assign(winogradOptions, { enabled: true, tile, costModel: false, minTiles: 1, minChannels: 1, minMaxChannels: 1 })
  })
  afterAll(async () => {
    Object.assign(winogradOptions, saved)
    console.info(`Winograd F(${tile}) max scaled |diff| wasm vs cpu [forward, dx, dw]:`, JSON.stringify(diffs))
    await useBackend('cpu')
  })

  it.each(CASES)('forward and gradients: $name', async (c) => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const { x, w } = tensors(c)
      if (c.dilation === 1) {
        const y = tf.conv2d(x, w, 1, c.pad)
        const r = tf.tensor(seeded(y.size, 3), y.shape)
        const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, c.pad), r)))([x, w])
        return [y, gx, gw]
      }
      // Dilated: tfjs has no gradient for it; nn/dilated-conv.ts supplies one (wasm: Winograd forward,
      // the input gradient as a dilated Conv2D, the filter gradient through the dilations attr).
      const p = c.pad as number
      const y = dilatedConv2d(x, w, c.dilation, p)
      const r = tf.tensor(seeded(y.size, 3), y.shape)
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(dilatedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.dilation, p), r)))([x, w])
      return [y, gx, gw]
    })
    diffs[c.name] = cpu.map((ref, i) => scaledMaxDiff(wasm[i], ref))
    for (const d of diffs[c.name]) expect(d).toBeLessThan(1e-4)
  })

  it('several tile groups give the same result', async () => {
    const c: Case = { name: 'grouped', x: [2, 9, 8, 5], co: 3, pad: 1, dilation: 1 }
    const run = (): tf.Tensor[] => {
      const { x, w } = tensors(c)
      const y = tf.conv2d(x, w, 1, 1)
      return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 1))))([x, w])]
    }
    const { cpu } = await onCpuAndWasm(run)
    const old = setWinogradChunkBytes(16 * 4 * 8 * 7) // 7 tiles of up to 8 channels per group
    try {
      const { wasm } = await onCpuAndWasm(run)
      cpu.forEach((ref, i) => expect(scaledMaxDiff(wasm[i], ref)).toBeLessThan(1e-4))
    } finally {
      setWinogradChunkBytes(old)
    }
  })

  it('leaves no tensors or backend data behind', async () => {
    await useBackend('wasm')
    const { x, w } = tensors(CASES[0])
    const step = (): void => {
      tf.tidy(() => {
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 1))))([x, w])
        tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(dilatedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 2))))([x, w])
      })
    }
    step()
    const before = liveCounts()
    step()
    expect(liveCounts()).toEqual(before)
    tf.dispose([x, w])
  })
})
