/**
 * Binary masks <-> run-length encoding (MaskRle, COCO style: alternating runs of 0 and 1 pixels,
 * row-major, starting with 0). The labels channels carry masks this way: a mask of a large image
 * is a few kilobytes instead of megabytes of pixels.
 */
import type { MaskBBox } from '../types/datasets'
import type { MaskRle } from '../types/labels'

/** Encodes `pixels` (width * height values; non-zero = in the mask). */
export function encodeMaskRle(pixels: ArrayLike<number>, width: number, height: number): MaskRle {
  const n = width * height
  if (pixels.length !== n) throw new Error(`mask has ${pixels.length} pixels, expected ${width}x${height} = ${n}`)
  const counts: number[] = []
  let value = 0
  let run = 0
  for (let i = 0; i < n; i++) {
    const on = pixels[i] !== 0 ? 1 : 0
    if (on !== value) {
      counts.push(run)
      value = on
      run = 0
    }
    run++
  }
  counts.push(run)
  return { width, height, counts }
}

/** Decodes into 0/1 pixels; throws when the runs do not add up to width * height. */
export function decodeMaskRle(rle: MaskRle): Uint8Array {
  const n = rle.width * rle.height
  const out = new Uint8Array(n)
  let at = 0
  for (let i = 0; i < rle.counts.length; i++) {
    const run = rle.counts[i]
    if (!Number.isSafeInteger(run) || run < 0 || at + run > n) throw new Error('mask runs do not fit the mask size')
    if (i % 2 === 1) out.fill(1, at, at + run)
    at += run
  }
  if (at !== n) throw new Error(`mask runs cover ${at} of ${n} pixels`)
  return out
}

/** Positive pixels and their bounding box ([x, y, w, h], null when there are none). */
export function maskStats(pixels: ArrayLike<number>, width: number, height: number): { positive: number; bbox: MaskBBox | null } {
  let positive = 0
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i++) {
      if (pixels[i] === 0) continue
      positive++
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      if (y > y1) y1 = y
    }
  }
  return { positive, bbox: positive === 0 ? null : [x0, y0, x1 - x0 + 1, y1 - y0 + 1] }
}
