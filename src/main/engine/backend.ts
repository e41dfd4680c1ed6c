/**
 * Picks the TensorFlow.js backend at run time, best first: tfjs-node-gpu, webgpu, tfjs-node, wasm,
 * cpu. The native packages are optional dependencies that usually fail to install here (they
 * download libtensorflow), so each is tried with a dynamic require inside try/catch. See
 * ENGINE-NOTES.md. webgpu (@tensorflow/tfjs-backend-webgpu on dawn.node, the optional `webgpu`
 * package) is tried only when a WebGPU adapter is found (kernels/webgpu); without one (no Vulkan
 * driver, as on CPU machines) it is skipped with the reason. wasm trains once the kernels of
 * ./kernels are installed, which selectBackend does (idempotent) whenever it loads or activates wasm.
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { installWasmTrainingKernels, registerThreadedWasm } from './kernels'
import { registerWebGpuBackend, webGpuAdapterInfo } from './kernels/webgpu'

export interface BackendChoice {
  /** The tfjs backend now active: 'tensorflow' (tfjs-node / tfjs-node-gpu), 'webgpu', 'wasm' or 'cpu'. */
  name: string
  /** Why this one: what was tried and failed before it, and any caveat (e.g. a kernel is missing). */
  reason?: string
  /** Whether every kernel a training step needs is registered for it (see missingTrainingKernels). */
  trains: boolean
  /**
   * Threads its kernels compute with: wasm 1 unless asked for more (tfjs-backend-wasm keeps its
   * thread pool off under Node; see SelectOptions.wasmThreads); tfjs-node TF_NUM_INTRAOP_THREADS or,
   * by TensorFlow's default, every core; webgpu and cpu 1.
   */
  threads: number
  /** The GPU it computes on, where known: the WebGPU adapter's name (e.g. 'NVIDIA H200'). */
  device?: string
}

export interface SelectOptions {
  /**
   * Threads for the wasm backend (default: env DESTSEG_WASM_THREADS, else 1). Above 1, wasm loads
   * the package's threaded SIMD build with Node worker threads (kernels/wasm-threads.ts); XNNPACK's
   * convolutions and GEMMs then share the work, the JS-side loops do not. Takes effect when the wasm
   * backend is first initialised in the process; later calls report the count it has.
   */
  wasmThreads?: number
}

interface Candidate {
  /** What the caller may ask for. */
  id: 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu'
  /** The npm package that registers the backend (none for cpu, built into @tensorflow/tfjs). */
  pkg?: string
  /** The backend name it registers. */
  backend: string
}

const CANDIDATES: readonly Candidate[] = [
  { id: 'tfjs-node-gpu', pkg: '@tensorflow/tfjs-node-gpu', backend: 'tensorflow' },
  { id: 'webgpu', pkg: '@tensorflow/tfjs-backend-webgpu', backend: 'webgpu' },
  { id: 'tfjs-node', pkg: '@tensorflow/tfjs-node', backend: 'tensorflow' },
  { id: 'wasm', pkg: '@tensorflow/tfjs-backend-wasm', backend: 'wasm' },
  { id: 'cpu', backend: 'cpu' }
]

/** What selectBackend takes as a preference (besides a backend name such as 'tensorflow'). */
export const BACKEND_IDS: readonly string[] = CANDIDATES.map((c) => c.id)

/** Kernels a training step needs that some backends lack (wasm 4.22 has no Conv2DBackpropFilter). */
const TRAINING_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedBatchNorm', 'MaxPoolGrad', 'ResizeBilinearGrad']

const requireOptional = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

/**
 * Activates the best backend that loads, or `preferred` (a candidate id such as 'wasm' or 'cpu',
 * or a backend name such as 'tensorflow') first if given; falls back down the list otherwise.
 */
export async function selectBackend(preferred?: string, options: SelectOptions = {}): Promise<BackendChoice> {
  const envThreads = Number(process.env.DESTSEG_WASM_THREADS)
  const wasmThreads = options.wasmThreads ?? (Number.isInteger(envThreads) && envThreads > 0 ? envThreads : 1)
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
    const why = await tryActivate(c, wasmThreads)
    if (why === undefined) {
      const notes = [...skipped]
      const missing = missingTrainingKernels(c.backend)
      if (missing.length > 0) notes.push(`${c.id} cannot train: missing ${missing.join(', ')}`)
      const choice: BackendChoice = { name: tf.getBackend(), trains: missing.length === 0, threads: threadsOf(c) }
      const device = c.id === 'webgpu' ? webGpuAdapterInfo()?.name : undefined
      if (device !== undefined) choice.device = device
      return notes.length > 0 ? { ...choice, reason: notes.join('; ') } : choice
    }
    skipped.push(`${c.id}: ${why}`)
  }
  throw new Error(`No TensorFlow.js backend could be initialised (${skipped.join('; ')})`)
}

/** Threads the active backend of candidate `c` uses. */
function threadsOf(c: Candidate): number {
  if (c.id === 'wasm') {
    try {
      return (requireOptional(c.pkg!) as { getThreadsCount(): number }).getThreadsCount()
    } catch {
      return 1
    }
  }
  if (c.backend === 'tensorflow') {
    const env = Number(process.env.TF_NUM_INTRAOP_THREADS)
    return Number.isInteger(env) && env > 0 ? env : availableParallelism()
  }
  return 1
}

/**
 * Loads @tensorflow/tfjs-backend-wasm, points it at its own dist/ folder for the .wasm binaries
 * (the SIMD one is picked in Node; an explicit prefix keeps that working when this module is
 * bundled away from node_modules, as long as the package itself stays external), and installs the
 * training kernels. Safe to call more than once.
 */
function loadWasm(pkg: string, threads: number): void {
  const wasm = requireOptional(pkg) as { setWasmPaths(prefix: string): void }
  if (tf.findBackend('wasm') === null) {
    // Only before the backend is first initialised; after that the paths and threads are fixed.
    wasm.setWasmPaths(join(dirname(requireOptional.resolve(`${pkg}/package.json`)), 'dist') + '/')
    if (threads > 1 && threadedWasmRegistered !== threads) {
      registerThreadedWasm(requireOptional, pkg, threads)
      threadedWasmRegistered = threads
    }
  }
  installWasmTrainingKernels()
}

/** Threads of the threaded wasm factory registered in this process, if any. */
let threadedWasmRegistered = 0

/** Kernels from TRAINING_KERNELS that `backend` has not registered. */
export function missingTrainingKernels(backend: string): string[] {
  return TRAINING_KERNELS.filter((k) => tf.getKernel(k, backend) === undefined)
}

/** Returns undefined on success, or a short reason why the candidate is unavailable. */
async function tryActivate(c: Candidate, wasmThreads: number): Promise<string | undefined> {
  if (c.id === 'webgpu') {
    // An adapter first: without one the backend is not registered and nothing is initialised.
    const why = await registerWebGpuBackend()
    if (why !== undefined) return why
  } else if (c.pkg && (tf.findBackendFactory(c.backend) === null || c.id === 'wasm')) {
    try {
      if (c.id === 'wasm') loadWasm(c.pkg, wasmThreads)
      else requireOptional(c.pkg)
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
