/**
 * Queries for evaluations and their per-image results. An evaluation is written with all its image
 * rows in one transaction (insertEvaluation), so a stored evaluation is always complete.
 */
import type Database from 'better-sqlite3'
import type { MetricsReport } from '../../../common/types/metrics'
import type { EvaluationMetrics, EvaluationSummary, ImageResult } from '../../../common/types/results'

type DB = Database.Database

/** An evaluations row as stored: the summary plus the full report as JSON text. */
export interface EvaluationRecord extends EvaluationSummary {
  metrics_json: string
}

export interface NewEvaluation extends EvaluationMetrics {
  run_id: number | null
  category_id: number
  model_path: string
  created_at: string
  images: number
  instances: number
  ms_per_image: number | null
  /** the full report (curves included); stored as JSON */
  report: object
  maps_dir: string
}

export type NewImageResult = Omit<ImageResult, 'evaluation_id'>

const SUMMARY_COLUMNS = `id, run_id, category_id, model_path, created_at, image_auroc, pixel_auroc, pixel_ap, iap, iap90,
  iap90_threshold, aupro, images, instances, ms_per_image, maps_dir`

/** The columns of an evaluations row that copy a report's numbers; the report itself goes along. */
export function reportColumns(report: MetricsReport): EvaluationMetrics & Pick<NewEvaluation, 'images' | 'instances' | 'report'> {
  const { image_auroc, pixel_auroc, pixel_ap, iap, iap90, iap90_threshold, aupro, images, instances } = report
  return { image_auroc, pixel_auroc, pixel_ap, iap, iap90, iap90_threshold, aupro, images, instances, report }
}

/** Inserts an evaluation and every image result in one transaction; returns its id. */
export function insertEvaluation(db: DB, evaluation: NewEvaluation, results: readonly NewImageResult[]): number {
  const { report, ...row } = evaluation
  const insertRow = db.prepare<Omit<NewEvaluation, 'report'> & { metrics_json: string }>(
    `INSERT INTO evaluations (run_id, category_id, model_path, created_at, image_auroc, pixel_auroc, pixel_ap, iap, iap90,
       iap90_threshold, aupro, images, instances, ms_per_image, metrics_json, maps_dir)
     VALUES (@run_id, @category_id, @model_path, @created_at, @image_auroc, @pixel_auroc, @pixel_ap, @iap, @iap90,
       @iap90_threshold, @aupro, @images, @instances, @ms_per_image, @metrics_json, @maps_dir)`
  )
  const insertResult = db.prepare<ImageResult>(
    'INSERT INTO image_results (evaluation_id, image_id, score, map_path) VALUES (@evaluation_id, @image_id, @score, @map_path)'
  )
  return db.transaction(() => {
    const id = Number(insertRow.run({ ...row, metrics_json: JSON.stringify(report) }).lastInsertRowid)
    for (const r of results) insertResult.run({ ...r, evaluation_id: id })
    return id
  })()
}

export function getEvaluation(db: DB, id: number): EvaluationSummary | undefined {
  return db.prepare<[number], EvaluationSummary>(`SELECT ${SUMMARY_COLUMNS} FROM evaluations WHERE id = ?`).get(id)
}

/** The full stored report of an evaluation (parsed JSON), or undefined if there is no such evaluation. */
export function evaluationReport(db: DB, id: number): unknown {
  const row = db.prepare<[number], { metrics_json: string }>('SELECT metrics_json FROM evaluations WHERE id = ?').get(id)
  return row ? (JSON.parse(row.metrics_json) as unknown) : undefined
}

/** Evaluations of a category, newest first. */
export function listEvaluations(db: DB, categoryId: number): EvaluationSummary[] {
  return db
    .prepare<[number], EvaluationSummary>(`SELECT ${SUMMARY_COLUMNS} FROM evaluations WHERE category_id = ? ORDER BY id DESC`)
    .all(categoryId)
}

/** Evaluations of a run, newest first. */
export function runEvaluations(db: DB, runId: number): EvaluationSummary[] {
  return db
    .prepare<[number], EvaluationSummary>(`SELECT ${SUMMARY_COLUMNS} FROM evaluations WHERE run_id = ? ORDER BY id DESC`)
    .all(runId)
}

/** Every image result of an evaluation, highest score first. */
export function imageResults(db: DB, evaluationId: number): ImageResult[] {
  return db
    .prepare<[number], ImageResult>('SELECT * FROM image_results WHERE evaluation_id = ? ORDER BY score DESC, image_id')
    .all(evaluationId)
}

export function imageResult(db: DB, evaluationId: number, imageId: number): ImageResult | undefined {
  return db
    .prepare<[number, number], ImageResult>('SELECT * FROM image_results WHERE evaluation_id = ? AND image_id = ?')
    .get(evaluationId, imageId)
}

/** Deletes an evaluation with its image results and verdicts (thresholds set on it keep their value). */
export function deleteEvaluation(db: DB, id: number): boolean {
  return db.prepare<[number]>('DELETE FROM evaluations WHERE id = ?').run(id).changes > 0
}

/** maps_dir of every evaluation of a run (their files live on disk; the caller removes them). */
export function runMapsDirs(db: DB, runId: number): string[] {
  return db
    .prepare<[number], { maps_dir: string }>('SELECT maps_dir FROM evaluations WHERE run_id = ?')
    .all(runId)
    .map((r) => r.maps_dir)
}
