/**
 * Dilated (atrous) convolution that can be differentiated. tfjs refuses gradients of convolutions
 * with dilation > 1 on every backend, so:
 *  - {@link dilatedConv2dSpaceToBatch} writes the conv through the space-to-batch identity
 *      conv_d(x, w) = batchToSpace(conv_valid(spaceToBatch(pad(x)), w))
 *    whose ops all have tfjs gradients;
 *  - {@link dilatedConv2d} runs the native dilated forward (fast on wasm, where SpaceToBatchND is
 *    slow) and takes its gradient through that same identity, with the conv gradient kernels
 *    called directly (tfjs cannot nest tf.grads inside a custom gradient).
 * Stride 1 only (all ASPP branches). Padding is symmetric, PyTorch style (padding = dilation keeps
 * the size for a 3x3 filter).
 */
import * as tf from '@tensorflow/tfjs'

type Pads = [[number, number], [number, number]]

/** Space-to-batch paddings for x [B, H, W, C]: `padding` each side, plus e so H+2p+e divides by d. */
function spaceToBatchPads(h: number, w: number, dilation: number, padding: number): { pads: Pads; crops: Pads } {
  const extra = (n: number): number => (dilation - ((n + 2 * padding) % dilation)) % dilation
  const eh = extra(h)
  const ew = extra(w)
  return {
    pads: [
      [padding, padding + eh],
      [padding, padding + ew]
    ],
    crops: [
      [0, eh],
      [0, ew]
    ]
  }
}

function checkArgs(x: tf.Tensor4D, w: tf.Tensor4D, dilation: number, padding: number): void {
  tf.util.assert(Number.isInteger(dilation) && dilation >= 1, () => `dilation must be a positive integer, got ${dilation}`)
  tf.util.assert(Number.isInteger(padding) && padding >= 0, () => `padding must be a non-negative integer, got ${padding}`)
  tf.util.assert(x.shape[3] === w.shape[2], () => `input has ${x.shape[3]} channels, filter expects ${w.shape[2]}`)
}

/**
 * The space-to-batch formulation; differentiable with tfjs's own gradients.
 * x [B, H, W, Cin], w [kh, kw, Cin, Cout] -> [B, H + 2p - d(kh-1), W + 2p - d(kw-1), Cout].
 */
export function dilatedConv2dSpaceToBatch(x: tf.Tensor4D, w: tf.Tensor4D, dilation: number, padding: number): tf.Tensor4D {
  checkArgs(x, w, dilation, padding)
  if (dilation === 1) return tf.conv2d(x, w, 1, padding)
  return tf.tidy(() => {
    const { pads, crops } = spaceToBatchPads(x.shape[1], x.shape[2], dilation, padding)
    const xs = tf.spaceToBatchND(x, [dilation, dilation], pads) // [B*d*d, (H+2p+e)/d, (W+2p+e)/d, Cin]
    const ys = tf.conv2d(xs as tf.Tensor4D, w, 1, 'valid') // [B*d*d, (H+2p+e)/d - kh + 1, ..., Cout]
    return tf.batchToSpaceND(ys, [dilation, dilation], crops) as tf.Tensor4D // [B, H', W', Cout]
  })
}

type Conv = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D
const nativeConvs = new Map<string, Conv>()

/** One tf.customGrad per (dilation, padding), built on first use. */
function nativeWithGradient(dilation: number, padding: number): Conv {
  const key = `${dilation}/${padding}`
  const cached = nativeConvs.get(key)
  if (cached) return cached
  const block = [dilation, dilation]
  const fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w] = args as [tf.Tensor4D, tf.Tensor4D]
    const save = args[2] as tf.GradSaveFunc
    save([x, w])
    return {
      value: tf.conv2d(x, w, 1, padding, 'NHWC', dilation), // [B, H', W', Cout]
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D]
        const { pads, crops } = spaceToBatchPads(sx.shape[1], sx.shape[2], dilation, padding)
        const xs = tf.spaceToBatchND(sx, block, pads) as tf.Tensor4D // [B*d*d, h, w, Cin]
        const dys = tf.spaceToBatchND(dy, block, crops) as tf.Tensor4D // [B*d*d, h-kh+1, w-kw+1, Cout]
        const dxs = tf.conv2dTranspose(dys, sw, xs.shape, 1, 'valid') // [B*d*d, h, w, Cin]
        const dx = tf.batchToSpaceND(dxs, block, pads) // [B, H, W, Cin]
        const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xs, dy: dys }, {
          strides: [1, 1],
          pad: 'valid',
          dataFormat: 'NHWC',
          filterShape: sw.shape
        }) as tf.Tensor4D // [kh, kw, Cin, Cout]
        return [dx, dw]
      }
    }
  }) as Conv
  nativeConvs.set(key, fn)
  return fn
}

/**
 * Native dilated forward with a space-to-batch gradient.
 * x [B, H, W, Cin], w [kh, kw, Cin, Cout] -> [B, H + 2p - d(kh-1), W + 2p - d(kw-1), Cout].
 */
export function dilatedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, dilation: number, padding: number): tf.Tensor4D {
  checkArgs(x, w, dilation, padding)
  if (dilation === 1) return tf.conv2d(x, w, 1, padding)
  return nativeWithGradient(dilation, padding)(x, w)
}
