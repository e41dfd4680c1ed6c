/**
 * Calling wasm kernels from inside other wasm kernels.
 *
 * A kernel function gets `{inputs, backend, attrs}` and returns TensorInfo (a dataId plus shape and
 * dtype), not a Tensor. The engine only wraps what the outermost kernel returns. So inside a kernel
 * we do what @tensorflow/tfjs-backend-wasm's own kernels do (e.g. BatchMatMul calling Reshape): call
 * the registered kernelFunc of another kernel directly with the same backend. Nothing is recorded on
 * the gradient tape and nothing goes through the engine's scopes, so every intermediate TensorInfo
 * must be released by hand with backend.disposeData(dataId). {@link WasmOps} keeps that list: run
 * kernels through it, `keep()` the result you return, `dispose()` the rest in a finally block.
 */
import * as tf from '@tensorflow/tfjs'
import { wasmGemm } from './wasm-threads'

/** The parts of tfjs-backend-wasm's BackendWasm these kernels use. */
export interface WasmBackendLike extends tf.KernelBackend {
  disposeData(dataId: object, force?: boolean): boolean
  incRef(dataId: object): void
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array
}

/** Explicit NHWC padding as tfjs's conv attrs take it. */
export type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]]

export class WasmOps {
  private temps: tf.TensorInfo[] = []

  constructor(readonly backend: WasmBackendLike) {}

  /** Runs the kernel registered for wasm under `name`; the output is tracked for dispose(). */
  run(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, 'wasm')
    if (!kernel) throw new Error(`wasm has no '${name}' kernel`)
    const out = kernel.kernelFunc({ inputs, backend: this.backend, attrs })
    if (Array.isArray(out)) {
      this.temps.push(...out)
      throw new Error(`kernel '${name}' returned ${out.length} outputs; use runMulti`)
    }
    this.temps.push(out as tf.TensorInfo)
    return out as tf.TensorInfo
  }

  /** A fresh float32 output on the wasm heap (uninitialised), tracked for dispose(). */
  alloc(shape: number[]): tf.TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32')
    this.temps.push(out)
    return out
  }

  /** Heap view of a float32 tensor. Valid only until the next heap allocation. */
  f32(t: tf.TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(t) as Float32Array
  }

  /** Stops tracking `t` (the caller returns it, so the engine owns it). */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.temps.indexOf(t)
    if (i >= 0) this.temps.splice(i, 1)
    return t
  }

  /** Releases an intermediate early (peak memory). */
  free(t: tf.TensorInfo): void {
    const i = this.temps.indexOf(t)
    if (i >= 0) {
      this.temps.splice(i, 1)
      this.backend.disposeData(t.dataId)
    }
  }

  /** Releases every tracked intermediate. */
  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId)
    this.temps = []
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape })
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm })
  }

  pad(x: tf.TensorInfo, paddings: [number, number][]): tf.TensorInfo {
    return this.run('PadV2', { x }, { paddings, constantValue: 0 })
  }

  /** Strided slice with explicit begin/end/strides and no masks. */
  stridedSlice(x: tf.TensorInfo, begin: number[], end: number[], strides: number[]): tf.TensorInfo {
    return this.run(
      'StridedSlice',
      { x },
      { begin, end, strides, beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0 }
    )
  }

  slice(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x }, { begin, size })
  }

  concat(xs: tf.TensorInfo[], axis: number): tf.TensorInfo {
    return this.run('Concat', xs as unknown as tf.NamedTensorInfoMap, { axis })
  }

  /**
   * a [1, M, K] x b [1, K, N] -> [1, M, N], no transposes: XNNPACK's fully-connected path, or with
   * wasmGemm.viaConv (a multi-threaded backend) a 1x1 Conv2D over a [1, 1, M, K] image, which runs
   * the same GEMM on the thread pool (BatchMatMul does not use it).
   */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    if (!wasmGemm.viaConv) return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false })
    const [, m, k] = a.shape
    const n = b.shape[2]
    const a4 = this.reshape(a, [1, 1, m, k])
    const b4 = this.reshape(b, [1, 1, k, n])
    const y = this.conv2d(a4, b4, [1, 1], 'valid')
    this.free(a4)
    this.free(b4)
    const out = this.reshape(y, [1, m, n])
    this.free(y)
    return out
  }

  /** NHWC conv, dilation 1 unless given. */
  conv2d(x: tf.TensorInfo, filter: tf.TensorInfo, strides: [number, number], pad: ExplicitPad | 'valid', dilations: [number, number] = [1, 1]): tf.TensorInfo {
    return this.run('Conv2D', { x, filter }, { strides, pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined as unknown as string })
  }

  zeros(shape: number[]): tf.TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype: 'float32' })
  }
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

/**
 * Copies the block src[begin : begin + size] (src row-major with shape srcShape) into dst at
 * dstOffset, row-major. Trailing dims taken whole merge into one contiguous run.
 */
export function copyBlock(
  src: Float32Array | Int32Array | Uint8Array,
  srcShape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  dst: Float32Array | Int32Array | Uint8Array,
  dstOffset: number
): void {
  const rank = srcShape.length
  const n = sizeOf(size)
  if (n === 0) return
  const strides = new Array<number>(rank)
  strides[rank - 1] = 1
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * srcShape[i + 1]
  let j = rank - 1
  while (j > 0 && begin[j] === 0 && size[j] === srcShape[j]) j--
  let run = 1
  for (let i = j; i < rank; i++) run *= size[i]
  let src0 = 0
  for (let i = 0; i < rank; i++) src0 += begin[i] * strides[i]
  const runs = n / run
  if (runs === 1) {
    dst.set(src.subarray(src0, src0 + run), dstOffset)
    return
  }
  const idx = new Array<number>(j).fill(0)
  let s = src0
  let d = dstOffset
  for (let r = 0; r < runs; r++) {
    if (run >= 16) dst.set(src.subarray(s, s + run), d)
    else for (let k = 0; k < run; k++) dst[d + k] = src[s + k]
    d += run
    for (let a = j - 1; a >= 0; a--) {
      idx[a]++
      s += strides[a]
      if (idx[a] < size[a]) break
      s -= idx[a] * strides[a]
      idx[a] = 0
    }
  }
}
