/**
 * Texture folders, the anomaly source for synthesis (e.g. DTD). Images are found recursively;
 * a texture's class is its first subfolder below the root ('' for files at the top).
 * Same rules as datasets: bad files are rejected with a reason, all or nothing unless skipRejected.
 */
import type Database from 'better-sqlite3'
import { basename, join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type { ImportRequest, Rejection, TextureImportOutcome, TextureSourceSummary } from '../../common/types/datasets'
import * as repo from '../store/repositories/textures.repo'
import { mapConcurrent } from './concurrency'
import { plural } from './counts'
import { listFiles, resolveFolder } from './files'
import { decodeImageBuffer, ImageDecodeError, isImagePath } from './image-io'
import { DECODE_CONCURRENCY, readImageFile, sortRejections, type Progress } from './inspect'

type Inspected = { texture: repo.NewTexture; rejection?: undefined } | { texture?: undefined; rejection: Rejection }

async function inspectTexture(root: string, relPath: string): Promise<Inspected> {
  const path = join(root, relPath)
  try {
    const file = await readImageFile(path)
    const { width, height, channels } = await decodeImageBuffer(file.data)
    const cls = relPath.includes('/') ? relPath.slice(0, relPath.indexOf('/')) : ''
    return {
      texture: { path, rel_path: relPath, class: cls, width, height, channels, content_hash: file.content_hash }
    }
  } catch (err) {
    if (!(err instanceof ImageDecodeError)) throw err
    return { rejection: { path, reason: err.message } }
  }
}

const classesOf = (textures: repo.NewTexture[]): string[] => [...new Set(textures.map((t) => t.class))].sort()

export class TextureService {
  /** Kept for symmetry with DatasetService (texture previews may be cached there later). */
  readonly dataDir: string

  constructor(
    private readonly db: Database.Database,
    options: { dataDir: string }
  ) {
    this.dataDir = options.dataDir
  }

  list(): TextureSourceSummary[] {
    return repo.listTextureSources(this.db).map((source) => ({ ...source, ...repo.textureStats(this.db, source.id) }))
  }

  async import(req: ImportRequest, progress?: Progress, signal?: AbortSignal): Promise<TextureImportOutcome> {
    const root = await resolveFolder(req.folder)
    const existing = repo.findTextureSourceByRoot(this.db, root)
    if (existing) {
      return {
        texture_source_id: null,
        existing_texture_source_id: existing.id,
        ...repo.textureStats(this.db, existing.id),
        rejected: [],
        message: `${root} is already imported as texture source "${existing.name}" (id ${existing.id}).`
      }
    }
    const name = (req.name ?? basename(root)).trim()
    if (!name) throw new UserError('The texture source name is empty.')

    progress?.({ label: `Scanning ${root}`, done: 0, total: 0 })
    const files = (await listFiles(root)).filter(isImagePath)
    if (files.length === 0) throw new UserError(`No images (PNG, JPEG, BMP, TIFF) found in ${root}.`, 'NO_IMAGES')
    const label = 'Checking textures'
    let done = 0
    const results = await mapConcurrent(
      files,
      DECODE_CONCURRENCY,
      async (rel) => {
        const result = await inspectTexture(root, rel)
        progress?.({ label, done: ++done, total: files.length })
        return result
      },
      signal
    )
    const textures = results.flatMap((r) => (r.texture ? [r.texture] : []))
    const rejected = sortRejections(results.flatMap((r) => (r.rejection ? [r.rejection] : [])))
    const classes = classesOf(textures)
    if (rejected.length > 0 && !req.skipRejected) {
      return {
        texture_source_id: null,
        images: textures.length,
        classes,
        rejected,
        message: `Nothing imported: ${plural(rejected.length, 'file')} rejected. Fix or remove them, or import with skip-rejected.`
      }
    }
    if (textures.length === 0) {
      return {
        texture_source_id: null,
        images: 0,
        classes,
        rejected,
        message: `Nothing imported: no readable images in ${root}.`
      }
    }

    signal?.throwIfAborted()
    const id = this.db.transaction(() => {
      if (repo.findTextureSourceByRoot(this.db, root))
        throw new UserError(`${root} was imported meanwhile.`, 'ALREADY_IMPORTED')
      const id = repo.insertTextureSource(this.db, { name, root, created_at: new Date().toISOString() })
      for (const texture of textures) repo.insertTexture(this.db, id, texture)
      return id
    })()
    const skipped = rejected.length ? `; skipped ${plural(rejected.length, 'rejected file')}` : ''
    return {
      texture_source_id: id,
      images: textures.length,
      classes,
      rejected,
      message: `Imported texture source "${name}": ${plural(textures.length, 'image')} in ${plural(classes.length, 'class', 'classes')}${skipped}.`
    }
  }

  remove(textureSourceId: number): void {
    if (!repo.deleteTextureSource(this.db, textureSourceId)) {
      throw new UserError(`Texture source ${textureSourceId} not found`, 'NOT_FOUND')
    }
  }
}
