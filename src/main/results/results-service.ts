/**
 * The results channels (results:*): stored evaluations, one evaluation with its report and the
 * thresholds in force, its test images with scores and predicted labels, and one image's map.
 */
import type Database from 'better-sqlite3'
import { UserError } from '../../common/ipc/errors'
import type {
  EvaluationDetail,
  EvaluationListItem,
  EvaluationListQuery,
  ResultImagePage,
  ResultImageQuery,
  ResultMap
} from '../../common/types/result-queries'
import { readScoreMap } from '../engine/evaluation/map-folder'
import { evaluationReport, imageResult } from '../store/repositories/results.repo'
import { evaluationDefectTypes, getEvaluationItem, listEvaluationItems, queryResultImages } from '../store/repositories/result-queries.repo'
import { currentThresholds } from '../store/repositories/thresholds.repo'
import { appliedThresholds } from './default-thresholds'
import { storedReport } from './stored-report'

const DEFAULT_PAGE = 100
const MAX_PAGE = 1000

export class ResultsService {
  constructor(private readonly db: Database.Database) {}

  evaluations(query: EvaluationListQuery = {}): EvaluationListItem[] {
    return listEvaluationItems(this.db, query)
  }

  evaluation(id: number): EvaluationDetail {
    const evaluation = this.requireEvaluation(id)
    const report = storedReport(evaluationReport(this.db, id))
    return {
      evaluation,
      report,
      thresholds: appliedThresholds(currentThresholds(this.db, evaluation.category_id), {
        iap90_threshold: evaluation.iap90_threshold,
        per_image: report.per_image ?? []
      }),
      defect_types: evaluationDefectTypes(this.db, id)
    }
  }

  images(q: ResultImageQuery): ResultImagePage {
    const { thresholds } = this.evaluation(q.evaluationId)
    const offset = Math.max(0, Math.floor(q.offset ?? 0))
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? DEFAULT_PAGE)))
    const imageThreshold = thresholds.image.value
    const { total, images } = queryResultImages(this.db, {
      evaluationId: q.evaluationId,
      imageThreshold,
      split: q.split,
      defectType: q.defectType,
      label: q.label,
      predicted: q.predicted,
      sort: q.sort ?? 'score_desc',
      offset,
      limit
    })
    return { total, offset, images, image_threshold: imageThreshold }
  }

  /** One image's map as stored (the model's output size, square). */
  map(evaluationId: number, imageId: number): ResultMap {
    this.requireEvaluation(evaluationId)
    const row = imageResult(this.db, evaluationId, imageId)
    if (!row) throw new UserError(`Image ${imageId} is not in evaluation ${evaluationId}.`, 'NOT_FOUND')
    const map = readScoreMap(row.map_path)
    if (map.width !== map.height) {
      throw new UserError(`${row.map_path}: expected a square map, got ${map.height}x${map.width}.`, 'BAD_MAP')
    }
    return { evaluation_id: evaluationId, image_id: imageId, size: map.width, data: Array.from(map.data) }
  }

  private requireEvaluation(id: number): EvaluationListItem {
    const evaluation = getEvaluationItem(this.db, id)
    if (!evaluation) throw new UserError(`Evaluation ${id} does not exist.`, 'NOT_FOUND')
    return evaluation
  }
}
