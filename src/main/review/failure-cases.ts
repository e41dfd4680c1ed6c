/**
 * Failure cases of one test image at given thresholds (issue 5.5), on the protocol's 256x256 grid
 * (map: bilinear to 256x256, predictionTo256; ground truth: the resized, binarised mask, loadGroundTruth):
 * - missed instances: 8-connected ground-truth components whose instance score (the protocol's:
 *   the value at index floor(n/2) of its n pixel scores sorted descending, i.e. its median) is under
 *   the pixel threshold;
 * - regions outside the ground truth: 8-connected components of map >= pixel threshold that share
 *   no pixel with the ground truth (on a normal image, every predicted region).
 * Boxes are in grid pixels: x, y of the top-left pixel, width and height inclusive of both ends.
 */
import type { ReviewRegion } from '../../common/types/review'
import { connectedComponents8, instanceScores, type Components } from '../engine/metrics/instances'
import { EVAL_PIXELS, EVAL_SIZE } from '../engine/metrics/types'

/** Bounding box and size of every component, in label order (labels 1..count). */
function componentBoxes(components: Components, width: number): Array<Omit<ReviewRegion, 'score'>> {
  const { labels, count, sizes } = components
  const x0 = new Int32Array(count).fill(width)
  const y0 = new Int32Array(count).fill(labels.length)
  const x1 = new Int32Array(count).fill(-1)
  const y1 = new Int32Array(count).fill(-1)
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p] - 1
    if (l < 0) continue
    const y = (p / width) | 0
    const x = p - y * width
    if (x < x0[l]) x0[l] = x
    if (x > x1[l]) x1[l] = x
    if (y < y0[l]) y0[l] = y
    if (y > y1[l]) y1[l] = y
  }
  return Array.from({ length: count }, (_, l) => ({
    x: x0[l],
    y: y0[l],
    width: x1[l] - x0[l] + 1,
    height: y1[l] - y0[l] + 1,
    pixels: sizes[l]
  }))
}

function checkGrid(array: ArrayLike<number>, what: string): void {
  if (array.length !== EVAL_PIXELS) throw new Error(`${what} has ${array.length} values, expected ${EVAL_SIZE}x${EVAL_SIZE}`)
}

/** Every ground-truth instance of an image with its instance score, in raster order of first pixel. */
export function groundTruthInstances(map256: Float32Array, gt: Uint8Array): ReviewRegion[] {
  checkGrid(map256, 'map')
  checkGrid(gt, 'ground truth')
  const components = connectedComponents8(gt, EVAL_SIZE, EVAL_SIZE)
  const scores = instanceScores(components, map256)
  return componentBoxes(components, EVAL_SIZE).map((box, l) => ({ ...box, score: scores[l] }))
}

/** The instances the pixel threshold misses (score < threshold), lowest score first. */
export function missedInstances(instances: readonly ReviewRegion[], pixelThreshold: number): ReviewRegion[] {
  return instances.filter((r) => r.score < pixelThreshold).sort((a, b) => a.score - b.score)
}

/** Components of map >= threshold that touch no ground-truth pixel (all of them when gt is null), highest peak first. */
export function regionsOutsideTruth(map256: Float32Array, gt: Uint8Array | null, pixelThreshold: number): ReviewRegion[] {
  checkGrid(map256, 'map')
  if (gt !== null) checkGrid(gt, 'ground truth')
  const predicted = new Uint8Array(EVAL_PIXELS)
  let any = false
  for (let p = 0; p < EVAL_PIXELS; p++) {
    if (map256[p] >= pixelThreshold) {
      predicted[p] = 1
      any = true
    }
  }
  if (!any) return []
  const components = connectedComponents8(predicted, EVAL_SIZE, EVAL_SIZE)
  const touches = new Uint8Array(components.count + 1)
  const peak = new Float32Array(components.count + 1).fill(-Infinity)
  for (let p = 0; p < EVAL_PIXELS; p++) {
    const l = components.labels[p]
    if (l === 0) continue
    if (gt !== null && gt[p]) touches[l] = 1
    if (map256[p] > peak[l]) peak[l] = map256[p]
  }
  const boxes = componentBoxes(components, EVAL_SIZE)
  const outside: ReviewRegion[] = []
  for (let l = 1; l <= components.count; l++) if (!touches[l]) outside.push({ ...boxes[l - 1], score: peak[l] })
  return outside.sort((a, b) => b.score - a.score)
}
