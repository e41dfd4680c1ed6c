/**
 * The thresholds an inspection decides with: the category's saved thresholds (Thresholds page);
 * a kind never saved takes the default of the inspecting run's evaluation (else the category's
 * newest one) by the rule every page uses (results/default-thresholds.ts). With no saved value and
 * no evaluation, the inspection is refused with a message saying what to do.
 */
import type Database from 'better-sqlite3'
import { UserError } from '../../common/ipc/errors'
import type { AppliedThreshold, ReportImageScore } from '../../common/types/result-queries'
import type { EvaluationSummary } from '../../common/types/results'
import { appliedThresholds } from '../results/default-thresholds'
import { getCategory } from '../store/repositories/datasets.repo'
import { evaluationReport, listEvaluations, runEvaluations } from '../store/repositories/results.repo'
import { currentThresholds } from '../store/repositories/thresholds.repo'

export interface InspectionThresholds {
  pixel: number
  image: number
  /** where each value came from, for people */
  note: string
}

export function resolveInspectionThresholds(db: Database.Database, categoryId: number, runId: number): InspectionThresholds {
  const saved = currentThresholds(db, categoryId)
  let evaluation: EvaluationSummary | undefined
  let perImage: ReportImageScore[] = []
  if (!saved.pixel || !saved.image) {
    evaluation = runEvaluations(db, runId)[0] ?? listEvaluations(db, categoryId)[0]
    if (!evaluation) {
      const name = getCategory(db, categoryId)?.name ?? String(categoryId)
      throw new UserError(
        `Category "${name}" has no saved ${saved.pixel ? 'image' : 'pixel'} threshold and no evaluation to take a default from: ` +
          'save its thresholds on the Thresholds page (or train a run on a category with a labelled test split) first.',
        'NO_THRESHOLDS'
      )
    }
    perImage = (evaluationReport(db, evaluation.id) as { per_image?: ReportImageScore[] } | undefined)?.per_image ?? []
  }
  const applied = appliedThresholds(saved, { iap90_threshold: evaluation?.iap90_threshold ?? null, per_image: perImage })
  const describe = (t: AppliedThreshold): string =>
    `${t.kind} ${t.value.toPrecision(4)} (${t.source === 'saved' || !evaluation ? t.rule : `${t.rule}, of evaluation ${evaluation.id}`})`
  return { pixel: applied.pixel.value, image: applied.image.value, note: `${describe(applied.pixel)}; ${describe(applied.image)}` }
}
