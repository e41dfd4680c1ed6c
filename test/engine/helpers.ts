/** Shared helpers for the engine tests. */
import * as tf from '@tensorflow/tfjs'
import { selectBackend } from '../../src/main/engine/backend'

/** Activates a backend and fails loudly if a different one came up. */
export async function useBackend(name: 'cpu' | 'wasm'): Promise<void> {
  const choice = await selectBackend(name)
  if (choice.name !== name) throw new Error(`wanted the ${name} backend, got ${choice.name} (${choice.reason ?? ''})`)
}

/** Runs `fn` and returns how many tensors it left behind. */
export function leakedTensors(fn: () => void): number {
  const before = tf.memory().numTensors
  fn()
  return tf.memory().numTensors - before
}

/** max |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}
