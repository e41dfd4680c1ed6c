/**
 * Antialiased bilinear resize of an [H, W] map, as PyTorch's
 * `F.interpolate(mode='bilinear', antialias=True, align_corners=False)` and PIL's BILINEAR resize:
 * separable; along each axis output i has centre c = (i + 0.5) * scale (scale = in / out), the
 * triangle filter's support is scaled by max(scale, 1), taps are the input pixels
 * trunc(c - support + 0.5) .. trunc(c + support + 0.5) - 1 clipped to the image, and the weights
 * tri((j - c + 0.5) / max(scale, 1)) are normalised to sum 1. Upscaling is then plain half-pixel
 * bilinear. Computed in float64 (PyTorch uses float32, so values can differ in the 7th digit).
 */

/** Taps of one axis: for output i, weights[i * width .. ] over inputs first[i] .. first[i] + count[i] - 1. */
interface AxisTaps {
  first: Int32Array
  count: Int32Array
  weights: Float64Array
  width: number
}

function axisTaps(inSize: number, outSize: number): AxisTaps {
  const scale = inSize / outSize
  const stretch = Math.max(scale, 1)
  const support = stretch // bilinear: half-width 1, scaled when downsampling
  const width = Math.ceil(support) * 2 + 1
  const first = new Int32Array(outSize)
  const count = new Int32Array(outSize)
  const weights = new Float64Array(outSize * width)
  for (let i = 0; i < outSize; i++) {
    const centre = scale * (i + 0.5)
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0)
    const hi = Math.min(Math.trunc(centre + support + 0.5), inSize)
    let total = 0
    for (let j = lo; j < hi; j++) {
      const x = Math.abs((j - centre + 0.5) / stretch)
      const w = x < 1 ? 1 - x : 0
      weights[i * width + j - lo] = w
      total += w
    }
    if (total !== 0) for (let j = lo; j < hi; j++) weights[i * width + j - lo] /= total
    first[i] = lo
    count[i] = hi - lo
  }
  return { first, count, weights, width }
}

/** Resizes `src` [height, width] to [outHeight, outWidth] with antialiased bilinear weights; float64 out. */
export function resizeAntialiased(
  src: ArrayLike<number>,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number
): Float64Array {
  if (src.length !== height * width) throw new Error(`resizeAntialiased: ${src.length} values for ${height}x${width}`)
  // horizontal pass first ([height, outWidth]), then vertical, as PyTorch does
  const xs = axisTaps(width, outWidth)
  const rows = new Float64Array(height * outWidth)
  for (let y = 0; y < height; y++) {
    const row = y * width
    for (let x = 0; x < outWidth; x++) {
      const lo = xs.first[x]
      const base = x * xs.width
      let sum = 0
      for (let t = 0; t < xs.count[x]; t++) sum += src[row + lo + t] * xs.weights[base + t]
      rows[y * outWidth + x] = sum
    }
  }
  const ys = axisTaps(height, outHeight)
  const out = new Float64Array(outHeight * outWidth)
  for (let y = 0; y < outHeight; y++) {
    const lo = ys.first[y]
    const base = y * ys.width
    for (let t = 0; t < ys.count[y]; t++) {
      const w = ys.weights[base + t]
      const r = (lo + t) * outWidth
      for (let x = 0; x < outWidth; x++) out[y * outWidth + x] += rows[r + x] * w
    }
  }
  return out
}
