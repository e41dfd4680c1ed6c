/**
 * Per-category thresholds, pixel and image. Every saved value is a row (the history); the current
 * threshold of a kind is the category's latest row of that kind.
 */
import type Database from 'better-sqlite3'
import type { CurrentThresholds, ThresholdKind, ThresholdRecord } from '../../../common/types/results'

type DB = Database.Database

export type NewThreshold = Omit<ThresholdRecord, 'id'>

export function insertThreshold(db: DB, threshold: NewThreshold): number {
  const sql = `INSERT INTO thresholds (category_id, evaluation_id, kind, value, note, created_at)
               VALUES (@category_id, @evaluation_id, @kind, @value, @note, @created_at)`
  return Number(db.prepare<NewThreshold>(sql).run(threshold).lastInsertRowid)
}

/** A category's thresholds, newest first; of one kind when given. */
export function thresholdHistory(db: DB, categoryId: number, kind?: ThresholdKind): ThresholdRecord[] {
  if (kind === undefined) {
    return db.prepare<[number], ThresholdRecord>('SELECT * FROM thresholds WHERE category_id = ? ORDER BY id DESC').all(categoryId)
  }
  return db
    .prepare<[number, string], ThresholdRecord>('SELECT * FROM thresholds WHERE category_id = ? AND kind = ? ORDER BY id DESC')
    .all(categoryId, kind)
}

/** The latest threshold of each kind (null for a kind never saved). */
export function currentThresholds(db: DB, categoryId: number): CurrentThresholds {
  const latest = (kind: ThresholdKind): ThresholdRecord | null =>
    db
      .prepare<[number, string], ThresholdRecord>('SELECT * FROM thresholds WHERE category_id = ? AND kind = ? ORDER BY id DESC LIMIT 1')
      .get(categoryId, kind) ?? null
  return { pixel: latest('pixel'), image: latest('image') }
}
