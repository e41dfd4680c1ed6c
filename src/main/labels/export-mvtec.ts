/**
 * Exports a dataset in MVTec AD layout with its current labels and masks, so any other tool can
 * read it:
 *
 *   <folder>/<category>/train/good/<file>
 *   <folder>/<category>/test/<good | defect>/<file>
 *   <folder>/<category>/ground_truth/<defect>/<file stem>_mask.png
 *
 * Images are copied byte for byte (a copy-on-write clone where the file system has them), masks as
 * they are stored (an imported PNG copied, an edited one from the label folder, another format
 * converted to PNG). A defect image with an image-level label has no mask file. Two images that
 * would land on the same name (moved between folders) get their original folder as a prefix.
 * The folder must be new or empty; an export that fails or is cancelled removes what it wrote.
 */
import type Database from 'better-sqlite3'
import { constants, existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises'
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path'
import sharp from 'sharp'
import { UserError } from '../../common/ipc/errors'
import type { LabelExportCounts, LabelExportOutcome } from '../../common/types/labels'
import { listCategories, type DatasetRow } from '../store/repositories/datasets.repo'
import { currentLabels, type CurrentLabelRow } from '../store/repositories/labels.repo'

export type ExportProgress = (update: { label: string; done: number; total: number }) => void

export interface ExportOptions {
  dataset: DatasetRow
  categoryId?: number
  folder: string
  progress?: ExportProgress
  signal?: AbortSignal
}

interface PlannedFile {
  image: CurrentLabelRow
  category: string
  /** relative to the export folder */
  imageTarget: string
  maskTarget: string | null
}

/** Is `inner` the same as or inside `outer`? */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Chooses every target name first, so that the copy itself cannot collide. */
function plan(categories: { name: string; images: CurrentLabelRow[] }[]): PlannedFile[] {
  const files: PlannedFile[] = []
  for (const { name, images } of categories) {
    const taken = new Set<string>()
    for (const image of images) {
      const folder = image.split === 'train' ? 'train/good' : `test/${image.defect_type}`
      const file = basename(image.path)
      const candidates = [file, `${image.imported_defect_type}_${file}`, `${image.imported_split}_${image.imported_defect_type}_${file}`]
      let chosen = candidates.find((c) => !taken.has(`${folder}/${c}`))
      for (let i = 2; chosen === undefined; i++) {
        const c = `${basename(file, extname(file))}_${i}${extname(file)}`
        if (!taken.has(`${folder}/${c}`)) chosen = c
      }
      taken.add(`${folder}/${chosen}`)
      const stem = basename(chosen, extname(chosen))
      const hasMask = image.split === 'test' && image.label === 1 && image.mask_path !== null
      files.push({
        image,
        category: name,
        imageTarget: join(name, folder, chosen),
        maskTarget: hasMask ? join(name, 'ground_truth', image.defect_type, `${stem}_mask.png`) : null
      })
    }
  }
  return files
}

function counts(name: string, files: PlannedFile[]): LabelExportCounts {
  const mine = files.filter((f) => f.category === name)
  const test = mine.filter((f) => f.image.split === 'test')
  return {
    name,
    train_good: mine.filter((f) => f.image.split === 'train').length,
    test_good: test.filter((f) => f.image.label === 0).length,
    test_anomalous: test.filter((f) => f.image.label === 1).length,
    masks: mine.filter((f) => f.maskTarget !== null).length,
    defect_types: [...new Set(test.filter((f) => f.image.label === 1).map((f) => f.image.defect_type))].sort()
  }
}

async function copyMask(source: string, target: string): Promise<void> {
  if (extname(source).toLowerCase() === '.png') await copyFile(source, target, constants.COPYFILE_FICLONE)
  else await sharp(source).png().toFile(target)
}

export async function exportMvtec(db: Database.Database, options: ExportOptions): Promise<LabelExportOutcome> {
  const { dataset, progress, signal } = options
  if (!options.folder.trim()) throw new UserError('Choose a folder to export to.', 'invalid-argument')
  const folder = resolve(options.folder)
  if (within(folder, dataset.root) || within(dataset.root, folder)) {
    throw new UserError(`Export to a folder outside the dataset's own folder (${dataset.root}).`, 'invalid-argument')
  }
  if (existsSync(folder) && (await readdir(folder)).length > 0) {
    throw new UserError(`The folder ${folder} is not empty; export to a new or empty folder.`, 'FOLDER_NOT_EMPTY')
  }
  const categories = listCategories(db, dataset.id)
    .filter((c) => options.categoryId === undefined || c.id === options.categoryId)
    .map((c) => ({ name: c.name, images: currentLabels(db, c.id) }))
  const files = plan(categories)
  if (files.length === 0) throw new UserError(`Dataset "${dataset.name}" has no images to export.`, 'NO_IMAGES')

  const written = categories.map((c) => join(folder, c.name))
  try {
    const folders = new Set(files.flatMap((f) => [f.imageTarget, f.maskTarget].filter((t): t is string => t !== null).map((t) => join(folder, t, '..'))))
    for (const dir of folders) await mkdir(dir, { recursive: true })
    let done = 0
    for (const file of files) {
      signal?.throwIfAborted()
      if (done % 20 === 0) progress?.({ label: `Exporting ${file.category}`, done, total: files.length })
      await copyFile(file.image.path, join(folder, file.imageTarget), constants.COPYFILE_FICLONE).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'ENOENT' ? new UserError(`The image file is missing: ${file.image.path}. Re-scan the dataset.`, 'FILE_MISSING') : err
      })
      if (file.maskTarget !== null) await copyMask(file.image.mask_path!, join(folder, file.maskTarget))
      done++
    }
    progress?.({ label: 'Exported', done, total: files.length })
  } catch (err) {
    await Promise.all(written.map((dir) => rm(dir, { recursive: true, force: true })))
    throw err
  }
  const result = categories.map((c) => counts(c.name, files))
  const masks = files.filter((f) => f.maskTarget !== null).length
  return {
    folder,
    categories: result,
    images: files.length,
    masks,
    message: `Exported ${files.length} images and ${masks} masks of "${dataset.name}" to ${folder} (MVTec AD layout).`
  }
}
