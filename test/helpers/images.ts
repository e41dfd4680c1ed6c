/** Procedural test images: PNG, JPEG, TIFF through sharp, BMP through a tiny encoder. */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import sharp from 'sharp'

export type Channels = 1 | 3 | 4
export type Format = 'png' | 'jpeg' | 'tiff' | 'bmp'

export interface ImageSpec {
  width?: number
  height?: number
  channels?: Channels
  /** from the extension when left out */
  format?: Format
  /** varies the pixels, so files differ */
  seed?: number
}

/** Deterministic HWC uint8 pixels. */
export function pattern(width: number, height: number, channels: number, seed = 0): Buffer {
  const data = Buffer.alloc(width * height * channels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++)
        data[(y * width + x) * channels + c] = (x * 7 + y * 13 + c * 50 + seed * 31) % 256
    }
  }
  return data
}

function formatOf(path: string): Format {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  if (ext === 'jpg' || ext === 'jpeg') return 'jpeg'
  if (ext === 'tif' || ext === 'tiff') return 'tiff'
  if (ext === 'bmp') return 'bmp'
  return 'png'
}

/** Uncompressed BMP: 8-bit grey palette, 24-bit BGR, or 32-bit BGRA (V4 header with bit masks). */
export function encodeBmp(data: Buffer, width: number, height: number, channels: Channels, topDown = false): Buffer {
  const bpp = channels * 8
  const headerSize = channels === 4 ? 108 : 40
  const paletteSize = channels === 1 ? 256 * 4 : 0
  const stride = Math.ceil((width * bpp) / 32) * 4
  const offset = 14 + headerSize + paletteSize
  const buf = Buffer.alloc(offset + stride * height)
  buf.write('BM', 0, 'latin1')
  buf.writeUInt32LE(buf.length, 2)
  buf.writeUInt32LE(offset, 10)
  buf.writeUInt32LE(headerSize, 14)
  buf.writeInt32LE(width, 18)
  buf.writeInt32LE(topDown ? -height : height, 22)
  buf.writeUInt16LE(1, 26)
  buf.writeUInt16LE(bpp, 28)
  buf.writeUInt32LE(channels === 4 ? 3 : 0, 30)
  buf.writeUInt32LE(stride * height, 34)
  buf.writeUInt32LE(channels === 1 ? 256 : 0, 46)
  if (channels === 4)
    [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000].forEach((m, i) => buf.writeUInt32LE(m, 54 + i * 4))
  for (let i = 0; i < paletteSize / 4; i++) buf.fill(i, 14 + headerSize + i * 4, 14 + headerSize + i * 4 + 3)
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels
      const o = row + x * channels
      if (channels === 1) buf[o] = data[p]
      else {
        ;[buf[o], buf[o + 1], buf[o + 2]] = [data[p + 2], data[p + 1], data[p]]
        if (channels === 4) buf[o + 3] = data[p + 3]
      }
    }
  }
  return buf
}

/** Encodes raw pixels in `format`. */
export async function encode(
  data: Buffer,
  width: number,
  height: number,
  channels: Channels,
  format: Format
): Promise<Buffer> {
  if (format === 'bmp') return encodeBmp(data, width, height, channels)
  let image = sharp(data, { raw: { width, height, channels } })
  if (channels === 1) image = image.toColourspace('b-w')
  // sharp's default TIFF compression is JPEG (lossy, no alpha); LZW keeps the pixels.
  return image.toFormat(format, format === 'tiff' ? { compression: 'lzw' } : {}).toBuffer()
}

function writeBytes(path: string, bytes: Buffer): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
}

/** Writes a patterned image (default 32x24 RGB, format from the extension). */
export async function writeImage(path: string, spec: ImageSpec = {}): Promise<void> {
  const { width = 32, height = 24, channels = 3, seed = 0 } = spec
  writeBytes(
    path,
    await encode(pattern(width, height, channels, seed), width, height, channels, spec.format ?? formatOf(path))
  )
}

/** Writes a grey mask: 255 in the first `positive` pixels (row-major; default the first row), 0 elsewhere. Returns `positive`. */
export async function writeMask(path: string, width = 32, height = 24, positive = width): Promise<number> {
  const data = Buffer.alloc(width * height)
  data.fill(255, 0, positive)
  writeBytes(path, await encode(data, width, height, 1, formatOf(path)))
  return positive
}

/** Cuts a file to half its length (a truncated download). */
export function truncateFile(path: string, bytes: Buffer): void {
  writeBytes(path, bytes.subarray(0, Math.floor(bytes.length / 2)))
}

export { writeBytes }
