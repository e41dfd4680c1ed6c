/**
 * Instance average precision (DeSTSeg): with the N instance scores sorted ascending s_1..s_N, at
 * threshold s_i the instance recall is 1 - (i-1)/N and the precision is the pooled pixel precision
 * (pixels >= s_i inside the ground truth / pixels >= s_i, over all test images). Precision is made
 * non-decreasing in the threshold (running max from the lowest threshold up); IAP is the mean of
 * those precisions and IAP@k the one at the highest threshold whose recall is still >= k.
 */

/** The IAP outcome with its full curve (one point per instance, thresholds ascending). */
export interface IapResult {
  iap: number
  /** precision at the IAP@k operating point */
  iapAtK: number
  /** threshold s_i of that operating point */
  thresholdAtK: number
  /** recall 1 - (i-1)/N at that point (>= k) */
  recallAtK: number
  /** [N] ascending instance scores */
  thresholds: Float64Array
  /** [N] 1 - (i-1)/N */
  recalls: Float64Array
  /** [N] running-max precisions */
  precisions: Float64Array
}

/**
 * IAP and IAP@k from the instance scores and a pooled precision function; k in (0, 1].
 * Ties among instance scores keep the spec's formula (each s_i is its own point).
 */
export function instanceAveragePrecision(
  scores: ArrayLike<number>,
  precisionAt: (threshold: number) => number,
  k: number
): IapResult {
  const n = scores.length
  if (n === 0) throw new Error('instanceAveragePrecision: no instances')
  if (!(k > 0 && k <= 1)) throw new Error(`instanceAveragePrecision: k must be in (0, 1], got ${k}`)
  const thresholds = Float64Array.from(scores).sort()
  const recalls = new Float64Array(n)
  const precisions = new Float64Array(n)
  let best = 0
  let sum = 0
  let atK = 0
  for (let i = 0; i < n; i++) {
    recalls[i] = 1 - i / n
    best = Math.max(best, precisionAt(thresholds[i]))
    precisions[i] = best
    sum += best
    if (recalls[i] >= k) atK = i
  }
  return {
    iap: sum / n,
    iapAtK: precisions[atK],
    thresholdAtK: thresholds[atK],
    recallAtK: recalls[atK],
    thresholds,
    recalls,
    precisions
  }
}
