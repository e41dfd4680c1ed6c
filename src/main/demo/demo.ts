/**
 * The headless demo (issue 6): the workstation's main job end to end, without a display.
 *
 *   teacher   the shared folded weights, a user's .pth or a verified download (teacher-source.ts)
 *   dataset   <out>/dataset/washer (MVTec layout, drawn defects, exact masks) and <out>/textures
 *   import    both, through the dataset and texture services, into <out>/destseg.sqlite
 *   run       a `tiny` (or `quick`) run through the run queue, which trains, exports ONNX and evaluates
 *   thresholds  pixel: the evaluation's IAP@90 operating point; image: the best-F1 default; saved
 *             with the note "demo: IAP@90"
 *   reports   <out>/report.pdf, report.html, results.csv, results.json
 *
 * Everything goes through the same services (and API handlers) the app uses.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type { EvaluationListItem } from '../../common/types/result-queries'
import type { EvaluationMetrics } from '../../common/types/results'
import type { RunSummary } from '../../common/types/runs'
import type { TrainProgress } from '../../common/types/training'
import { writeReportFile, type ReportFormat } from '../reports'
import { createServices, type AppServices } from '../services/api'
import { openDatabase } from '../store/db'
import { version } from '../../../package.json'
import { DEMO_DATASET, writeDemoDataset, writeDemoTextures, type DemoDatasetSpec } from './dataset'
import type { ResolvedTeacher } from './teacher-source'

export type DemoPreset = 'tiny' | 'quick'
export const DEMO_PRESETS: readonly DemoPreset[] = ['tiny', 'quick']

/** The note saved with the demo's thresholds. */
export const DEMO_THRESHOLD_NOTE = 'demo: IAP@90'

/** The report files in the out folder, by format. */
export const DEMO_REPORTS: Readonly<Record<ReportFormat, string>> = {
  pdf: 'report.pdf',
  html: 'report.html',
  csv: 'results.csv',
  json: 'results.json'
}

export interface DemoOptions {
  /** the out folder: database, dataset, textures, runs, reports */
  out: string
  preset: DemoPreset
  teacher: ResolvedTeacher
  /** default DEMO_DATASET */
  dataset?: DemoDatasetSpec
  /** one line of progress (stages, training steps, export, evaluation) */
  log?: (line: string) => void
  /** aborting cancels the run (a checkpoint is written) and rejects */
  signal?: AbortSignal
}

/** The evaluation's metrics and counts. */
export type DemoMetrics = EvaluationMetrics & { images: number; instances: number }

export interface DemoSummary {
  out: string
  /** the generated category folder */
  dataset: string
  db: string
  run_id: number
  run_dir: string
  /** the exported ONNX model */
  model: string
  evaluation_id: number
  metrics: DemoMetrics
  /** the saved thresholds */
  thresholds: { pixel: number; image: number }
  teacher: string
  reports: Record<ReportFormat, string>
}

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const log = options.log ?? (() => undefined)
  const { out, preset } = options
  await mkdir(out, { recursive: true })

  log(`teacher: ${options.teacher.description}`)
  const spec = options.dataset ?? DEMO_DATASET
  const generated = await writeDemoDataset(join(out, 'dataset'), spec)
  const textureCount = await writeDemoTextures(join(out, 'textures'), spec.seed)
  log(`dataset: ${generated.category} (${generated.images} images, ${generated.masks} masks); ${textureCount} textures in ${join(out, 'textures')}`)

  const dbPath = join(out, 'destseg.sqlite')
  const db = openDatabase(dbPath)
  const services = createServices({ db, dbPath, dataDir: out, version, transport: 'http' })
  try {
    const categoryId = await importDataset(services, generated.category)
    const textureSourceId = await importTextures(services, join(out, 'textures'))
    log(`database: ${dbPath} (category ${categoryId}, texture source ${textureSourceId})`)

    const created = services.runs.create({
      categoryId,
      preset,
      name: `demo ${preset}`,
      textureSourceId,
      config: { teacher: options.teacher.source }
    })
    log(`run ${created.id}: ${created.run_dir} (preset ${preset})`)
    const run = await followRun(services, created.id, log, options.signal)
    if (run.status !== 'done') {
      throw new UserError(`The demo run ${run.id} ended ${run.status}: ${run.error ?? run.note ?? 'see its log.txt'} (${join(run.run_dir, 'log.txt')})`, 'DEMO_FAILED')
    }

    const evaluation = (await services.handlers['results:evaluations']({ runId: run.id }))[0]
    if (!evaluation) throw new UserError(`The demo run ${run.id} has no evaluation; its log says why: ${join(run.run_dir, 'log.txt')}`, 'DEMO_FAILED')
    const thresholds = await saveThresholds(services, evaluation)
    log(`thresholds saved (${DEMO_THRESHOLD_NOTE}): pixel ${thresholds.pixel.toPrecision(6)}, image ${thresholds.image.toPrecision(6)}`)

    const reports = {} as Record<ReportFormat, string>
    for (const [format, file] of Object.entries(DEMO_REPORTS) as [ReportFormat, string][]) {
      reports[format] = join(out, file)
      await writeReportFile(db, { run_id: run.id }, format, reports[format])
    }
    log(`reports: ${Object.values(reports).join(', ')}`)

    return {
      out,
      dataset: generated.category,
      db: dbPath,
      run_id: run.id,
      run_dir: run.run_dir,
      model: run.model_path ?? evaluation.model_path,
      evaluation_id: evaluation.id,
      metrics: {
        image_auroc: evaluation.image_auroc,
        pixel_auroc: evaluation.pixel_auroc,
        pixel_ap: evaluation.pixel_ap,
        iap: evaluation.iap,
        iap90: evaluation.iap90,
        iap90_threshold: evaluation.iap90_threshold,
        aupro: evaluation.aupro,
        images: evaluation.images,
        instances: evaluation.instances
      },
      thresholds,
      teacher: options.teacher.description,
      reports
    }
  } finally {
    await services.close()
    db.close()
  }
}

/** Imports the category folder, or finds it from an earlier demo in the same database. */
async function importDataset(services: AppServices, folder: string): Promise<number> {
  const outcome = await services.datasets.import({ folder, name: 'demo' })
  const datasetId = outcome.dataset_id ?? outcome.existing_dataset_id
  if (datasetId === undefined || datasetId === null) {
    const rejected = outcome.rejected.map((r) => `${r.path}: ${r.reason}`).join('; ')
    throw new UserError(`The demo dataset could not be imported: ${outcome.message}${rejected ? ` (${rejected})` : ''}`, 'DEMO_FAILED')
  }
  const category = services.datasets.get(datasetId).categories[0]
  if (!category) throw new UserError(`The demo dataset ${folder} has no category.`, 'DEMO_FAILED')
  return category.id
}

async function importTextures(services: AppServices, folder: string): Promise<number> {
  const outcome = await services.textures.import({ folder, name: 'demo textures' })
  const id = outcome.texture_source_id ?? outcome.existing_texture_source_id
  if (id === undefined || id === null) throw new UserError(`The demo textures could not be imported: ${outcome.message}`, 'DEMO_FAILED')
  return id
}

const TERMINAL: readonly RunSummary['status'][] = ['done', 'failed', 'cancelled']

/** Follows a run to its end: a line per state change and per training step (at most one every 2 s for long runs). */
function followRun(services: AppServices, runId: number, log: (line: string) => void, signal?: AbortSignal): Promise<RunSummary> {
  return new Promise((resolve, reject) => {
    let lastStatus = ''
    let lastLine = 0
    const offProgress = services.events.on('runs:onProgress', ({ run_id, progress }) => {
      if (run_id !== runId) return
      const now = Date.now()
      const phaseEnd = progress.step === progress.steps
      if (progress.total_steps > 40 && !phaseEnd && now - lastLine < 2000) return
      lastLine = now
      log(formatProgress(progress))
    })
    const onState = (run: RunSummary): void => {
      if (run.id !== runId) return
      if (run.status !== lastStatus) {
        lastStatus = run.status
        log(`run ${run.id}: ${run.status}${run.status === 'training' && run.backend ? ` (${run.backend})` : ''}`)
      }
      if (TERMINAL.includes(run.status)) {
        cleanup()
        if (signal?.aborted) reject(signal.reason)
        else resolve(run)
      }
    }
    const offState = services.events.on('runs:onState', onState)
    const onAbort = (): void => {
      log(`cancelling run ${runId} (a checkpoint is written)`)
      try {
        services.runs.cancel(runId)
      } catch {
        // it has ended meanwhile
      }
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = (): void => {
      offProgress()
      offState()
      signal?.removeEventListener('abort', onAbort)
    }
    onState(services.runs.get(runId)) // it may have ended (or started) before we listened
  })
}

function formatProgress(p: TrainProgress): string {
  const losses = Object.entries(p.losses)
    .map(([k, v]) => `${k} ${(v as number).toFixed(4)}`)
    .join(', ')
  const eta = p.eta_s >= 60 ? `${Math.floor(p.eta_s / 60)}m${String(Math.round(p.eta_s % 60)).padStart(2, '0')}s` : `${Math.round(p.eta_s)}s`
  return `  [${p.phase} ${p.step}/${p.steps}] ${losses}, ${p.images_per_s.toFixed(2)} img/s, ETA ${eta}`
}

/**
 * Saves the category's thresholds at the evaluation's operating points: pixel = IAP@90's
 * (iap90_threshold), image = the best-F1 default (results/default-thresholds.ts).
 */
async function saveThresholds(services: AppServices, evaluation: EvaluationListItem): Promise<{ pixel: number; image: number }> {
  const view = await services.handlers['thresholds:get']({ evaluationId: evaluation.id })
  const pixel = evaluation.iap90_threshold ?? view.defaults.pixel
  const image = view.defaults.image
  const save = services.handlers['thresholds:save']
  const base = { categoryId: evaluation.category_id, evaluationId: evaluation.id, note: DEMO_THRESHOLD_NOTE }
  await save({ ...base, kind: 'pixel', value: pixel })
  await save({ ...base, kind: 'image', value: image })
  return { pixel, image }
}
