/** Plain-JSON types of evaluation results, thresholds and failure-review verdicts. */

export type ThresholdKind = 'pixel' | 'image'
export const THRESHOLD_KINDS: readonly ThresholdKind[] = ['pixel', 'image']

/** Failure-review queues: missed defects, and false alarms. */
export type ReviewQueue = 'false_negative' | 'false_positive'
export const REVIEW_QUEUES: readonly ReviewQueue[] = ['false_negative', 'false_positive']

export type VerdictKind = 'true_defect' | 'false_alarm' | 'ambiguous_gt' | 'skip'
export const VERDICT_KINDS: readonly VerdictKind[] = ['true_defect', 'false_alarm', 'ambiguous_gt', 'skip']

/** The protocol's headline metrics (METHOD.md); null where the test split cannot give one. */
export interface EvaluationMetrics {
  image_auroc: number | null
  pixel_auroc: number | null
  pixel_ap: number | null
  iap: number | null
  iap90: number | null
  /** IAP@90's operating point: the highest threshold that still detects 90% of the instances */
  iap90_threshold: number | null
  aupro: number | null
}

export interface EvaluationSummary extends EvaluationMetrics {
  id: number
  /** null for a model made outside a run */
  run_id: number | null
  category_id: number
  model_path: string
  created_at: string
  images: number
  instances: number
  ms_per_image: number | null
  /** where the anomaly maps of this evaluation are */
  maps_dir: string
}

/** One test image's result in an evaluation. */
export interface ImageResult {
  evaluation_id: number
  image_id: number
  score: number
  /** the anomaly map file */
  map_path: string
}

export interface ThresholdRecord {
  id: number
  category_id: number
  /** the evaluation it was set on, when it still exists */
  evaluation_id: number | null
  kind: ThresholdKind
  value: number
  note: string
  created_at: string
}

/** The latest threshold of each kind of a category. */
export interface CurrentThresholds {
  pixel: ThresholdRecord | null
  image: ThresholdRecord | null
}

export interface VerdictRecord {
  id: number
  evaluation_id: number
  image_id: number
  queue: ReviewQueue
  verdict: VerdictKind
  note: string
  created_at: string
}

export type VerdictCounts = Record<VerdictKind, number>
