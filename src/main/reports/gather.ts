/**
 * Gathers a report (ReportModel) from the store: the target's evaluation (a run's latest, or a
 * category's latest) with its stored report (metrics, curves, per-image scores), the thresholds in
 * force (results/default-thresholds.ts: saved, else the evaluation's defaults) and their history,
 * the failure-review queues at those thresholds with their verdicts (review/review-service.ts),
 * the run and its configuration, and the dataset's counts. Thumbnails are added by thumbnails.ts.
 */
import type Database from 'better-sqlite3'
import { version } from '../../../package.json'
import { UserError } from '../../common/ipc/errors'
import { confusionAt, f1Of, instanceCurveAt } from '../../common/review/thresholds'
import type {
  ReportCase,
  ReportDataset,
  ReportHistogram,
  ReportImageRow,
  ReportMetric,
  ReportModel,
  ReportQueue,
  ReportRun,
  ReportRunRow,
  ReportTarget
} from '../../common/types/reports'
import type { EvaluationListItem, EvaluationReport } from '../../common/types/result-queries'
import { REVIEW_QUEUES, type EvaluationMetrics, type ReviewQueue, type VerdictKind, type VerdictRecord } from '../../common/types/results'
import type { RunConfig } from '../../common/types/training'
import type { DatasetLayout } from '../../common/types/datasets'
import { ReviewService } from '../review/review-service'
import { ThresholdsService } from '../review/thresholds-service'
import { evaluationReport } from '../store/repositories/results.repo'
import { getEvaluationItem, listEvaluationItems } from '../store/repositories/result-queries.repo'
import { getRun, listRuns, type RunRecord } from '../store/repositories/runs.repo'
import { thresholdHistory } from '../store/repositories/thresholds.repo'
import { countVerdicts, latestVerdicts } from '../store/repositories/verdicts.repo'

type DB = Database.Database

/** Failure cases shown per queue. */
export const CASE_LIMIT = 12
/** Bins of the score histograms. */
export const HISTOGRAM_BINS = 20

export interface GatherOptions {
  /** the app's review service (its analyses are cached); a new one when left out */
  review?: ReviewService
  /** the clock of generated_at (tests fix it) */
  now?: () => Date
  /** failure cases per queue (default CASE_LIMIT) */
  caseLimit?: number
}

/** The headline metrics in the order every report lists them. */
export function metricRows(m: EvaluationMetrics, k = 0.9): ReportMetric[] {
  const at = `IAP@${Math.round(k * 100)}`
  return [
    { key: 'image_auroc', label: 'Image AUROC', value: m.image_auroc },
    { key: 'pixel_auroc', label: 'Pixel AUROC', value: m.pixel_auroc },
    { key: 'pixel_ap', label: 'Pixel AP', value: m.pixel_ap },
    { key: 'iap', label: 'IAP', value: m.iap },
    { key: 'iap90', label: at, value: m.iap90 },
    { key: 'iap90_threshold', label: `${at} threshold`, value: m.iap90_threshold },
    { key: 'aupro', label: 'AUPRO@0.3', value: m.aupro }
  ]
}

const metricsOf = (e: EvaluationMetrics): EvaluationMetrics => ({
  image_auroc: e.image_auroc,
  pixel_auroc: e.pixel_auroc,
  pixel_ap: e.pixel_ap,
  iap: e.iap,
  iap90: e.iap90,
  iap90_threshold: e.iap90_threshold,
  aupro: e.aupro
})

function parseConfig(json: string): RunConfig | null {
  try {
    return JSON.parse(json) as RunConfig
  } catch {
    return null
  }
}

function reportRun(row: RunRecord): ReportRun {
  const { id, name, preset, status, backend, created_at, started_at, finished_at, train_seconds, model_path, run_dir } = row
  return { id, name, preset, status, backend, created_at, started_at, finished_at, train_seconds, model_path, run_dir, config: parseConfig(row.config_json) }
}

/** The evaluation a target reports on, its run and (category reports) the category's runs; UserErrors for what does not exist. */
function resolveTarget(db: DB, target: ReportTarget): { evaluation: EvaluationListItem; run: ReportRun | null; kind: ReportModel['kind'] } {
  if ('run_id' in target) {
    const run = getRun(db, target.run_id)
    if (!run) throw new UserError(`Run ${target.run_id} does not exist.`, 'NOT_FOUND')
    const latest = listEvaluationItems(db, { runId: run.id })[0]
    if (!latest) {
      throw new UserError(`Run ${run.id} (${run.name}) has no evaluation yet (status ${run.status}): a report needs an evaluated run.`, 'NO_EVALUATION')
    }
    return { evaluation: latest, run: reportRun(run), kind: 'run' }
  }
  const category = db.prepare<[number], { name: string }>('SELECT name FROM categories WHERE id = ?').get(target.category_id)
  if (!category) throw new UserError(`Category ${target.category_id} does not exist.`, 'NOT_FOUND')
  const latest = listEvaluationItems(db, { categoryId: target.category_id })[0]
  if (!latest) throw new UserError(`Category ${category.name} has no evaluation yet: train a run on it first.`, 'NO_EVALUATION')
  const run = latest.run_id === null ? undefined : getRun(db, latest.run_id)
  return { evaluation: latest, run: run ? reportRun(run) : null, kind: 'category' }
}

function datasetSummary(db: DB, categoryId: number): ReportDataset {
  const head = db
    .prepare<[number], { dataset_id: number; dataset_name: string; layout: DatasetLayout; category_id: number; category_name: string; root: string }>(
      `SELECT d.id AS dataset_id, d.name AS dataset_name, d.layout, c.id AS category_id, c.name AS category_name, c.root
       FROM categories c JOIN datasets d ON d.id = c.dataset_id WHERE c.id = ?`
    )
    .get(categoryId)
  if (!head) throw new UserError(`Category ${categoryId} does not exist.`, 'NOT_FOUND')
  const groups = db
    .prepare<[number], { split: string; defect_type: string; label: number; images: number; masks: number }>(
      `SELECT i.split, i.defect_type, i.label, COUNT(*) AS images, COUNT(m.id) AS masks
       FROM images i LEFT JOIN masks m ON m.image_id = i.id WHERE i.category_id = ?
       GROUP BY i.split, i.defect_type, i.label ORDER BY i.split, i.defect_type`
    )
    .all(categoryId)
  const summary: ReportDataset = { ...head, train_good: 0, test_good: 0, test_anomalous: 0, masks: 0, test_by_defect: [] }
  for (const g of groups) {
    summary.masks += g.masks
    if (g.split === 'train') {
      if (g.label === 0) summary.train_good += g.images
      continue
    }
    if (g.label === 0) summary.test_good += g.images
    else summary.test_anomalous += g.images
    const known = summary.test_by_defect.find((d) => d.defect_type === g.defect_type)
    if (known) {
      known.images += g.images
      known.masks += g.masks
    } else summary.test_by_defect.push({ defect_type: g.defect_type, images: g.images, masks: g.masks })
  }
  return summary
}

/** Histograms of image scores by protocol label on HISTOGRAM_BINS shared bins spanning the scores and the threshold. */
export function scoreHistogram(images: ReadonlyArray<{ score: number; label: 0 | 1 }>, threshold: number, bins = HISTOGRAM_BINS): ReportHistogram {
  let lo = threshold
  let hi = threshold
  for (const { score } of images) {
    if (score < lo) lo = score
    if (score > hi) hi = score
  }
  if (hi - lo < 1e-9) {
    lo -= 0.5e-3
    hi += 0.5e-3
  }
  const width = (hi - lo) / bins
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width))
  const normal = new Array<number>(bins).fill(0)
  const anomalous = new Array<number>(bins).fill(0)
  for (const { score, label } of images) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor((score - lo) / width)))
    ;(label === 1 ? anomalous : normal)[bin]++
  }
  return { edges, normal, anomalous }
}

/** The test images of an evaluation as export rows, highest score first. */
function imageRows(db: DB, evaluationId: number, imageThreshold: number): ReportImageRow[] {
  const rows = db
    .prepare<[number], { image_id: number; path: string; rel_path: string; split: string; defect_type: string; label: 0 | 1; has_mask: number; score: number }>(
      `SELECT i.id AS image_id, i.path, i.rel_path, i.split, i.defect_type, i.label,
              EXISTS (SELECT 1 FROM masks m WHERE m.image_id = i.id) AS has_mask, r.score
       FROM image_results r JOIN images i ON i.id = r.image_id
       WHERE r.evaluation_id = ? ORDER BY r.score DESC, r.image_id`
    )
    .all(evaluationId)
  return rows.map((r, i) => ({
    ...r,
    has_mask: r.has_mask === 1,
    predicted: r.score >= imageThreshold ? 1 : 0,
    rank: i + 1,
    queues: [],
    verdict: null,
    verdict_note: ''
  }))
}

/** The latest verdict of each image over both queues. */
function latestVerdictByImage(verdicts: readonly VerdictRecord[]): Map<number, VerdictRecord> {
  const byImage = new Map<number, VerdictRecord>()
  for (const v of verdicts) {
    const known = byImage.get(v.image_id)
    if (!known || v.id > known.id) byImage.set(v.image_id, v)
  }
  return byImage
}

function categoryRuns(db: DB, categoryId: number): ReportRunRow[] {
  return listRuns(db, categoryId).map((row) => {
    const latest = listEvaluationItems(db, { runId: row.id })[0]
    const { id, name, preset, status, backend, created_at, train_seconds } = row
    return {
      run: { id, name, preset, status, backend, created_at, train_seconds },
      evaluation_id: latest?.id ?? null,
      metrics: latest ? metricsOf(latest) : null
    }
  })
}

/** Reads everything a report shows (without thumbnails: thumbnails.ts adds them to the failure cases). */
export async function gatherReport(db: DB, target: ReportTarget, options: GatherOptions = {}): Promise<ReportModel> {
  const { evaluation, run, kind } = resolveTarget(db, target)
  const now = options.now ?? (() => new Date())
  const caseLimit = options.caseLimit ?? CASE_LIMIT
  const thresholdsService = new ThresholdsService(db)
  const review = options.review ?? new ReviewService(db, thresholdsService)
  const report = evaluationReport(db, evaluation.id) as EvaluationReport
  const applied = thresholdsService.inEffect(getEvaluationItem(db, evaluation.id) ?? evaluation)
  const imageThreshold = applied.image.value
  const perImage = report.per_image ?? []

  const images = imageRows(db, evaluation.id, imageThreshold)
  const byId = new Map(images.map((im) => [im.image_id, im]))
  for (const [imageId, v] of latestVerdictByImage(latestVerdicts(db, evaluation.id))) {
    const row = byId.get(imageId)
    if (row) {
      row.verdict = v.verdict
      row.verdict_note = v.note
    }
  }

  const failureCases: ReportQueue[] = []
  for (const queue of REVIEW_QUEUES) {
    const view = await review.queue({ evaluationId: evaluation.id, queue })
    for (const c of view.cases) byId.get(c.image_id)?.queues.push(queue)
    const cases = view.cases.slice(0, caseLimit).map(
      (c): ReportCase => ({
        image_id: c.image_id,
        rel_path: c.rel_path,
        defect_type: c.defect,
        label: c.label,
        score: c.score,
        image_error: c.image_error,
        regions: c.regions.length,
        verdict: (c.verdict?.verdict ?? null) as VerdictKind | null,
        verdict_note: c.verdict?.note ?? '',
        thumbnails: null,
        thumbnail_error: null
      })
    )
    failureCases.push({
      queue: queue as ReviewQueue,
      total: view.cases.length,
      judged: view.cases.filter((c) => c.verdict !== null).length,
      verdicts: countVerdicts(db, evaluation.id, queue),
      cases
    })
  }

  const counts = confusionAt(perImage, imageThreshold)
  const operating =
    report.iap90_threshold === null || report.iap90 === null
      ? null
      : { threshold: report.iap90_threshold, recall: instanceCurveAt(report.curves.instance, report.iap90_threshold).recall, precision: report.iap90 }
  const dataset = datasetSummary(db, evaluation.category_id)
  const title =
    kind === 'run' && run ? `DeSTSeg report: run ${run.id} (${run.name})` : `DeSTSeg report: category ${dataset.category_name}`
  return {
    kind,
    title,
    generated_at: now().toISOString(),
    app_version: version,
    dataset,
    run,
    evaluation: {
      id: evaluation.id,
      run_id: evaluation.run_id,
      created_at: evaluation.created_at,
      model_path: evaluation.model_path,
      images: evaluation.images,
      anomalous_images: report.anomalous_images,
      instances: evaluation.instances,
      ms_per_image: evaluation.ms_per_image,
      k: report.k,
      top_t: report.top_t,
      pixel_metrics_reason: report.pixel_metrics_reason ?? null
    },
    metrics: metricRows(metricsOf(evaluation), report.k),
    curves: {
      instance: report.curves.instance,
      image_roc: report.curves.image_roc ? { fpr: report.curves.image_roc.fpr, tpr: report.curves.image_roc.tpr } : null,
      pixel_roc: { fpr: report.curves.pixel_roc.fpr, tpr: report.curves.pixel_roc.tpr },
      operating_point: operating
    },
    histogram: scoreHistogram(perImage, imageThreshold),
    thresholds: { applied, history: thresholdHistory(db, evaluation.category_id) },
    confusion: {
      ...counts,
      precision: counts.tp + counts.fp === 0 ? 0 : counts.tp / (counts.tp + counts.fp),
      recall: counts.tp + counts.fn === 0 ? 0 : counts.tp / (counts.tp + counts.fn),
      f1: f1Of(counts)
    },
    failure_cases: failureCases,
    case_limit: caseLimit,
    category_runs: kind === 'category' ? categoryRuns(db, evaluation.category_id) : [],
    images
  }
}
