/**
 * The thresholds a view of an evaluation uses when the category has none saved:
 *
 * - pixel: IAP@90's operating point, the highest map threshold that still detects 90% of the
 *   ground-truth instances (the evaluation's iap90_threshold; METHOD.md). 0.5 (the segmentation
 *   net's sigmoid midpoint) only where an evaluation has none.
 * - image: the image score that maximises F1 over the evaluation's test images (an image is
 *   predicted anomalous at score >= threshold; ties in F1 go to the highest such score), from the
 *   stored report's per-image scores and labels. The highest score where no image is anomalous.
 *
 * A saved threshold (thresholds.repo: the category's latest of the kind) always wins.
 */
import type { CurrentThresholds } from '../../common/types/results'
import type { AppliedThreshold, EvaluationThresholds, ReportImageScore } from '../../common/types/result-queries'

/** The threshold of an evaluation without an IAP@90 operating point (or without images). */
export const FALLBACK_THRESHOLD = 0.5

export const PIXEL_DEFAULT_RULE = 'default: the IAP@90 operating point (highest threshold detecting 90% of the defect instances)'
export const PIXEL_FALLBACK_RULE = `default: ${FALLBACK_THRESHOLD} (no IAP@90 operating point: the evaluation has no pixel metrics)`
export const IMAGE_DEFAULT_RULE = 'default: the image score maximising F1 over the test images'

/**
 * The score t maximising F1 of "anomalous at score >= t" against the labels; null without images.
 * O(n log n): one pass over the scores sorted descending, tied scores taken together.
 */
export function f1MaxThreshold(images: readonly Pick<ReportImageScore, 'score' | 'label'>[]): number | null {
  if (images.length === 0) return null
  const sorted = [...images].sort((a, b) => b.score - a.score)
  const positives = sorted.filter((im) => im.label === 1).length
  if (positives === 0) return sorted[0].score
  let tp = 0
  let flagged = 0
  let bestF1 = -1
  let best = sorted[0].score
  for (let i = 0; i < sorted.length; ) {
    const score = sorted[i].score
    for (; i < sorted.length && sorted[i].score === score; i++) {
      flagged++
      if (sorted[i].label === 1) tp++
    }
    // F1 = 2 TP / (2 TP + FP + FN) = 2 TP / (flagged + positives)
    const f1 = (2 * tp) / (flagged + positives)
    if (f1 > bestF1) {
      bestF1 = f1
      best = score
    }
  }
  return best
}

/** The thresholds in force for an evaluation: the category's saved ones, else the defaults above. */
export function appliedThresholds(
  saved: CurrentThresholds,
  evaluation: { iap90_threshold: number | null; per_image: readonly Pick<ReportImageScore, 'score' | 'label'>[] }
): EvaluationThresholds {
  const pick = (kind: 'pixel' | 'image', fallback: number, rule: string): AppliedThreshold => {
    const record = saved[kind]
    return record
      ? { kind, value: record.value, source: 'saved', record, rule: `saved ${record.created_at}${record.note ? `: ${record.note}` : ''}` }
      : { kind, value: fallback, source: 'default', record: null, rule }
  }
  return {
    pixel:
      evaluation.iap90_threshold === null
        ? pick('pixel', FALLBACK_THRESHOLD, PIXEL_FALLBACK_RULE)
        : pick('pixel', evaluation.iap90_threshold, PIXEL_DEFAULT_RULE),
    image: pick('image', f1MaxThreshold(evaluation.per_image) ?? FALLBACK_THRESHOLD, IMAGE_DEFAULT_RULE)
  }
}
