/**
 * Plain-JSON types of report export (reports:export, `destseg report`): the report model gathered
 * from the store for one run or one category, the per-image rows of the CSV and JSON exports, and
 * the exported file as the API returns it.
 */
import type { ConfusionCounts } from '../review/thresholds'
import type { DatasetLayout } from './datasets'
import type { EvaluationThresholds } from './result-queries'
import type { EvaluationMetrics, ReviewQueue, ThresholdRecord, VerdictKind } from './results'
import type { RunStatus } from './runs'
import type { RunConfig } from './training'

export type ReportFormat = 'pdf' | 'html' | 'csv' | 'json'
export const REPORT_FORMATS: readonly ReportFormat[] = ['pdf', 'html', 'csv', 'json']

/** A run (its latest evaluation), or a category (its latest evaluation and the list of its runs). */
export type ReportTarget = { run_id: number } | { category_id: number }

/** reports:export */
export interface ReportExportRequest {
  target: ReportTarget
  format: ReportFormat
}

/** reports:export: the file, base64 (both transports carry JSON). */
export interface ReportFile {
  filename: string
  mime: string
  data_base64: string
}

/** One headline metric of the metrics table. */
export interface ReportMetric {
  key: keyof EvaluationMetrics
  label: string
  /** null where the test split cannot give it (one image class) */
  value: number | null
}

/** A run as the report shows it. */
export interface ReportRun {
  id: number
  name: string
  preset: string
  status: RunStatus
  /** the tfjs backend it trained on */
  backend: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  /** seconds of training over every session */
  train_seconds: number | null
  model_path: string | null
  run_dir: string
  config: RunConfig | null
}

/** A run of the category with its latest evaluation's metrics (category reports). */
export interface ReportRunRow {
  run: Pick<ReportRun, 'id' | 'name' | 'preset' | 'status' | 'backend' | 'created_at' | 'train_seconds'>
  evaluation_id: number | null
  metrics: EvaluationMetrics | null
}

export interface ReportEvaluation {
  id: number
  run_id: number | null
  created_at: string
  model_path: string
  images: number
  anomalous_images: number
  instances: number
  /** inference and metrics time per image, when measured */
  ms_per_image: number | null
  /** the IAP@k recall level (0.9) */
  k: number
  /** top-T map values averaged into the image score */
  top_t: number
  /** why the pixel metrics are null (no anomalous pixel among the masked images); null when computed */
  pixel_metrics_reason: string | null
}

/** The test images of one defect type. */
export interface ReportDefectCount {
  defect_type: string
  images: number
  masks: number
}

export interface ReportDataset {
  dataset_id: number
  dataset_name: string
  layout: DatasetLayout
  category_id: number
  category_name: string
  root: string
  train_good: number
  test_good: number
  test_anomalous: number
  masks: number
  /** the test images by defect type ('good' included), sorted by name */
  test_by_defect: ReportDefectCount[]
}

/** One test image of the evaluation: the rows of the CSV and JSON exports. */
export interface ReportImageRow {
  image_id: number
  path: string
  rel_path: string
  split: string
  defect_type: string
  /** the dataset's label: 0 good, 1 anomalous */
  label: 0 | 1
  has_mask: boolean
  score: number
  /** 1 when score >= the image threshold in force */
  predicted: 0 | 1
  /** 1 for the highest score, 2 for the next, ... (ties by image id) */
  rank: number
  /** the failure-review queues the image is in at the thresholds in force */
  queues: ReviewQueue[]
  /** the reviewer's verdict that counts (the latest given on the image in this evaluation), if any */
  verdict: VerdictKind | null
  verdict_note: string
}

/** Small PNG thumbnails of a failure case, base64 (no data: prefix). */
export interface ReportThumbnails {
  image: string
  /** the image with the anomaly map over it (jet, half opacity) */
  overlay: string
  /** the ground-truth mask (white on black); null for an image without one */
  truth: string | null
}

/** One failure case at the thresholds in force. */
export interface ReportCase {
  image_id: number
  rel_path: string
  defect_type: string
  label: 0 | 1
  score: number
  /** the image is wrong at the image threshold (not only by its regions) */
  image_error: boolean
  /** missed instances (false negatives) or predicted regions outside the ground truth (false positives) */
  regions: number
  verdict: VerdictKind | null
  verdict_note: string
  /** null when the files could not be read (then `thumbnail_error` says why) */
  thumbnails: ReportThumbnails | null
  thumbnail_error: string | null
}

export interface ReportQueue {
  queue: ReviewQueue
  /** every case in the queue at the thresholds in force */
  total: number
  /** how many of them have a verdict */
  judged: number
  verdicts: Record<VerdictKind, number>
  /** the first cases (the queue's order), at most ReportModel.case_limit */
  cases: ReportCase[]
}

/** A histogram of image scores, normal vs anomalous, on shared bins. */
export interface ReportHistogram {
  /** bin edges, bins + 1 values ascending */
  edges: number[]
  normal: number[]
  anomalous: number[]
}

export interface ReportCurves {
  /** instance recall vs pixel precision (IAP), threshold ascending */
  instance: { threshold: number[]; recall: number[]; precision: number[] }
  /** image-level ROC; null when all images have one label */
  image_roc: { fpr: number[]; tpr: number[] } | null
  /** pooled pixel ROC */
  pixel_roc: { fpr: number[]; tpr: number[] }
  /** the IAP@k operating point on the instance curve; null where the pixel metrics are null */
  operating_point: { threshold: number; recall: number; precision: number } | null
}

/** Everything a report shows; PDF and HTML are drawn from it, CSV and JSON hold its rows. */
export interface ReportModel {
  kind: 'run' | 'category'
  title: string
  generated_at: string
  app_version: string
  dataset: ReportDataset
  /** the run reported on (a run report), or the run of the category's latest evaluation */
  run: ReportRun | null
  evaluation: ReportEvaluation
  metrics: ReportMetric[]
  curves: ReportCurves
  histogram: ReportHistogram
  /** the thresholds in force (saved, else the evaluation's defaults) and every saved one, newest first */
  thresholds: { applied: EvaluationThresholds; history: ThresholdRecord[] }
  /** at the image threshold in force, over the protocol labels of the test images */
  confusion: ConfusionCounts & { precision: number; recall: number; f1: number }
  failure_cases: ReportQueue[]
  /** most cases shown per queue */
  case_limit: number
  /** category reports: the category's runs, newest first; [] in run reports */
  category_runs: ReportRunRow[]
  images: ReportImageRow[]
}
