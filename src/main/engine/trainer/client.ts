/**
 * TrainingClient: runs training in a worker thread (engine/worker.ts) and turns its messages
 * (trainer/protocol.ts) into a promise and callbacks. Used by the CLI and, later, by the app's
 * training service in the main process.
 *
 *   const client = new TrainingClient()
 *   const result = await client.train({ config, run_dir }, { onProgress, signal })
 *   await client.close()
 */
import 'sharp' // load sharp's native library in the main thread before any worker uses it (sharp's rule for worker threads)
import { dirname } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { ApiCallError, UserError } from '../../../common/ipc/errors'
import { spawnWorker, workerEntry } from '../data/worker-spawn'
import type { BackendReport } from '../../../common/types/training'
import type { FromTrainingWorker, ToTrainingWorker } from './protocol'
import type { TrainProgress, TrainRequest, TrainResult } from './types'

export interface TrainingHandlers {
  onProgress?: (progress: TrainProgress) => void
  onLog?: (message: string) => void
  /** aborting it cancels the run: it checkpoints and resolves with status 'cancelled' */
  signal?: AbortSignal
}

export interface TrainingClientOptions {
  /** makes the worker; default: engine/worker.ts (tsx) or worker.js (a build that emits it) */
  createWorker?: () => Worker
}

interface PendingProbe {
  resolve(backend: BackendReport): void
  reject(err: Error): void
}

interface Pending {
  id: number
  handlers: TrainingHandlers
  resolve(result: TrainResult): void
  reject(err: Error): void
}

export class TrainingClient {
  private worker?: Worker
  private ready?: Promise<void>
  private pending?: Pending
  private readonly probes = new Map<number, PendingProbe>()
  private nextId = 1
  private lastSeq = 0
  private readonly createWorker: () => Worker

  constructor(options: TrainingClientOptions = {}) {
    // From sources this file is engine/trainer/client.ts beside engine/worker.ts; in the app's build
    // it is bundled into out/main/index.js, beside out/main/worker.js (electron.vite.config.ts).
    this.createWorker = options.createWorker ?? (() => spawnWorker(workerEntry([dirname(__dirname), __dirname], 'worker')))
  }

  /** Whether a run is in progress. */
  get running(): boolean {
    return this.pending !== undefined
  }

  /** Starts (or resumes) a run in the worker; resolves when it ends. One run at a time. */
  async train(request: TrainRequest, handlers: TrainingHandlers = {}): Promise<TrainResult> {
    if (this.pending) throw new Error('a training run is already in progress on this client')
    const id = this.nextId++
    const done = new Promise<TrainResult>((resolve, reject) => {
      this.pending = { id, handlers, resolve, reject }
    })
    done.catch(() => undefined) // awaited below; this only keeps an early failure from counting as unhandled
    const onAbort = (): void => this.cancel()
    try {
      await this.start()
      if (handlers.signal?.aborted) {
        // cancelled before it began: nothing to checkpoint
        this.pending = undefined
        throw new Error('training cancelled before it started')
      }
      handlers.signal?.addEventListener('abort', onAbort, { once: true })
      this.post({ type: 'start', id, request })
      return await done
    } finally {
      handlers.signal?.removeEventListener('abort', onAbort)
      if ((this.pending as Pending | undefined)?.id === id) this.pending = undefined
    }
  }

  /**
   * The backend a run with `preferred` (RunConfig.backend) would train on, chosen in the worker as a
   * run chooses it; while a run is in progress, the one it uses. Starts the worker if needed.
   */
  async probeBackend(preferred: string | null = null): Promise<BackendReport> {
    await this.start()
    const id = this.nextId++
    const answer = new Promise<BackendReport>((resolve, reject) => this.probes.set(id, { resolve, reject }))
    this.post({ type: 'probe', id, preferred })
    return answer
  }

  /** Cancels the run in progress, if any. */
  cancel(): void {
    if (this.pending && this.worker) this.post({ type: 'cancel', id: this.pending.id })
  }

  /** Cancels any run, waits for it to end, and stops the worker. */
  async close(): Promise<void> {
    const worker = this.worker
    if (!worker) return
    if (this.pending) {
      const id = this.pending.id
      const ended = new Promise<void>((resolve) => {
        const p = this.pending!
        const [res, rej] = [p.resolve, p.reject]
        p.resolve = (r) => (res(r), resolve())
        p.reject = (e) => (rej(e), resolve())
      })
      this.post({ type: 'cancel', id })
      await ended
    }
    this.worker = undefined
    this.ready = undefined
    await worker.terminate()
  }

  private post(msg: ToTrainingWorker): void {
    this.worker?.postMessage(msg)
  }

  /** Spawns the worker on first use and waits for its 'ready'. */
  private start(): Promise<void> {
    if (this.ready) return this.ready
    const worker = this.createWorker()
    this.worker = worker
    this.lastSeq = 0
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromTrainingWorker) => {
        if (msg.seq !== this.lastSeq + 1) {
          this.fail(new Error(`training worker message out of order: seq ${msg.seq} after ${this.lastSeq}`))
        }
        this.lastSeq = msg.seq
        if (msg.type === 'ready') resolve()
        else this.handle(msg)
      })
      worker.on('error', (err) => {
        reject(err)
        this.fail(err)
      })
      worker.on('exit', (code) => {
        if (this.worker !== worker) return // closed on purpose
        this.worker = undefined
        this.ready = undefined
        const err = new Error(`the training worker stopped unexpectedly (exit code ${code})`)
        reject(err)
        this.fail(err)
      })
    })
    return this.ready
  }

  private handle(msg: Exclude<FromTrainingWorker, { type: 'ready' }>): void {
    const probe = this.probes.get(msg.id)
    if (probe) {
      this.probes.delete(msg.id)
      if (msg.type === 'backend') probe.resolve(msg.backend)
      else if (msg.type === 'error') probe.reject(new ApiCallError(msg.error))
      return
    }
    const p = this.pending
    if (!p || msg.id !== p.id) return // a late message of an earlier run
    switch (msg.type) {
      case 'progress':
        p.handlers.onProgress?.(msg.progress)
        return
      case 'log':
        p.handlers.onLog?.(msg.message)
        return
      case 'done':
        this.pending = undefined
        p.resolve(msg.result)
        return
      case 'error': {
        this.pending = undefined
        // a UserError stays one (the CLI prints its message alone); anything else keeps the worker's stack
        const err = msg.error.name === 'UserError' ? new UserError(msg.error.message, msg.error.code) : new ApiCallError(msg.error)
        if (msg.error.stack && msg.error.name !== 'UserError') err.stack = msg.error.stack
        p.reject(err)
        return
      }
    }
  }

  private fail(err: Error): void {
    const p = this.pending
    this.pending = undefined
    p?.reject(err)
    for (const probe of this.probes.values()) probe.reject(err)
    this.probes.clear()
  }
}
