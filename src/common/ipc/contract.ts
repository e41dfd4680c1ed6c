/**
 * The one API between the renderer and main. The preload bridge and the loopback HTTP server
 * both serve exactly these channels and events; the renderer does not know which one it uses.
 */
import type { AppInfo } from '../types/app'
import type {
  DatasetSummary,
  ImageDetail,
  ImagePage,
  ImageQuery,
  ImageVariant,
  ImportOutcome,
  ImportRequest,
  RescanOutcome,
  TextureImportOutcome,
  TextureSourceSummary
} from '../types/datasets'
import type { JobProgress, JobState } from '../types/jobs'

/** Every call: channel `domain:verb` -> (arguments) => result. */
export interface ApiCalls {
  'app:info': () => AppInfo
  /** Native folder dialog; resolves null when cancelled or where no dialog exists. */
  'app:pickFolder': () => string | null
  'datasets:list': () => DatasetSummary[]
  'datasets:get': (datasetId: number) => DatasetSummary
  'datasets:import': (request: ImportRequest) => ImportOutcome
  /** `jobId`: as in ImportRequest, the id for the job that runs the re-scan. */
  'datasets:rescan': (datasetId: number, jobId?: string) => RescanOutcome
  'datasets:remove': (datasetId: number) => void
  'datasets:images': (query: ImageQuery) => ImagePage
  'datasets:image': (imageId: number) => ImageDetail
  'textures:list': () => TextureSourceSummary[]
  'textures:import': (request: ImportRequest) => TextureImportOutcome
  'textures:remove': (textureSourceId: number) => void
  'jobs:cancel': (jobId: string) => boolean
}

/** Every event: `domain:onEvent` -> payload. */
export interface ApiEvents {
  'jobs:onProgress': JobProgress
  'jobs:onState': JobState
}

export type ApiChannel = keyof ApiCalls
export type ApiEvent = keyof ApiEvents
export type ApiArgs<C extends ApiChannel> = Parameters<ApiCalls[C]>
export type ApiResult<C extends ApiChannel> = Awaited<ReturnType<ApiCalls[C]>>

/** Runtime list of the channels, checked by the preload, the IPC registry and the HTTP server. */
export const API_CHANNELS = [
  'app:info',
  'app:pickFolder',
  'datasets:list',
  'datasets:get',
  'datasets:import',
  'datasets:rescan',
  'datasets:remove',
  'datasets:images',
  'datasets:image',
  'textures:list',
  'textures:import',
  'textures:remove',
  'jobs:cancel'
] as const satisfies readonly ApiChannel[]

export const API_EVENTS = ['jobs:onProgress', 'jobs:onState'] as const satisfies readonly ApiEvent[]

// Compile-time check that API_CHANNELS lists every channel.
type Missing = Exclude<ApiChannel, (typeof API_CHANNELS)[number]>
const _allChannelsListed: Missing extends never ? true : Missing = true
void _allChannelsListed

export function isApiChannel(value: unknown): value is ApiChannel {
  return typeof value === 'string' && (API_CHANNELS as readonly string[]).includes(value)
}

export function isApiEvent(value: unknown): value is ApiEvent {
  return typeof value === 'string' && (API_EVENTS as readonly string[]).includes(value)
}

/** Main implements every call once; transports dispatch to it. */
export type ApiHandlers = { [C in ApiChannel]: (...args: ApiArgs<C>) => Promise<ApiResult<C>> | ApiResult<C> }

/** What the renderer sees, from either transport. */
export interface DesktopApi {
  invoke<C extends ApiChannel>(channel: C, ...args: ApiArgs<C>): Promise<ApiResult<C>>
  /** Subscribe to an event; returns the unsubscribe function. */
  on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void
  /** A URL the renderer can put in <img src>. */
  imageUrl(imageId: number, variant: ImageVariant): string
}
