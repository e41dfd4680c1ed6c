/**
 * The multi-threaded wasm backend (opt-in, kernels/wasm-threads.ts): it starts with the threads
 * asked for and trains with the same results as cpu. vitest runs each test file in its own process,
 * so this file's wasm backend is the threaded one.
 */
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { selectBackend } from '../../../src/main/engine/backend'
import { wasmGemm, winogradOptions } from '../../../src/main/engine/kernels'
import { liveCounts, onCpuAndWasm, scaledMaxDiff, seeded } from './compare'

describe('wasm with 2 threads', () => {
  afterAll(async () => {
    await selectBackend('cpu')
  })

  it('starts 2 threads, routes GEMMs through the threaded conv, and matches cpu gradients', async () => {
    const choice = await selectBackend('wasm', { wasmThreads: 2 })
    expect(choice).toMatchObject({ name: 'wasm', trains: true, threads: 2 })
    expect(wasmGemm.viaConv).toBe(true)
    const saved = { ...winogradOptions }
    Object.assign(winogradOptions, { costModel: false, minTiles: 1, minChannels: 1, minMaxChannels: 1 })
    try {
      const run = (): tf.Tensor[] => {
        const x = tf.tensor4d(seeded(2 * 9 * 8 * 6, 1), [2, 9, 8, 6])
        const w1 = tf.tensor4d(seeded(9 * 6 * 5, 2), [3, 3, 6, 5])
        const w2 = tf.tensor4d(seeded(9 * 5 * 4, 3), [3, 3, 5, 4])
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar =>
          tf.sum(tf.square(tf.conv2d(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 1)) as tf.Tensor4D, c as tf.Tensor4D, 1, 1)))
        return tf.grads(f)([x, w1, w2])
      }
      const { cpu, wasm } = await onCpuAndWasm(run)
      cpu.forEach((ref, i) => expect(scaledMaxDiff(wasm[i], ref)).toBeLessThan(1e-4))
      await selectBackend('wasm')
      const before = liveCounts()
      tf.tidy(() => void run())
      expect(liveCounts()).toEqual(before)
    } finally {
      Object.assign(winogradOptions, saved)
    }
  })
})
