/**
 * Datasets for the app and the CLI: import (scan, validate, then one transaction), re-scan,
 * listing, image pages and display files. Imports are all-or-nothing unless skipRejected is set.
 */
import type Database from 'better-sqlite3'
import { basename, join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type {
  CategoryCounts,
  DatasetSummary,
  ImageDetail,
  ImagePage,
  ImageQuery,
  ImageVariant,
  ImportOutcome,
  ImportRequest,
  MaskBBox,
  RescanOutcome
} from '../../common/types/datasets'
import * as repo from '../store/repositories/datasets.repo'
import { bySplitDefect, categoryCounts, groupImages, plural, type GroupCount } from './counts'
import { isDir, resolveFolder } from './files'
import { ImageCache, type CachedFile } from './image-cache'
import { inspectImages, sortRejections, type ImageFacts, type InspectedImage, type Progress } from './inspect'
import { scanDataset, type DatasetScan, type ScannedCategory, type ScannedImage } from './scan'

export { TextureService } from './texture-service'
export type { Progress } from './inspect'

const DEFAULT_PAGE = 100
const MAX_PAGE = 1000

type Changed = Extract<InspectedImage, { unchanged: false }>

function placement(categoryId: number, scanned: ScannedImage): repo.Placement {
  const { relPath: rel_path, split, defectType: defect_type } = scanned
  return { category_id: categoryId, rel_path, split, defect_type, label: defect_type === 'good' ? 0 : 1 }
}

function newImage(datasetId: number, categoryId: number, scanned: ScannedImage, facts: ImageFacts): repo.NewImage {
  return { dataset_id: datasetId, path: scanned.path, ...placement(categoryId, scanned), ...facts }
}

function maskBBox({ bbox_x, bbox_y, bbox_w, bbox_h }: repo.MaskRecord): MaskBBox | null {
  if (bbox_x === null || bbox_y === null || bbox_w === null || bbox_h === null) return null
  return [bbox_x, bbox_y, bbox_w, bbox_h]
}

/** Counts of what an import would write, per scanned category. */
function plannedCounts(categories: ScannedCategory[], images: Changed[]): CategoryCounts[] {
  const rows = images.map(({ scanned, mask }) => ({
    category: scanned.category,
    split: scanned.split,
    defect_type: scanned.defectType,
    has_mask: mask !== null
  }))
  return categoryCounts(
    categories.map((c) => c.name),
    groupImages(rows)
  )
}

/** Anomalous test images that come without a mask (image-level labels only): in all, and per category. */
function unmaskedAnomalous(images: Changed[]): Required<Pick<ImportOutcome, 'anomalous_without_mask' | 'anomalous_without_mask_by_category'>> {
  const byCategory: Record<string, number> = {}
  let total = 0
  for (const { scanned, mask } of images) {
    if (scanned.split !== 'test' || scanned.defectType === 'good' || mask !== null) continue
    byCategory[scanned.category] = (byCategory[scanned.category] ?? 0) + 1
    total++
  }
  return { anomalous_without_mask: total, anomalous_without_mask_by_category: byCategory }
}

export class DatasetService {
  private readonly cache: ImageCache

  constructor(
    private readonly db: Database.Database,
    options: { dataDir: string }
  ) {
    this.cache = new ImageCache(join(options.dataDir, 'cache'))
  }

  list(): DatasetSummary[] {
    return repo.listDatasets(this.db).map((d) => this.summarize(d))
  }

  get(datasetId: number): DatasetSummary {
    return this.summarize(this.requireDataset(datasetId))
  }

  async import(req: ImportRequest, progress?: Progress, signal?: AbortSignal): Promise<ImportOutcome> {
    const root = await resolveFolder(req.folder)
    const existing = repo.findDatasetByRoot(this.db, root)
    if (existing) {
      return {
        dataset_id: null,
        existing_dataset_id: existing.id,
        categories: this.counts(existing.id),
        rejected: [],
        message: `${root} is already imported as dataset "${existing.name}" (id ${existing.id}). Re-scan it to pick up added, removed or changed files.`
      }
    }
    const requestedName = req.name === undefined ? undefined : this.checkName(req.name)

    progress?.({ label: `Scanning ${root}`, done: 0, total: 0 })
    const scan = await scanDataset(root)
    const inspection = await inspectImages(scan.images, { progress, signal })
    const images = inspection.images.filter((i): i is Changed => !i.unchanged)
    const rejected = sortRejections([...scan.rejected, ...inspection.rejected])
    const categories = plannedCounts(scan.categories, images)
    const unmaskedCounts = unmaskedAnomalous(images)
    const unmasked = unmaskedCounts.anomalous_without_mask
    if (rejected.length > 0 && !req.skipRejected) {
      return {
        dataset_id: null,
        categories,
        rejected,
        ...unmaskedCounts,
        message:
          `Nothing imported: ${plural(rejected.length, 'file')} rejected. Fix or remove them, ` +
          `or import with skip-rejected to import the other ${plural(images.length, 'image')}.`
      }
    }
    if (images.length === 0) {
      return { dataset_id: null, categories, rejected, message: `Nothing imported: no readable images in ${root}.` }
    }

    signal?.throwIfAborted()
    progress?.({ label: 'Writing database', done: 0, total: 1 })
    const { name, datasetId } = this.insertDataset(scan, images, requestedName)
    progress?.({ label: 'Writing database', done: 1, total: 1 })

    const masks = images.filter((i) => i.mask).length
    const skipped = rejected.length ? `; skipped ${plural(rejected.length, 'rejected file')}` : ''
    const counted = `${plural(images.length, 'image')} and ${plural(masks, 'mask')}`
    const noMask = unmasked
      ? `; ${plural(unmasked, 'anomalous image has', 'anomalous images have')} no mask (labelled by folder: image metrics only)`
      : ''
    return {
      dataset_id: datasetId,
      categories,
      rejected,
      ...unmaskedCounts,
      message: `Imported "${name}": ${counted} in ${plural(categories.length, 'category', 'categories')}${skipped}${noMask}.`
    }
  }

  /** Writes a new dataset in one transaction. */
  private insertDataset(
    scan: DatasetScan,
    images: Changed[],
    requestedName: string | undefined
  ): { datasetId: number; name: string } {
    return this.db.transaction(() => {
      if (repo.findDatasetByRoot(this.db, scan.root)) {
        throw new UserError(`${scan.root} was imported meanwhile.`, 'ALREADY_IMPORTED')
      }
      const name = requestedName === undefined ? this.freeName(basename(scan.root)) : this.checkName(requestedName)
      const now = new Date().toISOString()
      const row = { name, root: scan.root, layout: scan.layout, created_at: now, scanned_at: now }
      const datasetId = repo.insertDataset(this.db, row)
      const categoryIds = this.ensureCategories(datasetId, scan.categories)
      for (const { scanned, facts, mask } of images) {
        repo.insertImage(this.db, newImage(datasetId, categoryIds.get(scanned.category)!, scanned, facts), mask)
      }
      return { datasetId, name }
    })()
  }

  /**
   * Re-reads the dataset folder: adds new files, removes vanished ones, updates changed ones (by content hash;
   * unchanged files are not decoded again). All or nothing: if any file is rejected, nothing changes.
   */
  async rescan(datasetId: number, progress?: Progress, signal?: AbortSignal): Promise<RescanOutcome> {
    const dataset = this.requireDataset(datasetId)
    if (!(await isDir(dataset.root))) {
      throw new UserError(`The folder of dataset "${dataset.name}" no longer exists: ${dataset.root}`, 'NOT_FOUND')
    }
    progress?.({ label: `Scanning ${dataset.root}`, done: 0, total: 0 })
    const scan = await scanDataset(dataset.root)
    if (scan.layout !== dataset.layout) {
      throw new UserError(
        `The folder ${dataset.root} now has the ${scan.layout} layout, not ${dataset.layout}; remove the dataset and import it again.`
      )
    }
    const stored = new Map(repo.imagesWithMaskHash(this.db, datasetId).map((row) => [row.path, row]))
    const inspection = await inspectImages(scan.images, { progress, signal, known: (path) => stored.get(path) })
    const rejected = sortRejections([...scan.rejected, ...inspection.rejected])
    if (rejected.length > 0) {
      return {
        dataset_id: datasetId,
        added: 0,
        removed: 0,
        changed: 0,
        rejected,
        categories: this.counts(datasetId),
        message: `Nothing changed: ${plural(rejected.length, 'file')} rejected. Fix or remove them, then re-scan.`
      }
    }

    signal?.throwIfAborted()
    const tally = this.applyRescan(datasetId, scan, inspection.images, stored)
    const { added, removed, changed } = tally
    return {
      dataset_id: datasetId,
      ...tally,
      rejected,
      categories: this.counts(datasetId),
      message:
        added + removed + changed === 0
          ? `No changes in "${dataset.name}".`
          : `Re-scanned "${dataset.name}": ${added} added, ${removed} removed, ${changed} changed.`
    }
  }

  /** Writes a re-scan's differences in one transaction; returns what changed. */
  private applyRescan(
    datasetId: number,
    scan: DatasetScan,
    inspected: InspectedImage[],
    stored: Map<string, repo.ImageWithMaskHash>
  ): { added: number; removed: number; changed: number } {
    const tally = { added: 0, removed: 0, changed: 0 }
    this.db.transaction(() => {
      const categoryIds = this.ensureCategories(datasetId, scan.categories)
      for (const item of inspected) {
        const { scanned } = item
        const categoryId = categoryIds.get(scanned.category)!
        const previous = stored.get(scanned.path)
        if (!item.unchanged) {
          const row = newImage(datasetId, categoryId, scanned, item.facts)
          if (previous) repo.updateImage(this.db, previous.id, row, item.mask)
          else repo.insertImage(this.db, row, item.mask)
          tally[previous ? 'changed' : 'added']++
        } else if (previous) {
          // Same bytes, but the place may differ (the plain layout's split depends on the other files).
          const now = placement(categoryId, scanned)
          if ((Object.keys(now) as (keyof repo.Placement)[]).some((k) => now[k] !== previous[k])) {
            repo.updatePlacement(this.db, previous.id, now)
            tally.changed++
          }
        }
      }
      const seen = new Set(inspected.map((i) => i.scanned.path))
      for (const [path, row] of stored) {
        if (!seen.has(path)) {
          repo.deleteImage(this.db, row.id)
          tally.removed++
        }
      }
      const scannedNames = new Set(scan.categories.map((c) => c.name))
      for (const category of repo.listCategories(this.db, datasetId)) {
        if (!scannedNames.has(category.name)) repo.deleteCategory(this.db, category.id)
      }
      repo.setScannedAt(this.db, datasetId, new Date().toISOString())
    })()
    return tally
  }

  remove(datasetId: number): void {
    if (!repo.deleteDataset(this.db, datasetId)) throw new UserError(`Dataset ${datasetId} not found`, 'NOT_FOUND')
  }

  /** One page of images, ordered by category, split, defect type and relative path. */
  images(q: ImageQuery): ImagePage {
    this.requireDataset(q.datasetId)
    const offset = Math.max(0, Math.floor(q.offset ?? 0))
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? DEFAULT_PAGE)))
    const { total, images } = repo.queryImages(this.db, { ...q, offset, limit })
    return { total, offset, images }
  }

  /** An image with its current labels (edits included), its imported mask, and its neighbours in the grid's order. */
  image(imageId: number): ImageDetail {
    const image = this.requireImage(imageId)
    const mask = repo.getMask(this.db, imageId)
    const { id, dataset_id, category_id, path, rel_path, width, height } = image
    const { split, defect_type, label } = repo.currentLabels(this.db, imageId) ?? image
    return {
      id,
      dataset_id,
      category_id,
      path,
      rel_path,
      split,
      defect_type,
      label,
      width,
      height,
      has_mask: mask !== undefined,
      channels: image.channels,
      content_hash: image.content_hash,
      mask_path: mask?.path ?? null,
      mask_pixels: mask?.positive_pixels ?? null,
      mask_bbox: mask ? maskBBox(mask) : null,
      ...repo.neighbourIds(this.db, { category_id, split, defect_type, rel_path })
    }
  }

  /** A file to display: a cached thumbnail, the image (as PNG if browsers cannot show it) or the mask overlay. */
  async imageFile(imageId: number, variant: ImageVariant): Promise<CachedFile> {
    const image = this.requireImage(imageId)
    switch (variant) {
      case 'thumb':
        return this.cache.thumbnail(image.path, image.content_hash)
      case 'full':
        return this.cache.full(image.path, image.format, image.content_hash)
      case 'mask': {
        const mask = repo.getMask(this.db, imageId)
        if (!mask) throw new UserError(`Image ${imageId} has no mask`, 'NOT_FOUND')
        return this.cache.maskOverlay(mask.path, mask.content_hash)
      }
      default:
        throw new UserError(`Unknown image variant: ${String(variant)}`)
    }
  }

  private requireDataset(datasetId: number): repo.DatasetRow {
    const dataset = repo.getDataset(this.db, datasetId)
    if (!dataset) throw new UserError(`Dataset ${datasetId} not found`, 'NOT_FOUND')
    return dataset
  }

  private requireImage(imageId: number): repo.ImageRecord {
    const image = repo.getImage(this.db, imageId)
    if (!image) throw new UserError(`Image ${imageId} not found`, 'NOT_FOUND')
    return image
  }

  /** Returns the trimmed name, or throws when it is empty or taken. */
  private checkName(name: string): string {
    const trimmed = name.trim()
    if (!trimmed) throw new UserError('The dataset name is empty.')
    if (repo.findDatasetByName(this.db, trimmed)) {
      throw new UserError(`A dataset named "${trimmed}" already exists; choose another name.`, 'NAME_TAKEN')
    }
    return trimmed
  }

  /** `base`, or `base (2)`, `base (3)`, ... whichever is free first. */
  private freeName(base: string): string {
    let name = base
    for (let n = 2; repo.findDatasetByName(this.db, name); n++) name = `${base} (${n})`
    return name
  }

  /** Category ids by name, inserting the missing ones. */
  private ensureCategories(datasetId: number, categories: ScannedCategory[]): Map<string, number> {
    const ids = new Map(repo.listCategories(this.db, datasetId).map((c) => [c.name, c.id]))
    for (const { name, root } of categories) {
      if (!ids.has(name)) ids.set(name, repo.insertCategory(this.db, { dataset_id: datasetId, name, root }))
    }
    return ids
  }

  private groups(datasetId: number): { names: string[]; ids: number[]; groups: GroupCount[] } {
    const categories = repo.listCategories(this.db, datasetId)
    const nameOf = new Map(categories.map((c) => [c.id, c.name]))
    const groups = repo
      .countSplitDefects(this.db, datasetId)
      .map(({ category_id, ...g }) => ({ category: nameOf.get(category_id)!, ...g }))
    return { names: categories.map((c) => c.name), ids: categories.map((c) => c.id), groups }
  }

  private counts(datasetId: number): CategoryCounts[] {
    const { names, groups } = this.groups(datasetId)
    return categoryCounts(names, groups)
  }

  private summarize(dataset: repo.DatasetRow): DatasetSummary {
    const { names, ids, groups } = this.groups(dataset.id)
    const categories = categoryCounts(names, groups).map((counts, i) => ({
      id: ids[i],
      ...counts,
      by_split_defect: bySplitDefect(counts.name, groups)
    }))
    return { ...dataset, categories }
  }
}
