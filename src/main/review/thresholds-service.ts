/**
 * Per-category thresholds (issue 5.4). Two kinds: pixel (a map value: pixels scoring >= it are
 * predicted defective) and image (an image score: images scoring >= it fail). Every save is a new
 * row, so the history stays; the current threshold of a kind is the latest row. Where none was
 * saved, an evaluation's defaults apply, by the one rule every page uses
 * (results/default-thresholds.ts, appliedThresholds):
 * - pixel: the evaluation's IAP@k operating point (iap90_threshold, the highest instance threshold
 *   that still detects k = 90% of the ground-truth instances, exactly what `destseg evaluate` prints);
 * - image: the image-score threshold with the best F1 on the evaluation's test images.
 */
import type Database from 'better-sqlite3'
import { UserError } from '../../common/ipc/errors'
import { instanceCurveAt } from '../../common/review/thresholds'
import type { EvaluationListItem, EvaluationReport, EvaluationThresholds } from '../../common/types/result-queries'
import type { ThresholdRecord } from '../../common/types/results'
import type { ScoredImage, ThresholdSaveRequest, ThresholdsQuery, ThresholdsView } from '../../common/types/review'
import { appliedThresholds } from '../results/default-thresholds'
import { storedReport } from '../results/stored-report'
import { evaluationReport } from '../store/repositories/results.repo'
import { getEvaluationItem, listEvaluationItems } from '../store/repositories/result-queries.repo'
import { categoryName, evaluatedCategories, evaluationImages, newestEvaluationId } from '../store/repositories/review.repo'
import { currentThresholds, insertThreshold, thresholdHistory } from '../store/repositories/thresholds.repo'

type DB = Database.Database

/** Parsed reports kept in memory (evaluations never change). */
const REPORT_CACHE_SIZE = 8

export interface ThresholdsServiceOptions {
  /** the clock of saved rows (tests fix it) */
  now?: () => Date
}

export class ThresholdsService {
  private readonly reports = new Map<number, EvaluationReport>()
  private readonly now: () => Date

  constructor(
    private readonly db: DB,
    options: ThresholdsServiceOptions = {}
  ) {
    this.now = options.now ?? (() => new Date())
  }

  /** An evaluation, or a UserError when there is none with this id. */
  evaluation(evaluationId: number): EvaluationListItem {
    const evaluation = getEvaluationItem(this.db, evaluationId)
    if (!evaluation) throw new UserError(`Evaluation ${evaluationId} does not exist.`, 'NOT_FOUND')
    return evaluation
  }

  /** The evaluation's stored report (parsed once). */
  report(evaluationId: number): EvaluationReport {
    const cached = this.reports.get(evaluationId)
    if (cached) return cached
    const raw = evaluationReport(this.db, evaluationId)
    if (!raw) throw new UserError(`Evaluation ${evaluationId} does not exist.`, 'NOT_FOUND')
    const report = storedReport(raw)
    if (this.reports.size >= REPORT_CACHE_SIZE) this.reports.delete(this.reports.keys().next().value as number)
    this.reports.set(evaluationId, report)
    return report
  }

  /** The evaluation's own defaults (what applies where nothing is saved). */
  defaults(evaluation: EvaluationListItem): { pixel: number; image: number } {
    const { pixel, image } = this.applied(evaluation, { pixel: null, image: null })
    return { pixel: pixel.value, image: image.value }
  }

  /** The thresholds that apply to an evaluation: its category's saved ones, else the evaluation's defaults. */
  inEffect(evaluation: EvaluationListItem): EvaluationThresholds {
    return this.applied(evaluation, currentThresholds(this.db, evaluation.category_id))
  }

  /** thresholds:get */
  view(query: ThresholdsQuery): ThresholdsView {
    const evaluationId = query.evaluationId ?? newestEvaluationId(this.db, query.categoryId ?? null)
    if (evaluationId === undefined) {
      const name = query.categoryId === undefined ? undefined : categoryName(this.db, query.categoryId)
      if (query.categoryId !== undefined && name === undefined) throw new UserError(`Category ${query.categoryId} does not exist.`, 'NOT_FOUND')
      throw new UserError(
        name === undefined ? 'No model has been evaluated yet: train a run first.' : `Category ${name} has no evaluation yet: train a run on it first.`,
        'NO_EVALUATION'
      )
    }
    const evaluation = this.evaluation(evaluationId)
    if (query.categoryId !== undefined && evaluation.category_id !== query.categoryId) {
      throw new UserError(`Evaluation ${evaluationId} is not of category ${query.categoryId}.`, 'invalid-argument')
    }
    const report = this.report(evaluationId)
    const categoryId = evaluation.category_id
    const defaults = this.defaults(evaluation)
    const idByPath = new Map(evaluationImages(this.db, evaluationId).map((im) => [im.path, im.image_id]))
    const images: ScoredImage[] = (report.per_image ?? []).map((im) => ({ ...im, image_id: idByPath.get(im.path) ?? null }))
    const atOperatingPoint = instanceCurveAt(report.curves.instance, defaults.pixel)
    return {
      category_id: categoryId,
      category_name: evaluation.category_name,
      evaluation,
      evaluations: listEvaluationItems(this.db, { categoryId }),
      categories: evaluatedCategories(this.db),
      current: currentThresholds(this.db, categoryId),
      defaults,
      in_effect: this.inEffect(evaluation),
      history: thresholdHistory(this.db, categoryId),
      operating_point: {
        k: report.k,
        threshold: defaults.pixel,
        recall: atOperatingPoint.recall,
        precision: evaluation.iap90 ?? atOperatingPoint.precision
      },
      instance_curve: report.curves.instance,
      pixel_metrics_reason: report.pixel_metrics_reason,
      images
    }
  }

  /** thresholds:save: a new history row, now the current threshold of its kind. */
  save(request: ThresholdSaveRequest): ThresholdRecord {
    if (categoryName(this.db, request.categoryId) === undefined) throw new UserError(`Category ${request.categoryId} does not exist.`, 'NOT_FOUND')
    if (request.evaluationId !== null && this.evaluation(request.evaluationId).category_id !== request.categoryId) {
      throw new UserError(`Evaluation ${request.evaluationId} is not of category ${request.categoryId}.`, 'invalid-argument')
    }
    const row = {
      category_id: request.categoryId,
      evaluation_id: request.evaluationId,
      kind: request.kind,
      value: request.value,
      note: request.note ?? '',
      created_at: this.now().toISOString()
    }
    return { id: insertThreshold(this.db, row), ...row }
  }

  private applied(evaluation: EvaluationListItem, saved: Parameters<typeof appliedThresholds>[0]): EvaluationThresholds {
    const report = this.report(evaluation.id)
    return appliedThresholds(saved, { iap90_threshold: evaluation.iap90_threshold, per_image: report.per_image ?? [] })
  }
}
