/**
 * Picks the TensorFlow.js backend at run time, best first: tfjs-node-gpu, tfjs-node, wasm, cpu.
 * The native packages are optional dependencies that usually fail to install here (they download
 * libtensorflow), so each is tried with a dynamic require inside try/catch. See ENGINE-NOTES.md.
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'

export interface BackendChoice {
  /** The tfjs backend now active: 'tensorflow' (tfjs-node / tfjs-node-gpu), 'wasm' or 'cpu'. */
  name: string
  /** Why this one: what was tried and failed before it, and any caveat (e.g. wasm cannot train yet). */
  reason?: string
}

interface Candidate {
  /** What the caller may ask for. */
  id: 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu'
  /** The npm package that registers the backend (none for cpu, built into @tensorflow/tfjs). */
  pkg?: string
  /** The backend name it registers. */
  backend: string
}

const CANDIDATES: readonly Candidate[] = [
  { id: 'tfjs-node-gpu', pkg: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow' },
  { id: 'tfjs-node', pkg: '@tensorflow/tfjs-node', backend: 'tensorflow' },
  { id: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm', backend: 'wasm' },
  { id: 'cpu', backend: 'cpu' }
]

/** Kernels a training step needs that some backends lack (wasm 4.22 has no Conv2DBackpropFilter). */
const TRAINING_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedBatchNorm', 'MaxPoolGrad', 'ResizeBilinearGrad']

const requireOptional = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

/**
 * Activates the best backend that loads, or `preferred` (a candidate id such as 'wasm' or 'cpu',
 * or a backend name such as 'tensorflow') first if given; falls back down the list otherwise.
 */
export async function selectBackend(preferred?: string): Promise<BackendChoice> {
  const order = preferred
    ? [
        ...CANDIDATES.filter((c) => c.id === preferred || c.backend === preferred),
        ...CANDIDATES.filter((c) => c.id !== preferred && c.backend !== preferred)
      ]
    : [...CANDIDATES]
  if (preferred && order[0].id !== preferred && order[0].backend !== preferred) {
    throw new Error(`Unknown backend '${preferred}'; choose one of ${CANDIDATES.map((c) => c.id).join(', ')}`)
  }
  const skipped: string[] = []
  for (const c of order) {
    const why = await tryActivate(c)
    if (why === undefined) {
      const notes = [...skipped]
      const missing = missingTrainingKernels(c.backend)
      if (missing.length > 0) notes.push(`${c.id} cannot train yet: missing ${missing.join(', ')}`)
      return notes.length > 0 ? { name: tf.getBackend(), reason: notes.join('; ') } : { name: tf.getBackend() }
    }
    skipped.push(`${c.id}: ${why}`)
  }
  throw new Error(`No TensorFlow.js backend could be initialised (${skipped.join('; ')})`)
}

/** Kernels from TRAINING_KERNELS that `backend` has not registered. */
export function missingTrainingKernels(backend: string): string[] {
  return TRAINING_KERNELS.filter((k) => tf.getKernel(k, backend) === undefined)
}

/** Returns undefined on success, or a short reason why the candidate is unavailable. */
async function tryActivate(c: Candidate): Promise<string | undefined> {
  if (c.pkg && tf.findBackendFactory(c.backend) === null) {
    try {
      requireOptional(c.pkg)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      return code === 'MODULE_NOT_FOUND' ? 'not installed' : `failed to load (${firstLine(err)})`
    }
    if (tf.findBackendFactory(c.backend) === null) return `${c.pkg} registered no '${c.backend}' backend`
  }
  try {
    const ok = await tf.setBackend(c.backend)
    if (!ok) return 'initialisation failed'
    await tf.ready()
    return undefined
  } catch (err) {
    return `initialisation failed (${firstLine(err)})`
  }
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0]
}
