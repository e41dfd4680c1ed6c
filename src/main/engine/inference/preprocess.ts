/**
 * Test-time preprocessing, the same as training's (data/batch-producer.ts): loadRgb8 (decode, grey
 * or RGBA to RGB, sharp's linear resize to S x S ignoring the aspect ratio), x / 255, ImageNet
 * normalisation; then NHWC -> NCHW for the ONNX model.
 */
import { UserError } from '../../../common/ipc/errors'
import { probeImage } from '../../datasets/image-io'
import { normalizeImageNetInPlace } from '../data/normalize'
import { loadRgb8, rgb8ToFloat } from '../synthesis/image-ops'

/** A batch ready for session.run. */
export interface InputBatch {
  /** [count, 3, S, S] float32, ImageNet-normalised */
  input: Float32Array
  count: number
  size: number
  /** each image's own size, in order */
  originals: { width: number; height: number }[]
}

/** [H, W, 3] -> [3, H, W], written into `out` at `offset`. */
export function hwcToChw(src: Float32Array, height: number, width: number, out: Float32Array, offset = 0): void {
  const plane = height * width
  if (src.length !== plane * 3) throw new Error(`hwcToChw: ${src.length} values for ${height}x${width}x3`)
  if (offset + plane * 3 > out.length) throw new Error(`hwcToChw: no room at offset ${offset} of ${out.length}`)
  const r = offset
  const g = offset + plane
  const b = offset + 2 * plane
  for (let i = 0, s = 0; i < plane; i++, s += 3) {
    out[r + i] = src[s]
    out[g + i] = src[s + 1]
    out[b + i] = src[s + 2]
  }
}

/** The reason an image could not be read, naming the file. */
export function imageError(path: string, err: unknown): UserError {
  const reason = (err as { code?: unknown }).code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err)
  return new UserError(`cannot read image ${path}: ${reason}`, 'BAD_IMAGE')
}

/**
 * One image as [3, S, S] normalised floats into `out` at `offset`; returns its own size.
 * Throws a UserError (code BAD_IMAGE) naming the file when it cannot be read.
 */
export async function loadInputImage(path: string, size: number, out: Float32Array, offset: number): Promise<{ width: number; height: number }> {
  try {
    const [info, rgb] = await Promise.all([probeImage(path), loadRgb8(path, size, size)])
    const hwc = normalizeImageNetInPlace(rgb8ToFloat(rgb).data) // [S, S, 3]
    hwcToChw(hwc, size, size, out, offset) // -> [3, S, S]
    return { width: info.width, height: info.height }
  } catch (err) {
    throw imageError(path, err)
  }
}

/** A batch of images, decoded concurrently (sharp's work runs on libuv's threads). */
export async function loadInputBatch(paths: readonly string[], size: number): Promise<InputBatch> {
  const per = 3 * size * size
  const input = new Float32Array(paths.length * per) // [N, 3, S, S]
  const settled = await Promise.allSettled(paths.map((p, i) => loadInputImage(p, size, input, i * per)))
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (failed) throw failed.reason
  const originals = settled.map((s) => (s as PromiseFulfilledResult<{ width: number; height: number }>).value)
  return { input, count: paths.length, size, originals }
}
