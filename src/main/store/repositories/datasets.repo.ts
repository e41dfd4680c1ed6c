/** Queries for datasets, categories, images and masks. Rows are typed; callers own transactions. */
import type Database from 'better-sqlite3'
import type { DatasetLayout, ImageQuery, ImageRow, Split } from '../../../common/types/datasets'

type DB = Database.Database

export interface DatasetRow {
  id: number
  name: string
  root: string
  layout: DatasetLayout
  created_at: string
  scanned_at: string
}

export interface CategoryRow {
  id: number
  dataset_id: number
  name: string
  root: string
}

export interface ImageRecord {
  id: number
  dataset_id: number
  category_id: number
  path: string
  rel_path: string
  split: Split
  defect_type: string
  label: 0 | 1
  width: number
  height: number
  channels: number
  format: string
  size_bytes: number
  mtime_ms: number
  content_hash: string
}
export type NewImage = Omit<ImageRecord, 'id'>

export interface MaskRecord {
  id: number
  image_id: number
  path: string
  width: number
  height: number
  positive_pixels: number
  content_hash: string
  /** bounding box of the positive pixels, in mask pixels; all null when there are none */
  bbox_x: number | null
  bbox_y: number | null
  bbox_w: number | null
  bbox_h: number | null
}
export type NewMask = Omit<MaskRecord, 'id' | 'image_id'>

/** Number of images (and of those with a mask) per category, split and defect type. */
export interface SplitDefectCount {
  category_id: number
  split: Split
  defect_type: string
  images: number
  masks: number
}

export type ImageWithMaskHash = ImageRecord & { mask_hash: string | null }

// ---- datasets ----

export function listDatasets(db: DB): DatasetRow[] {
  return db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY name, id').all()
}

export function getDataset(db: DB, id: number): DatasetRow | undefined {
  return db.prepare<[number], DatasetRow>('SELECT * FROM datasets WHERE id = ?').get(id)
}

export function findDatasetByRoot(db: DB, root: string): DatasetRow | undefined {
  return db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE root = ?').get(root)
}

export function findDatasetByName(db: DB, name: string): DatasetRow | undefined {
  return db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE name = ?').get(name)
}

export function insertDataset(db: DB, row: Omit<DatasetRow, 'id'>): number {
  const sql = `INSERT INTO datasets (name, root, layout, created_at, scanned_at)
               VALUES (@name, @root, @layout, @created_at, @scanned_at)`
  return Number(db.prepare<Omit<DatasetRow, 'id'>>(sql).run(row).lastInsertRowid)
}

export function setScannedAt(db: DB, id: number, scannedAt: string): void {
  db.prepare<[string, number]>('UPDATE datasets SET scanned_at = ? WHERE id = ?').run(scannedAt, id)
}

/** Deletes the dataset with its categories, images and masks; false if it did not exist. */
export function deleteDataset(db: DB, id: number): boolean {
  return db.prepare<[number]>('DELETE FROM datasets WHERE id = ?').run(id).changes > 0
}

// ---- categories ----

export function listCategories(db: DB, datasetId: number): CategoryRow[] {
  return db.prepare<[number], CategoryRow>('SELECT * FROM categories WHERE dataset_id = ? ORDER BY name').all(datasetId)
}

export function getCategory(db: DB, id: number): CategoryRow | undefined {
  return db.prepare<[number], CategoryRow>('SELECT * FROM categories WHERE id = ?').get(id)
}

export function insertCategory(db: DB, row: Omit<CategoryRow, 'id'>): number {
  const sql = 'INSERT INTO categories (dataset_id, name, root) VALUES (@dataset_id, @name, @root)'
  return Number(db.prepare<Omit<CategoryRow, 'id'>>(sql).run(row).lastInsertRowid)
}

export function deleteCategory(db: DB, id: number): void {
  db.prepare<[number]>('DELETE FROM categories WHERE id = ?').run(id)
}

// ---- images and masks ----

const IMAGE_COLUMNS =
  'dataset_id, category_id, path, rel_path, split, defect_type, label, width, height, channels, format, size_bytes, mtime_ms, content_hash'
const IMAGE_PARAMS = IMAGE_COLUMNS.split(', ')
  .map((c) => `@${c}`)
  .join(', ')

export function insertImage(db: DB, image: NewImage, mask: NewMask | null): number {
  const sql = `INSERT INTO images (${IMAGE_COLUMNS}) VALUES (${IMAGE_PARAMS})`
  const id = Number(db.prepare<NewImage>(sql).run(image).lastInsertRowid)
  if (mask) insertMask(db, id, mask)
  return id
}

/** Replaces an image's file facts and its mask (null removes the mask); the id stays. */
export function updateImage(db: DB, id: number, image: NewImage, mask: NewMask | null): void {
  const assignments = IMAGE_COLUMNS.split(', ')
    .map((c) => `${c} = @${c}`)
    .join(', ')
  db.prepare<NewImage & { id: number }>(`UPDATE images SET ${assignments} WHERE id = @id`).run({ ...image, id })
  db.prepare<[number]>('DELETE FROM masks WHERE image_id = ?').run(id)
  if (mask) insertMask(db, id, mask)
}

function insertMask(db: DB, imageId: number, mask: NewMask): void {
  const sql = `INSERT INTO masks (image_id, path, width, height, positive_pixels, content_hash, bbox_x, bbox_y, bbox_w, bbox_h)
               VALUES (@image_id, @path, @width, @height, @positive_pixels, @content_hash, @bbox_x, @bbox_y, @bbox_w, @bbox_h)`
  db.prepare<NewMask & { image_id: number }>(sql).run({ ...mask, image_id: imageId })
}

export function deleteImage(db: DB, id: number): void {
  db.prepare<[number]>('DELETE FROM images WHERE id = ?').run(id)
}

/** Every image of a dataset with its mask's hash, for re-scans. */
export function imagesWithMaskHash(db: DB, datasetId: number): ImageWithMaskHash[] {
  const sql = `SELECT i.*, m.content_hash AS mask_hash FROM images i
               LEFT JOIN masks m ON m.image_id = i.id WHERE i.dataset_id = ?`
  return db.prepare<[number], ImageWithMaskHash>(sql).all(datasetId)
}

export function getImage(db: DB, id: number): ImageRecord | undefined {
  return db.prepare<[number], ImageRecord>('SELECT * FROM images WHERE id = ?').get(id)
}

/** Where an image sits by its current labels (edits included). */
export type CurrentLabels = Pick<ImageRecord, 'split' | 'defect_type' | 'label'>

export function currentLabels(db: DB, id: number): CurrentLabels | undefined {
  return db.prepare<[number], CurrentLabels>('SELECT split, defect_type, label FROM current_images WHERE id = ?').get(id)
}

export function getMask(db: DB, imageId: number): MaskRecord | undefined {
  return db.prepare<[number], MaskRecord>('SELECT * FROM masks WHERE image_id = ?').get(imageId)
}

/** Images and masks per category, split and defect type, by the current labels (edits included). */
export function countSplitDefects(db: DB, datasetId: number): SplitDefectCount[] {
  const sql = `SELECT i.category_id, i.split, i.defect_type, COUNT(*) AS images, SUM(i.has_mask) AS masks
               FROM current_images i
               WHERE i.dataset_id = ? GROUP BY i.category_id, i.split, i.defect_type`
  return db.prepare<[number], SplitDefectCount>(sql).all(datasetId)
}

type ImageListRow = Omit<ImageRow, 'has_mask'> & { has_mask: number }

const toImageRow = ({ has_mask, ...rest }: ImageListRow): ImageRow => ({ ...rest, has_mask: has_mask === 1 })

/** One page of images with their current labels (edits included), in category order (split, defect type, relative path). */
export function queryImages(
  db: DB,
  q: Required<Pick<ImageQuery, 'offset' | 'limit'>> & ImageQuery
): { total: number; images: ImageRow[] } {
  const where = ['i.dataset_id = @datasetId']
  if (q.categoryId !== undefined) where.push('i.category_id = @categoryId')
  if (q.split !== undefined) where.push('i.split = @split')
  if (q.defectType !== undefined) where.push('i.defect_type = @defectType')
  const params = {
    datasetId: q.datasetId,
    categoryId: q.categoryId ?? null,
    split: q.split ?? null,
    defectType: q.defectType ?? null,
    offset: q.offset,
    limit: q.limit
  }
  const filter = where.join(' AND ')
  const total = db
    .prepare<typeof params, { n: number }>(`SELECT COUNT(*) AS n FROM current_images i WHERE ${filter}`)
    .get(params)!.n
  const sql = `SELECT i.id, i.dataset_id, i.category_id, i.path, i.rel_path, i.split, i.defect_type, i.label, i.width, i.height,
                      i.has_mask
               FROM current_images i WHERE ${filter}
               ORDER BY i.category_id, i.split, i.defect_type, i.rel_path LIMIT @limit OFFSET @offset`
  return { total, images: db.prepare<typeof params, ImageListRow>(sql).all(params).map(toImageRow) }
}

/** Ids of the previous and next image of the same category in the grid's order: (split, defect_type, rel_path) by the current labels. */
export function neighbourIds(
  db: DB,
  key: Pick<ImageRecord, 'category_id' | 'split' | 'defect_type' | 'rel_path'>
): { prev_id: number | null; next_id: number | null } {
  type Key = typeof key
  const inCategory = 'SELECT id FROM current_images WHERE category_id = @category_id AND (split, defect_type, rel_path)'
  const prev = db
    .prepare<Key, { id: number }>(
      `${inCategory} < (@split, @defect_type, @rel_path) ORDER BY split DESC, defect_type DESC, rel_path DESC LIMIT 1`
    )
    .get(key)
  const next = db
    .prepare<Key, { id: number }>(
      `${inCategory} > (@split, @defect_type, @rel_path) ORDER BY split, defect_type, rel_path LIMIT 1`
    )
    .get(key)
  return { prev_id: prev?.id ?? null, next_id: next?.id ?? null }
}

/** Where an image sits in the dataset; can change on a re-scan without the file changing (plain layout split). */
export type Placement = Pick<ImageRecord, 'category_id' | 'rel_path' | 'split' | 'defect_type' | 'label'>

export function updatePlacement(db: DB, id: number, placement: Placement): void {
  const sql = `UPDATE images SET category_id = @category_id, rel_path = @rel_path, split = @split,
               defect_type = @defect_type, label = @label WHERE id = @id`
  db.prepare<Placement & { id: number }>(sql).run({ ...placement, id })
}
