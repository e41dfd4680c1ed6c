/**
 * Mask files of the label folder: `<data dir>/labels/<dataset id>/<category>/<rel path>_mask.v<N>.png`,
 * single-channel PNGs of 0 and 255. Files are written under a temporary name and renamed, and
 * never anywhere but the app's label folder (the user's files are only read).
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { UserError } from '../../common/ipc/errors'
import { decodeImage, ImageDecodeError } from '../datasets/image-io'

/** The label folder of a dataset. */
export function labelFolder(dataDir: string, datasetId: number): string {
  return join(dataDir, 'labels', String(datasetId))
}

/** A free file name for version `version` of an image's mask. */
export function maskFilePath(dataDir: string, datasetId: number, category: string, relPath: string, version: number): string {
  const stem = relPath.replace(/\.[^./]*$/, '')
  const base = join(labelFolder(dataDir, datasetId), category, `${stem}_mask.v${version}`)
  let path = `${base}.png`
  for (let i = 2; existsSync(path); i++) path = `${base}-${i}.png`
  return path
}

/** Writes 0/1 (or 0/non-zero) pixels as a 0/255 grey PNG, atomically. */
export async function writeMaskPng(path: string, pixels: Uint8Array, width: number, height: number): Promise<void> {
  const grey = Buffer.alloc(width * height)
  for (let i = 0; i < grey.length; i++) grey[i] = pixels[i] ? 255 : 0
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await sharp(grey, { raw: { width, height, channels: 1 } }).png({ compressionLevel: 9 }).toFile(temp)
    await rename(temp, path)
  } finally {
    await rm(temp, { force: true })
  }
}

/** A mask file as 0/1 pixels (first channel >= 128, as the import and the viewer read masks). */
export async function readBinaryMask(path: string): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  let mask
  try {
    mask = await decodeImage(path)
  } catch (err) {
    if (err instanceof ImageDecodeError) throw new UserError(`${path}: ${err.message}`, 'BAD_MASK')
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`The mask file is missing: ${path}`, 'FILE_MISSING')
    throw err
  }
  const pixels = new Uint8Array(mask.width * mask.height)
  for (let i = 0, o = 0; o < pixels.length; i += mask.channels, o++) pixels[o] = mask.data[i] >= 128 ? 1 : 0
  return { pixels, width: mask.width, height: mask.height }
}
