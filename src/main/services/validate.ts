/** Argument checks at the process boundary: renderer and HTTP input is untrusted. */
import { UserError } from '../../common/ipc/errors'
import type { ImageQuery, ImageVariant, ImportRequest, Split } from '../../common/types/datasets'
import type {
  DefectTypeRequest,
  FeedbackRequest,
  FeedbackVerdict,
  LabelExportRequest,
  MaskRestoreRequest,
  MaskRle,
  MaskSaveRequest,
  RelabelRequest
} from '../../common/types/labels'
import type { InspectionCreateRequest, InspectionResultQuery, InspectionVerdictFilter } from '../../common/types/inspections'
import type { HyperparameterKey, RunCreateRequest } from '../../common/types/runs'
import { REVIEW_QUEUES, THRESHOLD_KINDS, VERDICT_KINDS } from '../../common/types/results'
import { REPORT_FORMATS, type ReportExportRequest } from '../../common/types/reports'
import type { ReviewQueueRequest, ThresholdSaveRequest, ThresholdsQuery, VerdictRequest } from '../../common/types/review'
import { RESULT_SORTS, type EvaluationListQuery, type ResultImageQuery, type ResultSort } from '../../common/types/result-queries'
import type { NormalAugmentation, OpacityMode, PresetName, TeacherSource, TextureColour } from '../../common/types/training'
import { NORMAL_AUGMENTATIONS, OPACITY_MODES, TEXTURE_COLOURS } from '../engine/synthesis/anomaly-synthesizer'
import { PRESET_NAMES } from '../engine/trainer/presets'
import { HYPERPARAMETERS } from '../runs/hyperparameters'

function fail(what: string): never {
  throw new UserError(`Invalid argument: ${what}`, 'invalid-argument')
}

export function asId(value: unknown, what = 'id'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail(`${what} must be a positive integer`)
  return value
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value !== 'string') fail(`${what} must be a string`)
  return value
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function asImportRequest(value: unknown): ImportRequest {
  if (!isRecord(value)) fail('import request must be an object')
  const folder = optionalString(value.folder, 'folder')
  if (!folder) fail('folder is required')
  return {
    folder,
    name: optionalString(value.name, 'name'),
    skipRejected: value.skipRejected === true,
    jobId: asOptionalJobId(value.jobId)
  }
}

const SPLITS: readonly Split[] = ['train', 'test']
const VARIANTS: readonly ImageVariant[] = ['thumb', 'full', 'mask', 'inspection_thumb', 'inspection_full']

export function asImageQuery(value: unknown): ImageQuery {
  if (!isRecord(value)) fail('image query must be an object')
  const split = optionalString(value.split, 'split')
  if (split !== undefined && !SPLITS.includes(split as Split)) fail(`split must be one of ${SPLITS.join(', ')}`)
  const count = (v: unknown, what: string): number | undefined =>
    v === undefined ? undefined : Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(`${what} must be a non-negative integer`)
  return {
    datasetId: asId(value.datasetId, 'datasetId'),
    categoryId: value.categoryId === undefined ? undefined : asId(value.categoryId, 'categoryId'),
    split: split as Split | undefined,
    defectType: optionalString(value.defectType, 'defectType'),
    offset: count(value.offset, 'offset'),
    limit: count(value.limit, 'limit')
  }
}

export function asVariant(value: unknown): ImageVariant {
  if (!VARIANTS.includes(value as ImageVariant)) fail(`variant must be one of ${VARIANTS.join(', ')}`)
  return value as ImageVariant
}

const MAX_JOB_ID = 100

export function asJobId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_JOB_ID) {
    fail(`jobId must be a non-empty string of at most ${MAX_JOB_ID} characters`)
  }
  return value
}

/** A caller-chosen job id, or undefined when left out (null and '' count as left out). */
export function asOptionalJobId(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : asJobId(value)
}

/** An optional id: undefined when left out (null counts as left out). */
export function asOptionalId(value: unknown, what = 'id'): number | undefined {
  return value === undefined || value === null ? undefined : asId(value, what)
}

const PRESETS: readonly PresetName[] = PRESET_NAMES
const OPACITIES: readonly OpacityMode[] = OPACITY_MODES
const AUGMENTATIONS: readonly NormalAugmentation[] = NORMAL_AUGMENTATIONS
/** The hyperparameters that are numbers (the others are choices). */
const NUMERIC_KEYS: readonly HyperparameterKey[] = HYPERPARAMETERS.filter((h) => h.kind !== 'choice').map((h) => h.key)
const MAX_NAME = 200

/** A preferred backend name (RunConfig.backend): undefined/null/'' for the best one. */
export function asOptionalBackend(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null
  if (typeof value !== 'string' || value.length > 40) fail('backend must be a backend name')
  return value
}

function asTeacher(value: unknown): TeacherSource {
  if (!isRecord(value)) fail('teacher must be an object')
  switch (value.kind) {
    case 'npy':
      return value.dir === undefined ? { kind: 'npy' } : { kind: 'npy', dir: optionalString(value.dir, 'teacher.dir') ?? fail('teacher.dir is empty') }
    case 'torchvision':
      return { kind: 'torchvision', path: optionalString(value.path, 'teacher.path') ?? fail('teacher.path is required') }
    case 'random':
      if (!Number.isSafeInteger(value.seed)) fail('teacher.seed must be an integer')
      return { kind: 'random', seed: value.seed as number }
    default:
      return fail("teacher.kind must be 'npy', 'torchvision' or 'random'")
  }
}

/**
 * A run request: known keys only, each of the right type. Ranges (size a multiple of 32, ...) are
 * checked when the configuration is made (validateRunConfig), with a message naming the field.
 */
export function asRunCreateRequest(value: unknown): RunCreateRequest {
  if (!isRecord(value)) fail('run request must be an object')
  const name = optionalString(value.name, 'name')
  if (name !== undefined && name.length > MAX_NAME) fail(`name must be at most ${MAX_NAME} characters`)
  const preset = optionalString(value.preset, 'preset')
  if (preset !== undefined && !PRESETS.includes(preset as PresetName)) fail(`preset must be one of ${PRESETS.join(', ')}`)
  const request: RunCreateRequest = {
    categoryId: asId(value.categoryId, 'categoryId'),
    name,
    preset: preset as PresetName | undefined,
    textureSourceId: asOptionalId(value.textureSourceId, 'textureSourceId')
  }
  if (value.config === undefined || value.config === null) return request
  if (!isRecord(value.config)) fail('config must be an object')
  const config: NonNullable<RunCreateRequest['config']> = {}
  for (const [key, v] of Object.entries(value.config)) {
    if (v === undefined) continue
    if ((NUMERIC_KEYS as readonly string[]).includes(key)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) fail(`config.${key} must be a number`)
      ;(config as Record<string, number>)[key] = v
    } else if (key === 'opacity') {
      if (!OPACITIES.includes(v as OpacityMode)) fail(`config.opacity must be one of ${OPACITIES.join(', ')}`)
      config.opacity = v as OpacityMode
    } else if (key === 'augmentation') {
      if (!AUGMENTATIONS.includes(v as NormalAugmentation)) fail(`config.augmentation must be one of ${AUGMENTATIONS.join(', ')}`)
      config.augmentation = v as NormalAugmentation
    } else if (key === 'texture_colour') {
      if (!TEXTURE_COLOURS.includes(v as TextureColour)) fail(`config.texture_colour must be one of ${TEXTURE_COLOURS.join(', ')}`)
      config.texture_colour = v as TextureColour
    } else if (key === 'backend') {
      config.backend = asOptionalBackend(v)
    } else if (key === 'teacher') {
      config.teacher = asTeacher(v)
    } else {
      fail(`config.${key} is not a setting of a run`)
    }
  }
  return { ...request, config }
}

// ---- results:* ----

function optionalLabel(value: unknown, what: string): 0 | 1 | undefined {
  if (value === undefined || value === null) return undefined
  if (value !== 0 && value !== 1) fail(`${what} must be 0 or 1`)
  return value
}

function optionalCount(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`${what} must be a non-negative integer`)
  return value as number
}

/** results:evaluations: categoryId and runId, each optional. */
export function asEvaluationListQuery(value: unknown): EvaluationListQuery {
  if (value === undefined || value === null) return {}
  if (!isRecord(value)) fail('evaluation query must be an object')
  return { categoryId: asOptionalId(value.categoryId, 'categoryId'), runId: asOptionalId(value.runId, 'runId') }
}

export function asResultImageQuery(value: unknown): ResultImageQuery {
  if (!isRecord(value)) fail('result image query must be an object')
  const split = optionalString(value.split, 'split')
  if (split !== undefined && !SPLITS.includes(split as Split)) fail(`split must be one of ${SPLITS.join(', ')}`)
  const sort = optionalString(value.sort, 'sort')
  if (sort !== undefined && !RESULT_SORTS.includes(sort as ResultSort)) fail(`sort must be one of ${RESULT_SORTS.join(', ')}`)
  return {
    evaluationId: asId(value.evaluationId, 'evaluationId'),
    split: split as Split | undefined,
    defectType: optionalString(value.defectType, 'defectType'),
    label: optionalLabel(value.label, 'label'),
    predicted: optionalLabel(value.predicted, 'predicted'),
    sort: sort as ResultSort | undefined,
    offset: optionalCount(value.offset, 'offset'),
    limit: optionalCount(value.limit, 'limit')
  }
}

// ---- inspections ----

const MAX_FOLDER = 4096

export function asInspectionCreateRequest(value: unknown): InspectionCreateRequest {
  if (!isRecord(value)) fail('inspection request must be an object')
  const folder = optionalString(value.folder, 'folder')
  if (!folder) fail('folder is required')
  if (folder.length > MAX_FOLDER) fail(`folder must be at most ${MAX_FOLDER} characters`)
  return {
    categoryId: asId(value.categoryId, 'categoryId'),
    folder,
    runId: asOptionalId(value.runId, 'runId'),
    jobId: asOptionalJobId(value.jobId)
  }
}

export function asInspectionResultQuery(value: unknown): InspectionResultQuery {
  if (!isRecord(value)) fail('inspection result query must be an object')
  const verdict = optionalString(value.verdict, 'verdict')
  if (verdict !== undefined && verdict !== 'pass' && verdict !== 'fail') fail("verdict must be 'pass' or 'fail'")
  const order = optionalString(value.order, 'order')
  if (order !== undefined && order !== 'asc' && order !== 'desc') fail("order must be 'asc' or 'desc'")
  const count = (v: unknown, what: string): number | undefined =>
    v === undefined || v === null ? undefined : Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(`${what} must be a non-negative integer`)
  return {
    inspectionId: asId(value.inspectionId, 'inspectionId'),
    verdict: verdict as InspectionVerdictFilter | undefined,
    order: order as 'asc' | 'desc' | undefined,
    offset: count(value.offset, 'offset'),
    limit: count(value.limit, 'limit')
  }
}

// ---- thresholds and review ----

const MAX_NOTE = 1000

function optionalNote(value: unknown): string {
  const note = optionalString(value, 'note') ?? ''
  if (note.length > MAX_NOTE) fail(`note must be at most ${MAX_NOTE} characters`)
  return note
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value as T)) fail(`${what} must be one of ${allowed.join(', ')}`)
  return value as T
}

/** thresholds:get: categoryId and evaluationId, each optional. */
export function asThresholdsQuery(value: unknown): ThresholdsQuery {
  if (value === undefined || value === null) return {}
  if (!isRecord(value)) fail('thresholds query must be an object')
  return { categoryId: asOptionalId(value.categoryId, 'categoryId'), evaluationId: asOptionalId(value.evaluationId, 'evaluationId') }
}

export function asThresholdSaveRequest(value: unknown): ThresholdSaveRequest {
  if (!isRecord(value)) fail('threshold must be an object')
  if (typeof value.value !== 'number' || !Number.isFinite(value.value)) fail('value must be a finite number')
  return {
    categoryId: asId(value.categoryId, 'categoryId'),
    evaluationId: asOptionalId(value.evaluationId, 'evaluationId') ?? null,
    kind: oneOf(value.kind, THRESHOLD_KINDS, 'kind'),
    value: value.value,
    note: optionalNote(value.note)
  }
}

export function asReviewQueueRequest(value: unknown): ReviewQueueRequest {
  if (!isRecord(value)) fail('review queue request must be an object')
  return { evaluationId: asId(value.evaluationId, 'evaluationId'), queue: oneOf(value.queue, REVIEW_QUEUES, 'queue') }
}

export function asVerdictRequest(value: unknown): VerdictRequest {
  if (!isRecord(value)) fail('verdict must be an object')
  return {
    evaluationId: asId(value.evaluationId, 'evaluationId'),
    imageId: asId(value.imageId, 'imageId'),
    queue: oneOf(value.queue, REVIEW_QUEUES, 'queue'),
    verdict: oneOf(value.verdict, VERDICT_KINDS, 'verdict'),
    note: optionalNote(value.note)
  }
}

// ---- labels:* (issue 8) ----

const FEEDBACK_VERDICTS: readonly FeedbackVerdict[] = ['false_alarm', 'true_defect']
const MAX_MASK_SIDE = 1 << 16

function asText(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > max) fail(`${what} must be a non-empty string of at most ${max} characters`)
  return value
}

/** A run-length encoded mask: its size and runs of non-negative integers (the sum is checked on decoding). */
export function asMaskRle(value: unknown): MaskRle {
  if (!isRecord(value)) fail('mask must be an object {width, height, counts}')
  const side = (v: unknown, what: string): number =>
    Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= MAX_MASK_SIDE ? (v as number) : fail(`mask.${what} must be a positive integer`)
  const width = side(value.width, 'width')
  const height = side(value.height, 'height')
  const { counts } = value
  if (!Array.isArray(counts) || counts.length > width * height + 1) fail('mask.counts must be an array of runs')
  for (const c of counts as unknown[]) if (!Number.isSafeInteger(c) || (c as number) < 0) fail('mask.counts must hold non-negative integers')
  return { width, height, counts: counts as number[] }
}

export function asOptionalVersion(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail('version must be a non-negative integer')
  return value as number
}

export function asRelabelRequest(value: unknown): RelabelRequest {
  if (!isRecord(value)) fail('relabel request must be an object')
  const split = optionalString(value.split, 'split')
  if (split !== undefined && !SPLITS.includes(split as Split)) fail(`split must be one of ${SPLITS.join(', ')}`)
  return { imageId: asId(value.imageId, 'imageId'), defectType: asText(value.defectType, 'defectType', 200), split: split as Split | undefined, note: optionalNote(value.note) }
}

export function asMaskSaveRequest(value: unknown): MaskSaveRequest {
  if (!isRecord(value)) fail('mask save request must be an object')
  return { imageId: asId(value.imageId, 'imageId'), mask: value.mask === null ? null : asMaskRle(value.mask), note: optionalNote(value.note) }
}

export function asMaskRestoreRequest(value: unknown): MaskRestoreRequest {
  if (!isRecord(value)) fail('mask restore request must be an object')
  return { imageId: asId(value.imageId, 'imageId'), version: asOptionalVersion(value.version) ?? fail('version is required'), note: optionalNote(value.note) }
}

export function asDefectTypeRequest(value: unknown): DefectTypeRequest {
  if (!isRecord(value)) fail('defect type request must be an object')
  return { categoryId: asId(value.categoryId, 'categoryId'), name: asText(value.name, 'name', 200) }
}

export function asFeedbackRequest(value: unknown): FeedbackRequest {
  if (!isRecord(value)) fail('feedback request must be an object')
  return {
    imageId: asId(value.imageId, 'imageId'),
    verdict: oneOf(value.verdict, FEEDBACK_VERDICTS, 'verdict'),
    defectType: optionalString(value.defectType, 'defectType'),
    note: optionalNote(value.note)
  }
}

export function asLabelExportRequest(value: unknown): LabelExportRequest {
  if (!isRecord(value)) fail('export request must be an object')
  return {
    datasetId: asId(value.datasetId, 'datasetId'),
    categoryId: asOptionalId(value.categoryId, 'categoryId'),
    folder: optionalString(value.folder, 'folder') ?? fail('folder is required'),
    jobId: asOptionalJobId(value.jobId)
  }
}

/** reports:export: { target: { run_id } | { category_id }, format }. */
export function asReportExportRequest(value: unknown): ReportExportRequest {
  if (!isRecord(value)) fail('report request must be an object')
  const target = value.target
  if (!isRecord(target)) fail('target must be { run_id } or { category_id }')
  const format = oneOf(value.format, REPORT_FORMATS, 'format')
  if ('run_id' in target && !('category_id' in target)) return { target: { run_id: asId(target.run_id, 'target.run_id') }, format }
  if ('category_id' in target && !('run_id' in target)) return { target: { category_id: asId(target.category_id, 'target.category_id') }, format }
  return fail('target must be { run_id } or { category_id }')
}
