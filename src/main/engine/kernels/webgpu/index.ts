/**
 * The tfjs 'webgpu' backend (@tensorflow/tfjs-backend-webgpu 4.22) in Node, on dawn.node (the
 * `webgpu` package). The package registers its backend only where `navigator.gpu` exists (a
 * browser), so {@link registerWebGpuBackend} finds an adapter itself (./adapter.ts), installs
 * the WebGPU globals the backend refers to (GPUBufferUsage, GPUMapMode, GPUBuffer, ...) and
 * registers a factory that creates the device the way the package's own factory does.
 *
 * Kernels: tfjs-backend-webgpu 4.22 registers every kernel a DeSTSeg training step asks for
 * (Conv2D with dilations, Conv2DBackpropFilter, Conv2DBackpropInput, FusedBatchNorm, MaxPoolGrad,
 * ResizeBilinearGrad, SpaceToBatchND, BatchToSpaceND, the reductions and element-wise ops of the
 * hand-written BatchNorm gradient); test/engine/kernels/webgpu.test.ts checks their gradients
 * against the cpu backend where an adapter exists. Nothing is replaced.
 *
 * What does not work in Node: synchronous reads (dataSync, arraySync) of data that lives on the
 * GPU. The package reads through an OffscreenCanvas, which Node lacks, and WebGPU has no blocking
 * map. The training steps read their losses asynchronously and {@link cacheOnCpu} caches weights;
 * after it a tensor's dataSync returns the cached values. A sync read of GPU data throws
 * {@link SyncReadError} with that advice.
 */
import * as tf from '@tensorflow/tfjs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { probeWebGpuAdapter, type DawnAdapterLike, type ProbeOptions, type WebGpuAdapterInfo } from './adapter'

export { adapterName, probeWebGpuAdapter, vulkanLoaderPresent, type WebGpuAdapterInfo, type WebGpuProbe } from './adapter'

export const WEBGPU_BACKEND = 'webgpu'
const PKG = '@tensorflow/tfjs-backend-webgpu'

const requireOptional = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

/** A dataSync/arraySync of a tensor whose data is on the GPU, under Node. */
export class SyncReadError extends Error {
  constructor() {
    super(
      'the webgpu backend cannot read GPU data synchronously under Node (dataSync/arraySync); ' +
        'read it with await tensor.data(), or call cacheOnCpu(tensors) first'
    )
    this.name = 'SyncReadError'
  }
}

interface WebGpuBackendLike extends tf.KernelBackend {
  readSync(dataId: object): tf.backend_util.BackendValues
  tensorMap: { get(dataId: object): { values?: unknown; resource?: unknown } | undefined }
}
type WebGpuBackendCtor = new (device: unknown, adapterInfo: unknown) => WebGpuBackendLike

/** The adapter the registered factory uses (or will use), once registerWebGpuBackend succeeded. */
let registered: WebGpuAdapterInfo | undefined
/** The last failed probe, per settings: a machine without an adapter is asked once per process. */
let failed: { key: string; reason: string } | undefined

/** The adapter behind the 'webgpu' backend registered in this process, if any. */
export function webGpuAdapterInfo(): WebGpuAdapterInfo | undefined {
  return registered
}

/** Exposes the dawn.node WebGPU globals and navigator.gpu, which the tfjs backend refers to. */
function installGlobals(globals: Record<string, unknown>, gpu: unknown): void {
  const g = globalThis as Record<string, unknown>
  for (const [name, value] of Object.entries(globals)) if (g[name] === undefined) g[name] = value
  const nav = g.navigator as Record<string, unknown> | undefined
  if (nav === undefined) g.navigator = { gpu }
  else if (nav.gpu === undefined) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true })
}

/** The device descriptor the package's own factory asks for: the adapter's full limits. */
function deviceDescriptor(adapter: DawnAdapterLike): Record<string, unknown> {
  const limits = adapter.limits
  const names = [
    'maxComputeWorkgroupStorageSize',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup'
  ]
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : []
  return { requiredFeatures, requiredLimits: Object.fromEntries(names.filter((n) => typeof limits[n] === 'number').map((n) => [n, limits[n]])) }
}

/** Replaces the backend's readSync: cached (CPU-side) values as before, a clear error for GPU data. */
function patchReadSync(backend: WebGpuBackendLike): void {
  const original = backend.readSync.bind(backend)
  backend.readSync = (dataId: object) => {
    const data = backend.tensorMap.get(dataId)
    if (data && data.values == null && data.resource != null) throw new SyncReadError()
    return original(dataId)
  }
}

/**
 * Registers the 'webgpu' tfjs backend when an adapter is found. Returns undefined on success (or
 * when it is registered already), else the reason (no package, no Vulkan loader, no adapter). The
 * backend is registered with priority 0, so it is used only when asked for (tf.setBackend).
 */
export async function registerWebGpuBackend(options: ProbeOptions = {}): Promise<string | undefined> {
  if (registered && tf.findBackendFactory(WEBGPU_BACKEND) !== null) return undefined
  let ctor: WebGpuBackendCtor
  try {
    ctor = (requireOptional(PKG) as { WebGPUBackend: WebGpuBackendCtor }).WebGPUBackend
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    return code === 'MODULE_NOT_FOUND' ? `${PKG} is not installed` : `${PKG} failed to load (${String((err as Error).message).split('\n')[0]})`
  }
  const key = JSON.stringify([options, process.env.DESTSEG_WEBGPU_BACKEND, process.env.DESTSEG_WEBGPU_ADAPTER])
  if (failed?.key === key) return failed.reason
  const probe = await probeWebGpuAdapter(options)
  if (!probe.ok) {
    failed = { key, reason: probe.reason }
    return probe.reason
  }
  const { adapter, info } = probe
  installGlobals(probe.globals, probe.gpu)
  if (tf.findBackendFactory(WEBGPU_BACKEND) !== null) tf.removeBackend(WEBGPU_BACKEND)
  tf.registerBackend(
    WEBGPU_BACKEND,
    async () => {
      const device = await adapter.requestDevice(deviceDescriptor(adapter))
      const backend = new ctor(device, adapter.info)
      patchReadSync(backend)
      return backend
    },
    0
  )
  registered = info
  return undefined
}

/** Whether the active backend is 'webgpu'. */
export function onWebGpu(): boolean {
  return tf.getBackend() === WEBGPU_BACKEND
}

/**
 * Reads tensors back asynchronously and keeps the values on the CPU side, so a later dataSync of
 * the same tensors works on webgpu too (a no-op cost elsewhere: data() of CPU-side data).
 */
export async function cacheOnCpu(tensors: readonly tf.Tensor[]): Promise<void> {
  await Promise.all(tensors.map((t) => t.data()))
}

/**
 * On webgpu, reads every tf.Variable back (weights, BatchNorm running statistics, SGD momentum), so
 * that code writing them with dataSync (checkpoints, weight files) works; nothing to do elsewhere.
 * Call it right before such a write: a later update makes new data, on the GPU again.
 */
export async function cacheVariablesOnCpu(): Promise<void> {
  if (!onWebGpu()) return
  await cacheOnCpu(Object.values(tf.engine().registeredVariables))
}
