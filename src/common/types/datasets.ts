/** Plain-JSON types shared by main, preload and renderer for datasets and textures. */

export type Split = 'train' | 'test'
export type DatasetLayout = 'mvtec' | 'plain'

/** Counts of one category, as printed by `destseg import --json`. */
export interface CategoryCounts {
  name: string
  train_good: number
  test_good: number
  test_anomalous: number
  masks: number
  defect_types: string[]
}

export interface CategorySummary extends CategoryCounts {
  id: number
  /** images per split and defect type, e.g. { "test/blowhole": 115 } */
  by_split_defect: Record<string, number>
}

export interface DatasetSummary {
  id: number
  name: string
  root: string
  layout: DatasetLayout
  created_at: string
  scanned_at: string
  categories: CategorySummary[]
}

export interface Rejection {
  path: string
  reason: string
}

export interface ImportRequest {
  folder: string
  name?: string
  /** Import the readable files even when some are rejected (default: all or nothing). */
  skipRejected?: boolean
  /**
   * Id for the job that runs the import (at most 100 characters), chosen by the caller so that it can
   * follow that job's progress and cancel it; a fresh one when left out. Must not be running already.
   */
  jobId?: string
}

export interface ImportOutcome {
  /** null when nothing was imported */
  dataset_id: number | null
  categories: CategoryCounts[]
  rejected: Rejection[]
  /** set when the folder is already imported: the caller may offer a re-scan instead */
  existing_dataset_id?: number
  /**
   * Anomalous test images without a ground-truth mask ("no mask": labelled anomalous by their defect
   * folder only; they count for the image metrics, not the pixel metrics), over all categories, and
   * per category name (categories with none left out). Set whenever the folder was scanned.
   */
  anomalous_without_mask?: number
  anomalous_without_mask_by_category?: Record<string, number>
  message: string
}

export interface RescanOutcome {
  dataset_id: number
  added: number
  removed: number
  changed: number
  rejected: Rejection[]
  categories: CategoryCounts[]
  message: string
}

export interface ImageQuery {
  datasetId: number
  categoryId?: number
  split?: Split
  defectType?: string
  offset?: number
  limit?: number
}

export interface ImageRow {
  id: number
  dataset_id: number
  category_id: number
  path: string
  rel_path: string
  split: Split
  defect_type: string
  /** 0 = good, 1 = anomalous */
  label: 0 | 1
  width: number
  height: number
  has_mask: boolean
}

export interface ImagePage {
  total: number
  offset: number
  images: ImageRow[]
}

/** [x, y, width, height] in pixels */
export type MaskBBox = [x: number, y: number, width: number, height: number]

export interface ImageDetail extends ImageRow {
  channels: number
  content_hash: string
  mask_path: string | null
  /** positive pixels of the mask at its own size */
  mask_pixels: number | null
  /**
   * Bounding box of the mask's positive pixels, [x, y, width, height] in mask pixels (the mask has its
   * image's size); null when the image has no mask or the mask is empty.
   */
  mask_bbox: MaskBBox | null
  /** ids of the previous and next image in the same category ordering, for keyboard navigation */
  prev_id: number | null
  next_id: number | null
}

export interface TextureSourceSummary {
  id: number
  name: string
  root: string
  images: number
  classes: string[]
  created_at: string
}

export interface TextureImportOutcome {
  texture_source_id: number | null
  images: number
  classes: string[]
  rejected: Rejection[]
  existing_texture_source_id?: number
  message: string
}

/**
 * What the image URL serves: a cached thumbnail, the image as PNG/JPEG, or the mask as a red RGBA overlay.
 * The inspection_ variants serve the image of an inspection result (the id is the result's): images of
 * inspected folders are not dataset images.
 */
export type ImageVariant = 'thumb' | 'full' | 'mask' | 'inspection_thumb' | 'inspection_full'
