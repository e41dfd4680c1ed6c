/**
 * Validation: reads, hashes and fully decodes every scanned image and mask (bounded concurrency),
 * producing the facts to store or a precise rejection per bad file. Writes nothing.
 */
import { basename } from 'node:path'
import type { Rejection } from '../../common/types/datasets'
import type { NewMask } from '../store/repositories/datasets.repo'
import { mapConcurrent } from './concurrency'
import { readFileBytes, type FileBytes } from './files'
import { decodeImageBuffer, ImageDecodeError, type DecodedImage } from './image-io'
import type { ScannedImage } from './scan'

/** Decodes in flight at once; sharp uses its own threads per decode, so a few suffice. */
export const DECODE_CONCURRENCY = 3

export type Progress = (p: { label: string; done: number; total: number }) => void

/** What is stored about an image file. */
export interface ImageFacts {
  width: number
  height: number
  channels: number
  format: string
  size_bytes: number
  mtime_ms: number
  content_hash: string
}

export type InspectedImage =
  | { scanned: ScannedImage; unchanged: true }
  | { scanned: ScannedImage; unchanged: false; facts: ImageFacts; mask: NewMask | null }

/** Hashes stored by the last scan, for skipping unchanged files on a re-scan. */
export interface KnownHashes {
  content_hash: string
  mask_hash: string | null
}

export interface InspectOptions {
  progress?: Progress
  signal?: AbortSignal
  known?: (path: string) => KnownHashes | undefined
}

/** Reads a file that must be a non-empty image; throws ImageDecodeError with the reason otherwise. */
export async function readImageFile(path: string): Promise<FileBytes> {
  let file: FileBytes
  try {
    file = await readFileBytes(path)
  } catch (err) {
    throw new ImageDecodeError(`unreadable file: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (file.size_bytes === 0) throw new ImageDecodeError('empty file (0 bytes)')
  return file
}

const reasonOf = (err: unknown): string => {
  if (err instanceof ImageDecodeError) return err.message
  throw err
}

/** What is stored about a mask's positive pixels (value >= 128 in the first channel). */
export type MaskMeasure = Pick<NewMask, 'positive_pixels' | 'bbox_x' | 'bbox_y' | 'bbox_w' | 'bbox_h'>

/** Counts the positive pixels (value >= 128 in the first channel) and their bounding box (null when none). */
export function measurePositive(mask: DecodedImage): MaskMeasure {
  const { data, channels, width, height } = mask
  let count = 0
  let minX = width
  let minY = height
  let maxX = -1
  let maxY = -1
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += channels) {
      if (data[i] < 128) continue
      count++
      if (x < minX) minX = x
      if (x > maxX) maxX = x
      if (y < minY) minY = y
      if (y > maxY) maxY = y
    }
  }
  if (count === 0) return { positive_pixels: 0, bbox_x: null, bbox_y: null, bbox_w: null, bbox_h: null }
  return { positive_pixels: count, bbox_x: minX, bbox_y: minY, bbox_w: maxX - minX + 1, bbox_h: maxY - minY + 1 }
}

/** A mask must reduce to one channel: grey (with or without alpha), or colour with R = G = B everywhere. */
function isGreyscale(mask: DecodedImage): boolean {
  if (mask.channels < 3) return true
  const { data, channels } = mask
  for (let i = 0; i < data.length; i += channels) if (data[i] !== data[i + 1] || data[i] !== data[i + 2]) return false
  return true
}

async function inspectMask(path: string, image: DecodedImage): Promise<NewMask> {
  const file = await readImageFile(path)
  const mask = await decodeImageBuffer(file.data)
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new ImageDecodeError(`mask is ${mask.width}x${mask.height} but its image is ${image.width}x${image.height}`)
  }
  if (!isGreyscale(mask)) {
    throw new ImageDecodeError(
      `mask is a colour image (${mask.channels} channels, R, G and B differ); expected a single-channel mask`
    )
  }
  const { width, height } = mask
  return { path, width, height, ...measurePositive(mask), content_hash: file.content_hash }
}

async function inspectOne(
  scanned: ScannedImage,
  known: InspectOptions['known']
): Promise<{ result: InspectedImage | null; rejected: Rejection[] }> {
  const { path, maskPath } = scanned
  let file: FileBytes
  let image: DecodedImage
  try {
    file = await readImageFile(path)
    const previous = known?.(path)
    if (previous && previous.content_hash === file.content_hash) {
      const maskHash = maskPath ? (await readFileBytes(maskPath).catch(() => null))?.content_hash : null
      if (maskHash === previous.mask_hash) return { result: { scanned, unchanged: true }, rejected: [] }
    }
    image = await decodeImageBuffer(file.data)
  } catch (err) {
    const rejected = [{ path, reason: reasonOf(err) }]
    if (maskPath) rejected.push({ path: maskPath, reason: `its image ${basename(path)} was rejected` })
    return { result: null, rejected }
  }
  const { width, height, channels, format } = image
  const { size_bytes, mtime_ms, content_hash } = file
  const facts: ImageFacts = { width, height, channels, format, size_bytes, mtime_ms, content_hash }
  if (!maskPath) return { result: { scanned, unchanged: false, facts, mask: null }, rejected: [] }
  try {
    return { result: { scanned, unchanged: false, facts, mask: await inspectMask(maskPath, image) }, rejected: [] }
  } catch (err) {
    // The image itself is fine; only its mask is rejected.
    return {
      result: { scanned, unchanged: false, facts, mask: null },
      rejected: [{ path: maskPath, reason: reasonOf(err) }]
    }
  }
}

/** Inspects every image (and its mask). Throws the signal's reason when aborted. */
export async function inspectImages(
  images: ScannedImage[],
  { progress, signal, known }: InspectOptions = {}
): Promise<{ images: InspectedImage[]; rejected: Rejection[] }> {
  const label = 'Checking images'
  let done = 0
  progress?.({ label, done, total: images.length })
  const results = await mapConcurrent(
    images,
    DECODE_CONCURRENCY,
    async (scanned) => {
      const outcome = await inspectOne(scanned, known)
      progress?.({ label, done: ++done, total: images.length })
      return outcome
    },
    signal
  )
  return {
    images: results.flatMap((r) => (r.result ? [r.result] : [])),
    rejected: results.flatMap((r) => r.rejected)
  }
}

export function sortRejections(rejected: Rejection[]): Rejection[] {
  return [...rejected].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
