/** Runs long work as cancellable jobs that report progress on the event bus. */
import { randomUUID } from 'node:crypto'
import { UserError } from '../../common/ipc/errors'
import type { JobKind } from '../../common/types/jobs'
import type { ApiEventBus } from './events'

export interface JobContext {
  jobId: string
  signal: AbortSignal
  progress: (update: { label: string; done: number; total: number }) => void
}

export class JobRunner {
  private readonly running = new Map<string, AbortController>()

  constructor(private readonly events: ApiEventBus) {}

  /**
   * Runs `work` to completion; progress and state go out as `jobs:onProgress` / `jobs:onState`.
   * `id` is the caller's id for the job (so it can follow and cancel it before the first event); a fresh
   * UUID when left out. An id that is already running is refused with a UserError, before any event.
   */
  async run<T>(kind: JobKind, label: string, work: (job: JobContext) => Promise<T>, id?: string): Promise<T> {
    if (id !== undefined && this.running.has(id)) {
      throw new UserError(`A job with id ${id} is already running`, 'JOB_ID_TAKEN')
    }
    const jobId = id ?? randomUUID()
    const controller = new AbortController()
    this.running.set(jobId, controller)
    this.events.emit('jobs:onState', { jobId, kind, status: 'running', label })
    const context: JobContext = {
      jobId,
      signal: controller.signal,
      progress: (update) => this.events.emit('jobs:onProgress', { jobId, kind, ...update })
    }
    try {
      const result = await work(context)
      this.events.emit('jobs:onState', { jobId, kind, status: 'done', label })
      return result
    } catch (err) {
      const status = controller.signal.aborted ? 'cancelled' : 'failed'
      const error = err instanceof Error ? err.message : String(err)
      this.events.emit('jobs:onState', { jobId, kind, status, label, error })
      throw err
    } finally {
      this.running.delete(jobId)
    }
  }

  cancel(jobId: string): boolean {
    const controller = this.running.get(jobId)
    controller?.abort()
    return controller !== undefined
  }

  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort()
  }
}
