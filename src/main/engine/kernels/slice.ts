/**
 * Slice, SplitV, Unpack and StridedSlice (contiguous path) for wasm without the full copy.
 *
 * tfjs-backend-wasm 4.22's Slice begins with backend.readSync(x.dataId), which copies the WHOLE input
 * out of the wasm heap into a new JS array for every slice; SplitV, Unpack and StridedSlice's
 * contiguous path call that same function. Splitting one [4, 64, 64, 1024] tensor into four (the
 * gradient of the ASPP concat) thus copies 4 x 64 MB. These versions copy only the selected runs,
 * heap to heap (TypedArray.prototype.copyWithin on the heap buffer).
 */
import * as tf from '@tensorflow/tfjs'
import { copyBlock, type WasmBackendLike } from './wasm-ops'

const { slice_util, util, backend_util } = tf

type Info = tf.TensorInfo

/** Copies x[begin : begin + size] into a fresh output, run by contiguous run. */
export function sliceHeap(backend: WasmBackendLike, x: Info, begin: number[], size: number[]): Info {
  const out = backend.makeOutput(size, x.dtype)
  if (util.sizeFromShape(size) === 0) return out
  // Views after makeOutput: the heap may have grown.
  copyBlock(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out), 0)
  return out
}

function sliceKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: Info }
    if (x.dtype === 'string') return fallback(args)
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs
    const [b, s] = slice_util.parseSliceParams(x, begin, size)
    return sliceHeap(args.backend as WasmBackendLike, x, b, s)
  }
}

function splitVKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: Info }
    if (x.dtype === 'string') return fallback(args)
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs
    const $axis = util.parseAxisParam(axis, x.shape)[0]
    const sizes = backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis)
    const begin = new Array<number>(x.shape.length).fill(0)
    return sizes.map((s) => {
      const size = [...x.shape]
      size[$axis] = s
      const out = sliceHeap(args.backend as WasmBackendLike, x, [...begin], size)
      begin[$axis] += s
      return out
    })
  }
}

function unpackKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { value } = args.inputs as { value: Info }
    if (value.dtype === 'string') return fallback(args)
    let { axis } = args.attrs as unknown as tf.UnpackAttrs
    if (axis < 0) axis += value.shape.length
    const outShape = value.shape.filter((_, i) => i !== axis)
    const begin = new Array<number>(value.shape.length).fill(0)
    const size = [...value.shape]
    size[axis] = 1
    const outs: Info[] = []
    for (let i = 0; i < value.shape[axis]; i++) {
      begin[axis] = i
      const o = sliceHeap(args.backend as WasmBackendLike, value, [...begin], size)
      outs.push({ dataId: o.dataId, dtype: o.dtype, shape: outShape })
    }
    return outs
  }
}

function stridedSliceKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: Info }
    const a = args.attrs as unknown as tf.StridedSliceAttrs
    if (x.dtype === 'string') return fallback(args)
    const info = slice_util.sliceInfo(x.shape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask)
    if (info.isIdentity || !(info.sliceDim0 || info.isSimpleSlice)) return fallback(args)
    const backend = args.backend as WasmBackendLike
    const size = slice_util.computeOutShape(info.begin, info.end, info.strides).map((d) => Math.max(0, d))
    const begin = info.begin.map((b, i) => Math.min(b, info.end[i]))
    const sliced = sliceHeap(backend, x, begin, size)
    // Same dataId, final shape (the wasm Reshape kernel is just an incRef plus a new shape).
    return { dataId: sliced.dataId, dtype: sliced.dtype, shape: info.finalShape }
  }
}

/** Kernel name -> factory taking the kernel it replaces (used for strings and odd cases). */
export const SLICE_KERNELS: Record<string, (fallback: tf.KernelFunc) => tf.KernelFunc> = {
  Slice: sliceKernel,
  SplitV: splitVKernel,
  Unpack: unpackKernel,
  StridedSlice: stridedSliceKernel
}
