/**
 * Where the trainer gets its batches: a BatchProducer run ahead of compute, either in a worker
 * thread (real overlap: the compute thread is busy in synchronous tfjs kernels between awaits) or
 * in the calling thread (no worker; only sharp's decoding runs on libuv threads meanwhile). Both
 * give identical batches, since a batch depends only on its step (see batch-producer.ts).
 */
import type { Worker } from 'node:worker_threads'
import { ApiCallError } from '../../../common/ipc/errors'
import { BatchProducer, checkBatchSpec, type BatchProducerOptions, type BatchSpec, type TrainBatch } from './batch-producer'
import type { DataWorkerData, FromDataWorker, ToDataWorker } from './prefetch-protocol'
import { spawnWorker, workerEntry } from './worker-spawn'

export interface BatchSource {
  /**
   * The batch of a global step; meanwhile the next `depth` steps (below the end) are being made.
   * Ask for steps in increasing order; an earlier one is made again.
   */
  get(step: number): Promise<TrainBatch>
  /** Stops making batches and frees the worker. */
  close(): Promise<void>
}

export interface BatchSourceOptions {
  /** batches made ahead of the one asked for; default 2 */
  depth?: number
  /** steps are 0 .. end-1; nothing at or past `end` is made */
  end: number
  /** 'worker' (default) or 'inline' (the calling thread) */
  thread?: 'worker' | 'inline'
}

/** Keeps up to `depth` batches in flight ahead of the one asked for. */
abstract class AheadSource implements BatchSource {
  private readonly pending = new Map<number, Promise<TrainBatch>>()
  private nextRequest = 0
  protected closed = false

  constructor(
    private readonly depth: number,
    private readonly end: number
  ) {
    if (!(Number.isInteger(depth) && depth >= 0)) throw new Error(`prefetch depth must be a non-negative integer, got ${depth}`)
  }

  protected abstract request(step: number): Promise<TrainBatch>
  abstract close(): Promise<void>

  get(step: number): Promise<TrainBatch> {
    if (this.closed) return Promise.reject(new Error('batch source is closed'))
    for (const s of this.pending.keys()) if (s < step) this.pending.delete(s)
    if (step >= this.nextRequest) this.nextRequest = step
    while (this.nextRequest < Math.min(step + this.depth + 1, this.end)) {
      const s = this.nextRequest++
      const p = this.request(s)
      p.catch(() => undefined) // reported when asked for
      this.pending.set(s, p)
    }
    const p = this.pending.get(step) ?? this.request(step)
    this.pending.delete(step)
    return p
  }
}

/** Makes batches in this thread. */
export class InlineBatchSource extends AheadSource {
  private readonly producer: BatchProducer
  private chain: Promise<unknown> = Promise.resolve()

  constructor(spec: BatchSpec, options: BatchSourceOptions, producerOptions?: BatchProducerOptions) {
    super(options.depth ?? 2, options.end)
    this.producer = new BatchProducer(spec, producerOptions)
  }

  protected request(step: number): Promise<TrainBatch> {
    const p = this.chain.then(() => this.producer.produce(step))
    this.chain = p.catch(() => undefined)
    return p
  }

  async close(): Promise<void> {
    this.closed = true
    await this.chain
  }
}

/** Makes batches in a data worker thread (prefetch-worker.ts). */
export class WorkerBatchSource extends AheadSource {
  private readonly worker: Worker
  private readonly waiting = new Map<number, { resolve(b: TrainBatch): void; reject(e: Error): void }[]>()
  private failure?: Error
  private readonly exited: Promise<void>

  constructor(spec: BatchSpec, options: BatchSourceOptions) {
    super(options.depth ?? 2, options.end)
    checkBatchSpec(spec)
    const data: DataWorkerData = { spec }
    this.worker = spawnWorker(workerEntry(__dirname, 'prefetch-worker'), { workerData: data })
    this.worker.on('message', (msg: FromDataWorker) => {
      const step = msg.type === 'batch' ? msg.batch.step : msg.step
      const list = this.waiting.get(step)
      const w = list?.shift()
      if (list && list.length === 0) this.waiting.delete(step)
      if (!w) return
      if (msg.type === 'batch') w.resolve(msg.batch)
      else w.reject(new ApiCallError(msg.error))
    })
    this.worker.on('error', (err) => this.fail(err))
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (!this.closed) this.fail(new Error(`the data worker stopped unexpectedly (exit code ${code})`))
        resolve()
      })
    })
  }

  protected request(step: number): Promise<TrainBatch> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(step) ?? []
      list.push({ resolve, reject })
      this.waiting.set(step, list)
      this.worker.postMessage({ type: 'produce', step } satisfies ToDataWorker)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return this.exited
    this.closed = true
    this.worker.postMessage({ type: 'close' } satisfies ToDataWorker)
    // The worker ends after its batch in flight; terminate only if it hangs.
    const timer = setTimeout(() => void this.worker.terminate(), 30_000)
    await this.exited
    clearTimeout(timer)
    this.fail(new Error('batch source is closed'))
  }

  private fail(err: Error): void {
    this.failure ??= err
    for (const list of this.waiting.values()) for (const w of list) w.reject(err)
    this.waiting.clear()
  }
}

/** A worker-backed source (default) or an inline one. */
export function createBatchSource(spec: BatchSpec, options: BatchSourceOptions): BatchSource {
  return options.thread === 'inline' ? new InlineBatchSource(spec, options) : new WorkerBatchSource(spec, options)
}
