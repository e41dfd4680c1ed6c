/**
 * Read queries behind the results channels: evaluations with the names the pickers show, and one
 * evaluation's image results joined with their images (filtered by split, defect type, true label
 * and predicted label at a given image threshold; sorted by score; paged).
 */
import type Database from 'better-sqlite3'
import type { Split } from '../../../common/types/datasets'
import type { EvaluationListItem, ResultImageRow, ResultSort } from '../../../common/types/result-queries'

type DB = Database.Database

const ITEM_COLUMNS = `e.id, e.run_id, e.category_id, e.model_path, e.created_at, e.image_auroc, e.pixel_auroc, e.pixel_ap,
  e.iap, e.iap90, e.iap90_threshold, e.aupro, e.images, e.instances, e.ms_per_image, e.maps_dir,
  c.dataset_id, d.name AS dataset_name, c.name AS category_name, r.name AS run_name, r.preset AS run_preset`

const ITEM_FROM = `evaluations e
  JOIN categories c ON c.id = e.category_id
  JOIN datasets d ON d.id = c.dataset_id
  LEFT JOIN runs r ON r.id = e.run_id`

/** Evaluations newest first, of a category and/or a run when given. */
export function listEvaluationItems(db: DB, filter: { categoryId?: number; runId?: number }): EvaluationListItem[] {
  const where: string[] = []
  if (filter.categoryId !== undefined) where.push('e.category_id = @categoryId')
  if (filter.runId !== undefined) where.push('e.run_id = @runId')
  const sql = `SELECT ${ITEM_COLUMNS} FROM ${ITEM_FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC`
  return db
    .prepare<{ categoryId: number | null; runId: number | null }, EvaluationListItem>(sql)
    .all({ categoryId: filter.categoryId ?? null, runId: filter.runId ?? null })
}

export function getEvaluationItem(db: DB, id: number): EvaluationListItem | undefined {
  return db.prepare<[number], EvaluationListItem>(`SELECT ${ITEM_COLUMNS} FROM ${ITEM_FROM} WHERE e.id = ?`).get(id)
}

/** The defect types of an evaluation's images, sorted. */
export function evaluationDefectTypes(db: DB, evaluationId: number): string[] {
  return db
    .prepare<[number], { defect_type: string }>(
      `SELECT DISTINCT i.defect_type FROM image_results ir JOIN images i ON i.id = ir.image_id
       WHERE ir.evaluation_id = ? ORDER BY i.defect_type`
    )
    .all(evaluationId)
    .map((r) => r.defect_type)
}

export interface ResultImageFilter {
  evaluationId: number
  /** predicted = score >= imageThreshold */
  imageThreshold: number
  split?: Split
  defectType?: string
  label?: 0 | 1
  predicted?: 0 | 1
  sort: ResultSort
  offset: number
  limit: number
}

type ResultListRow = Omit<ResultImageRow, 'has_mask'> & { has_mask: number }

/** One page of an evaluation's image results with their images; the total counts every match. */
export function queryResultImages(db: DB, q: ResultImageFilter): { total: number; images: ResultImageRow[] } {
  const where = ['1 = 1']
  if (q.split !== undefined) where.push('split = @split')
  if (q.defectType !== undefined) where.push('defect_type = @defectType')
  if (q.label !== undefined) where.push('label = @label')
  if (q.predicted !== undefined) where.push('predicted = @predicted')
  const params = {
    evaluationId: q.evaluationId,
    threshold: q.imageThreshold,
    split: q.split ?? null,
    defectType: q.defectType ?? null,
    label: q.label ?? null,
    predicted: q.predicted ?? null,
    offset: q.offset,
    limit: q.limit
  }
  // rank is over the whole evaluation, before filtering.
  const ranked = `WITH ranked AS (
      SELECT i.id, i.dataset_id, i.category_id, i.path, i.rel_path, i.split, i.defect_type, i.label, i.width, i.height,
             EXISTS (SELECT 1 FROM masks m WHERE m.image_id = i.id) AS has_mask,
             ir.score, CASE WHEN ir.score >= @threshold THEN 1 ELSE 0 END AS predicted,
             ROW_NUMBER() OVER (ORDER BY ir.score DESC, ir.image_id) AS rank
      FROM image_results ir JOIN images i ON i.id = ir.image_id
      WHERE ir.evaluation_id = @evaluationId)`
  const filter = where.join(' AND ')
  const total = db.prepare<typeof params, { n: number }>(`${ranked} SELECT COUNT(*) AS n FROM ranked WHERE ${filter}`).get(params)!.n
  const order = q.sort === 'score_asc' ? 'rank DESC' : 'rank ASC'
  const rows = db
    .prepare<typeof params, ResultListRow>(`${ranked} SELECT * FROM ranked WHERE ${filter} ORDER BY ${order} LIMIT @limit OFFSET @offset`)
    .all(params)
  return { total, images: rows.map(({ has_mask, ...rest }): ResultImageRow => ({ ...rest, has_mask: has_mask === 1 })) }
}

