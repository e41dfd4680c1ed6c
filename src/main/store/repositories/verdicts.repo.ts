/**
 * Failure-review verdicts. Every verdict given is a row; for each (evaluation, image, queue) the
 * latest one counts, so a reviewer can change their mind and the history stays.
 */
import type Database from 'better-sqlite3'
import { VERDICT_KINDS, type ReviewQueue, type VerdictCounts, type VerdictRecord } from '../../../common/types/results'

type DB = Database.Database

export type NewVerdict = Omit<VerdictRecord, 'id'>

export function insertVerdict(db: DB, verdict: NewVerdict): number {
  const sql = `INSERT INTO verdicts (evaluation_id, image_id, queue, verdict, note, created_at)
               VALUES (@evaluation_id, @image_id, @queue, @verdict, @note, @created_at)`
  return Number(db.prepare<NewVerdict>(sql).run(verdict).lastInsertRowid)
}

/** The verdicts that count: the latest per image and queue, of one queue when given. */
export function latestVerdicts(db: DB, evaluationId: number, queue?: ReviewQueue): VerdictRecord[] {
  const sql = `SELECT v.* FROM verdicts v
               WHERE v.evaluation_id = @evaluationId AND (@queue IS NULL OR v.queue = @queue)
                 AND v.id = (SELECT MAX(w.id) FROM verdicts w
                             WHERE w.evaluation_id = v.evaluation_id AND w.image_id = v.image_id AND w.queue = v.queue)
               ORDER BY v.image_id, v.queue`
  return db
    .prepare<{ evaluationId: number; queue: string | null }, VerdictRecord>(sql)
    .all({ evaluationId, queue: queue ?? null })
}

/** Every verdict ever given on an image in an evaluation, newest first. */
export function verdictHistory(db: DB, evaluationId: number, imageId: number): VerdictRecord[] {
  return db
    .prepare<[number, number], VerdictRecord>('SELECT * FROM verdicts WHERE evaluation_id = ? AND image_id = ? ORDER BY id DESC')
    .all(evaluationId, imageId)
}

/** How many of the counting verdicts are of each kind (of one queue when given). */
export function countVerdicts(db: DB, evaluationId: number, queue?: ReviewQueue): VerdictCounts {
  const counts = Object.fromEntries(VERDICT_KINDS.map((k) => [k, 0])) as VerdictCounts
  for (const v of latestVerdicts(db, evaluationId, queue)) counts[v.verdict]++
  return counts
}
