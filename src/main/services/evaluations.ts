/**
 * Stores a model evaluation (engine/evaluation/evaluate-model.ts) in the database: the category's
 * images are found by path (the category folder is imported first when the database does not know
 * it), then the evaluation and one row per test image are written in one transaction.
 */
import type Database from 'better-sqlite3'
import { UserError } from '../../common/ipc/errors'
import type { DatasetService } from '../datasets/dataset-service'
import { resolveFolder } from '../datasets/files'
import type { ModelEvaluation } from '../engine/evaluation/evaluate-model'
import { insertEvaluation, reportColumns } from '../store/repositories/results.repo'

export interface StoreEvaluationRequest {
  categoryDir: string
  modelPath: string
  mapsDir: string
  runId: number | null
  evaluation: ModelEvaluation
}

/** The category whose root is `folder`, importing the folder when no dataset holds it yet. */
export async function categoryForFolder(db: Database.Database, datasets: DatasetService, folder: string): Promise<number> {
  const root = await resolveFolder(folder)
  const find = (): number | undefined =>
    (db.prepare('SELECT id FROM categories WHERE root = ?').get(root) as { id: number } | undefined)?.id
  const known = find()
  if (known !== undefined) return known
  const outcome = await datasets.import({ folder: root })
  const id = find()
  if (outcome.dataset_id === null || id === undefined) {
    throw new UserError(`could not import ${root} to store the evaluation: ${outcome.rejected.length} files rejected`, 'IMPORT_FAILED')
  }
  return id
}

/** Writes the evaluation and its per-image results; returns the evaluation id. */
export async function storeEvaluation(db: Database.Database, datasets: DatasetService, req: StoreEvaluationRequest): Promise<number> {
  const categoryId = await categoryForFolder(db, datasets, req.categoryDir)
  const idOf = db.prepare('SELECT id FROM images WHERE category_id = ? AND path = ?')
  const { report, images, timing } = req.evaluation
  const rows = images.map((im) => {
    const row = idOf.get(categoryId, im.path) as { id: number } | undefined
    if (!row) throw new UserError(`${im.path} is not in the database's copy of ${req.categoryDir}; re-scan the dataset`, 'STALE_DATASET')
    if (im.mapPath === null) throw new Error(`no map file was written for ${im.path}`)
    return { image_id: row.id, score: im.score, map_path: im.mapPath }
  })
  return insertEvaluation(
    db,
    {
      run_id: req.runId,
      category_id: categoryId,
      model_path: req.modelPath,
      created_at: new Date().toISOString(),
      ...reportColumns(report),
      ms_per_image: timing.ms_per_image,
      maps_dir: req.mapsDir
    },
    rows
  )
}
