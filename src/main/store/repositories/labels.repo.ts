/**
 * Queries for labels edited in the workstation (migration 0060): label changes, mask versions,
 * hand-made defect types and the per-category labels revision. Rows are typed; callers own
 * transactions (a change and its revision bump belong in one).
 */
import type Database from 'better-sqlite3'
import type { Split } from '../../../common/types/datasets'
import type { ImageRecord } from './datasets.repo'

type DB = Database.Database

export type ChangeSource = 'relabel' | 'false_alarm' | 'true_defect'

export interface LabelChangeRow {
  id: number
  image_id: number
  category_id: number
  split: Split
  defect_type: string
  label: 0 | 1
  source: ChangeSource
  note: string
  revision: number
  created_at: string
}
export type NewLabelChange = Omit<LabelChangeRow, 'id' | 'revision'>

export interface MaskVersionRow {
  id: number
  image_id: number
  category_id: number
  version: number
  path: string | null
  width: number
  height: number
  positive_pixels: number
  bbox_x: number | null
  bbox_y: number | null
  bbox_w: number | null
  bbox_h: number | null
  note: string
  restored_from: number | null
  revision: number
  created_at: string
}
export type NewMaskVersion = Omit<MaskVersionRow, 'id' | 'version' | 'revision'>

/** An image with its label and mask as they are now: the latest change and mask version win over the import. */
export interface CurrentLabelRow
  extends Pick<ImageRecord, 'id' | 'dataset_id' | 'category_id' | 'path' | 'rel_path' | 'split' | 'defect_type' | 'label' | 'width' | 'height'> {
  imported_split: Split
  imported_defect_type: string
  imported_label: 0 | 1
  /** the current mask file (null: none) */
  mask_path: string | null
  /** 0: the imported mask (or none) */
  mask_version: number
  /** set when the label was changed in the workstation */
  change_source: ChangeSource | null
}

// ---- revisions ----

export function labelsRevision(db: DB, categoryId: number): { revision: number; changed_at: string | null } {
  const row = db
    .prepare<[number], { revision: number; changed_at: string }>('SELECT revision, changed_at FROM label_revisions WHERE category_id = ?')
    .get(categoryId)
  return row ?? { revision: 0, changed_at: null }
}

/** Raises the category's revision by one; returns the new value. */
export function bumpRevision(db: DB, categoryId: number, at: string): number {
  db.prepare<[number, string]>(
    `INSERT INTO label_revisions (category_id, revision, changed_at) VALUES (?, 1, ?)
     ON CONFLICT (category_id) DO UPDATE SET revision = revision + 1, changed_at = excluded.changed_at`
  ).run(categoryId, at)
  return labelsRevision(db, categoryId).revision
}

/** Label and mask changes of a category after `revision`. */
export function changesSince(db: DB, categoryId: number, revision: number): number {
  const row = db
    .prepare<[number, number, number, number], { n: number }>(
      `SELECT (SELECT COUNT(*) FROM label_changes WHERE category_id = ? AND revision > ?)
            + (SELECT COUNT(*) FROM mask_versions WHERE category_id = ? AND revision > ?) AS n`
    )
    .get(categoryId, revision, categoryId, revision)
  return row?.n ?? 0
}

/** The labels revision stored with an evaluation (null for an unknown evaluation). */
export function evaluationRevision(db: DB, evaluationId: number): { category_id: number; labels_revision: number } | undefined {
  const row = db
    .prepare<[number], { category_id: number; labels_revision: number | null }>(
      'SELECT category_id, labels_revision FROM evaluations WHERE id = ?'
    )
    .get(evaluationId)
  return row ? { category_id: row.category_id, labels_revision: row.labels_revision ?? 0 } : undefined
}

/** The newest evaluation of a category, if any. */
export function latestEvaluationId(db: DB, categoryId: number): number | undefined {
  return db.prepare<[number], { id: number }>('SELECT id FROM evaluations WHERE category_id = ? ORDER BY id DESC LIMIT 1').get(categoryId)?.id
}

// ---- label changes ----

export function insertLabelChange(db: DB, change: NewLabelChange, revision: number): number {
  const sql = `INSERT INTO label_changes (image_id, category_id, split, defect_type, label, source, note, revision, created_at)
               VALUES (@image_id, @category_id, @split, @defect_type, @label, @source, @note, @revision, @created_at)`
  return Number(db.prepare<NewLabelChange & { revision: number }>(sql).run({ ...change, revision }).lastInsertRowid)
}

export function latestLabelChange(db: DB, imageId: number): LabelChangeRow | undefined {
  return db
    .prepare<[number], LabelChangeRow>('SELECT * FROM label_changes WHERE image_id = ? ORDER BY id DESC LIMIT 1')
    .get(imageId)
}

// ---- mask versions ----

export function maskVersions(db: DB, imageId: number): MaskVersionRow[] {
  return db.prepare<[number], MaskVersionRow>('SELECT * FROM mask_versions WHERE image_id = ? ORDER BY version').all(imageId)
}

export function insertMaskVersion(db: DB, mask: NewMaskVersion, revision: number): number {
  const version =
    (db.prepare<[number], { v: number | null }>('SELECT MAX(version) AS v FROM mask_versions WHERE image_id = ?').get(mask.image_id)?.v ?? 0) + 1
  const sql = `INSERT INTO mask_versions (image_id, category_id, version, path, width, height, positive_pixels,
                 bbox_x, bbox_y, bbox_w, bbox_h, note, restored_from, revision, created_at)
               VALUES (@image_id, @category_id, @version, @path, @width, @height, @positive_pixels,
                 @bbox_x, @bbox_y, @bbox_w, @bbox_h, @note, @restored_from, @revision, @created_at)`
  db.prepare<Omit<MaskVersionRow, 'id'>>(sql).run({ ...mask, version, revision })
  return version
}

/** Every mask file a category's versions point to (to remove the label folder's files with the dataset). */
export function maskVersionPaths(db: DB, datasetId: number): string[] {
  return db
    .prepare<[number], { path: string }>(
      `SELECT v.path FROM mask_versions v JOIN images i ON i.id = v.image_id WHERE i.dataset_id = ? AND v.path IS NOT NULL`
    )
    .all(datasetId)
    .map((r) => r.path)
}

// ---- defect types ----

/** Defect types of a category: those of its images (imported and current) and those created by hand; 'good' left out. */
export function defectTypes(db: DB, categoryId: number): string[] {
  const rows = db
    .prepare<[number, number, number], { name: string }>(
      `SELECT defect_type AS name FROM images WHERE category_id = ?
       UNION SELECT defect_type FROM label_changes WHERE category_id = ?
       UNION SELECT name FROM defect_types WHERE category_id = ?`
    )
    .all(categoryId, categoryId, categoryId)
  return rows
    .map((r) => r.name)
    .filter((n) => n !== 'good')
    .sort()
}

/** Adds a hand-made defect type; false when the category had it already. */
export function insertDefectType(db: DB, categoryId: number, name: string, at: string): boolean {
  return (
    db.prepare<[number, string, string]>('INSERT OR IGNORE INTO defect_types (category_id, name, created_at) VALUES (?, ?, ?)').run(categoryId, name, at)
      .changes > 0
  )
}

// ---- current labels ----

const CURRENT_SELECT = `
  SELECT i.id, i.dataset_id, i.category_id, i.path, i.rel_path, i.width, i.height,
         COALESCE(c.split, i.split) AS split,
         COALESCE(c.defect_type, i.defect_type) AS defect_type,
         COALESCE(c.label, i.label) AS label,
         i.split AS imported_split, i.defect_type AS imported_defect_type, i.label AS imported_label,
         CASE WHEN v.id IS NULL THEN m.path ELSE v.path END AS mask_path,
         COALESCE(v.version, 0) AS mask_version,
         c.source AS change_source
  FROM images i
  LEFT JOIN masks m ON m.image_id = i.id
  LEFT JOIN label_changes c ON c.id = (SELECT MAX(id) FROM label_changes WHERE image_id = i.id)
  LEFT JOIN mask_versions v ON v.id = (SELECT id FROM mask_versions WHERE image_id = i.id ORDER BY version DESC LIMIT 1)`

export function currentLabel(db: DB, imageId: number): CurrentLabelRow | undefined {
  return db.prepare<[number], CurrentLabelRow>(`${CURRENT_SELECT} WHERE i.id = ?`).get(imageId)
}

/** Every image of a category with its current label and mask, in relative-path order. */
export function currentLabels(db: DB, categoryId: number): CurrentLabelRow[] {
  return db.prepare<[number], CurrentLabelRow>(`${CURRENT_SELECT} WHERE i.category_id = ? ORDER BY i.rel_path`).all(categoryId)
}
