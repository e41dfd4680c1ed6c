/**
 * Plain-JSON types of the Thresholds page (per-category pixel and image thresholds against an
 * evaluation) and of the failure-case review (false-negative and false-positive queues, verdicts).
 */
import type { EvaluationListItem, EvaluationThresholds, InstanceCurveData, ReportImageScore } from './result-queries'
import type { CurrentThresholds, ReviewQueue, ThresholdKind, ThresholdRecord, VerdictCounts, VerdictKind, VerdictRecord } from './results'

/** thresholds:get. Both left out: the newest evaluation of any category. */
export interface ThresholdsQuery {
  /** the category; its newest evaluation unless evaluationId is given */
  categoryId?: number
  /** the evaluation the curves and histograms come from (of categoryId when both are given) */
  evaluationId?: number
}

/** thresholds:save: a new row in the category's history, which becomes the current threshold of its kind. */
export interface ThresholdSaveRequest {
  categoryId: number
  /** the evaluation it was set on; null when none */
  evaluationId: number | null
  kind: ThresholdKind
  value: number
  /** why (at most 1000 characters); '' when left out */
  note?: string
}

/** One test image's score, for the histograms and the confusion counts. */
export interface ScoredImage extends ReportImageScore {
  /** null when the evaluated path is no longer an image of the category (re-scanned since) */
  image_id: number | null
}

/** A category that has at least one evaluation. */
export interface EvaluatedCategory {
  id: number
  name: string
  dataset_id: number
  dataset_name: string
  evaluations: number
}

/** thresholds:get: everything the Thresholds page draws, for one category and one of its evaluations. */
export interface ThresholdsView {
  category_id: number
  category_name: string
  evaluation: EvaluationListItem
  /** the category's evaluations, newest first */
  evaluations: EvaluationListItem[]
  /** every category with an evaluation, for the picker */
  categories: EvaluatedCategory[]
  /** the latest saved row of each kind (null when never saved) */
  current: CurrentThresholds
  /** pixel: the evaluation's IAP@k operating point; image: the image-score threshold with the best F1 on its test images */
  defaults: { pixel: number; image: number }
  /** saved when there is one, else the default (results/default-thresholds.ts, the rule every page uses) */
  in_effect: EvaluationThresholds
  /** every saved threshold of the category, both kinds, newest first */
  history: ThresholdRecord[]
  /** the IAP@k operating point: the highest instance threshold whose recall is still >= k */
  operating_point: { k: number; threshold: number; recall: number; precision: number }
  instance_curve: InstanceCurveData
  /**
   * Why the evaluation has no pixel metrics (no anomalous test image has a mask: image-level labels
   * only); null when it has them. Without them the instance curve is empty and the pixel threshold
   * has nothing to be tuned on; the image threshold works as always.
   */
  pixel_metrics_reason: string | null
  images: ScoredImage[]
}

/** review:queue */
export interface ReviewQueueRequest {
  evaluationId: number
  queue: ReviewQueue
}

/**
 * A box on the protocol's 256x256 grid (the map brought to 256x256, the mask resized to it):
 * a missed ground-truth instance, or a predicted region outside the ground truth.
 */
export interface ReviewRegion {
  /** left column, top row, width and height in grid pixels */
  x: number
  y: number
  width: number
  height: number
  /** grid pixels in the region */
  pixels: number
  /** a missed instance: its instance score (the protocol's median); a predicted region: its peak map value */
  score: number
}

/** One image in a review queue. */
export interface ReviewCase {
  image_id: number
  rel_path: string
  defect: string
  label: 0 | 1
  /** the image score (mean of the top-T map values) */
  score: number
  /** the image's own size, to scale the grid's boxes */
  width: number
  height: number
  /**
   * The image itself is wrong at the image threshold: false_negative, an anomalous image scored under it;
   * false_positive, a normal image scored at or over it.
   */
  image_error: boolean
  /**
   * false_negative: the missed ground-truth instances (instance score under the pixel threshold), lowest score first;
   * false_positive: the predicted regions (map >= the pixel threshold) that do not touch the ground truth, highest peak first
   */
  regions: ReviewRegion[]
  /** ground-truth instances in the image (0 for a normal image, and for an anomalous one without a mask) */
  instances: number
  /**
   * whether the image has a ground-truth mask; an anomalous image without one ("no mask", labelled by its
   * folder) is judged at the image level only: no missed instances, no regions outside the truth
   */
  has_mask: boolean
  /** the verdict that counts (the latest given in this queue), if any */
  verdict: VerdictRecord | null
}

export interface ReviewQueueView {
  evaluation_id: number
  category_id: number
  queue: ReviewQueue
  /** the thresholds the queue was computed at */
  thresholds: EvaluationThresholds
  /** side of the grid the regions are given on (256) */
  grid: number
  /** false_negative: lowest score first; false_positive: highest score first */
  cases: ReviewCase[]
}

/** review:verdict */
export interface VerdictRequest {
  evaluationId: number
  imageId: number
  queue: ReviewQueue
  verdict: VerdictKind
  /** at most 1000 characters; '' when left out */
  note?: string
}

export interface QueueCounts {
  /** images in the queue at the thresholds in effect */
  cases: number
  /** of those, how many have a verdict that counts */
  judged: number
  /** the counting verdicts (latest per image) of each kind, over every image judged in this queue */
  verdicts: VerdictCounts
}

/** review:counts */
export interface ReviewCounts {
  evaluation_id: number
  thresholds: EvaluationThresholds
  false_negative: QueueCounts
  false_positive: QueueCounts
}
