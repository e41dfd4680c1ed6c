/**
 * Plain TypedArray image operations for anomaly synthesis (no tfjs, so they run in any worker):
 * loading an image as RGB at the input size, rotation with the two border rules the reference code
 * uses, and the bilinear mask resize of phase 2.
 *
 * Layouts: images are HWC, row-major, `channels` values per pixel; masks and noise fields are HW.
 */
import sharp from 'sharp'
import { decodeImage } from '../../datasets/image-io'

/** An 8-bit RGB image, [H, W, 3] row-major. */
export interface Rgb8Image {
  data: Uint8Array
  height: number
  width: number
}

/** A float image, [H, W, C] row-major; C is 1 (grey) or 3 (RGB), values in [0, 1]. */
export interface FloatImage {
  data: Float32Array
  height: number
  width: number
  channels: number
}

/** Expands 1 (grey), 2 (grey + alpha), 3 or 4 (RGBA) uint8 channels to RGB; alpha is dropped (PIL convert('RGB')). */
export function toRgb8(data: Uint8Array, height: number, width: number, channels: number): Rgb8Image {
  const n = height * width
  if (data.length !== n * channels) throw new Error(`toRgb8: ${data.length} values for ${height}x${width}x${channels}`)
  if (channels === 3) return { data, height, width }
  if (channels < 1 || channels > 4) throw new Error(`toRgb8: unsupported channel count ${channels}`)
  const out = new Uint8Array(n * 3)
  const grey = channels <= 2
  for (let i = 0, s = 0, o = 0; i < n; i++, s += channels, o += 3) {
    out[o] = data[s]
    out[o + 1] = grey ? data[s] : data[s + 1]
    out[o + 2] = grey ? data[s] : data[s + 2]
  }
  return { data: out, height, width }
}

/**
 * Reads any supported image (PNG, JPEG, TIFF, BMP; grey or colour) and resizes it to
 * height x width with sharp's antialiased linear kernel, ignoring the aspect ratio
 * (the reference's PIL `resize(size, BILINEAR)`). Returns [height, width, 3] uint8.
 */
export async function loadRgb8(path: string, height: number, width: number): Promise<Rgb8Image> {
  const decoded = await decodeImage(path)
  const rgb = toRgb8(decoded.data, decoded.height, decoded.width, decoded.channels)
  if (rgb.height === height && rgb.width === width) return rgb
  const { data, info } = await sharp(Buffer.from(rgb.data.buffer, rgb.data.byteOffset, rgb.data.length), {
    raw: { width: rgb.width, height: rgb.height, channels: 3 }
  })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(`loadRgb8: sharp returned ${info.width}x${info.height}x${info.channels} for ${path}`)
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), height, width }
}

/** uint8 [H, W, 3] -> float32 [H, W, 3] in [0, 1] (x / 255). */
export function rgb8ToFloat(image: Rgb8Image): FloatImage {
  const out = new Float32Array(image.data.length)
  for (let i = 0; i < out.length; i++) out[i] = image.data[i] / 255
  return { data: out, height: image.height, width: image.width, channels: 3 }
}

/** float [H, W, C] in [0, 1] -> uint8, rounded and clamped (for writing PNGs). */
export function floatToUint8(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, data[i])) * 255)
  return out
}

/** A float image with grey expanded to RGB; RGB images are returned as they are. */
export function toRgbFloat(image: FloatImage): FloatImage {
  const { data, height, width, channels } = image
  if (data.length !== height * width * channels) {
    throw new Error(`image data has ${data.length} values, expected ${height}x${width}x${channels}`)
  }
  if (channels === 3) return image
  if (channels !== 1) throw new Error(`expected a grey or RGB image, got ${channels} channels`)
  const out = new Float32Array(height * width * 3)
  for (let i = 0, o = 0; i < data.length; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[i]
  return { data: out, height, width, channels: 3 }
}

/**
 * How a rotation treats the outside of the source image.
 * - 'pil': PIL `Image.rotate(resample=BILINEAR, fillcolor)`. A sample point outside the image
 *   takes the fill; inside, bilinear interpolation with edge-clamped neighbours (a hard edge).
 * - 'constant': imgaug `Affine(rotate, order=1, mode='constant', cval)` (OpenCV warpAffine):
 *   neighbours outside the image count as the fill, so the edge is blended over one pixel.
 */
export type RotationBorder = 'pil' | 'constant'

/** cos and sin of an angle in degrees, exact for multiples of 90. */
function cosSinDegrees(degrees: number): [number, number] {
  if (Number.isInteger(degrees) && degrees % 90 === 0) {
    const quarter = (((degrees / 90) % 4) + 4) % 4
    return [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1]
    ][quarter] as [number, number]
  }
  const r = (degrees * Math.PI) / 180
  return [Math.cos(r), Math.sin(r)]
}

/**
 * Rotates an [H, W, C] image about its centre ((W-1)/2, (H-1)/2 in pixel indices), keeping the
 * size. Positive angles turn the content counter-clockwise on screen (PIL's convention).
 * Bilinear sampling; `fill` gives the value per channel (or one value for all) outside the source.
 */
export function rotateImage(
  src: Float32Array,
  height: number,
  width: number,
  channels: number,
  degrees: number,
  fill: number | readonly number[],
  border: RotationBorder
): Float32Array {
  if (src.length !== height * width * channels) {
    throw new Error(`rotateImage: ${src.length} values for ${height}x${width}x${channels}`)
  }
  if (degrees === 0) return src.slice()
  const fills = Float32Array.from({ length: channels }, (_, c) => (typeof fill === 'number' ? fill : fill[c]))
  const [cos, sin] = cosSinDegrees(degrees)
  const cx = (width - 1) / 2
  const cy = (height - 1) / 2
  const out = new Float32Array(src.length)
  const rowStride = width * channels
  if (Number.isInteger(degrees) && degrees % 90 === 0 && (height + width) % 2 === 0) {
    // quarter turns whose sample points are whole pixels (square images, say): a permutation,
    // the same values bilinear sampling gives there, without the arithmetic
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const xs = cos * (x - cx) - sin * (y - cy) + cx
        const ys = sin * (x - cx) + cos * (y - cy) + cy
        const o = (y * width + x) * channels
        const inside = xs >= 0 && xs < width && ys >= 0 && ys < height
        const s = ys * rowStride + xs * channels
        for (let c = 0; c < channels; c++) out[o + c] = inside ? src[s + c] : fills[c]
      }
    }
    return out
  }
  for (let y = 0; y < height; y++) {
    const dy = y - cy
    for (let x = 0; x < width; x++) {
      const dx = x - cx
      // inverse map: output (x, y) samples the source at (xs, ys)
      const xs = cos * dx - sin * dy + cx
      const ys = sin * dx + cos * dy + cy
      const o = (y * width + x) * channels
      let x0 = Math.floor(xs)
      let y0 = Math.floor(ys)
      const fx = xs - x0
      const fy = ys - y0
      if (border === 'pil') {
        if (xs < -0.5 || xs >= width - 0.5 || ys < -0.5 || ys >= height - 0.5) {
          for (let c = 0; c < channels; c++) out[o + c] = fills[c]
          continue
        }
        const x1 = Math.min(x0 + 1, width - 1)
        const y1 = Math.min(y0 + 1, height - 1)
        x0 = Math.max(x0, 0)
        y0 = Math.max(y0, 0)
        const r0 = y0 * rowStride
        const r1 = y1 * rowStride
        for (let c = 0; c < channels; c++) {
          const top = src[r0 + x0 * channels + c] * (1 - fx) + src[r0 + x1 * channels + c] * fx
          const bottom = src[r1 + x0 * channels + c] * (1 - fx) + src[r1 + x1 * channels + c] * fx
          out[o + c] = top * (1 - fy) + bottom * fy
        }
      } else {
        const x1 = x0 + 1
        const y1 = y0 + 1
        if (x1 < 0 || x0 >= width || y1 < 0 || y0 >= height) {
          for (let c = 0; c < channels; c++) out[o + c] = fills[c]
          continue
        }
        const in00 = y0 >= 0 && x0 >= 0
        const in01 = y0 >= 0 && x1 < width
        const in10 = y1 < height && x0 >= 0
        const in11 = y1 < height && x1 < width
        const w00 = (1 - fx) * (1 - fy)
        const w01 = fx * (1 - fy)
        const w10 = (1 - fx) * fy
        const w11 = fx * fy
        const r0 = y0 * rowStride
        const r1 = y1 * rowStride
        for (let c = 0; c < channels; c++) {
          const f = fills[c]
          out[o + c] =
            w00 * (in00 ? src[r0 + x0 * channels + c] : f) +
            w01 * (in01 ? src[r0 + x1 * channels + c] : f) +
            w10 * (in10 ? src[r1 + x0 * channels + c] : f) +
            w11 * (in11 ? src[r1 + x1 * channels + c] : f)
        }
      }
    }
  }
  return out
}

/**
 * Bilinear resize of an [H, W] map with half-pixel centres and no antialiasing, as PyTorch's
 * `F.interpolate(mode='bilinear', align_corners=False)`: source = (dst + 0.5) * in/out - 0.5,
 * clamped below at 0, upper neighbour clamped to the last row/column.
 */
export function resizeBilinear(
  src: Float32Array,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number
): Float32Array {
  if (src.length !== height * width) throw new Error(`resizeBilinear: ${src.length} values for ${height}x${width}`)
  const axis = (inSize: number, outSize: number) => {
    const i0 = new Int32Array(outSize)
    const i1 = new Int32Array(outSize)
    const w1 = new Float64Array(outSize)
    const scale = inSize / outSize
    for (let d = 0; d < outSize; d++) {
      const s = Math.max((d + 0.5) * scale - 0.5, 0)
      i0[d] = Math.min(Math.floor(s), inSize - 1)
      i1[d] = Math.min(i0[d] + 1, inSize - 1)
      w1[d] = s - i0[d]
    }
    return { i0, i1, w1 }
  }
  const ys = axis(height, outHeight)
  const xs = axis(width, outWidth)
  const out = new Float32Array(outHeight * outWidth)
  for (let y = 0; y < outHeight; y++) {
    const r0 = ys.i0[y] * width
    const r1 = ys.i1[y] * width
    const wy = ys.w1[y]
    for (let x = 0; x < outWidth; x++) {
      const a = xs.i0[x]
      const b = xs.i1[x]
      const wx = xs.w1[x]
      const top = src[r0 + a] * (1 - wx) + src[r0 + b] * wx
      const bottom = src[r1 + a] * (1 - wx) + src[r1 + b] * wx
      out[y * outWidth + x] = top * (1 - wy) + bottom * wy
    }
  }
  return out
}
