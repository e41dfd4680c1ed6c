/**
 * Derived image files for display, cached on disk under <dataDir>/cache/<variant>/<hash[0:2]>/<hash>.<ext>,
 * keyed by the source's content hash, so each is made once and shared by identical files.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import sharp, { type Sharp } from 'sharp'
import { UserError } from '../../common/ipc/errors'
import { BROWSER_FORMATS, decodeImageBuffer, sharpFromBuffer } from './image-io'

export interface CachedFile {
  path: string
  contentType: string
}

export const THUMB_SIZE = 256
/** Overlay colour of positive mask pixels (value >= 128), RGBA. */
export const MASK_COLOUR = [255, 40, 40, 160] as const

const missing = (path: string, what: string): UserError =>
  new UserError(`The ${what} file is missing or unreadable: ${path}. Re-scan the dataset.`, 'FILE_MISSING')

async function readSource(path: string, what: string): Promise<Buffer> {
  return readFile(path).catch(() => {
    throw missing(path, what)
  })
}

export class ImageCache {
  private readonly pending = new Map<string, Promise<void>>()

  constructor(readonly dir: string) {}

  /** Thumbnail, at most THUMB_SIZE px on the longer side, as WebP. */
  thumbnail(sourcePath: string, hash: string): Promise<CachedFile> {
    return this.cached('thumb', hash, 'webp', async () => {
      const image = await sharpFromBuffer(await readSource(sourcePath, 'image'))
      return image.resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true }).webp({ quality: 80 })
    })
  }

  /** The image itself when a browser shows its format, else a PNG copy. */
  async full(sourcePath: string, format: string, hash: string): Promise<CachedFile> {
    if (BROWSER_FORMATS.includes(format)) {
      if (!existsSync(sourcePath)) throw missing(sourcePath, 'image')
      return { path: sourcePath, contentType: `image/${format}` }
    }
    return this.cached('full', hash, 'png', async () =>
      (await sharpFromBuffer(await readSource(sourcePath, 'image'))).png()
    )
  }

  /** The mask as a red overlay: MASK_COLOUR where the first channel >= 128, transparent elsewhere. */
  maskOverlay(maskPath: string, hash: string): Promise<CachedFile> {
    return this.cached('mask', hash, 'png', async () => {
      const mask = await decodeImageBuffer(await readSource(maskPath, 'mask'))
      const rgba = Buffer.alloc(mask.width * mask.height * 4)
      for (let i = 0, o = 0; o < rgba.length; i += mask.channels, o += 4) {
        if (mask.data[i] >= 128) rgba.set(MASK_COLOUR, o)
      }
      return sharp(rgba, { raw: { width: mask.width, height: mask.height, channels: 4 } }).png()
    })
  }

  /** Returns the cached file, writing it first (atomically, once even under concurrent calls) if missing. */
  private async cached(variant: string, hash: string, ext: string, make: () => Promise<Sharp>): Promise<CachedFile> {
    const path = join(this.dir, variant, hash.slice(0, 2), `${hash}.${ext}`)
    const result = { path, contentType: `image/${ext}` }
    if (existsSync(path)) return result
    let writing = this.pending.get(path)
    if (!writing) {
      writing = this.write(path, make).finally(() => this.pending.delete(path))
      this.pending.set(path, writing)
    }
    await writing
    return result
  }

  private async write(path: string, make: () => Promise<Sharp>): Promise<void> {
    await mkdir(dirname(path), { recursive: true })
    const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`
    try {
      await (await make()).toFile(temp)
      await rename(temp, path)
    } finally {
      await rm(temp, { force: true })
    }
  }
}
