/**
 * The evaluation protocol's per-image steps (METHOD.md, "Evaluation protocol"): ground truth
 * resized to 256x256 bilinear with antialias and binarised at >= 0.5, predictions resized bilinear
 * (no antialias) to 256x256, image score = mean of the top T map values, image label = any
 * positive ground-truth pixel.
 */
import { resizeBilinear } from '../synthesis/image-ops'
import { resizeAntialiased } from './antialias-resize'
import { EVAL_PIXELS, EVAL_SIZE } from './types'

/** Default T of the image score. */
export const DEFAULT_TOP_T = 100

/**
 * The protocol's ground truth [256*256] (0/1) from a decoded uint8 mask [height, width, channels]:
 * the first channel scaled to [0, 1] (255 -> 1), antialiased bilinear to 256x256, then >= 0.5.
 */
export function groundTruthFromMask(mask: Uint8Array, height: number, width: number, channels = 1): Uint8Array {
  if (mask.length !== height * width * channels) {
    throw new Error(`groundTruthFromMask: ${mask.length} values for ${height}x${width}x${channels}`)
  }
  const grey = new Float64Array(height * width)
  for (let i = 0; i < grey.length; i++) grey[i] = mask[i * channels] / 255
  const resized = resizeAntialiased(grey, height, width, EVAL_SIZE, EVAL_SIZE)
  const out = new Uint8Array(EVAL_PIXELS)
  for (let i = 0; i < out.length; i++) out[i] = resized[i] >= 0.5 ? 1 : 0
  return out
}

/** A prediction map [height, width] brought to [256*256] by half-pixel bilinear (a copy when already 256x256). */
export function predictionTo256(map: Float32Array, height: number, width: number): Float32Array {
  if (map.length !== height * width) throw new Error(`predictionTo256: ${map.length} values for ${height}x${width}`)
  if (height === EVAL_SIZE && width === EVAL_SIZE) return map.slice()
  return resizeBilinear(map, height, width, EVAL_SIZE, EVAL_SIZE)
}

/** Mean of the `topT` largest values of `map` (float64 sum; a min-heap, so O(n log T)). */
export function imageScore(map: Float32Array, topT = DEFAULT_TOP_T): number {
  if (!(Number.isInteger(topT) && topT >= 1 && topT <= map.length)) {
    throw new Error(`imageScore: T must be an integer in 1..${map.length}, got ${topT}`)
  }
  const heap = new Float64Array(topT) // min-heap of the largest values seen
  let size = 0
  for (let i = 0; i < map.length; i++) {
    const v = map[i]
    if (size < topT) {
      // sift up
      let c = size++
      while (c > 0) {
        const parent = (c - 1) >> 1
        if (heap[parent] <= v) break
        heap[c] = heap[parent]
        c = parent
      }
      heap[c] = v
    } else if (v > heap[0]) {
      // replace the minimum, sift down
      let c = 0
      for (;;) {
        const l = 2 * c + 1
        if (l >= topT) break
        const r = l + 1
        const m = r < topT && heap[r] < heap[l] ? r : l
        if (heap[m] >= v) break
        heap[c] = heap[m]
        c = m
      }
      heap[c] = v
    }
  }
  let sum = 0
  for (let i = 0; i < topT; i++) sum += heap[i]
  return sum / topT
}

/** 1 when the ground truth has any positive pixel (a null ground truth is normal). */
export function imageLabel(gt: Uint8Array | null): 0 | 1 {
  if (gt === null) return 0
  for (let i = 0; i < gt.length; i++) if (gt[i]) return 1
  return 0
}
