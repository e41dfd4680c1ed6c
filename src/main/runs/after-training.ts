/**
 * The step after training (issue 5.2), the default `afterTraining` of the run queue:
 *
 *   exporting:  the run folder -> <run_dir>/model.onnx (engine/exporter, in a worker thread)
 *   evaluating: the model on the category's test split (engine/evaluation/evaluate-model), each
 *               image's map written as <run_dir>/maps/<defect>/<stem>.npy, then the evaluation and
 *               one row per test image stored in one transaction (services/evaluations).
 *
 * A category that cannot be evaluated (no test images, no anomalous test image) still ends 'done': the
 * run's log says why there is no evaluation. Defect images without masks (image-level labels only)
 * are evaluated: image AUROC on every image, the pixel metrics on the masked and normal ones (null,
 * with the reason in the log, when no anomalous image has a mask).
 */
import type Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type { DatasetService } from '../datasets/dataset-service'
import { evaluateModel, type ModelEvaluationOptions } from '../engine/evaluation/evaluate-model'
import { currentTestImages } from '../labels/current-labels'
import { exportRunInWorker } from '../engine/exporter/export-client'
import type { InferenceProgress } from '../engine/inference'
import { storeEvaluation } from '../services/evaluations'
import { getCategory } from '../store/repositories/datasets.repo'
import { runMapsDirs } from '../store/repositories/results.repo'
import type { AfterTraining } from './run-service'

/** Errors of the test split that mean "nothing to evaluate against", not a broken run. */
const NOT_EVALUABLE = new Set(['NO_TEST_IMAGES', 'MISSING_MASKS', 'NO_ANOMALOUS_PIXELS', 'NO_NORMAL_PIXELS'])

export interface AfterTrainingOptions {
  db: Database.Database
  /** finds (or imports) the category's images when the evaluation is stored */
  datasets: DatasetService
  /** inference session settings (providers, threads, batch); default: the CPU provider */
  inference?: ModelEvaluationOptions['inference']
}

/** The default afterTraining: export, evaluate, store. */
export function exportAndEvaluate(options: AfterTrainingOptions): AfterTraining {
  const { db, datasets } = options
  return async (run, context) => {
    const { signal, log } = context
    context.setStatus('exporting')
    const exported = await exportRunInWorker(run.run_dir, { signal }) // seconds of CPU: off the main thread
    context.setModelPath(exported.file)
    log(`exported ${exported.file} (${(exported.bytes / 1e6).toFixed(1)} MB, input ${exported.inputSize}x${exported.inputSize})`)
    if (signal.aborted) return

    const category = getCategory(db, run.category_id)
    if (!category) throw new UserError(`The run's category ${run.category_id} no longer exists.`, 'NOT_FOUND')
    const note = (why: string): void => log(`no evaluation: ${why}`)
    const tests = currentTestImages(db, run.category_id) // the latest labels, edits included
    if (tests.length === 0) {
      note(`No test images in ${category.root}: there is nothing to score the model against.`)
      return
    }
    if (!tests.some((im) => im.label === 1)) {
      note(`no anomalous test image in ${category.root} (only test/good), so there is nothing to score the model against.`)
      return
    }
    const unmasked = tests.filter((im) => im.label === 1 && im.maskPath === null).length
    if (unmasked > 0) log(`${unmasked} anomalous test images have no mask: they count for the image metrics only`)

    context.setStatus('evaluating')
    const mapsDir = freeMapsDir(db, run.id, run.run_dir)
    rmSync(mapsDir, { recursive: true, force: true }) // maps left by an interrupted attempt
    log(`evaluating on the test split of ${category.root}; maps in ${mapsDir}`)
    let evaluation
    try {
      evaluation = await evaluateModel(exported.file, category.root, {
        tests,
        mapsDir,
        signal,
        inference: options.inference,
        onProgress: progressLogger(log)
      })
    } catch (err) {
      if (!isNotEvaluable(err)) throw err
      note(err.message)
      return
    }
    if (signal.aborted) return
    const id = await storeEvaluation(db, datasets, {
      categoryDir: category.root,
      modelPath: exported.file,
      mapsDir,
      runId: run.id,
      evaluation
    })
    const { report, timing } = evaluation
    const pct = (v: number | null): string => (v === null ? 'n/a' : (100 * v).toFixed(2))
    log(
      `evaluation ${id}: ${report.images} images, ${report.instances} instances; image AUROC ${pct(report.image_auroc)}, ` +
        `pixel AUROC ${pct(report.pixel_auroc)}, pixel AP ${pct(report.pixel_ap)}, IAP ${pct(report.iap)}, ` +
        `IAP@90 ${pct(report.iap90)} (threshold ${report.iap90_threshold?.toPrecision(6) ?? 'n/a'}), AUPRO ${pct(report.aupro)}; ` +
        `${timing.ms_per_image.toFixed(1)} ms per image (${evaluation.provider}, ${evaluation.threads} threads)`
    )
    if (report.pixel_metrics_reason) log(`no pixel metrics: ${report.pixel_metrics_reason}`)
    for (const warning of report.warnings) log(`warning: ${warning.message}`)
  }
}

function isNotEvaluable(err: unknown): err is UserError {
  return err instanceof UserError && NOT_EVALUABLE.has(err.code ?? '')
}

/**
 * <run_dir>/maps, or maps-2, maps-3, ... when a stored evaluation of the run already uses it (a
 * run resumed after its evaluation was stored is evaluated again; the first one keeps its maps).
 */
export function freeMapsDir(db: Database.Database, runId: number, runDir: string): string {
  const used = new Set(runMapsDirs(db, runId))
  let dir = join(runDir, 'maps')
  for (let i = 2; used.has(dir); i++) dir = join(runDir, `maps-${i}`)
  return dir
}

/** Logs inference progress about every 10% (and at the end). */
function progressLogger(log: (line: string) => void): (p: InferenceProgress) => void {
  let nextShare = 0.1
  return (p) => {
    if (p.done < p.total && p.done / p.total < nextShare) return
    nextShare = Math.floor((p.done / p.total) * 10 + 1) / 10
    log(`inference ${p.done}/${p.total} (${p.imagesPerSecond.toFixed(1)} images/s)`)
  }
}
