/**
 * Training kernels for the tfjs wasm backend (tfjs-backend-wasm 4.22), installed by
 * {@link installWasmTrainingKernels}:
 *  - Conv2DBackpropFilter: missing on wasm; per-tap strided slices of the channels-first input
 *    times dy (see conv-backprop.ts).
 *  - Conv2DBackpropInput: replaces wasm's direct loop with XNNPACK convolutions (flipped filter;
 *    polyphase for strides).
 *  - Conv2D, FusedConv2D: 3x3 stride-1 convolutions that are big enough run as Winograd
 *    F(4x4 or 2x2, 3x3) (winograd.ts); the rest stay on XNNPACK. Conv2DBackpropFilter uses the
 *    same transforms for those shapes.
 *  - MaxPoolGrad: a JS loop (max-pool-grad.ts), about 10x faster than wasm's.
 *  - Slice, SplitV, Unpack, StridedSlice (contiguous case): replace versions that copy the whole
 *    input out of the heap for every slice (see slice.ts).
 *  - DestsegBatchNormStats, DestsegBatchNormGrad: new kernels behind batchNormTraining, the
 *    one-node training BatchNorm that nn/layers.ts uses (see batch-norm.ts).
 * Why kernels rather than gradients (registerGradient): the engine's Conv2D gradient already asks
 * for these two kernels, so every differentiated conv (tf.grads, optimizers, layers) gets them, the
 * cpu backend keeps its own, and kernel code can free its intermediates one by one (WasmOps) where
 * op-level code would hold them until a tidy ends.
 */
import * as tf from '@tensorflow/tfjs'
import { BN_KERNELS } from './batch-norm'
import { conv2DBackpropFilterKernel, conv2DBackpropInputKernel, conv2DKernel, fusedConv2DKernel } from './conv-backprop'
import { maxPoolGradKernel } from './max-pool-grad'
import { SLICE_KERNELS } from './slice'

export { conv2dFilterGradient, conv2dInputGradient, FILTER_GRAD_CHUNK_BYTES, setFilterGradChunkBytes, type ConvGeometry } from './conv-backprop'
export { WasmOps, type WasmBackendLike } from './wasm-ops'
export { registerThreadedWasm, wasmGemm } from './wasm-threads'
export { batchNormTraining, BN_GRAD_KERNEL, BN_STATS_KERNEL } from './batch-norm'
export { setWinogradChunkBytes, WINOGRAD_CHUNK_BYTES, winogradApplies, winogradOptions, winogradPlan } from './winograd'

const MARK = Symbol.for('destseg.wasm-training-kernel')

type Factory = (fallback: tf.KernelFunc) => tf.KernelFunc

const missing = (name: string): tf.KernelFunc => () => {
  throw new Error(`wasm has no '${name}' kernel to fall back to`)
}

/** Kernel name -> factory given the kernel it replaces (or a thrower when there is none). */
const KERNELS: Record<string, Factory> = {
  Conv2DBackpropFilter: () => conv2DBackpropFilterKernel,
  Conv2DBackpropInput: conv2DBackpropInputKernel,
  Conv2D: conv2DKernel,
  FusedConv2D: fusedConv2DKernel,
  MaxPoolGrad: () => maxPoolGradKernel,
  ...SLICE_KERNELS,
  ...Object.fromEntries(Object.entries(BN_KERNELS).map(([name, k]) => [name, () => k]))
}

/** The kernels {@link installWasmTrainingKernels} registers for wasm. */
export const WASM_TRAINING_KERNELS: readonly string[] = Object.keys(KERNELS)

function isOurs(config: tf.KernelConfig | undefined): boolean {
  return config !== undefined && (config.kernelFunc as unknown as Record<symbol, unknown>)[MARK] === true
}

/**
 * Registers the training kernels for the 'wasm' backend. Idempotent. Call it after
 * @tensorflow/tfjs-backend-wasm has been loaded (its own registrations would otherwise replace
 * these; without it this does nothing); before or after the backend is initialised. Returns the
 * kernels it (re)registered now.
 */
export function installWasmTrainingKernels(): string[] {
  // Not loaded yet: its own registrations, when it loads, would replace ours.
  if (tf.findBackendFactory('wasm') === null) return []
  const done: string[] = []
  for (const [name, factory] of Object.entries(KERNELS)) {
    const prev = tf.getKernel(name, 'wasm')
    if (isOurs(prev)) continue
    const kernelFunc = factory(prev?.kernelFunc ?? missing(name))
    ;(kernelFunc as unknown as Record<symbol, unknown>)[MARK] = true
    if (prev) tf.unregisterKernel(name, 'wasm')
    // Keep the replaced kernel's setup/dispose: its fallback path needs the wasm functions it binds.
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc, setupFunc: prev?.setupFunc, disposeFunc: prev?.disposeFunc })
    done.push(name)
  }
  return done
}

/** Whether every kernel of {@link WASM_TRAINING_KERNELS} is ours in the registry now. */
export function wasmTrainingKernelsInstalled(): boolean {
  return WASM_TRAINING_KERNELS.every((name) => isOurs(tf.getKernel(name, 'wasm')))
}
