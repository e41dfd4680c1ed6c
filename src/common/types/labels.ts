/**
 * Plain-JSON types of the labels channels (labels:*): an image's current label and mask with the
 * mask's version history, relabelling, mask edits, review feedback and the MVTec AD export.
 */
import type { MaskBBox, Split } from './datasets'

/**
 * A binary mask, run-length encoded (COCO style): `counts` are the lengths of alternating runs of
 * 0 and 1 pixels in row-major order, starting with 0 (a leading 0 when the first pixel is 1);
 * they add up to width * height.
 */
export interface MaskRle {
  width: number
  height: number
  counts: number[]
}

/** Why an image has the label it has: as imported, or a change in the workstation. */
export type LabelSource = 'import' | 'relabel' | 'false_alarm' | 'true_defect'

/** One version of an image's mask. Version 0 is the imported one (or none). */
export interface MaskVersion {
  version: number
  created_at: string
  note: string
  /** the PNG file (the app's label folder for edits, the user's file for version 0); null: no mask */
  path: string | null
  positive_pixels: number
  bbox: MaskBBox | null
  /** the version a restore copied, else null */
  restored_from: number | null
}

export interface LabelPlacement {
  split: Split
  /** 'good' or a defect type */
  defect_type: string
  /** 0 good, 1 anomalous */
  label: 0 | 1
}

/** labels:get: an image's current label and mask, what it was imported as, and the mask's history. */
export interface ImageLabel extends LabelPlacement {
  image_id: number
  dataset_id: number
  category_id: number
  width: number
  height: number
  source: LabelSource
  /** when the label last changed in the workstation; null: as imported */
  changed_at: string | null
  note: string
  imported: LabelPlacement
  /** the current mask version; its path is null for an image without a mask */
  mask: MaskVersion
  /** every version, oldest first (version 0, the imported state, included) */
  versions: MaskVersion[]
  /** the category's defect types: the imported ones and those created by hand, sorted */
  defect_types: string[]
  /** the category's labels revision (raised by every label or mask change) */
  revision: number
}

export interface RelabelRequest {
  imageId: number
  /** 'good' or a defect type (a new one is created for the category) */
  defectType: string
  /** 'train' or 'test'; default: the current split for good, 'test' for a defect (never 'train') */
  split?: Split
  note?: string
}

export interface MaskSaveRequest {
  imageId: number
  /** the image's size; an all-zero mask is stored as an empty mask; null: no mask (an image-level label) */
  mask: MaskRle | null
  note?: string
}

export interface MaskRestoreRequest {
  imageId: number
  /** 0 restores the imported mask (or none) */
  version: number
  note?: string
}

export interface DefectTypeRequest {
  categoryId: number
  name: string
}

export type FeedbackVerdict = 'false_alarm' | 'true_defect'

/**
 * labels:feedback, from failure review: a false alarm goes to the category's normal training set
 * for the next run; a true defect goes to the test set as `defectType` (default: the image's
 * defect type when it has one, else 'defect'), to be given a mask in the editor.
 */
export interface FeedbackRequest {
  imageId: number
  verdict: FeedbackVerdict
  defectType?: string
  note?: string
}

/** labels:status: has a category's labelling changed since an evaluation was computed? */
export interface LabelsStatus {
  category_id: number
  revision: number
  changed_at: string | null
  evaluation_id: number | null
  /** the labels revision the evaluation was computed against (0: before any change) */
  evaluation_revision: number | null
  /** label and mask changes since the evaluation */
  changes_since: number
  changed: boolean
}

export interface LabelExportRequest {
  datasetId: number
  /** only this category; default every category of the dataset */
  categoryId?: number
  /** the folder to write (created; must be empty or absent; never the dataset's own folder) */
  folder: string
  /** as in ImportRequest: the id of the job that runs the export */
  jobId?: string
}

export interface LabelExportCounts {
  name: string
  train_good: number
  test_good: number
  test_anomalous: number
  masks: number
  defect_types: string[]
}

export interface LabelExportOutcome {
  folder: string
  categories: LabelExportCounts[]
  images: number
  masks: number
  message: string
}

/** labels:reevaluate: a stored evaluation's maps scored again against the current labels, as a new evaluation. */
export interface LabelReevaluation {
  evaluation_id: number
  from_evaluation_id: number
  /** current test images scored */
  images: number
  /** current test images without a map in the evaluation */
  skipped: number
  labels_revision: number
  message: string
}
