/** Plain-JSON types of inspections: a trained category's model run on a folder of new, unlabelled images. */

/** running -> done | cancelled | failed; only a done inspection has results. */
export type InspectionStatus = 'running' | 'done' | 'cancelled' | 'failed'
export const INSPECTION_STATUSES: readonly InspectionStatus[] = ['running', 'done', 'cancelled', 'failed']

export interface InspectionCreateRequest {
  categoryId: number
  /** the folder of images (searched recursively) */
  folder: string
  /** the run whose model is used; default: the category's latest done run with an exported model */
  runId?: number
  /** the caller's id for the job (to follow and cancel it before its first event) */
  jobId?: string
}

export interface InspectionSummary {
  id: number
  category_id: number
  category_name: string
  dataset_id: number
  dataset_name: string
  /** null once the run was deleted (the results stay) */
  run_id: number | null
  run_name: string | null
  model_path: string
  folder: string
  created_at: string
  finished_at: string | null
  status: InspectionStatus
  error: string | null
  /** the thresholds the verdicts were made with */
  pixel_threshold: number
  image_threshold: number
  /** where the thresholds came from */
  threshold_note: string
  /** images inspected (0 until done) */
  images: number
  passed: number
  failed: number
  ms_per_image: number | null
  /** the job that runs it (only while running in this session) */
  job_id: string | null
}

/** One image's result. */
export interface InspectionResult {
  /** the result id: also the image id of the 'inspection_thumb' / 'inspection_full' image variants */
  id: number
  inspection_id: number
  /** absolute path of the image */
  path: string
  /** the path below the inspected folder */
  rel_path: string
  width: number
  height: number
  /** image score: mean of the top T values of the 256x256 map */
  score: number
  /** score under the image threshold */
  pass: boolean
  /** share of the 256x256 map at or over the pixel threshold */
  defect_fraction: number
}

export type InspectionVerdictFilter = 'pass' | 'fail'

export interface InspectionResultQuery {
  inspectionId: number
  /** only passed or only failed images */
  verdict?: InspectionVerdictFilter
  /** by score; default 'desc' (most anomalous first) */
  order?: 'asc' | 'desc'
  offset?: number
  limit?: number
}

export interface InspectionResultPage {
  /** results matching the filter */
  total: number
  offset: number
  results: InspectionResult[]
}

/** inspections:map: one image's anomaly map at the model's output size (square, S/4), row-major; like results:map. */
export interface InspectionMap {
  inspection_id: number
  result_id: number
  /** side of the map: size x size values in [0, 1] */
  size: number
  data: number[]
  /** the pixel threshold the inspection used (predicted region: map >= it) */
  pixel_threshold: number
}
