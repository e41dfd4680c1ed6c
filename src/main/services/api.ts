/** The one implementation of the API contract; the IPC registry and the HTTP server dispatch to it. */
import type Database from 'better-sqlite3'
import type { ApiHandlers } from '../../common/ipc/contract'
import type { AppInfo } from '../../common/types/app'
import { DatasetService, TextureService } from '../datasets/dataset-service'
import { sharedDir } from '../config/paths'
import { ApiEventBus } from './events'
import { JobRunner } from './jobs'
import { asId, asImageQuery, asImportRequest, asJobId, asOptionalJobId } from './validate'

export interface AppContext {
  db: Database.Database
  dbPath: string
  dataDir: string
  version: string
  transport: AppInfo['transport']
  /** A native folder dialog where one exists (Electron). */
  pickFolder?: () => Promise<string | null>
}

export interface AppServices {
  events: ApiEventBus
  jobs: JobRunner
  datasets: DatasetService
  textures: TextureService
  handlers: ApiHandlers
}

export function createServices(context: AppContext): AppServices {
  const events = new ApiEventBus()
  const jobs = new JobRunner(events)
  const datasets = new DatasetService(context.db, { dataDir: context.dataDir })
  const textures = new TextureService(context.db, { dataDir: context.dataDir })

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
    'datasets:remove': (id) => datasets.remove(asId(id)),
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
    'jobs:cancel': (jobId) => jobs.cancel(asJobId(jobId))
  }

  return { events, jobs, datasets, textures, handlers }
}
