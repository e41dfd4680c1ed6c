/** The heap-to-heap Slice / SplitV / Unpack / StridedSlice kernels against the cpu backend. */
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { useBackend } from '../helpers'
import { liveCounts, onCpuAndWasm, seeded } from './compare'

describe('wasm slicing kernels', () => {
  afterAll(async () => {
    await useBackend('cpu')
  })

  it('slice, split, unstack and strided slices give the cpu results exactly', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const x = tf.tensor4d(seeded(3 * 5 * 6 * 7, 1), [3, 5, 6, 7])
      const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32')
      return [
        tf.slice(x, [1, 2, 0, 0], [2, 3, 6, 7]), // contiguous run
        tf.slice(x, [0, 1, 2, 3], [3, 3, 2, 4]), // short runs
        tf.slice(x, [0, 0, 0, 5], [3, 5, 6, 2]), // runs of 2 along the last axis
        tf.slice(x, [2, 0, 0, 0], [1, -1, -1, -1]),
        ...tf.split(x, [2, 4, 1], 3),
        ...tf.split(x, 5, 1),
        ...tf.unstack(x, 2),
        tf.stridedSlice(x, [1, 0, 0, 0], [3, 5, 6, 7], [1, 1, 1, 1]),
        tf.stridedSlice(x, [0, 1, 0, 2], [3, 4, 6, 6], [1, 1, 1, 1]),
        tf.stridedSlice(x, [0, 0, 1, 0], [3, 5, 6, 7], [1, 2, 2, 3]), // strided: wasm's own kernel
        tf.cast(tf.slice(ints, [0, 1], [2, 2]), 'float32'),
        tf.slice(x, [0, 0, 0, 0], [0, 5, 6, 7]) // empty
      ]
    })
    expect(wasm.length).toBe(cpu.length)
    cpu.forEach((c, i) => expect(Array.from(wasm[i]), `output ${i}`).toEqual(Array.from(c)))
  })

  it('the gradient of a channel concat (a split) matches cpu and leaks nothing', async () => {
    const run = (): tf.Tensor[] => {
      const parts = [1, 2, 3].map((c, i) => tf.tensor4d(seeded(2 * 3 * 4 * c, 20 + i), [2, 3, 4, c]))
      const r = tf.tensor4d(seeded(2 * 3 * 4 * 6, 30), [2, 3, 4, 6])
      return tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(tf.square(tf.concat(xs, 3)), r)))(parts)
    }
    const { cpu, wasm } = await onCpuAndWasm(run)
    cpu.forEach((c, i) => expect(Array.from(wasm[i])).toEqual(Array.from(c)))
    await useBackend('wasm')
    const before = liveCounts()
    tf.tidy(() => void run())
    expect(liveCounts()).toEqual(before)
  })
})
