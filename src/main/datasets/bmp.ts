/**
 * A small decoder for uncompressed Windows BMP files, which sharp (libvips) cannot read:
 * BITMAPINFOHEADER or later, BI_RGB / BI_BITFIELDS, 1, 4, 8 (palette), 16, 24 and 32 bits,
 * bottom-up or top-down rows. RLE- or JPEG/PNG-compressed BMPs are refused.
 * Output is uint8 HWC: 1 channel for grey palettes, 3 for colour, 4 when a bitfield alpha mask is set.
 */

export interface RawImage {
  data: Buffer
  width: number
  height: number
  channels: number
}

interface BmpHeader {
  width: number
  height: number
  topDown: boolean
  bitsPerPixel: number
  dataOffset: number
  stride: number
  /** BGRX entries, for 1/4/8 bits */
  palette: Buffer | null
  /** r, g, b, a bit masks, for 16/32 bits */
  masks: [number, number, number, number] | null
  channels: number
}

const BI_RGB = 0
const BI_BITFIELDS = 3
const BI_ALPHABITFIELDS = 6

export function isBmp(buf: Buffer): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d
}

/** Reads and checks the headers (throws with the reason on anything unsupported or truncated). */
export function readBmpHeader(buf: Buffer): BmpHeader {
  if (!isBmp(buf)) throw new Error('not a BMP file (no "BM" signature)')
  if (buf.length < 54) throw new Error(`truncated BMP header (${buf.length} bytes)`)
  const headerSize = buf.readUInt32LE(14)
  if (headerSize < 40) throw new Error(`unsupported BMP header of ${headerSize} bytes (OS/2 bitmap)`)
  const width = buf.readInt32LE(18)
  const rawHeight = buf.readInt32LE(22)
  const bitsPerPixel = buf.readUInt16LE(28)
  const compression = buf.readUInt32LE(30)
  const dataOffset = buf.readUInt32LE(10)
  if (width <= 0 || rawHeight === 0) throw new Error(`invalid BMP size ${width}x${rawHeight}`)
  if (![BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS].includes(compression)) {
    throw new Error(`compressed BMP (compression ${compression}) is not supported; save it uncompressed`)
  }
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) throw new Error(`unsupported BMP bit depth ${bitsPerPixel}`)
  const height = Math.abs(rawHeight)

  let palette: Buffer | null = null
  let masks: BmpHeader['masks'] = null
  let channels = 3
  if (bitsPerPixel <= 8) {
    const colours = buf.readUInt32LE(46) || 1 << bitsPerPixel
    const start = 14 + headerSize
    if (start + colours * 4 > buf.length) throw new Error('truncated BMP palette')
    palette = buf.subarray(start, start + colours * 4)
    let grey = true
    for (let i = 0; i < palette.length; i += 4) grey &&= palette[i] === palette[i + 1] && palette[i] === palette[i + 2]
    channels = grey ? 1 : 3
  } else if (bitsPerPixel !== 24) {
    if (compression === BI_RGB) {
      masks = bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0xff00, 0xff, 0]
    } else {
      if (buf.length < 70) throw new Error('truncated BMP bit masks')
      const alpha = headerSize >= 56 || compression === BI_ALPHABITFIELDS ? buf.readUInt32LE(66) : 0
      masks = [buf.readUInt32LE(54), buf.readUInt32LE(58), buf.readUInt32LE(62), alpha]
    }
    channels = masks[3] ? 4 : 3
  }
  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4
  const needed = dataOffset + stride * height
  if (buf.length < needed) throw new Error(`truncated BMP: pixel data needs ${needed} bytes, file has ${buf.length}`)
  return { width, height, topDown: rawHeight < 0, bitsPerPixel, dataOffset, stride, palette, masks, channels }
}

/** Scales the bits selected by `mask` to 0..255. */
function maskReader(mask: number): (value: number) => number {
  if (!mask) return () => 255
  let shift = 0
  while (((mask >>> shift) & 1) === 0) shift++
  const max = (mask >>> 0) >>> shift
  return (value) => Math.round((((value & mask) >>> shift) * 255) / max)
}

export function decodeBmp(buf: Buffer): RawImage {
  const h = readBmpHeader(buf)
  const { width, height, channels, bitsPerPixel: bpp } = h
  const out = Buffer.alloc(width * height * channels)
  const readers = h.masks?.map(maskReader)
  for (let y = 0; y < height; y++) {
    const row = h.dataOffset + (h.topDown ? y : height - 1 - y) * h.stride
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels
      if (h.palette) {
        const bit = x * bpp
        const index = (buf[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1)
        const p = index * 4 < h.palette.length ? index * 4 : 0
        if (channels === 1) out[o] = h.palette[p]
        else [out[o], out[o + 1], out[o + 2]] = [h.palette[p + 2], h.palette[p + 1], h.palette[p]]
      } else if (bpp === 24) {
        const i = row + x * 3
        ;[out[o], out[o + 1], out[o + 2]] = [buf[i + 2], buf[i + 1], buf[i]]
      } else if (readers) {
        const value = bpp === 16 ? buf.readUInt16LE(row + x * 2) : buf.readUInt32LE(row + x * 4)
        for (let c = 0; c < channels; c++) out[o + c] = readers[c](value)
      }
    }
  }
  return { data: out, width, height, channels }
}
