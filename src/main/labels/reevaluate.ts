/**
 * Scores a stored evaluation's maps again against the current labels, so that the metrics and
 * threshold tuning (which work on the newest evaluation) follow label edits without running the
 * model again. The new evaluation reuses the maps and scores (a map does not depend on labels)
 * and records the labels revision it was computed against.
 *
 * Images now in the training set are left out; test images without a map in the evaluation (moved
 * into the test set after it) are counted as skipped: only a new run scores them.
 */
import type Database from 'better-sqlite3'
import { UserError } from '../../common/ipc/errors'
import type { LabelReevaluation } from '../../common/types/labels'
import { readScoreMap } from '../engine/evaluation/map-folder'
import { loadTruths, sampleOf } from '../engine/evaluation/test-split'
import { evaluateCategory } from '../engine/metrics/evaluate-category'
import { predictionTo256 } from '../engine/metrics/protocol'
import { currentLabels, labelsRevision } from '../store/repositories/labels.repo'
import { getEvaluation, imageResults, insertEvaluation, reportColumns } from '../store/repositories/results.repo'
import { layoutOf, toTestImage } from './current-labels'

export async function reevaluateWithLabels(db: Database.Database, evaluationId: number): Promise<LabelReevaluation> {
  const evaluation = getEvaluation(db, evaluationId)
  if (!evaluation) throw new UserError(`Evaluation ${evaluationId} does not exist.`, 'NOT_FOUND')
  const results = new Map(imageResults(db, evaluationId).map((r) => [r.image_id, r]))
  const layout = layoutOf(db, evaluation.category_id)
  const test = currentLabels(db, evaluation.category_id).filter((row) => row.split === 'test')
  const scored = test.filter((row) => results.has(row.id))
  if (scored.length === 0) throw new UserError(`No current test image has a map in evaluation ${evaluationId}.`, 'NO_TEST_IMAGES')
  const tests = scored.map((row) => toTestImage(row, layout))
  const truths = await loadTruths(tests)
  const samples = tests.map((t, i) => {
    const map = readScoreMap(results.get(scored[i].id)!.map_path, t.path)
    return sampleOf(t, truths[i], predictionTo256(map.data, map.height, map.width))
  })
  const report = evaluateCategory(samples)
  const { revision } = labelsRevision(db, evaluation.category_id)
  const id = insertEvaluation(
    db,
    {
      run_id: evaluation.run_id,
      category_id: evaluation.category_id,
      model_path: evaluation.model_path,
      created_at: new Date().toISOString(),
      ...reportColumns(report),
      ms_per_image: null,
      maps_dir: evaluation.maps_dir
    },
    scored.map((row) => ({ image_id: row.id, score: results.get(row.id)!.score, map_path: results.get(row.id)!.map_path }))
  )
  const skipped = test.length - scored.length
  return {
    evaluation_id: id,
    from_evaluation_id: evaluationId,
    images: scored.length,
    skipped,
    labels_revision: revision,
    message:
      `Evaluation ${id}: the maps of evaluation ${evaluationId} scored against the current labels (revision ${revision}).` +
      (skipped > 0 ? ` ${skipped} test image${skipped === 1 ? ' has' : 's have'} no map in it (added to the test set later); a new run scores them.` : '')
  }
}

