/**
 * Training runs in the app: a queue of runs executed one at a time in the training worker (one
 * TrainingClient, reused), their status in the database, their progress on the event bus.
 *
 *   queued -> training -> [afterTraining: exporting -> evaluating] -> done
 *   cancel: queued -> cancelled; training -> (checkpoint) -> cancelled
 *   resume: cancelled | failed -> queued (the trainer continues from the run folder's last checkpoint;
 *           a run whose training had finished goes straight to afterTraining)
 *   start(): a run left 'training' by a crash or quit becomes 'cancelled' with a note; queued runs go on.
 *
 * The step after training is pluggable (RunServiceOptions.afterTraining): the export and evaluation
 * of the run, reporting its stage through the context's setStatus.
 */
import type Database from 'better-sqlite3'
import { appendFileSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import {
  ACTIVE_RUN_STATUSES,
  type RunBackend,
  type RunCreateRequest,
  type RunPresets,
  type RunStatus,
  type RunSummary
} from '../../common/types/runs'
import type { RunConfig, TrainProgress, TrainResult } from '../../common/types/training'
import { DEFAULT_TEXTURES, sharedDir } from '../config/paths'
import { TrainingClient } from '../engine/trainer/client'
import { makeRunConfig } from '../engine/trainer/presets'
import { trainingFolder } from '../labels/training-folder'
import { readRunProgress, readRunResult, RUN_FILES } from '../engine/trainer/run-folder'
import type { ApiEventBus } from '../services/events'
import { getCategory, getDataset } from '../store/repositories/datasets.repo'
import { runMapsDirs } from '../store/repositories/results.repo'
import * as repo from '../store/repositories/runs.repo'
import { getTextureSource } from '../store/repositories/textures.repo'
import { runPresets } from './hyperparameters'

/** What afterTraining gets besides the run. */
export interface AfterTrainingContext {
  /** the training's result (status 'done'; weights written) */
  result: TrainResult
  /** aborted when the run is cancelled or the app quits: stop, and reject or resolve soon */
  signal: AbortSignal
  /** the stage the run is in now (saved and sent as runs:onState) */
  setStatus(status: 'exporting' | 'evaluating'): void
  /** the exported model of the run */
  setModelPath(path: string): void
  /** a line in the run's log.txt */
  log(message: string): void
}

/**
 * Runs after training has finished: export and evaluate. Resolving marks the run done; rejecting
 * marks it failed with the error's message (a resume runs this step again, without training).
 */
export type AfterTraining = (run: RunSummary, context: AfterTrainingContext) => Promise<void>

/** The part of TrainingClient the service uses (a test may pass its own). */
export type TrainingRunner = Pick<TrainingClient, 'train' | 'probeBackend' | 'close'>

export interface RunServiceOptions {
  dataDir: string
  events: ApiEventBus
  /** default: nothing (the run is done when training is) */
  afterTraining?: AfterTraining
  /** default: one TrainingClient, made on first use */
  client?: TrainingRunner
  /** the texture folder of runs without a texture source; default: the shared DTD folder where it exists */
  defaultTextures?: () => string | null
  /** least milliseconds between two saves of a run's last progress (the last step of a phase is always saved); default 2000 */
  progressSaveMs?: number
  /** batches made ahead in the data worker (TrainRequest.prefetch) */
  prefetch?: number
}

/** The shared DTD textures, or null when the shared folder lacks them. */
export function sharedTextures(): string | null {
  const path = join(sharedDir(), DEFAULT_TEXTURES)
  return existsSync(path) ? path : null
}

const now = (): string => new Date().toISOString()

/** Lower-case letters, digits and dashes, at most 40 characters. */
function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40)
      .replace(/-+$/, '') || 'run'
  )
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

interface ActiveRun {
  id: number
  runDir: string
  controller: AbortController
  /** why it is being stopped: the user, or the app quitting */
  stop?: 'cancel' | 'quit'
}

export class RunService {
  private readonly runsDir: string
  private readonly events: ApiEventBus
  private readonly afterTraining: AfterTraining
  private readonly defaultTextures: () => string | null
  private readonly progressSaveMs: number
  private client?: TrainingRunner
  private active?: ActiveRun
  private loop?: Promise<void>
  private closed = false

  constructor(
    private readonly db: Database.Database,
    private readonly options: RunServiceOptions
  ) {
    this.runsDir = join(options.dataDir, 'runs')
    this.events = options.events
    this.afterTraining = options.afterTraining ?? (async () => undefined)
    this.defaultTextures = options.defaultTextures ?? sharedTextures
    this.progressSaveMs = options.progressSaveMs ?? 2000
    this.client = options.client
  }

  /**
   * Picks up after the last session: runs left training, exporting or evaluating (the app quit or
   * crashed) become cancelled with a note, so they can be resumed; queued runs start.
   */
  start(): void {
    const interrupted = this.db.transaction(() => {
      const rows = repo.runsWithStatus(this.db, ACTIVE_RUN_STATUSES)
      for (const run of rows) {
        const stage = run.status === 'training' ? 'training' : `${run.status} (training had finished)`
        repo.setRunStatus(this.db, run.id, 'cancelled', {
          finished_at: now(),
          note: `The app stopped while this run was ${stage}. Resume it to continue from its last checkpoint.`
        })
      }
      return rows
    })()
    for (const run of interrupted) this.emitState(run.id)
    this.pump()
  }

  list(categoryId?: number): RunSummary[] {
    return repo.listRuns(this.db, categoryId).map(toSummary)
  }

  get(id: number): RunSummary {
    const row = repo.getRunRow(this.db, id)
    if (!row) throw new UserError(`Run ${id} does not exist.`, 'NOT_FOUND')
    return toSummary(row)
  }

  presets(): RunPresets {
    return runPresets(this.defaultTextures())
  }

  /** Queues a new run of a category; it starts when the runs before it have finished. */
  create(request: RunCreateRequest): RunSummary {
    const category = getCategory(this.db, request.categoryId)
    if (!category) throw new UserError(`Category ${request.categoryId} does not exist.`, 'NOT_FOUND')
    const dataset = getDataset(this.db, category.dataset_id)!
    if (!existsSync(join(category.root, 'train', 'good'))) {
      throw new UserError(
        `Category "${category.name}" has no train/good folder (${join(category.root, 'train', 'good')}): ` +
          'training needs the normal images of an MVTec-layout category.',
        'NOT_TRAINABLE'
      )
    }
    let textures: string
    if (request.textureSourceId !== undefined) {
      const source = getTextureSource(this.db, request.textureSourceId)
      if (!source) throw new UserError(`Texture source ${request.textureSourceId} does not exist.`, 'NOT_FOUND')
      textures = source.root
    } else {
      const shared = this.defaultTextures()
      if (!shared) {
        throw new UserError(
          `No texture source chosen and the shared DTD textures are missing (${join(sharedDir(), DEFAULT_TEXTURES)}): import a texture folder and choose it.`,
          'NO_TEXTURES'
        )
      }
      textures = shared
    }
    const preset = request.preset ?? 'quick'
    const config: RunConfig = makeRunConfig({
      ...request.config,
      preset,
      // the current training set: the category folder, or links to it after labels changed
      dataset: trainingFolder(this.db, this.options.dataDir, category.id),
      textures
    })
    const name = request.name?.trim() || `${category.name} ${preset}`
    const id = this.db.transaction(() =>
      repo.insertQueuedRun(
        this.db,
        {
          dataset_id: dataset.id,
          category_id: category.id,
          name,
          preset,
          config_json: JSON.stringify(config),
          created_at: now()
        },
        (runId) => this.freeRunDir(`${runId}-${slug(name)}`)
      )
    )()
    this.emitState(id)
    this.pump()
    return this.get(id)
  }

  /**
   * Cancels a run: a queued one leaves the queue at once; a training one writes a checkpoint and
   * becomes cancelled when the worker has stopped (runs:onState says so); an exporting or
   * evaluating one is asked to stop.
   */
  cancel(id: number): RunSummary {
    const run = this.get(id)
    if (this.active?.id === id) {
      this.active.stop ??= 'cancel'
      this.active.controller.abort()
      return run
    }
    if (run.status !== 'queued') throw new UserError(`Run ${id} is ${run.status}: only a queued or running run can be cancelled.`, 'NOT_RUNNING')
    repo.setRunStatus(this.db, id, 'cancelled', { finished_at: now(), note: 'Cancelled before it started.' })
    this.emitState(id)
    return this.get(id)
  }

  /** Queues a cancelled or failed run again; it continues from its last checkpoint. */
  resume(id: number): RunSummary {
    const run = this.get(id)
    if (run.status !== 'cancelled' && run.status !== 'failed') {
      throw new UserError(`Run ${id} is ${run.status}: only a cancelled or failed run can be resumed.`, 'NOT_RESUMABLE')
    }
    repo.enqueueRun(this.db, id)
    this.emitState(id)
    this.pump()
    return this.get(id)
  }

  /** Deletes a run that is not running: its rows (evaluations, results, verdicts) and its folder. */
  remove(id: number): void {
    const run = this.get(id)
    if (this.active?.id === id || ACTIVE_RUN_STATUSES.includes(run.status)) {
      throw new UserError(`Run ${id} is ${run.status}; cancel it before deleting it.`, 'RUN_ACTIVE')
    }
    const folders = [run.run_dir, ...runMapsDirs(this.db, id)]
    this.db.transaction(() => repo.deleteRun(this.db, id))()
    this.removeFolders(folders)
  }

  /**
   * Before a dataset is deleted: refuses while one of its runs is running, and returns the folders
   * of its runs, for removeFolders once the rows are gone.
   */
  prepareDatasetRemoval(datasetId: number): string[] {
    const runs = repo.listRuns(this.db).filter((r) => r.dataset_id === datasetId)
    const running = runs.find((r) => this.active?.id === r.id)
    if (running) throw new UserError(`Run ${running.id} ("${running.name}") of this dataset is running; cancel it first.`, 'RUN_ACTIVE')
    return runs.flatMap((r) => [r.run_dir, ...runMapsDirs(this.db, r.id)])
  }

  /** Removes run folders (and evaluation map folders) inside the app's data folder; others are left alone. */
  removeFolders(folders: readonly string[]): void {
    for (const folder of folders) {
      const rel = relative(this.options.dataDir, folder)
      if (folder && rel && !rel.startsWith('..') && !isAbsolute(rel)) rmSync(folder, { recursive: true, force: true })
    }
  }

  /** The progress of every step of a run so far (for its loss curves), at most `maxPoints` evenly spread ones. */
  history(id: number, maxPoints = 2000): TrainProgress[] {
    const all = readRunProgress(this.get(id).run_dir)
    if (all.length <= maxPoints) return all
    const stride = all.length / maxPoints
    const picked = Array.from({ length: maxPoints - 1 }, (_, i) => all[Math.floor(i * stride)])
    return [...picked, all[all.length - 1]]
  }

  /** The backend training uses: the running run's, else what the worker would choose for `preferred`. */
  async backend(preferred: string | null = null): Promise<RunBackend> {
    const training = this.active !== undefined && repo.getRun(this.db, this.active.id)?.status === 'training'
    const report = await this.runner().probeBackend(preferred)
    return { ...report, source: training ? 'run' : 'probe' }
  }

  /** Resolves when no run is being executed and none is queued (or the service is closed). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop
  }

  /**
   * Stops: a training run writes a checkpoint and is cancelled with a note (resume continues it),
   * queued runs stay queued for the next start, and the training worker is stopped.
   */
  async close(): Promise<void> {
    this.closed = true
    if (this.active) {
      this.active.stop = 'quit'
      this.active.controller.abort()
    }
    await this.idle()
    await this.client?.close()
  }

  /** runs/<base>, or runs/<base>-2, -3, ... when a folder of that name is left from elsewhere. */
  private freeRunDir(base: string): string {
    let dir = join(this.runsDir, base)
    for (let i = 2; existsSync(dir); i++) dir = join(this.runsDir, `${base}-${i}`)
    return dir
  }

  // ---- execution ----

  private runner(): TrainingRunner {
    this.client ??= new TrainingClient()
    return this.client
  }

  /** Starts working through the queue unless it already is. */
  private pump(): void {
    if (this.loop || this.closed) return
    this.loop = this.drain().finally(() => {
      this.loop = undefined
      if (!this.closed && repo.nextQueuedRun(this.db)) this.pump()
    })
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.closed) return
      const next = repo.nextQueuedRun(this.db)
      if (!next) return
      try {
        await this.execute(next)
      } catch (err) {
        // Only a database that cannot be written gets here; stop rather than retry the same run forever.
        console.error(`runs: stopped working through the queue: ${message(err)}`)
        return
      }
    }
  }

  private async execute(next: repo.RunRecord): Promise<void> {
    const id = next.id
    const active: ActiveRun = { id, controller: new AbortController(), runDir: next.run_dir }
    this.active = active
    const signal = active.controller.signal
    const log = (line: string): void => this.appendLog(next.run_dir, line)
    let stage: 'training' | 'after' = 'training'
    try {
      repo.markRunStarted(this.db, id, now())
      this.emitState(id)
      const run = this.get(id)
      let result = readRunResult(run.run_dir)
      if (result?.status === 'done') {
        log('training had finished; continuing after training')
      } else {
        log(existsSync(join(run.run_dir, RUN_FILES.config)) ? 'resuming training' : 'starting training')
        result = await this.train(run, signal, log)
        if (result.status === 'cancelled') {
          this.finishCancelled(active, `cancelled at step ${result.steps} of ${result.total_steps}`)
          return
        }
      }
      stage = 'after'
      const training = result
      await this.afterTraining(this.get(id), {
        result: training,
        signal,
        setStatus: (status) => {
          if (signal.aborted) return
          repo.setRunStatus(this.db, id, status)
          this.emitState(id)
        },
        setModelPath: (path) => {
          repo.setRunModelPath(this.db, id, path)
          this.emitState(id)
        },
        log
      })
      if (signal.aborted) {
        this.finishCancelled(active, 'cancelled after training')
        return
      }
      repo.setRunStatus(this.db, id, 'done', { finished_at: now(), error: null, note: null })
      log('done')
      this.emitState(id)
    } catch (err) {
      if (signal.aborted) {
        this.finishCancelled(active, `cancelled (${message(err)})`)
        return
      }
      const what = stage === 'training' ? 'Training failed' : 'After training'
      const error = `${what}: ${message(err)}`
      log(error)
      repo.setRunStatus(this.db, id, 'failed', { finished_at: now(), error })
      this.emitState(id)
    } finally {
      if (this.active === active) this.active = undefined
    }
  }

  /** Trains (or resumes) the run in the worker, streaming and saving its progress. */
  private async train(run: RunSummary, signal: AbortSignal, log: (line: string) => void): Promise<TrainResult> {
    const runner = this.runner()
    const resume = existsSync(join(run.run_dir, RUN_FILES.config))
    let lastSave = 0
    let last: TrainProgress | undefined
    const save = (p: TrainProgress): void => {
      repo.setRunProgress(this.db, run.id, JSON.stringify(p), p.elapsed_s)
      lastSave = Date.now()
    }
    const training = runner.train(
      { config: run.config, run_dir: run.run_dir, resume, prefetch: this.options.prefetch },
      {
        signal,
        onLog: log,
        onProgress: (progress) => {
          last = progress
          const phaseEnd = progress.step === progress.steps
          if (phaseEnd || Date.now() - lastSave >= this.progressSaveMs) save(progress)
          this.events.emit('runs:onProgress', { run_id: run.id, progress })
        }
      }
    )
    // The worker answers a probe during a run with the run's backend, once it has chosen it.
    runner.probeBackend(run.config.backend).then(
      (b) => {
        if (repo.getRun(this.db, run.id)?.status !== 'training') return
        repo.setRunBackend(this.db, run.id, b.name)
        this.emitState(run.id)
      },
      () => undefined // the run's own error says what went wrong
    )
    try {
      const result = await training
      repo.setRunBackend(this.db, run.id, result.backend)
      repo.setRunTrainSeconds(this.db, run.id, result.train_seconds)
      return result
    } finally {
      if (last) save(last)
    }
  }

  private finishCancelled(active: ActiveRun, detail: string): void {
    const note =
      active.stop === 'quit'
        ? `Stopped when the app quit (${detail}). Resume it to continue from its last checkpoint.`
        : null
    this.appendLog(active.runDir, active.stop === 'quit' ? `stopped: the app quit; ${detail}` : detail)
    repo.setRunStatus(this.db, active.id, 'cancelled', { finished_at: now(), note })
    this.emitState(active.id)
  }

  private appendLog(runDir: string, line: string): void {
    try {
      mkdirSync(runDir, { recursive: true })
      appendFileSync(join(runDir, RUN_FILES.log), `${now()} ${line}\n`)
    } catch {
      // the log is a convenience; a run is not failed for it
    }
  }

  private emitState(id: number): void {
    const row = repo.getRunRow(this.db, id)
    if (row) this.events.emit('runs:onState', toSummary(row))
  }
}

function toSummary(row: repo.RunListRow): RunSummary {
  return {
    id: row.id,
    dataset_id: row.dataset_id,
    dataset_name: row.dataset_name,
    category_id: row.category_id,
    category_name: row.category_name,
    name: row.name,
    preset: row.preset as RunSummary['preset'],
    config: JSON.parse(row.config_json) as RunConfig,
    status: row.status as RunStatus,
    run_dir: row.run_dir,
    backend: row.backend,
    queue_position: row.queue_rank,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    error: row.error,
    note: row.note,
    last_progress: row.last_progress_json ? (JSON.parse(row.last_progress_json) as TrainProgress) : null,
    train_seconds: row.train_seconds,
    model_path: row.model_path
  }
}
