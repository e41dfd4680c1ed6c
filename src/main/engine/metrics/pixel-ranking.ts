/**
 * Every pixel of a category, pooled and ranked. Ground-truth pixels (with their region) are sorted
 * as order-preserving keys (./score-keys). Normal pixels, usually 95% or more of 20M, are only
 * bucketed by the top 16 bits of their key; just the buckets that also hold a ground-truth score
 * are sorted, since the counts of normal pixels at or above any ground-truth score (all that ROC,
 * AP, PRO and IAP need) follow from whole-bucket counts plus a search inside that one bucket.
 * Memory: 8 bytes per ground-truth pixel and 4 per normal pixel in a shared bucket (x2 while sorting).
 */
import { bucketStarts, floatKey, keyFloat, lowerBound, MAX_KEY as MAX, MIN_KEY as MIN, PREFIXES as BUCKETS, sortBuckets, sortKeys } from './score-keys'

export interface PixelRanking {
  /** [P] keys of ground-truth pixels, ascending */
  positives: Int32Array
  /** [P] region (global instance index) of each positive key */
  positiveRegion: Uint32Array
  /** [regions] 1 / region size in pixels */
  regionWeight: Float64Array
  /** number of normal pixels, N */
  negativeCount: number
  /** [M <= N] ascending keys of the normal pixels in buckets that hold a positive key */
  negatives: Int32Array
  /** [65537] bucket b's sorted normal keys are negatives[bucketStart[b] .. bucketStart[b+1]) */
  bucketStart: Uint32Array
  /** [65537] normal pixels in buckets >= b, sorted or not */
  negativesFrom: Float64Array
  /** smallest normal-pixel key (MAX_KEY when N = 0) */
  minNegativeKey: number
}

/** One image's pixels: scores [n], and for an anomalous image its region labels [n] (0 normal, l = region firstRegion + l - 1). */
export interface RankedImage {
  map: Float32Array
  labels: Int32Array | null
  firstRegion: number
}

/** Thrown for a NaN score; the caller names the image. */
export class NanScoreError extends Error {
  constructor(readonly image: number) {
    super(`NaN score in image ${image}`)
    this.name = 'NanScoreError'
  }
}

// Imported constants copied to module constants: tsx's CommonJS output reads imports through getters.
const PREFIXES = BUCKETS
const MAX_KEY = MAX
const MIN_KEY = MIN

// The key computation below is scoreKeys' bitsKey written out: these loops see every pixel, and
// calls across modules are not always inlined under tsx's CommonJS output.

/**
 * Pools and ranks the pixels of `images`. `regionSizes[r]` is the pixel count of global region r;
 * the positives are the pixels with a non-zero label.
 */
export function rankPixels(images: RankedImage[], regionSizes: ArrayLike<number>): PixelRanking {
  let positiveCount = 0
  for (let r = 0; r < regionSizes.length; r++) positiveCount += regionSizes[r]
  const positives = new Int32Array(positiveCount)
  const positiveRegion = new Uint32Array(positiveCount)
  const positivePrefix = new Uint32Array(PREFIXES)
  const negativePrefix = new Uint32Array(PREFIXES)
  let p = 0
  let minNegativeKey = MAX_KEY
  // pass 1: positives stored, normal pixels counted per bucket
  for (let index = 0; index < images.length; index++) {
    const { map, labels, firstRegion } = images[index]
    const bits = new Int32Array(map.buffer, map.byteOffset, map.length)
    let maxKey = MIN_KEY
    let minKey = MAX_KEY
    if (labels === null) {
      for (let i = 0; i < bits.length; i++) {
        const b = bits[i]
        const key = b >= 0 ? b : b === -2147483648 ? 0 : b ^ 0x7fffffff
        if (key > maxKey) maxKey = key
        if (key < minKey) minKey = key
        negativePrefix[(key >>> 16) ^ 0x8000]++
      }
      if (minKey < minNegativeKey) minNegativeKey = minKey
    } else {
      if (labels.length !== bits.length) throw new Error(`rankPixels: ${labels.length} labels for ${bits.length} scores`)
      for (let i = 0; i < bits.length; i++) {
        const b = bits[i]
        const key = b >= 0 ? b : b === -2147483648 ? 0 : b ^ 0x7fffffff
        if (key > maxKey) maxKey = key
        if (key < minKey) minKey = key
        const l = labels[i]
        if (l === 0) {
          if (key < minNegativeKey) minNegativeKey = key
          negativePrefix[(key >>> 16) ^ 0x8000]++
        } else {
          positives[p] = key
          positiveRegion[p++] = firstRegion + l - 1
          positivePrefix[(key >>> 16) ^ 0x8000]++
        }
      }
    }
    if (maxKey > MAX_KEY || minKey < MIN_KEY) throw new NanScoreError(index) // only NaN keys lie outside
  }
  if (p !== positiveCount) throw new Error(`rankPixels: ${p} labelled pixels, region sizes sum to ${positiveCount}`)
  sortKeys(positives, positiveRegion, positivePrefix)

  // normal pixels: whole-bucket counts, and the shared buckets sorted
  const negativesFrom = new Float64Array(PREFIXES + 1)
  for (let b = PREFIXES - 1; b >= 0; b--) negativesFrom[b] = negativesFrom[b + 1] + negativePrefix[b]
  const sharedCounts = new Uint32Array(PREFIXES)
  for (let b = 0; b < PREFIXES; b++) if (positivePrefix[b] > 0) sharedCounts[b] = negativePrefix[b]
  const bucketStart = bucketStarts(sharedCounts)
  const shared = bucketStart[PREFIXES]
  const grouped = new Int32Array(shared)
  if (shared > 0) {
    // pass 2: normal pixels of shared buckets scattered to their bucket
    const fill = bucketStart.slice(0, PREFIXES)
    for (const { map, labels } of images) {
      const bits = new Int32Array(map.buffer, map.byteOffset, map.length)
      for (let i = 0; i < bits.length; i++) {
        if (labels !== null && labels[i] !== 0) continue
        const b = bits[i]
        const key = b >= 0 ? b : b === -2147483648 ? 0 : b ^ 0x7fffffff
        const bucket = (key >>> 16) ^ 0x8000
        if (positivePrefix[bucket] > 0) grouped[fill[bucket]++] = key
      }
    }
  }
  const negatives = new Int32Array(shared)
  sortBuckets(grouped, null, bucketStart, negatives, null)
  const regionWeight = new Float64Array(regionSizes.length)
  for (let r = 0; r < regionSizes.length; r++) regionWeight[r] = 1 / regionSizes[r]
  return {
    positives,
    positiveRegion,
    regionWeight,
    negativeCount: negativesFrom[0],
    negatives,
    bucketStart,
    negativesFrom,
    minNegativeKey
  }
}

/**
 * Normal pixels with key >= `key` (or > `key` when `strict`). Exact for any key whose bucket holds
 * a positive (or no normal pixel); throws otherwise, as those buckets are not sorted.
 */
export function negativesAtOrAbove(ranking: PixelRanking, key: number, strict = false): number {
  const bucket = (key >>> 16) ^ 0x8000
  const lo = ranking.bucketStart[bucket]
  const hi = ranking.bucketStart[bucket + 1]
  const inBucket = ranking.negativesFrom[bucket] - ranking.negativesFrom[bucket + 1]
  if (hi - lo !== inBucket) throw new Error('negativesAtOrAbove: key in a bucket without positives')
  return ranking.negativesFrom[bucket + 1] + hi - lowerBound(ranking.negatives, strict ? key + 1 : key, lo, hi)
}

/**
 * Visits the corners of the pooled curves from the highest threshold down, with cumulative counts
 * over the pixels >= threshold: tp positives, fp negatives, overlap = sum over regions of the
 * fraction of the region's pixels. Visited: each distinct positive score (its negative ties
 * included); before it, when normal pixels score strictly between it and the previous one, the end
 * of that run (key + 1: the next float32 above the score); and a last point with every pixel
 * counted (key of the lowest normal score). The thresholds skipped hold normal pixels only and lie
 * on straight segments between visited points, so ROC area, AP and the PRO curve are exactly those
 * over every distinct threshold. scoreOfKey(key) is the threshold.
 */
export function walkThresholds(
  ranking: PixelRanking,
  visit: (key: number, tp: number, fp: number, overlap: number) => void
): void {
  const { positives: pos, positiveRegion, regionWeight, negativeCount } = ranking
  let i = pos.length - 1
  let tp = 0
  let fp = 0
  let overlap = 0
  while (i >= 0) {
    const key = pos[i]
    const above = negativesAtOrAbove(ranking, key, true)
    if (above > fp) visit(key + 1, tp, above, overlap)
    fp = negativesAtOrAbove(ranking, key)
    while (i >= 0 && pos[i] === key) {
      overlap += regionWeight[positiveRegion[i]]
      tp++
      i--
    }
    visit(key, tp, fp, overlap)
  }
  if (fp < negativeCount) visit(ranking.minNegativeKey, tp, negativeCount, overlap)
}

/** Pixels >= threshold, where the threshold is one of the positive scores: positives (inside the ground truth) and all. */
export function countAtOrAbove(ranking: PixelRanking, threshold: number): { positives: number; all: number } {
  const key = floatKey(threshold)
  const positives = ranking.positives.length - lowerBound(ranking.positives, key)
  return { positives, all: positives + negativesAtOrAbove(ranking, key) }
}

/** The score of a key, for visitors. */
export const scoreOfKey = keyFloat
