/**
 * Plain-JSON types of the results channels (results:*): stored evaluations with their report and
 * the thresholds in force, one evaluation's test images with scores and predicted labels, and one
 * image's anomaly map.
 */
import type { ImageRow, Split } from './datasets'
import type { ImageResult, InstanceCurve, MetricsReport, RocCurve } from './metrics'
import type { EvaluationSummary, ThresholdKind, ThresholdRecord } from './results'

/** results:evaluations: of a category, of a run, or (neither given) every stored evaluation. */
export interface EvaluationListQuery {
  categoryId?: number
  runId?: number
}

/** An evaluation with the names the pickers show. */
export interface EvaluationListItem extends EvaluationSummary {
  dataset_id: number
  dataset_name: string
  category_name: string
  /** null for an evaluation of a model made outside a run */
  run_name: string | null
  run_preset: string | null
}

/** The stored report of an evaluation is the metrics module's MetricsReport; these name its parts. */
export type EvaluationReport = MetricsReport
export type RocCurveData = RocCurve
export type InstanceCurveData = InstanceCurve
/** One test image in the stored report (label from the resized mask, score = mean of the top-T map values). */
export type ReportImageScore = ImageResult

/** 'saved': the category's latest saved threshold of the kind; 'default': none saved, so `rule` applies. */
export type ThresholdSource = 'saved' | 'default'

/** The threshold a view of an evaluation uses (predict anomalous at value >= threshold). */
export interface AppliedThreshold {
  kind: ThresholdKind
  value: number
  source: ThresholdSource
  /** the saved record when source is 'saved' */
  record: ThresholdRecord | null
  /** how the value was chosen, in words */
  rule: string
}

export interface EvaluationThresholds {
  /** on map values: a pixel is predicted anomalous at map >= value */
  pixel: AppliedThreshold
  /** on image scores: an image is predicted anomalous at score >= value */
  image: AppliedThreshold
}

/** results:evaluation: the summary, the stored report (curves, per-image scores) and the thresholds in force. */
export interface EvaluationDetail {
  evaluation: EvaluationListItem
  report: EvaluationReport
  thresholds: EvaluationThresholds
  /** the defect types among the evaluated images, 'good' included, sorted */
  defect_types: string[]
}

export type ResultSort = 'score_desc' | 'score_asc'
export const RESULT_SORTS: readonly ResultSort[] = ['score_desc', 'score_asc']

/** results:images: one evaluation's test images, filtered and paged. */
export interface ResultImageQuery {
  evaluationId: number
  split?: Split
  defectType?: string
  /** the true label (the dataset's: 0 good, 1 anomalous) */
  label?: 0 | 1
  /** the predicted label at the image threshold in force (EvaluationThresholds.image) */
  predicted?: 0 | 1
  /** default 'score_desc' */
  sort?: ResultSort
  offset?: number
  /** default 100, at most 1000 */
  limit?: number
}

/** A test image (as datasets:images gives it; thumbnails via imageUrl(id, 'thumb')) with its result. */
export interface ResultImageRow extends ImageRow {
  score: number
  /** score >= the image threshold in force */
  predicted: 0 | 1
  /** 1 for the highest score of the evaluation, 2 for the next, ... (ties by image id) */
  rank: number
}

export interface ResultImagePage {
  /** images matching the filters */
  total: number
  offset: number
  images: ResultImageRow[]
  /** the image threshold `predicted` was computed with */
  image_threshold: number
}

/** results:map: one image's anomaly map at the model's output size (square), row-major. */
export interface ResultMap {
  evaluation_id: number
  image_id: number
  /** side of the map: size x size values */
  size: number
  data: number[]
}
