/** Runs the same computation on the cpu and wasm backends and compares the results. */
import * as tf from '@tensorflow/tfjs'
import { useBackend } from '../helpers'

/** Float32 values from a fixed LCG in [-0.5, 0.5), so both backends see identical inputs. */
export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 32 - 0.5
  }
  return out
}

/** Runs `fn` (which returns tensors, read back before disposal) on cpu, then on wasm. */
export async function onCpuAndWasm(fn: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const run = (): Float32Array[] => tf.tidy(() => fn().map((t) => Float32Array.from(t.dataSync() as Float32Array)))
  await useBackend('cpu')
  const cpu = run()
  await useBackend('wasm')
  const wasm = run()
  return { cpu, wasm }
}

/** max |a - b| / max(1, max |b|): absolute for values up to 1, relative to the largest beyond. */
export function scaledMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`)
  let diff = 0
  let scale = 1
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return diff / scale
}

/** Tensors tracked by the engine and data ids held by the active backend (kernel intermediates included). */
export function liveCounts(): { tensors: number; dataIds: number } {
  return { tensors: tf.memory().numTensors, dataIds: (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds() }
}
