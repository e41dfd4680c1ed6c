/** The shapes the metrics module takes and returns (plain JSON-able data, no classes); a stored evaluation keeps its MetricsReport. */

/** Side of the square maps and masks every metric is computed on (the evaluation protocol's 256x256). */
export const EVAL_SIZE = 256
/** Pixels per map or mask: EVAL_SIZE * EVAL_SIZE. */
export const EVAL_PIXELS = EVAL_SIZE * EVAL_SIZE

/** One test image, already brought to the protocol's resolution. */
export interface EvalSample {
  /** where the image came from (for messages and per-image output) */
  path: string
  /** the test folder it sits in: 'good' or a defect name */
  defect: string
  /** [256*256] row-major, 0 or 1: the resized, binarised ground truth; null for a normal image (all 0) */
  gt: Uint8Array | null
  /** [256*256] row-major anomaly scores (any finite float32) */
  map: Float32Array
  /**
   * The label by folder (1 for a defect folder, 0 for good). It is the image's label where it has no
   * mask (gt null); where it has one, the mask decides (the protocol) and a disagreement is a warning.
   * Left out: 0 (a sample without mask is normal, the protocol's reading).
   */
  folderLabel?: 0 | 1
}

export interface EvalOptions {
  /** recall level of the IAP@k operating point, in (0, 1]; default 0.9 */
  k?: number
  /** number of top map values averaged into the image score, 1..65536; default 100 */
  topT?: number
  /** most points kept per curve in the report; default 500 */
  maxCurvePoints?: number
}

/** A receiver-operating curve, columns of equal length; threshold descending, fpr and tpr ascending. */
export interface RocCurve {
  fpr: number[]
  tpr: number[]
  /** a point is (fpr, tpr) when predicting anomalous at score >= threshold */
  threshold: number[]
}

/** The instance recall / precision curve of IAP, columns of equal length, one point per instance (thinned). */
export interface InstanceCurve {
  /** ascending: the instance scores s_i */
  threshold: number[]
  /** 1 - (i-1)/N, descending */
  recall: number[]
  /** pixel precision at the threshold, made non-decreasing in the threshold (what IAP averages) */
  precision: number[]
}

/** Per-image outcome, in input order. */
export interface ImageResult {
  path: string
  defect: string
  /** 1 when the resized ground truth has any positive pixel */
  label: 0 | 1
  /** mean of the top-T map values */
  score: number
  /**
   * whether a ground-truth mask came with the image (normal images need none); an anomalous image
   * without one counts for the image metrics only. Absent in reports stored before this field.
   */
  has_mask?: boolean
}

/** The metrics of a report, each with the number of test images it was computed on. */
export type MetricName = 'image_auroc' | 'pixel_auroc' | 'pixel_ap' | 'iap' | 'iap90' | 'aupro'
export const METRIC_NAMES: readonly MetricName[] = ['image_auroc', 'pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'aupro']

/** Something in the test split worth a look, found while evaluating (the metrics are computed anyway). */
export interface EvalWarning {
  path: string
  /** 'empty_mask': a defect-folder image whose mask has no positive pixel at 256x256 (the mask's label, 0, is used);
   *  'mask_on_good': a good-folder image whose mask has positive pixels (the mask's label, 1, is used) */
  kind: 'empty_mask' | 'mask_on_good'
  message: string
}

/**
 * The pixel metrics (pixel AUROC, pixel AP, IAP, IAP@k and AUPRO) are computed on the images with a
 * mask plus the normal images; anomalous images without a mask (image-level labels only) count for
 * image AUROC alone. Where that leaves no anomalous pixel, the pixel metrics are null and
 * pixel_metrics_reason says why.
 */
export interface MetricsReport {
  /** AUROC of the image scores against the image labels; null when all images have one label */
  image_auroc: number | null
  /** AUROC over every pixel of the pixel-metric images, pooled; null: see pixel_metrics_reason */
  pixel_auroc: number | null
  /** step-wise average precision over those pixels, pooled (sklearn's average_precision_score) */
  pixel_ap: number | null
  /** instance average precision: mean of the running-max precisions at the instance scores */
  iap: number | null
  /** precision at the highest instance threshold whose recall is still >= k */
  iap90: number | null
  /** the score threshold of that operating point (predict anomalous at map >= threshold) */
  iap90_threshold: number | null
  /** the recall level used for iap90 */
  k: number
  /** area under the per-region-overlap curve up to FPR 0.3, divided by 0.3 */
  aupro: number | null
  /** why the pixel metrics are null; null when they were computed */
  pixel_metrics_reason: string | null
  /** test images each metric was computed on (0 for a null pixel metric) */
  images_per_metric: Record<MetricName, number>
  /** anomalous images without a ground-truth mask (image metrics only) */
  unmasked_images: number
  /** mask/folder disagreements, by path */
  warnings: EvalWarning[]
  /** number of test images */
  images: number
  /** number of ground-truth instances (8-connected components) */
  instances: number
  /** images with label 1 */
  anomalous_images: number
  /** pooled pixel counts */
  positive_pixels: number
  negative_pixels: number
  top_t: number
  /** pixel_roc and instance are empty (no points) when the pixel metrics are null */
  curves: {
    pixel_roc: RocCurve
    image_roc: RocCurve | null
    instance: InstanceCurve
  }
  per_image: ImageResult[]
}
