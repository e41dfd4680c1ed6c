import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeBmp } from '../../src/main/datasets/bmp'
import { decodeImage, ImageDecodeError, isImagePath, probeImage } from '../../src/main/datasets/image-io'
import { tempDirs } from '../helpers/fixtures'
import { encodeBmp, pattern, truncateFile, writeImage, type Channels } from '../helpers/images'

const tempDir = tempDirs()

describe('image-io', () => {
  const cases: [file: string, channels: Channels, lossless: boolean, format: string][] = [
    ['grey.png', 1, true, 'png'],
    ['rgb.png', 3, true, 'png'],
    ['rgba.png', 4, true, 'png'],
    ['grey.JPG', 1, false, 'jpeg'],
    ['rgb.jpeg', 3, false, 'jpeg'],
    ['grey.bmp', 1, true, 'bmp'],
    ['rgb.BMP', 3, true, 'bmp'],
    ['rgba.bmp', 4, true, 'bmp'],
    ['grey.tif', 1, true, 'tiff'],
    ['rgb.tiff', 3, true, 'tiff'],
    ['rgba.tiff', 4, true, 'tiff']
  ]

  it.each(cases)('decodes %s fully (%i channels)', async (file, channels, lossless, format) => {
    const path = join(tempDir(), file)
    await writeImage(path, { width: 33, height: 17, channels, seed: 3 }) // odd width exercises BMP row padding
    const image = await decodeImage(path)
    expect({ width: image.width, height: image.height, channels: image.channels, format: image.format }).toEqual({
      width: 33,
      height: 17,
      channels,
      format
    })
    expect(image.data.length).toBe(33 * 17 * channels)
    if (lossless) expect(image.data.equals(pattern(33, 17, channels, 3))).toBe(true)
    expect(await probeImage(path)).toEqual({ width: 33, height: 17, channels, format })
  })

  it('reads top-down BMP rows', () => {
    const pixels = pattern(5, 3, 3, 1)
    expect(decodeBmp(encodeBmp(pixels, 5, 3, 3, true)).data.equals(pixels)).toBe(true)
  })

  it('rejects truncated, empty and non-image files with a reason', async () => {
    const dir = tempDir()
    const good = join(dir, 'good.png')
    await writeImage(good, { width: 64, height: 64 })
    const cases: [string, Buffer, RegExp][] = [
      ['half.png', readFileSync(good).subarray(0, 400), /corrupt/],
      ['empty.png', Buffer.alloc(0), /empty file \(0 bytes\)/],
      ['text.png', Buffer.from('not an image'), /unsupported image format|corrupt/],
      ['half.bmp', encodeBmp(pattern(8, 8, 3), 8, 8, 3).subarray(0, 100), /truncated BMP/]
    ]
    for (const [name, bytes, reason] of cases) {
      writeFileSync(join(dir, name), bytes)
      await expect(decodeImage(join(dir, name)), name).rejects.toThrow(ImageDecodeError)
      await expect(decodeImage(join(dir, name)), name).rejects.toThrow(reason)
    }
  })

  it('catches a truncated JPEG although its header reads fine', async () => {
    const dir = tempDir()
    const path = join(dir, 'x.jpg')
    await writeImage(path, { width: 64, height: 64 })
    truncateFile(join(dir, 'cut.jpg'), readFileSync(path))
    expect((await probeImage(join(dir, 'cut.jpg'))).width).toBe(64)
    await expect(decodeImage(join(dir, 'cut.jpg'))).rejects.toThrow(/corrupt/)
  })

  it('recognises image files by extension, case-insensitively, and skips hidden files', () => {
    expect(['a.png', 'b.JPG', 'c.jpeg', 'd.Bmp', 'e.tif', 'f.TIFF'].every(isImagePath)).toBe(true)
    expect(['a.txt', '.DS_Store', '._a.png', 'noext', 'a.gif'].some(isImagePath)).toBe(false)
  })
})
