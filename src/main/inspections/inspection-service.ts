/**
 * Inspections: a trained category's model (its latest done run with an exported model, or a chosen
 * run) pointed at a folder of new, unlabelled images. Each image gets a score, a map (an .npy file
 * under <dataDir>/inspections/<id>/) and pass/fail by the category's thresholds.
 *
 *   create: checks everything (category, run and model, folder and images, thresholds), inserts the
 *           inspection as 'running', runs inference in chunks (progress, cancel), then writes every
 *           result with status 'done' in one transaction.
 *   cancel or error: the maps folder is removed and the inspection becomes 'cancelled' or 'failed'
 *           without results; start() does the same for inspections an earlier session left running.
 */
import type Database from 'better-sqlite3'
import { existsSync, rmSync } from 'node:fs'
import { isAbsolute, join, relative } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type {
  InspectionCreateRequest,
  InspectionMap,
  InspectionResult,
  InspectionResultPage,
  InspectionResultQuery,
  InspectionSummary
} from '../../common/types/inspections'
import type { ImageVariant } from '../../common/types/datasets'
import { resolveFolder } from '../datasets/files'
import { ImageCache, type CachedFile } from '../datasets/image-cache'
import { listImageFiles } from '../engine/data/files'
import { InferenceClient } from '../engine/inference/client'
import type { InferenceProgress, InferenceResult } from '../engine/inference/types'
import { getCategory } from '../store/repositories/datasets.repo'
import * as repo from '../store/repositories/inspections.repo'
import { getRun } from '../store/repositories/runs.repo'
import { fractionAtOrOver, inspectionFullImage, inspectionThumbnail, mapFile, readMap, writeMap } from './inspection-files'
import { resolveInspectionThresholds, type InspectionThresholds } from './thresholds'

/** The part of InferenceClient the service uses (a test may pass its own). */
export interface InspectionInference {
  infer(paths: readonly string[], options: { onProgress?: (p: InferenceProgress) => void; signal?: AbortSignal }): Promise<InferenceResult[]>
  close(): Promise<void>
}

export interface InspectionServiceOptions {
  dataDir: string
  /** opens the model; default: an InferenceClient (a worker thread, CPU) */
  openModel?: (modelPath: string) => Promise<InspectionInference>
  /** the thresholds of a category for a run; default: resolveInspectionThresholds */
  thresholds?: (db: Database.Database, categoryId: number, runId: number) => InspectionThresholds
  /** images per inference request (bounds what is held in memory at once); default 32 */
  chunk?: number
}

/** What a job gives the work: progress, cancel, and its id. */
export interface InspectionJob {
  jobId: string
  signal: AbortSignal
  progress: (update: { label: string; done: number; total: number }) => void
}

export const INSPECTION_VARIANTS = ['inspection_thumb', 'inspection_full'] as const
export type InspectionVariant = (typeof INSPECTION_VARIANTS)[number]

export function isInspectionVariant(variant: ImageVariant): variant is InspectionVariant {
  return (INSPECTION_VARIANTS as readonly string[]).includes(variant)
}

const DEFAULT_PAGE = 60
const MAX_PAGE = 500
const now = (): string => new Date().toISOString()
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err))

export class InspectionService {
  private readonly dir: string
  private readonly cache: ImageCache
  private readonly openModel: (modelPath: string) => Promise<InspectionInference>
  private readonly thresholds: (db: Database.Database, categoryId: number, runId: number) => InspectionThresholds
  private readonly chunk: number
  /** job ids of the inspections running in this session */
  private readonly running = new Map<number, string>()
  /** their work, settled or not (close waits for it) */
  private readonly work = new Set<Promise<unknown>>()

  constructor(
    private readonly db: Database.Database,
    options: InspectionServiceOptions
  ) {
    this.dir = join(options.dataDir, 'inspections')
    this.cache = new ImageCache(join(options.dataDir, 'cache'))
    this.openModel = options.openModel ?? ((path) => InferenceClient.open(path))
    this.thresholds = options.thresholds ?? resolveInspectionThresholds
    this.chunk = Math.max(1, options.chunk ?? 32)
  }

  /** Inspections an earlier session left running (the app quit or crashed) fail, without results. */
  start(): void {
    const left = repo.inspectionsWithStatus(this.db, 'running')
    for (const row of left) {
      repo.stopInspection(this.db, row.id, 'failed', now(), 'The app stopped while this inspection was running; start it again.')
      this.removeFolders([row.maps_dir])
    }
  }

  list(categoryId?: number): InspectionSummary[] {
    return repo.listInspections(this.db, categoryId).map((row) => this.toSummary(row))
  }

  get(id: number): InspectionSummary {
    const row = repo.getInspectionRow(this.db, id)
    if (!row) throw new UserError(`Inspection ${id} does not exist.`, 'NOT_FOUND')
    return this.toSummary(row)
  }

  /** Runs an inspection to the end as `job`; resolves with it done, rejects when cancelled or failed. */
  create(request: InspectionCreateRequest, job: InspectionJob): Promise<InspectionSummary> {
    const work = this.execute(request, job)
    const settled = work.catch(() => undefined)
    this.work.add(settled)
    void settled.finally(() => this.work.delete(settled))
    return work
  }

  /** Resolves when every inspection of this session has finished (cancel them first: JobRunner.cancelAll). */
  async close(): Promise<void> {
    await Promise.all([...this.work])
  }

  private async execute(request: InspectionCreateRequest, job: InspectionJob): Promise<InspectionSummary> {
    const { categoryId, runId, modelPath } = this.modelFor(request.categoryId, request.runId)
    const folder = await resolveFolder(request.folder)
    const paths = await listImageFiles(folder)
    if (paths.length === 0) throw new UserError(`No images (PNG, JPEG, BMP, TIFF) in ${folder}.`, 'NO_IMAGES')
    const thresholds = this.thresholds(this.db, categoryId, runId)

    const id = this.db.transaction(() =>
      repo.insertInspection(
        this.db,
        {
          category_id: categoryId,
          run_id: runId,
          model_path: modelPath,
          folder,
          created_at: now(),
          pixel_threshold: thresholds.pixel,
          image_threshold: thresholds.image,
          threshold_note: thresholds.note
        },
        (newId) => join(this.dir, String(newId))
      )
    )()
    const mapsDir = repo.getInspectionRow(this.db, id)!.maps_dir
    this.removeFolders([mapsDir]) // a folder of that name left by another database
    this.running.set(id, job.jobId)
    const started = Date.now()
    try {
      const results = await this.infer(paths, modelPath, mapsDir, thresholds, job)
      repo.finishInspection(this.db, id, results, now(), (Date.now() - started) / paths.length)
      this.running.delete(id)
      return this.get(id)
    } catch (err) {
      this.removeFolders([mapsDir])
      const cancelled = job.signal.aborted
      repo.stopInspection(this.db, id, cancelled ? 'cancelled' : 'failed', now(), cancelled ? null : message(err))
      throw cancelled ? new UserError(`Inspection ${id} was cancelled.`, 'CANCELLED') : err
    } finally {
      this.running.delete(id)
    }
  }

  /** A page of results by score (most anomalous first unless `order` is 'asc'), optionally only passed or failed ones. */
  results(query: InspectionResultQuery): InspectionResultPage {
    const inspection = this.get(query.inspectionId)
    const offset = Math.max(0, Math.floor(query.offset ?? 0))
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(query.limit ?? DEFAULT_PAGE)))
    const { total, rows } = repo.queryResults(this.db, inspection.id, { verdict: query.verdict, order: query.order ?? 'desc', offset, limit })
    return { total, offset, results: rows.map((r) => toResult(r, inspection.folder)) }
  }

  /** One image's map, as stored (S/4 x S/4). */
  map(resultId: number): InspectionMap {
    const result = this.result(resultId)
    const inspection = this.get(result.inspection_id)
    return {
      inspection_id: inspection.id,
      result_id: result.id,
      size: result.map_size,
      data: Array.from(readMap(result.map_path, result.map_size)),
      pixel_threshold: inspection.pixel_threshold
    }
  }

  /** Deletes an inspection that is not running, with its results and maps. */
  remove(id: number): void {
    const inspection = this.get(id)
    if (this.running.has(id)) throw new UserError(`Inspection ${id} is running; cancel it before deleting it.`, 'INSPECTION_ACTIVE')
    const folder = repo.getInspectionRow(this.db, id)!.maps_dir
    this.db.transaction(() => repo.deleteInspection(this.db, inspection.id))()
    this.removeFolders([folder])
  }

  /** The image of a result for display: a thumbnail or the full image. */
  imageFile(resultId: number, variant: InspectionVariant): Promise<CachedFile> {
    const { path } = this.result(resultId)
    return variant === 'inspection_thumb' ? inspectionThumbnail(this.cache, path) : inspectionFullImage(this.cache, path)
  }

  /**
   * Before a dataset is deleted: refuses while one of its inspections runs, and returns the maps
   * folders of its inspections, for removeFolders once the rows are gone.
   */
  prepareDatasetRemoval(datasetId: number): string[] {
    for (const id of this.running.keys()) {
      if (this.get(id).dataset_id === datasetId) throw new UserError(`Inspection ${id} of this dataset is running; cancel it first.`, 'INSPECTION_ACTIVE')
    }
    return repo.datasetInspectionDirs(this.db, datasetId)
  }

  /** Removes inspection folders inside the app's inspections folder; others are left alone. */
  removeFolders(folders: readonly string[]): void {
    for (const folder of folders) {
      const rel = relative(this.dir, folder)
      if (folder && rel && !rel.startsWith('..') && !isAbsolute(rel)) rmSync(folder, { recursive: true, force: true })
    }
  }

  /** The category, run and model an inspection uses; a UserError saying what is missing otherwise. */
  private modelFor(categoryId: number, runId: number | undefined): { categoryId: number; runId: number; modelPath: string } {
    const category = getCategory(this.db, categoryId)
    if (!category) throw new UserError(`Category ${categoryId} does not exist.`, 'NOT_FOUND')
    let run: repo.ModelRun | undefined
    if (runId !== undefined) {
      run = getRun(this.db, runId)
      if (!run) throw new UserError(`Run ${runId} does not exist.`, 'NOT_FOUND')
      if (run.category_id !== categoryId) throw new UserError(`Run ${runId} was not trained on category "${category.name}".`, 'WRONG_CATEGORY')
      if (run.status !== 'done' || !run.model_path) {
        throw new UserError(`Run ${runId} ("${run.name}") is ${run.status} and has no exported model; choose a finished run.`, 'NO_MODEL')
      }
    } else {
      run = repo.latestModelRun(this.db, categoryId)
      if (!run) {
        throw new UserError(
          `Category "${category.name}" has no finished run with an exported model: train one on the Runs page first.`,
          'NO_MODEL'
        )
      }
    }
    const modelPath = run.model_path!
    if (!existsSync(modelPath)) throw new UserError(`The model of run ${run.id} is missing: ${modelPath}`, 'FILE_MISSING')
    return { categoryId, runId: run.id, modelPath }
  }

  /** Scores and maps of every image, in chunks; each map is written as it comes. */
  private async infer(
    paths: readonly string[],
    modelPath: string,
    mapsDir: string,
    thresholds: InspectionThresholds,
    job: InspectionJob
  ): Promise<repo.NewInspectionResult[]> {
    const total = paths.length
    const label = `Inspecting ${total} image${total === 1 ? '' : 's'}`
    job.progress({ label: `Loading the model`, done: 0, total })
    const model = await this.openModel(modelPath)
    try {
      const results: repo.NewInspectionResult[] = []
      for (let start = 0; start < total; start += this.chunk) {
        if (job.signal.aborted) throw new UserError('cancelled', 'CANCELLED')
        const part = paths.slice(start, start + this.chunk)
        const inferred = await model.infer(part, {
          signal: job.signal,
          onProgress: (p) => job.progress({ label, done: start + p.done, total })
        })
        for (const r of inferred) {
          const mapPath = mapFile(mapsDir, results.length)
          writeMap(mapPath, r.map, r.mapSize, mapsDir)
          results.push({
            path: r.path,
            width: r.width,
            height: r.height,
            score: r.score,
            map_path: mapPath,
            map_size: r.mapSize,
            pass: r.score < thresholds.image ? 1 : 0,
            defect_fraction: fractionAtOrOver(r.map256, thresholds.pixel)
          })
        }
      }
      job.progress({ label, done: total, total })
      return results
    } finally {
      await model.close().catch(() => undefined)
    }
  }

  private result(resultId: number): repo.InspectionResultRecord {
    const result = repo.getResult(this.db, resultId)
    if (!result) throw new UserError(`Inspection result ${resultId} does not exist.`, 'NOT_FOUND')
    return result
  }

  private toSummary(row: repo.InspectionListRow): InspectionSummary {
    return {
      id: row.id,
      category_id: row.category_id,
      category_name: row.category_name,
      dataset_id: row.dataset_id,
      dataset_name: row.dataset_name,
      run_id: row.run_id,
      run_name: row.run_name,
      model_path: row.model_path,
      folder: row.folder,
      created_at: row.created_at,
      finished_at: row.finished_at,
      status: row.status,
      error: row.error,
      pixel_threshold: row.pixel_threshold,
      image_threshold: row.image_threshold,
      threshold_note: row.threshold_note,
      images: row.images,
      passed: row.passed,
      failed: row.failed,
      ms_per_image: row.ms_per_image,
      job_id: this.running.get(row.id) ?? null
    }
  }
}

function toResult(row: repo.InspectionResultRecord, folder: string): InspectionResult {
  return {
    id: row.id,
    inspection_id: row.inspection_id,
    path: row.path,
    rel_path: relative(folder, row.path).split('\\').join('/'),
    width: row.width,
    height: row.height,
    score: row.score,
    pass: row.pass === 1,
    defect_fraction: row.defect_fraction
  }
}
