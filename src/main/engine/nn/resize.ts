/**
 * Bilinear resize with half-pixel centres (PyTorch F.interpolate(mode='bilinear',
 * align_corners=False), no antialias), with a correct gradient.
 * tfjs 4.22's ResizeBilinearGrad kernels (cpu and wasm) ignore halfPixelCenters and return the
 * gradient of the legacy asymmetric resize, so the forward uses the native kernel and the gradient
 * is dx = Rh^T . dy . Rw, with Rh [H, h] and Rw [W, w] the separable interpolation matrices.
 */
import * as tf from '@tensorflow/tfjs'

/**
 * Interpolation matrix [out, in], row-major: src = max((i + 0.5) * in / out - 0.5, 0),
 * weights 1 - frac on floor(src) and frac on min(floor(src) + 1, in - 1).
 */
export function bilinearMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(outSize * inSize)
  const scale = inSize / outSize
  for (let i = 0; i < outSize; i++) {
    const src = Math.max((i + 0.5) * scale - 0.5, 0)
    const i0 = Math.min(Math.floor(src), inSize - 1)
    const i1 = Math.min(i0 + 1, inSize - 1)
    const frac = src - i0
    m[i * inSize + i0] += 1 - frac
    m[i * inSize + i1] += frac
  }
  return m
}

/** Transpose of bilinearMatrix: [in, out]. */
function transposedMatrix(inSize: number, outSize: number): tf.Tensor2D {
  const m = bilinearMatrix(inSize, outSize)
  const t = new Float32Array(inSize * outSize)
  for (let i = 0; i < outSize; i++) for (let j = 0; j < inSize; j++) t[j * outSize + i] = m[i * inSize + j]
  return tf.tensor2d(t, [inSize, outSize])
}

type Resize = (x: tf.Tensor4D) => tf.Tensor4D
const resizers = new Map<string, Resize>()

function resizer(h: number, w: number, outH: number, outW: number): Resize {
  const key = `${h}x${w}->${outH}x${outW}`
  const cached = resizers.get(key)
  if (cached) return cached
  const fn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor4D
    return {
      value: tf.image.resizeBilinear(x, [outH, outW], false, true), // [B, outH, outW, C]
      gradFunc: (dy: tf.Tensor4D) =>
        tf.tidy(() => {
          const [b, , , c] = dy.shape
          const rhT = transposedMatrix(h, outH) // [h, outH]
          const rwT = transposedMatrix(w, outW) // [w, outW]
          const rows = tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [outH, b * outW * c]) // [outH, B*outW*C]
          const a = tf.reshape(tf.matMul(rhT, rows), [h, b, outW, c]) // [h, B, outW, C]
          const cols = tf.reshape(tf.transpose(a, [2, 1, 0, 3]), [outW, b * h * c]) // [outW, B*h*C]
          const d = tf.reshape(tf.matMul(rwT, cols), [w, b, h, c]) // [w, B, h, C]
          return tf.transpose(d, [1, 2, 0, 3]) // [B, h, w, C]
        })
    }
  }) as Resize
  resizers.set(key, fn)
  return fn
}

/** [B, h, w, C] -> [B, H, W, C]; identity when the size already matches. */
export function resizeBilinear(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  const [, h, w] = x.shape
  if (h === size[0] && w === size[1]) return x
  return resizer(h, w, size[0], size[1])(x)
}
