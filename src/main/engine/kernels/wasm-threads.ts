/**
 * A multi-threaded tfjs wasm backend under Node (opt-in).
 *
 * tfjs-backend-wasm 4.22 never uses its threaded build in Node: its WASM_HAS_MULTITHREAD_SUPPORT
 * flag is false there, its loader hands Emscripten the pthread worker as a blob: URL (Node's
 * worker_threads reject those: ERR_WORKER_PATH), and its C++ caps the pool at half the logical
 * cores. This module registers a 'wasm' backend factory that loads the package's own threaded SIMD
 * build with the worker written to a file in the temp folder, and answers Emscripten's core-count
 * import with twice the wanted threads so the cap lets them through. The kernels are the package's
 * own (registered per backend name), so everything else stays as it is. XNNPACK convolutions use
 * the thread pool; BatchMatMul does not, so {@link wasmGemm}.viaConv routes WasmOps.matMul through
 * a 1x1 Conv2D (the same GEMM microkernels) when threads > 1. JS-side loops stay on one thread.
 *
 * The shared wasm memory is capped at 4 GB like the single-threaded build's.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'

/** How WasmOps.matMul runs: BatchMatMul (single-threaded in tfjs-wasm) or a 1x1 Conv2D (threaded). */
export const wasmGemm = { viaConv: false }

interface WasmPackage {
  BackendWasm: new (module: unknown) => tf.KernelBackend
  setThreadsCount(n: number): void
  getThreadsCount(): number
}

interface EmscriptenModule {
  cwrap(name: string, ret: string | null, args: string[]): unknown
  tfjs?: Record<string, unknown>
  PThread?: { runningWorkers: { unref?(): void }[] }
}

type Require = ReturnType<typeof createRequire>

/** The slice of the WebAssembly API used here (this project's Node typings carry no DOM lib). */
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: { instantiate(bytes: Uint8Array, imports: unknown): Promise<{ instance: unknown; module: unknown }> } })
  .WebAssembly

/** The worker script, written once per content to the temp folder (worker_threads need a file). */
function workerFile(contents: string): string {
  const hash = createHash('sha256').update(contents).digest('hex').slice(0, 16)
  const path = join(tmpdir(), `destseg-tfjs-wasm-worker-${hash}.js`)
  if (!existsSync(path)) writeFileSync(path, contents)
  return path
}

/**
 * Replaces the registered 'wasm' backend factory with one that starts `threads` threads. Call it
 * after loading @tensorflow/tfjs-backend-wasm and before the wasm backend is first initialised.
 */
export function registerThreadedWasm(req: Require, pkg: string, threads: number): void {
  const wasmPkg = req(pkg) as WasmPackage
  const dir = join(dirname(req.resolve(`${pkg}/package.json`)), 'wasm-out')
  const script = join(dir, 'tfjs-backend-wasm-threaded-simd.js')
  const binary = join(dir, 'tfjs-backend-wasm-threaded-simd.wasm')
  tf.removeBackend('wasm')
  tf.registerBackend(
    'wasm',
    async () => {
      const factory = req(script) as (config: Record<string, unknown>) => Promise<EmscriptenModule>
      // Blob-escaped newlines, as tfjs-backend-wasm's own loader does before making its blob.
      const { wasmWorkerContents } = req(join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as { wasmWorkerContents: string }
      const worker = workerFile(wasmWorkerContents.replace(/\n/g, '\\n'))
      const module = await factory({
        locateFile: (path: string) => (path.endsWith('.worker.js') ? worker : join(dir, path)),
        mainScriptUrlOrBlob: script,
        instantiateWasm: (imports: { env: Record<string, unknown> }, receive: (instance: unknown, module: unknown) => void) => {
          // The C++ caps the pool at min(requested, logical cores / 2).
          imports.env.emscripten_num_logical_cores = () => 2 * threads
          WebAssemblyApi.instantiate(readFileSync(binary), imports).then(
            ({ instance, module: m }) => receive(instance, m),
            (err: unknown) => console.error(`wasm: the threaded build failed to instantiate: ${String(err)}`)
          )
          return {}
        }
      })
      module.tfjs = {
        init: module.cwrap('init', null, []),
        initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
        getThreadsCount: module.cwrap('get_threads_count', 'number', []),
        registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
        disposeData: module.cwrap('dispose_data', null, ['number']),
        dispose: module.cwrap('dispose', null, [])
      }
      wasmPkg.setThreadsCount(threads)
      const backend = new wasmPkg.BackendWasm(module)
      // XNNPACK's pool threads now wait on their futexes for good; Emscripten keeps a running
      // pthread's worker ref'd, which would keep the process from ever exiting.
      for (const w of module.PThread?.runningWorkers ?? []) w.unref?.()
      wasmGemm.viaConv = wasmPkg.getThreadsCount() > 1
      return backend
    },
    2
  )
}
