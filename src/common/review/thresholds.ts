/**
 * Threshold arithmetic shared by main (the IAP@90 readout) and the renderer (live updates on
 * the Thresholds page): confusion counts of image scores at a threshold, F1, and the IAP instance
 * curve read at a pixel threshold. The default thresholds themselves are computed in one place,
 * main/results/default-thresholds.ts (appliedThresholds, f1MaxThreshold).
 * An image or pixel counts as anomalous at threshold t when its score is >= t.
 */
import type { InstanceCurveData } from '../types/result-queries'

export interface LabelledScore {
  /** 1 anomalous, 0 normal (the protocol's label) */
  label: 0 | 1
  score: number
}

export interface ConfusionCounts {
  /** anomalous images at or over the threshold */
  tp: number
  /** normal images at or over it */
  fp: number
  /** normal images under it */
  tn: number
  /** anomalous images under it */
  fn: number
}

/** TP/FP/TN/FN of `images` when those scoring >= `threshold` are called anomalous. */
export function confusionAt(images: readonly LabelledScore[], threshold: number): ConfusionCounts {
  const counts: ConfusionCounts = { tp: 0, fp: 0, tn: 0, fn: 0 }
  for (const { label, score } of images) {
    const flagged = score >= threshold
    if (label === 1) flagged ? counts.tp++ : counts.fn++
    else flagged ? counts.fp++ : counts.tn++
  }
  return counts
}

/** F1 of the anomalous class: 2TP / (2TP + FP + FN); 0 when there is nothing to find and nothing flagged. */
export function f1Of({ tp, fp, fn }: ConfusionCounts): number {
  const denominator = 2 * tp + fp + fn
  return denominator === 0 ? 0 : (2 * tp) / denominator
}

/**
 * Instance recall and pixel precision of the IAP curve at pixel threshold t: the curve's first
 * point whose threshold is >= t (every instance scoring >= t is detected). Above the highest
 * instance score the recall is 0 and the precision stays at the last point's. Exact while the
 * curve has one point per instance (the report keeps up to 500); a close bound past that.
 */
export function instanceCurveAt(curve: InstanceCurveData, t: number): { recall: number; precision: number } {
  const n = curve.threshold.length
  if (n === 0) return { recall: 0, precision: 0 }
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (curve.threshold[mid] < t) lo = mid + 1
    else hi = mid
  }
  if (lo === n) return { recall: 0, precision: curve.precision[n - 1] }
  return { recall: curve.recall[lo], precision: curve.precision[lo] }
}
