/**
 * The one place images are read: PNG, JPEG and TIFF through sharp, BMP through ./bmp.
 * Decoding is full (not a header read), so truncated or corrupt files are caught.
 */
import { readFile } from 'node:fs/promises'
import { extname, basename } from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { decodeBmp, isBmp, readBmpHeader } from './bmp'

/** File extensions scanned as images (compared lower-case). */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff'] as const
const SHARP_FORMATS = ['png', 'jpeg', 'tiff']

/** Formats a browser shows as they are. */
export const BROWSER_FORMATS = ['png', 'jpeg']

export interface ImageInfo {
  width: number
  height: number
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA */
  channels: number
  /** 'png' | 'jpeg' | 'tiff' | 'bmp', from the content, not the extension */
  format: string
}

export interface DecodedImage extends ImageInfo {
  /** uint8 pixels, HWC, `channels` per pixel */
  data: Buffer
}

/** The image could not be read; `message` is the reason shown to the user. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError'
}

/** True for a supported extension; hidden files (".DS_Store", "._x.png") are not images. */
export function isImagePath(path: string): boolean {
  const ext = extname(path).toLowerCase()
  return !basename(path).startsWith('.') && (IMAGE_EXTENSIONS as readonly string[]).includes(ext)
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].trim()
}

/** sharp with failOn 'error': truncated and corrupt data fail, mere warnings do not. */
function open(buf: Buffer): Sharp {
  return sharp(buf, { failOn: 'error' })
}

async function sharpInfo(buf: Buffer): Promise<ImageInfo> {
  const meta = await open(buf).metadata()
  if (!meta.format || !SHARP_FORMATS.includes(meta.format)) {
    throw new ImageDecodeError(`unsupported image format ${meta.format ?? 'unknown'}; expected PNG, JPEG, BMP or TIFF`)
  }
  // CMYK and other spaces are converted to RGB(A) on decode.
  const channels = meta.channels === 1 || meta.channels === 2 ? meta.channels : meta.hasAlpha ? 4 : 3
  return { width: meta.width!, height: meta.height!, channels, format: meta.format }
}

/** Header facts without decoding the pixels. */
export async function probeImageBuffer(buf: Buffer): Promise<ImageInfo> {
  if (buf.length === 0) throw new ImageDecodeError('empty file (0 bytes)')
  try {
    if (isBmp(buf)) {
      const h = readBmpHeader(buf)
      return { width: h.width, height: h.height, channels: h.channels, format: 'bmp' }
    }
    return await sharpInfo(buf)
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err
    throw new ImageDecodeError(`unreadable or corrupt image: ${firstLine(err)}`)
  }
}

/** Decodes every pixel; throws ImageDecodeError with the reason when the data is bad. */
export async function decodeImageBuffer(buf: Buffer): Promise<DecodedImage> {
  const info = await probeImageBuffer(buf)
  try {
    if (info.format === 'bmp') return { ...decodeBmp(buf), format: 'bmp' }
    const pipeline = info.channels === 1 ? open(buf).toColourspace('b-w') : open(buf)
    const { data, info: out } = await pipeline.raw().toBuffer({ resolveWithObject: true })
    if (info.channels === 2 && out.channels === 4) return { ...info, data: greyAlpha(data) } // sharp gives RGBA
    return { ...info, width: out.width, height: out.height, channels: out.channels, data }
  } catch (err) {
    throw new ImageDecodeError(`unreadable or corrupt image: ${firstLine(err)}`)
  }
}

function greyAlpha(rgba: Buffer): Buffer {
  const out = Buffer.alloc(rgba.length / 2)
  for (let i = 0, o = 0; i < rgba.length; i += 4, o += 2) {
    out[o] = rgba[i]
    out[o + 1] = rgba[i + 3]
  }
  return out
}

export async function decodeImage(path: string): Promise<DecodedImage> {
  return decodeImageBuffer(await readFile(path))
}

export async function probeImage(path: string): Promise<ImageInfo> {
  return probeImageBuffer(await readFile(path))
}

/** A sharp pipeline over any supported image, for re-encoding (thumbnails, PNG copies). */
export async function sharpFromBuffer(buf: Buffer): Promise<Sharp> {
  if (!isBmp(buf)) return open(buf)
  const { data, width, height, channels } = decodeBmp(buf)
  return sharp(data, { raw: { width, height, channels: channels as 1 | 3 | 4 } })
}
