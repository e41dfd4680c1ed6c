/** The one implementation of the API contract; the IPC registry and the HTTP server dispatch to it. */
import type Database from 'better-sqlite3'
import type { ApiHandlers } from '../../common/ipc/contract'
import type { AppInfo } from '../../common/types/app'
import { DatasetService, TextureService } from '../datasets/dataset-service'
import { sharedDir } from '../config/paths'
import { ApiEventBus } from './events'
import { JobRunner } from './jobs'
import { RunService, type RunServiceOptions } from '../runs/run-service'
import { InspectionService, isInspectionVariant } from '../inspections/inspection-service'
import type { CachedFile } from '../datasets/image-cache'
import type { ImageVariant } from '../../common/types/datasets'
import { exportAndEvaluate } from '../runs/after-training'
import {
  asId,
  asImageQuery,
  asImportRequest,
  asInspectionCreateRequest,
  asInspectionResultQuery,
  asJobId,
  asOptionalBackend,
  asOptionalId,
  asOptionalJobId,
  asRunCreateRequest,
  asEvaluationListQuery,
  asResultImageQuery
} from './validate'
import { ResultsService } from '../results/results-service'
import { ReviewService } from '../review/review-service'
import { ThresholdsService } from '../review/thresholds-service'
import { asReviewQueueRequest, asThresholdSaveRequest, asThresholdsQuery, asVerdictRequest } from './validate'
import { renderReport } from '../reports'
import { asReportExportRequest } from './validate'
import { LabelService } from '../labels/label-service'
import {
  asDefectTypeRequest,
  asFeedbackRequest,
  asLabelExportRequest,
  asMaskRestoreRequest,
  asMaskSaveRequest,
  asOptionalVersion,
  asRelabelRequest
} from './validate'

export interface AppContext {
  db: Database.Database
  dbPath: string
  dataDir: string
  version: string
  transport: AppInfo['transport']
  /** A native folder dialog where one exists (Electron). */
  pickFolder?: () => Promise<string | null>
  /**
   * Settings of the run queue: above all `afterTraining`, the step after training (export and
   * evaluate); tests also pass a training client or a texture folder.
   */
  runs?: Omit<RunServiceOptions, 'dataDir' | 'events'>
}

export interface AppServices {
  events: ApiEventBus
  jobs: JobRunner
  datasets: DatasetService
  textures: TextureService
  runs: RunService
  inspections: InspectionService
  handlers: ApiHandlers
  /** The file behind an image URL (imageUrl(id, variant)): a dataset image's, or an inspection result's. */
  imageFile(id: number, variant: ImageVariant): Promise<CachedFile>
  /** Cancels jobs, stops a training run with a checkpoint and stops the training worker. */
  close(): Promise<void>
}

export function createServices(context: AppContext): AppServices {
  const events = new ApiEventBus()
  const jobs = new JobRunner(events)
  const datasets = new DatasetService(context.db, { dataDir: context.dataDir })
  const textures = new TextureService(context.db, { dataDir: context.dataDir })
  // After training: export to ONNX, evaluate on the category's test split, store the results.
  const runs = new RunService(context.db, {
    afterTraining: exportAndEvaluate({ db: context.db, datasets }),
    ...context.runs,
    dataDir: context.dataDir,
    events
  })

  const results = new ResultsService(context.db)
  const thresholds = new ThresholdsService(context.db)
  const review = new ReviewService(context.db, thresholds)

  const inspections = new InspectionService(context.db, { dataDir: context.dataDir })
  const labels = new LabelService(context.db, { dataDir: context.dataDir })

  const handlers: ApiHandlers = {
    'app:info': () => ({
      version: context.version,
      transport: context.transport,
      dbPath: context.dbPath,
      dataDir: context.dataDir,
      sharedDir: sharedDir(),
      canPickFolder: context.pickFolder !== undefined
    }),
    'app:pickFolder': async () => (context.pickFolder ? context.pickFolder() : null),
    'datasets:list': () => datasets.list(),
    'datasets:get': (id) => datasets.get(asId(id)),
    'datasets:import': (request) => {
      const req = asImportRequest(request)
      return jobs.run(
        'import',
        `Importing ${req.folder}`,
        (job) => datasets.import(req, job.progress, job.signal),
        req.jobId
      )
    },
    'datasets:rescan': (id, jobId) => {
      const datasetId = asId(id)
      return jobs.run(
        'rescan',
        `Re-scanning dataset ${datasetId}`,
        (job) => datasets.rescan(datasetId, job.progress, job.signal),
        asOptionalJobId(jobId)
      )
    },
    'datasets:remove': (id) => {
      const datasetId = asId(id)
      const folders = runs.prepareDatasetRemoval(datasetId)
      const inspectionFolders = inspections.prepareDatasetRemoval(datasetId)
      datasets.remove(datasetId)
      labels.removeFolder(datasetId)
      runs.removeFolders(folders)
      inspections.removeFolders(inspectionFolders)
    },
    'datasets:images': (query) => datasets.images(asImageQuery(query)),
    'datasets:image': (id) => datasets.image(asId(id)),
    'textures:list': () => textures.list(),
    'textures:import': (request) => {
      const req = asImportRequest(request)
      return jobs.run(
        'texture-import',
        `Importing textures ${req.folder}`,
        (job) => textures.import(req, job.progress, job.signal),
        req.jobId
      )
    },
    'textures:remove': (id) => textures.remove(asId(id)),
    'jobs:cancel': (jobId) => jobs.cancel(asJobId(jobId)),
    'runs:list': (categoryId) => runs.list(asOptionalId(categoryId, 'categoryId')),
    'runs:get': (id) => runs.get(asId(id)),
    'runs:create': (request) => runs.create(asRunCreateRequest(request)),
    'runs:cancel': (id) => runs.cancel(asId(id)),
    'runs:resume': (id) => runs.resume(asId(id)),
    'runs:remove': (id) => runs.remove(asId(id)),
    'runs:presets': () => runs.presets(),
    'runs:backend': (preferred) => runs.backend(asOptionalBackend(preferred)),
    'runs:history': (id) => runs.history(asId(id)),
    'inspections:create': (request) => {
      const req = asInspectionCreateRequest(request)
      return jobs.run('inspection', `Inspecting ${req.folder}`, (job) => inspections.create(req, job), req.jobId)
    },
    'inspections:list': (categoryId) => inspections.list(asOptionalId(categoryId, 'categoryId')),
    'inspections:get': (id) => inspections.get(asId(id)),
    'inspections:results': (query) => inspections.results(asInspectionResultQuery(query)),
    'inspections:map': (id) => inspections.map(asId(id, 'resultId')),
    'inspections:remove': (id) => inspections.remove(asId(id)),
    'results:evaluations': (query) => results.evaluations(asEvaluationListQuery(query)),
    'results:evaluation': (id) => results.evaluation(asId(id)),
    'results:images': (query) => results.images(asResultImageQuery(query)),
    'results:map': (evaluationId, imageId) => results.map(asId(evaluationId, 'evaluationId'), asId(imageId, 'imageId')),
    'thresholds:get': (query) => thresholds.view(asThresholdsQuery(query)),
    'thresholds:save': (request) => thresholds.save(asThresholdSaveRequest(request)),
    'review:queue': (request) => review.queue(asReviewQueueRequest(request)),
    'review:verdict': (request) => review.verdict(asVerdictRequest(request)),
    'review:counts': (id) => review.counts(asId(id, 'evaluationId')),
    'reports:export': async (request) => {
      const req = asReportExportRequest(request)
      const { filename, mime, data } = await renderReport(context.db, req.target, req.format, { review })
      return { filename, mime, data_base64: data.toString('base64') }
    },
    'labels:get': (id) => labels.get(asId(id, 'imageId')),
    'labels:mask': (id, version) => labels.mask(asId(id, 'imageId'), asOptionalVersion(version)),
    'labels:relabel': (request) => labels.relabel(asRelabelRequest(request)),
    'labels:saveMask': (request) => labels.saveMask(asMaskSaveRequest(request)),
    'labels:restoreMask': (request) => labels.restoreMask(asMaskRestoreRequest(request)),
    'labels:defectTypes': (id) => labels.defectTypes(asId(id, 'categoryId')),
    'labels:addDefectType': (request) => labels.addDefectType(asDefectTypeRequest(request)),
    'labels:feedback': (request) => labels.feedback(asFeedbackRequest(request)),
    'labels:status': (id, evaluationId) => labels.status(asId(id, 'categoryId'), asOptionalId(evaluationId, 'evaluationId')),
    'labels:export': (request) => {
      const req = asLabelExportRequest(request)
      return jobs.run('label-export', `Exporting dataset ${req.datasetId}`, (job) => labels.export(req, job.progress, job.signal), req.jobId)
    },
    'labels:reevaluate': (id) => labels.reevaluate(asId(id, 'evaluationId'))
  }

  // Runs left training by the last session become resumable; queued ones start.
  runs.start()
  // Inspections left running by the last session fail without results.
  inspections.start()

  const imageFile = (id: number, variant: ImageVariant): Promise<CachedFile> =>
    isInspectionVariant(variant) ? inspections.imageFile(id, variant) : datasets.imageFile(id, variant)

  const close = async (): Promise<void> => {
    jobs.cancelAll()
    await Promise.all([runs.close(), inspections.close()])
  }

  return { events, jobs, datasets, textures, runs, inspections, handlers, imageFile, close }
}
