/**
 * Dilated (atrous) convolution that can be differentiated. tfjs refuses gradients of convolutions
 * with dilation > 1 on every backend, so:
 *  - {@link dilatedConv2dSpaceToBatch} writes the conv through the space-to-batch identity
 *      conv_d(x, w) = batchToSpace(conv_valid(spaceToBatch(pad(x)), w))
 *    whose ops all have tfjs gradients. It is the reference the tests check against.
 *  - {@link dilatedConv2d}, used by the models, runs the native dilated forward and a custom
 *    gradient written out directly: dx as the adjoint dilated conv, dw one kernel tap at a time as
 *    matMuls. Taking the gradient through the space-to-batch layout instead is exact too, but it
 *    needs SpaceToBatchND (slow on wasm) and Conv2DBackpropFilter (missing on wasm; about 40 s for
 *    one 256->256 dilation-18 conv at 4x4 on the cpu backend, whose kernel is a naive loop).
 *    (tfjs also cannot nest tf.grads inside a custom gradient.)
 * Stride 1 only (all ASPP branches). Padding is symmetric, PyTorch style (padding = dilation keeps
 * the size for a 3x3 filter).
 */
import * as tf from '@tensorflow/tfjs'
import { wasmTrainingKernelsInstalled } from '../kernels'

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

/**
 * w[k-1-u, k-1-v] for a square filter [k, k, Cin, Cout]: the k*k taps as rows, reordered by
 * split + concat (tf.reverse is a per-element loop: about 0.4 s for a 3x3x256x256 filter on cpu).
 */
function flipSpatially(w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const k = w.shape[0]
    const rows = tf.split(tf.reshape(w, [k * k, -1]), k * k, 0).reverse() // k*k x [1, Cin*Cout]
    return tf.reshape(tf.concat(rows, 0), w.shape)
  })
}

/**
 * dL/dx of y = conv_d(x, w): the adjoint is a dilated conv of dy with the spatially flipped,
 * channel-swapped filter and padding q = d(k-1) - p (cropped instead when q < 0).
 * dy [B, H', W', Cout], w [k, k, Cin, Cout] -> [B, H, W, Cin]
 */
function inputGradient(dy: tf.Tensor4D, w: tf.Tensor4D, dilation: number, padding: number, h: number, wd: number): tf.Tensor4D {
  return tf.tidy(() => {
    const k = w.shape[0]
    const flipped = tf.transpose(flipSpatially(w), [0, 1, 3, 2]) as tf.Tensor4D // [k, k, Cout, Cin]
    const q = dilation * (k - 1) - padding
    if (q >= 0) return tf.conv2d(dy, flipped, 1, q, 'NHWC', dilation) // [B, H, W, Cin]
    const full = tf.conv2d(dy, flipped, 1, 0, 'NHWC', dilation) // [B, H - 2q, W - 2q, Cin]
    return tf.slice(full, [0, -q, -q, 0], [-1, h, wd, -1])
  })
}

/**
 * dL/dw of y = conv_d(x, w), one kernel tap at a time (no im2col matrix, so memory stays small):
 * dw[u, v] = sum over b, i, j of xpad[b, i + d u, j + d v, :]^T dy[b, i, j, :].
 * x [B, H, W, Cin], dy [B, H', W', Cout] -> [k, k, Cin, Cout]
 */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, dilation: number, padding: number): tf.Tensor4D {
  if (tf.getBackend() === 'wasm' && wasmTrainingKernelsInstalled()) {
    // The wasm kernel (../kernels) takes a dilations attr and frees each tap's slice as it goes.
    const filterShape: [number, number, number, number] = [k, k, x.shape[3], dy.shape[3]]
    return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
      strides: 1,
      pad: padding,
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      filterShape,
      dilations: dilation
    } as unknown as tf.NamedAttrMap) as tf.Tensor4D
  }
  return tf.tidy(() => {
    const [b, ho, wo, cout] = dy.shape
    const cin = x.shape[3]
    const n = b * ho * wo
    const xp = tf.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]]) // [B, H+2p, W+2p, Cin]
    const dy2 = tf.reshape(dy, [n, cout]) // [N, Cout]
    const taps: tf.Tensor[] = []
    for (let u = 0; u < k; u++) {
      for (let v = 0; v < k; v++) {
        const patch = tf.slice(xp, [0, u * dilation, v * dilation, 0], [b, ho, wo, cin]) // [B, H', W', Cin]
        // An explicit transpose: a transposed matMul operand is slow on wasm (ENGINE-NOTES).
        taps.push(tf.matMul(tf.transpose(tf.reshape(patch, [n, cin])), dy2)) // [Cin, Cout]
      }
    }
    return tf.reshape(tf.stack(taps), [k, k, cin, cout])
  })
}

/** One tf.customGrad per (dilation, padding), built on first use. */
function nativeWithGradient(dilation: number, padding: number): Conv {
  const key = `${dilation}/${padding}`
  const cached = nativeConvs.get(key)
  if (cached) return cached
  const fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w] = args as [tf.Tensor4D, tf.Tensor4D]
    const save = args[2] as tf.GradSaveFunc
    save([x, w])
    return {
      value: tf.conv2d(x, w, 1, padding, 'NHWC', dilation), // [B, H', W', Cout]
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D]
        return [
          inputGradient(dy, sw, dilation, padding, sx.shape[1], sx.shape[2]),
          filterGradient(sx, dy, sw.shape[0], dilation, padding)
        ]
      }
    }
  }) as Conv
  nativeConvs.set(key, fn)
  return fn
}

/**
 * Native dilated forward with a directly written gradient (see the file comment).
 * x [B, H, W, Cin], w [kh, kw, Cin, Cout] -> [B, H + 2p - d(kh-1), W + 2p - d(kw-1), Cout].
 */
export function dilatedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, dilation: number, padding: number): tf.Tensor4D {
  checkArgs(x, w, dilation, padding)
  if (dilation === 1) return tf.conv2d(x, w, 1, padding)
  return nativeWithGradient(dilation, padding)(x, w)
}
