/** Queries for training runs and their queue. Rows are typed; callers own transactions. */
import type Database from 'better-sqlite3'
import type { RunStatus } from '../../../common/types/runs'

type DB = Database.Database

/** A runs row as stored (JSON columns as text). */
export interface RunRecord {
  id: number
  dataset_id: number
  category_id: number
  name: string
  preset: string
  config_json: string
  status: RunStatus
  run_dir: string
  backend: string | null
  /** orders the queue; non-null exactly while queued */
  queue_position: number | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  error: string | null
  note: string | null
  last_progress_json: string | null
  train_seconds: number | null
  model_path: string | null
}

/** A run with its names and its 1-based place in the queue (null when not queued). */
export interface RunListRow extends RunRecord {
  dataset_name: string
  category_name: string
  queue_rank: number | null
}

export type NewRun = Pick<RunRecord, 'dataset_id' | 'category_id' | 'name' | 'preset' | 'config_json' | 'created_at'>

const LIST_SQL = `SELECT r.*, d.name AS dataset_name, c.name AS category_name,
                         CASE WHEN r.queue_position IS NULL THEN NULL
                              ELSE (SELECT COUNT(*) FROM runs q WHERE q.queue_position <= r.queue_position) END AS queue_rank
                  FROM runs r JOIN categories c ON c.id = r.category_id JOIN datasets d ON d.id = r.dataset_id`

/** Runs, newest first; of one category when given. */
export function listRuns(db: DB, categoryId?: number): RunListRow[] {
  if (categoryId === undefined) return db.prepare<[], RunListRow>(`${LIST_SQL} ORDER BY r.id DESC`).all()
  return db.prepare<[number], RunListRow>(`${LIST_SQL} WHERE r.category_id = ? ORDER BY r.id DESC`).all(categoryId)
}

export function getRunRow(db: DB, id: number): RunListRow | undefined {
  return db.prepare<[number], RunListRow>(`${LIST_SQL} WHERE r.id = ?`).get(id)
}

export function getRun(db: DB, id: number): RunRecord | undefined {
  return db.prepare<[number], RunRecord>('SELECT * FROM runs WHERE id = ?').get(id)
}

/**
 * Inserts a queued run at the end of the queue; its run_dir is made from its id by `runDir`
 * (so the row is inserted and then given its folder: call inside a transaction).
 */
export function insertQueuedRun(db: DB, run: NewRun, runDir: (id: number) => string): number {
  const sql = `INSERT INTO runs (dataset_id, category_id, name, preset, config_json, status, run_dir, queue_position, created_at)
               VALUES (@dataset_id, @category_id, @name, @preset, @config_json, 'queued', '', @queue_position, @created_at)`
  const id = Number(db.prepare<NewRun & { queue_position: number }>(sql).run({ ...run, queue_position: nextQueuePosition(db) }).lastInsertRowid)
  db.prepare<[string, number]>('UPDATE runs SET run_dir = ? WHERE id = ?').run(runDir(id), id)
  return id
}

function nextQueuePosition(db: DB): number {
  return db.prepare<[], { p: number }>('SELECT COALESCE(MAX(queue_position), 0) + 1 AS p FROM runs').get()!.p
}

/** The queued run to start next, if any. */
export function nextQueuedRun(db: DB): RunRecord | undefined {
  return db
    .prepare<[], RunRecord>('SELECT * FROM runs WHERE queue_position IS NOT NULL ORDER BY queue_position, id LIMIT 1')
    .get()
}

/** Puts a run (back) at the end of the queue, clearing how it ended. */
export function enqueueRun(db: DB, id: number): void {
  const sql = `UPDATE runs SET status = 'queued', queue_position = @position, finished_at = NULL, error = NULL, note = NULL
               WHERE id = @id`
  db.prepare<{ id: number; position: number }>(sql).run({ id, position: nextQueuePosition(db) })
}

/** A run leaves the queue and starts training; started_at is the first start. */
export function markRunStarted(db: DB, id: number, now: string): void {
  const sql = `UPDATE runs SET status = 'training', queue_position = NULL, started_at = COALESCE(started_at, @now),
               finished_at = NULL, error = NULL, note = NULL WHERE id = @id`
  db.prepare<{ id: number; now: string }>(sql).run({ id, now })
}

/** A status change of a run that is not queued; `finished_at` set for the end states. */
export function setRunStatus(
  db: DB,
  id: number,
  status: Exclude<RunStatus, 'queued'>,
  fields: { finished_at?: string | null; error?: string | null; note?: string | null } = {}
): void {
  const sql = `UPDATE runs SET status = @status, queue_position = NULL,
               finished_at = CASE WHEN @set_finished THEN @finished_at ELSE finished_at END,
               error = CASE WHEN @set_error THEN @error ELSE error END,
               note = CASE WHEN @set_note THEN @note ELSE note END
               WHERE id = @id`
  type Params = { id: number; status: string; set_finished: number; finished_at: string | null; set_error: number; error: string | null; set_note: number; note: string | null }
  db.prepare<Params>(sql).run({
    id,
    status,
    set_finished: fields.finished_at !== undefined ? 1 : 0,
    finished_at: fields.finished_at ?? null,
    set_error: fields.error !== undefined ? 1 : 0,
    error: fields.error ?? null,
    set_note: fields.note !== undefined ? 1 : 0,
    note: fields.note ?? null
  })
}

export function setRunProgress(db: DB, id: number, progressJson: string, trainSeconds: number): void {
  db.prepare<[string, number, number]>('UPDATE runs SET last_progress_json = ?, train_seconds = ? WHERE id = ?').run(
    progressJson,
    trainSeconds,
    id
  )
}

export function setRunBackend(db: DB, id: number, backend: string): void {
  db.prepare<[string, number]>('UPDATE runs SET backend = ? WHERE id = ?').run(backend, id)
}

export function setRunTrainSeconds(db: DB, id: number, seconds: number): void {
  db.prepare<[number, number]>('UPDATE runs SET train_seconds = ? WHERE id = ?').run(seconds, id)
}

export function setRunModelPath(db: DB, id: number, modelPath: string | null): void {
  db.prepare<[string | null, number]>('UPDATE runs SET model_path = ? WHERE id = ?').run(modelPath, id)
}

/** Runs in a status, oldest first. */
export function runsWithStatus(db: DB, statuses: readonly RunStatus[]): RunRecord[] {
  const marks = statuses.map(() => '?').join(', ')
  return db.prepare<RunStatus[], RunRecord>(`SELECT * FROM runs WHERE status IN (${marks}) ORDER BY id`).all(...statuses)
}

/** Deletes a run with its evaluations (and their image results and verdicts); false if it did not exist. */
export function deleteRun(db: DB, id: number): boolean {
  return db.prepare<[number]>('DELETE FROM runs WHERE id = ?').run(id).changes > 0
}
