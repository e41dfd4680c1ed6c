/** MaxPoolGrad and the Winograd FusedConv2D on wasm vs cpu. */
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { winogradOptions } from '../../../src/main/engine/kernels'
import { useBackend } from '../helpers'
import { liveCounts, onCpuAndWasm, scaledMaxDiff, seeded } from './compare'

describe('wasm MaxPoolGrad and FusedConv2D', () => {
  afterAll(async () => {
    await useBackend('cpu')
  })

  it.each([
    { name: 'stem pool 3x3/2 pad 1 after ReLU (ties at 0)', x: [2, 9, 8, 5] as [number, number, number, number], f: 3, s: 2, pad: 1 as const, relu: true },
    { name: '2x2/2 valid', x: [1, 6, 7, 3] as [number, number, number, number], f: 2, s: 2, pad: 'valid' as const, relu: false },
    { name: '3x3/1 same', x: [2, 5, 5, 4] as [number, number, number, number], f: 3, s: 1, pad: 'same' as const, relu: false }
  ])('max-pool gradient: $name', async ({ x: xs, f, s, pad, relu }) => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x0 = tf.tensor(seeded(xs.reduce((a, b) => a * b), 4), xs) as tf.Tensor4D
      const x = relu ? (tf.relu(x0) as tf.Tensor4D) : x0
      const y = tf.maxPool(x, f, s, pad)
      const r = tf.tensor(seeded(y.size, 5), y.shape)
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, f, s, pad), r)))(x)]
    })
    expect(scaledMaxDiff(wasm[0], cpu[0])).toBeLessThan(1e-6)
  })

  it('FusedConv2D with bias and ReLU through Winograd', async () => {
    const saved = { ...winogradOptions }
    Object.assign(winogradOptions, { costModel: false, minTiles: 1, minChannels: 1, minMaxChannels: 1 })
    try {
      for (const tile of [2, 4] as const) {
        winogradOptions.tile = tile
        const { cpu, wasm } = await onCpuAndWasm(() => {
          const x = tf.tensor4d(seeded(2 * 7 * 6 * 5, 6), [2, 7, 6, 5])
          const w = tf.tensor4d(seeded(9 * 5 * 4, 7), [3, 3, 5, 4])
          const bias = tf.tensor1d(seeded(4, 8))
          return [
            tf.fused.conv2d({ x, filter: w, strides: 1, pad: 1, bias, activation: 'relu' }),
            tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', bias }),
            tf.fused.conv2d({ x, filter: w, strides: 1, pad: 2, dilations: 2 })
          ]
        })
        cpu.forEach((ref, i) => expect(scaledMaxDiff(wasm[i], ref)).toBeLessThan(1e-4))
      }
      await useBackend('wasm')
      const before = liveCounts()
      tf.tidy(() => {
        tf.fused.conv2d({ x: tf.ones([1, 6, 6, 3]) as tf.Tensor4D, filter: tf.ones([3, 3, 3, 2]) as tf.Tensor4D, strides: 1, pad: 1, bias: tf.ones([2]), activation: 'relu' })
      })
      expect(liveCounts()).toEqual(before)
    } finally {
      Object.assign(winogradOptions, saved)
    }
  })
})
