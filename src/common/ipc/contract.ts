/**
 * The one API between the renderer and main. The preload bridge and the loopback HTTP server
 * both serve exactly these channels and events; the renderer does not know which one it uses.
 */
import type { AppInfo } from '../types/app'
import type {
  DatasetSummary,
  ImageDetail,
  ImagePage,
  ImageQuery,
  ImageVariant,
  ImportOutcome,
  ImportRequest,
  RescanOutcome,
  TextureImportOutcome,
  TextureSourceSummary
} from '../types/datasets'
import type {
  InspectionCreateRequest,
  InspectionMap,
  InspectionResultPage,
  InspectionResultQuery,
  InspectionSummary
} from '../types/inspections'
import type { JobProgress, JobState } from '../types/jobs'
import type { ReportExportRequest, ReportFile } from '../types/reports'
import type {
  DefectTypeRequest,
  FeedbackRequest,
  ImageLabel,
  LabelExportOutcome,
  LabelExportRequest,
  LabelReevaluation,
  LabelsStatus,
  MaskRestoreRequest,
  MaskRle,
  MaskSaveRequest,
  RelabelRequest
} from '../types/labels'
import type { RunBackend, RunCreateRequest, RunPresets, RunProgressEvent, RunSummary } from '../types/runs'
import type {
  EvaluationDetail,
  EvaluationListItem,
  EvaluationListQuery,
  ResultImagePage,
  ResultImageQuery,
  ResultMap
} from '../types/result-queries'
import type { ThresholdRecord, VerdictRecord } from '../types/results'
import type {
  ReviewCounts,
  ReviewQueueRequest,
  ReviewQueueView,
  ThresholdSaveRequest,
  ThresholdsQuery,
  ThresholdsView,
  VerdictRequest
} from '../types/review'
import type { TrainProgress } from '../types/training'

/** Every call: channel `domain:verb` -> (arguments) => result. */
export interface ApiCalls {
  'app:info': () => AppInfo
  /** Native folder dialog; resolves null when cancelled or where no dialog exists. */
  'app:pickFolder': () => string | null
  'datasets:list': () => DatasetSummary[]
  'datasets:get': (datasetId: number) => DatasetSummary
  'datasets:import': (request: ImportRequest) => ImportOutcome
  /** `jobId`: as in ImportRequest, the id for the job that runs the re-scan. */
  'datasets:rescan': (datasetId: number, jobId?: string) => RescanOutcome
  'datasets:remove': (datasetId: number) => void
  'datasets:images': (query: ImageQuery) => ImagePage
  'datasets:image': (imageId: number) => ImageDetail
  'textures:list': () => TextureSourceSummary[]
  'textures:import': (request: ImportRequest) => TextureImportOutcome
  'textures:remove': (textureSourceId: number) => void
  'jobs:cancel': (jobId: string) => boolean
  /** Training runs, newest first; of one category when given. */
  'runs:list': (categoryId?: number) => RunSummary[]
  'runs:get': (runId: number) => RunSummary
  /** Queues a run; it starts when the runs before it have finished (runs:onState follows it). */
  'runs:create': (request: RunCreateRequest) => RunSummary
  /** A queued run leaves the queue; a training one checkpoints, then becomes cancelled (runs:onState). */
  'runs:cancel': (runId: number) => RunSummary
  /** Queues a cancelled or failed run again; it continues from its last checkpoint. */
  'runs:resume': (runId: number) => RunSummary
  /** Deletes a run that is not running, with its folder and results. */
  'runs:remove': (runId: number) => void
  /** Preset values and a line about each hyperparameter with the method's default, for the form. */
  'runs:presets': () => RunPresets
  /** The backend training will use (or the running run uses); `preferred` as RunConfig.backend. */
  'runs:backend': (preferred?: string | null) => RunBackend
  /** Every step's progress of a run so far (evenly thinned past 2000 steps), for its loss curves. */
  'runs:history': (runId: number) => TrainProgress[]
  /**
   * Runs a category's model (its latest done run with an exported model, or `runId`) on a folder of
   * new images as a job (jobs:onProgress, jobs:cancel with `jobId`); resolves with the done inspection.
   * Pass/fail uses the category's saved thresholds (defaults of its evaluation where none is saved).
   */
  'inspections:create': (request: InspectionCreateRequest) => InspectionSummary
  /** Inspections, newest first; of one category when given. */
  'inspections:list': (categoryId?: number) => InspectionSummary[]
  'inspections:get': (inspectionId: number) => InspectionSummary
  /** A page of an inspection's results by score, optionally only passed or failed images. */
  'inspections:results': (query: InspectionResultQuery) => InspectionResultPage
  /** One result's anomaly map (images: imageUrl(resultId, 'inspection_thumb' | 'inspection_full')). */
  'inspections:map': (resultId: number) => InspectionMap
  /** Deletes an inspection that is not running, with its results and maps. */
  'inspections:remove': (inspectionId: number) => void
  /** Stored evaluations, newest first: of a category and/or a run when given, else all. */
  'results:evaluations': (query?: EvaluationListQuery) => EvaluationListItem[]
  /** One evaluation: summary, stored report (curves, per-image scores), thresholds in force (saved or default). */
  'results:evaluation': (evaluationId: number) => EvaluationDetail
  /** One evaluation's test images with score and predicted label, filtered, sorted by score, paged. */
  'results:images': (query: ResultImageQuery) => ResultImagePage
  /** One image's anomaly map at the model's output size (the renderer upsamples it). */
  'results:map': (evaluationId: number, imageId: number) => ResultMap
  /**
   * A category's thresholds against one of its evaluations (the newest when left out; the newest of
   * any category when both are left out): saved and default values, history, IAP curve, image scores.
   */
  'thresholds:get': (query?: ThresholdsQuery) => ThresholdsView
  /** Saves a threshold (a new history row, now the category's current one of its kind). */
  'thresholds:save': (request: ThresholdSaveRequest) => ThresholdRecord
  /** An evaluation's false-negative or false-positive queue at the thresholds in effect, with verdicts. */
  'review:queue': (request: ReviewQueueRequest) => ReviewQueueView
  /** Stores a verdict on a failure case; the latest per image and queue counts. */
  'review:verdict': (request: VerdictRequest) => VerdictRecord
  /** Each queue's size, how many of its cases are judged, and the counting verdicts of each kind. */
  'review:counts': (evaluationId: number) => ReviewCounts
  /** A run's or a category's report (PDF, self-contained HTML, per-image CSV or JSON), base64. */
  'reports:export': (request: ReportExportRequest) => ReportFile
  /** An image's current label and mask (edits win over the import) with the mask's version history. */
  'labels:get': (imageId: number) => ImageLabel
  /** A version of an image's mask (default the current one), run-length encoded; null without a mask. */
  'labels:mask': (imageId: number, version?: number) => MaskRle | null
  /** Moves an image between good and a defect type (new types are created) and between train and test. */
  'labels:relabel': (request: RelabelRequest) => ImageLabel
  /** Saves a new mask version (a PNG in the app's label folder; null: no mask, an image-level label). */
  'labels:saveMask': (request: MaskSaveRequest) => ImageLabel
  /** Makes an older mask version current again, as a new version. */
  'labels:restoreMask': (request: MaskRestoreRequest) => ImageLabel
  /** A category's defect types: imported and created by hand. */
  'labels:defectTypes': (categoryId: number) => string[]
  'labels:addDefectType': (request: DefectTypeRequest) => string[]
  /** Failure review's feedback: a false alarm joins the normal training set, a true defect the test set. */
  'labels:feedback': (request: FeedbackRequest) => ImageLabel
  /** Whether a category's labels changed since an evaluation (the newest of the category when left out). */
  'labels:status': (categoryId: number, evaluationId?: number) => LabelsStatus
  /** Writes a dataset in MVTec AD layout with the current labels and masks, as a job (jobs:onProgress). */
  'labels:export': (request: LabelExportRequest) => LabelExportOutcome
  /** Scores an evaluation's maps again against the current labels; the new evaluation becomes the newest. */
  'labels:reevaluate': (evaluationId: number) => LabelReevaluation
}

/** Every event: `domain:onEvent` -> payload. */
export interface ApiEvents {
  'jobs:onProgress': JobProgress
  'jobs:onState': JobState
  /** after every training step of the run in progress */
  'runs:onProgress': RunProgressEvent
  /** a run was created or changed status (or stage, backend, model) */
  'runs:onState': RunSummary
}

export type ApiChannel = keyof ApiCalls
export type ApiEvent = keyof ApiEvents
export type ApiArgs<C extends ApiChannel> = Parameters<ApiCalls[C]>
export type ApiResult<C extends ApiChannel> = Awaited<ReturnType<ApiCalls[C]>>

/** Runtime list of the channels, checked by the preload, the IPC registry and the HTTP server. */
export const API_CHANNELS = [
  'app:info',
  'app:pickFolder',
  'datasets:list',
  'datasets:get',
  'datasets:import',
  'datasets:rescan',
  'datasets:remove',
  'datasets:images',
  'datasets:image',
  'textures:list',
  'textures:import',
  'textures:remove',
  'jobs:cancel',
  'runs:list',
  'runs:get',
  'runs:create',
  'runs:cancel',
  'runs:resume',
  'runs:remove',
  'runs:presets',
  'runs:backend',
  'runs:history',
  'inspections:create',
  'inspections:list',
  'inspections:get',
  'inspections:results',
  'inspections:map',
  'inspections:remove',
  'results:evaluations',
  'results:evaluation',
  'results:images',
  'results:map',
  'thresholds:get',
  'thresholds:save',
  'review:queue',
  'review:verdict',
  'review:counts',
  'reports:export',
  'labels:get',
  'labels:mask',
  'labels:relabel',
  'labels:saveMask',
  'labels:restoreMask',
  'labels:defectTypes',
  'labels:addDefectType',
  'labels:feedback',
  'labels:status',
  'labels:export',
  'labels:reevaluate'
] as const satisfies readonly ApiChannel[]

export const API_EVENTS = ['jobs:onProgress', 'jobs:onState', 'runs:onProgress', 'runs:onState'] as const satisfies readonly ApiEvent[]

// Compile-time check that API_CHANNELS and API_EVENTS list every channel and event.
type Missing = Exclude<ApiChannel, (typeof API_CHANNELS)[number]>
const _allChannelsListed: Missing extends never ? true : Missing = true
void _allChannelsListed
type MissingEvent = Exclude<ApiEvent, (typeof API_EVENTS)[number]>
const _allEventsListed: MissingEvent extends never ? true : MissingEvent = true
void _allEventsListed

export function isApiChannel(value: unknown): value is ApiChannel {
  return typeof value === 'string' && (API_CHANNELS as readonly string[]).includes(value)
}

export function isApiEvent(value: unknown): value is ApiEvent {
  return typeof value === 'string' && (API_EVENTS as readonly string[]).includes(value)
}

/** Main implements every call once; transports dispatch to it. */
export type ApiHandlers = { [C in ApiChannel]: (...args: ApiArgs<C>) => Promise<ApiResult<C>> | ApiResult<C> }

/** What the renderer sees, from either transport. */
export interface DesktopApi {
  invoke<C extends ApiChannel>(channel: C, ...args: ApiArgs<C>): Promise<ApiResult<C>>
  /** Subscribe to an event; returns the unsubscribe function. */
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
  /** A URL the renderer can put in <img src>. */
  imageUrl(imageId: number, variant: ImageVariant): string
}
