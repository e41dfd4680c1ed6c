/**
 * Read queries of the Thresholds and Review pages: which categories have evaluations, the newest
 * evaluation, and an evaluation's test images with their files (image, map, mask).
 */
import type Database from 'better-sqlite3'
import type { EvaluatedCategory } from '../../../common/types/review'

type DB = Database.Database

/** Categories with at least one evaluation, by dataset and category name. */
export function evaluatedCategories(db: DB): EvaluatedCategory[] {
  const sql = `SELECT c.id, c.name, c.dataset_id, d.name AS dataset_name, COUNT(e.id) AS evaluations
               FROM categories c JOIN datasets d ON d.id = c.dataset_id JOIN evaluations e ON e.category_id = c.id
               GROUP BY c.id ORDER BY d.name, c.name`
  return db.prepare<[], EvaluatedCategory>(sql).all()
}

/** The newest evaluation of a category (of any category when null). */
export function newestEvaluationId(db: DB, categoryId: number | null): number | undefined {
  const row =
    categoryId === null
      ? db.prepare<[], { id: number }>('SELECT id FROM evaluations ORDER BY id DESC LIMIT 1').get()
      : db.prepare<[number], { id: number }>('SELECT id FROM evaluations WHERE category_id = ? ORDER BY id DESC LIMIT 1').get(categoryId)
  return row?.id
}

export function categoryName(db: DB, categoryId: number): string | undefined {
  return db.prepare<[number], { name: string }>('SELECT name FROM categories WHERE id = ?').get(categoryId)?.name
}

/** A test image of an evaluation with what the review needs: its result, its files and its size. */
export interface EvaluationImage {
  image_id: number
  path: string
  rel_path: string
  defect_type: string
  width: number
  height: number
  score: number
  map_path: string
  /** the ground-truth mask file, null without one */
  mask_path: string | null
}

/** Every image result of an evaluation with its image and mask files, by image id. */
export function evaluationImages(db: DB, evaluationId: number): EvaluationImage[] {
  const sql = `SELECT r.image_id, i.path, i.rel_path, i.defect_type, i.width, i.height, r.score, r.map_path, m.path AS mask_path
               FROM image_results r JOIN images i ON i.id = r.image_id LEFT JOIN masks m ON m.image_id = r.image_id
               WHERE r.evaluation_id = ? ORDER BY r.image_id`
  return db.prepare<[number], EvaluationImage>(sql).all(evaluationId)
}
