/** Argument checks at the process boundary: renderer and HTTP input is untrusted. */
import { UserError } from '../../common/ipc/errors'
import type { ImageQuery, ImageVariant, ImportRequest, Split } from '../../common/types/datasets'

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
const VARIANTS: readonly ImageVariant[] = ['thumb', 'full', 'mask']

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
