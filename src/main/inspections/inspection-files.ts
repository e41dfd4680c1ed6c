/**
 * Files of inspections: each image's map as .npy under the inspection's folder, and the images
 * themselves for display (they are not dataset images: no content hash is stored, so the display
 * cache is keyed by path, size and modification time).
 */
import { createHash } from 'node:crypto'
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type { ImageCache, CachedFile } from '../datasets/image-cache'
import { probeImageBuffer } from '../datasets/image-io'
import { encodeNpy, readNpy } from '../engine/io/npy'

/** The map file of the `index`-th image of an inspection: <mapsDir>/<index>.npy. */
export function mapFile(mapsDir: string, index: number): string {
  return join(mapsDir, `${String(index).padStart(6, '0')}.npy`)
}

/** Writes a [size, size] float32 map as .npy (through a temporary file, so a file is never half-written). */
export function writeMap(path: string, map: Float32Array, size: number, mapsDir: string): void {
  mkdirSync(mapsDir, { recursive: true })
  writeFileSync(`${path}.tmp`, encodeNpy(map, [size, size]))
  renameSync(`${path}.tmp`, path)
}

/** Reads a map written by writeMap; checks it is [size, size]. */
export function readMap(path: string, size: number): Float32Array {
  return readNpy(path, 'anomaly_map', [size, size]).data
}

/** Share of the values at or over `threshold`. */
export function fractionAtOrOver(values: Float32Array, threshold: number): number {
  if (values.length === 0) return 0
  let n = 0
  for (const v of values) if (v >= threshold) n++
  return n / values.length
}

async function displayKey(path: string): Promise<string> {
  const info = await stat(path).catch(() => null)
  if (!info?.isFile()) throw new UserError(`The inspected image is missing or unreadable: ${path}`, 'FILE_MISSING')
  return createHash('sha256').update(`inspection:${path}:${info.size}:${info.mtimeMs}`).digest('hex')
}

/** A thumbnail of an inspected image (cached). */
export async function inspectionThumbnail(cache: ImageCache, path: string): Promise<CachedFile> {
  return cache.thumbnail(path, await displayKey(path))
}

/** An inspected image as browsers show it: itself (PNG, JPEG), else a cached PNG copy. */
export async function inspectionFullImage(cache: ImageCache, path: string): Promise<CachedFile> {
  const key = await displayKey(path)
  const buf = await readFile(path).catch(() => {
    throw new UserError(`The inspected image is missing or unreadable: ${path}`, 'FILE_MISSING')
  })
  const { format } = await probeImageBuffer(buf)
  return cache.full(path, format, key)
}
