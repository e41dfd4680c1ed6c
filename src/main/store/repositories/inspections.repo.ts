/**
 * Queries for inspections and their per-image results. An inspection row is written when it starts
 * (status 'running'); its results are written with its final status in one transaction
 * (finishInspection), so only a done inspection has results, and it has all of them.
 */
import type Database from 'better-sqlite3'
import type { InspectionStatus, InspectionVerdictFilter } from '../../../common/types/inspections'

type DB = Database.Database

export interface InspectionRecord {
  id: number
  category_id: number
  run_id: number | null
  model_path: string
  folder: string
  created_at: string
  finished_at: string | null
  status: InspectionStatus
  error: string | null
  pixel_threshold: number
  image_threshold: number
  threshold_note: string
  maps_dir: string
  images: number
  ms_per_image: number | null
}

/** An inspection with its names and pass/fail counts. */
export interface InspectionListRow extends InspectionRecord {
  category_name: string
  dataset_id: number
  dataset_name: string
  run_name: string | null
  passed: number
  failed: number
}

export interface InspectionResultRecord {
  id: number
  inspection_id: number
  path: string
  width: number
  height: number
  score: number
  map_path: string
  map_size: number
  pass: 0 | 1
  defect_fraction: number
}

export type NewInspection = Pick<
  InspectionRecord,
  'category_id' | 'run_id' | 'model_path' | 'folder' | 'created_at' | 'pixel_threshold' | 'image_threshold' | 'threshold_note'
>
export type NewInspectionResult = Omit<InspectionResultRecord, 'id' | 'inspection_id'>

const LIST_SQL = `SELECT i.*, c.name AS category_name, c.dataset_id AS dataset_id, d.name AS dataset_name, r.name AS run_name,
    (SELECT COUNT(*) FROM inspection_results x WHERE x.inspection_id = i.id AND x.pass = 1) AS passed,
    (SELECT COUNT(*) FROM inspection_results x WHERE x.inspection_id = i.id AND x.pass = 0) AS failed
  FROM inspections i
  JOIN categories c ON c.id = i.category_id
  JOIN datasets d ON d.id = c.dataset_id
  LEFT JOIN runs r ON r.id = i.run_id`

/** A run as an inspection needs it: its model. */
export interface ModelRun {
  id: number
  name: string
  status: string
  category_id: number
  model_path: string | null
}

/** The category's newest done run with an exported model. */
export function latestModelRun(db: DB, categoryId: number): ModelRun | undefined {
  return db
    .prepare<[number], ModelRun>(
      `SELECT id, name, status, category_id, model_path FROM runs
       WHERE category_id = ? AND status = 'done' AND model_path IS NOT NULL ORDER BY id DESC LIMIT 1`
    )
    .get(categoryId)
}

/**
 * Inserts a running inspection; `mapsDir` names its folder from its id. Returns the id.
 * Call inside a transaction (the row is inserted, then its folder set).
 */
export function insertInspection(db: DB, row: NewInspection, mapsDir: (id: number) => string): number {
  const id = Number(
    db
      .prepare<NewInspection>(
        `INSERT INTO inspections (category_id, run_id, model_path, folder, created_at, status, pixel_threshold, image_threshold,
           threshold_note, maps_dir)
         VALUES (@category_id, @run_id, @model_path, @folder, @created_at, 'running', @pixel_threshold, @image_threshold,
           @threshold_note, '')`
      )
      .run(row).lastInsertRowid
  )
  db.prepare<[string, number]>('UPDATE inspections SET maps_dir = ? WHERE id = ?').run(mapsDir(id), id)
  return id
}

/** Writes every result and marks the inspection done, in one transaction. */
export function finishInspection(
  db: DB,
  id: number,
  results: readonly NewInspectionResult[],
  finishedAt: string,
  msPerImage: number | null
): void {
  const insert = db.prepare<NewInspectionResult & { inspection_id: number }>(
    `INSERT INTO inspection_results (inspection_id, path, width, height, score, map_path, map_size, pass, defect_fraction)
     VALUES (@inspection_id, @path, @width, @height, @score, @map_path, @map_size, @pass, @defect_fraction)`
  )
  db.transaction(() => {
    for (const r of results) insert.run({ ...r, inspection_id: id })
    db.prepare<[string, number, number | null, number]>(
      "UPDATE inspections SET status = 'done', error = NULL, finished_at = ?, images = ?, ms_per_image = ? WHERE id = ?"
    ).run(finishedAt, results.length, msPerImage, id)
  })()
}

/** Ends a running inspection without results (cancelled or failed). */
export function stopInspection(db: DB, id: number, status: 'cancelled' | 'failed', finishedAt: string, error: string | null): void {
  db.prepare<[string, string, string | null, number]>(
    "UPDATE inspections SET status = ?, finished_at = ?, error = ? WHERE id = ? AND status = 'running'"
  ).run(status, finishedAt, error, id)
}

export function getInspectionRow(db: DB, id: number): InspectionListRow | undefined {
  return db.prepare<[number], InspectionListRow>(`${LIST_SQL} WHERE i.id = ?`).get(id)
}

/** Inspections, newest first; of one category when given. */
export function listInspections(db: DB, categoryId?: number): InspectionListRow[] {
  if (categoryId === undefined) return db.prepare<[], InspectionListRow>(`${LIST_SQL} ORDER BY i.id DESC`).all()
  return db.prepare<[number], InspectionListRow>(`${LIST_SQL} WHERE i.category_id = ? ORDER BY i.id DESC`).all(categoryId)
}

export function inspectionsWithStatus(db: DB, status: InspectionStatus): InspectionRecord[] {
  return db.prepare<[string], InspectionRecord>('SELECT * FROM inspections WHERE status = ?').all(status)
}

/** maps_dir of every inspection of a category's dataset (for removing their folders with the dataset). */
export function datasetInspectionDirs(db: DB, datasetId: number): string[] {
  return db
    .prepare<[number], { maps_dir: string }>(
      'SELECT i.maps_dir FROM inspections i JOIN categories c ON c.id = i.category_id WHERE c.dataset_id = ?'
    )
    .all(datasetId)
    .map((r) => r.maps_dir)
}

export interface ResultFilter {
  verdict?: InspectionVerdictFilter
  order: 'asc' | 'desc'
  offset: number
  limit: number
}

/** A page of an inspection's results by score (ties by id), with the count matching the filter. */
export function queryResults(db: DB, inspectionId: number, filter: ResultFilter): { total: number; rows: InspectionResultRecord[] } {
  const where = filter.verdict === undefined ? '' : ` AND pass = ${filter.verdict === 'pass' ? 1 : 0}`
  const total = db
    .prepare<[number], { n: number }>(`SELECT COUNT(*) AS n FROM inspection_results WHERE inspection_id = ?${where}`)
    .get(inspectionId)!.n
  const dir = filter.order === 'asc' ? 'ASC' : 'DESC'
  const rows = db
    .prepare<[number, number, number], InspectionResultRecord>(
      `SELECT * FROM inspection_results WHERE inspection_id = ?${where} ORDER BY score ${dir}, id ${dir} LIMIT ? OFFSET ?`
    )
    .all(inspectionId, filter.limit, filter.offset)
  return { total, rows }
}

export function getResult(db: DB, resultId: number): InspectionResultRecord | undefined {
  return db.prepare<[number], InspectionResultRecord>('SELECT * FROM inspection_results WHERE id = ?').get(resultId)
}

/** Deletes an inspection with its results. */
export function deleteInspection(db: DB, id: number): boolean {
  return db.prepare<[number]>('DELETE FROM inspections WHERE id = ?').run(id).changes > 0
}
