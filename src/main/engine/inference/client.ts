/**
 * InferenceClient: an exported DeSTSeg model served by a worker thread (inference/worker.ts), off
 * the main thread. The session is created once, when the client opens, and reused by every request;
 * requests run one at a time in the order made.
 *
 *   const client = await InferenceClient.open('run/model.onnx', { providers: ['cuda', 'cpu'] })
 *   const results = await client.infer(paths, { onProgress, signal, originalSize: true })
 *   await client.close()
 */
import 'sharp' // load sharp's native library in the main thread before any worker uses it (sharp's rule for worker threads)
import { existsSync } from 'node:fs'
import type { Worker } from 'node:worker_threads'
import { UserError } from '../../../common/ipc/errors'
import { deserializeError, type DecodeThread } from './batch-loader'
import { spawnWorker } from '../data/worker-spawn'
import type { FromInferenceWorker, ToInferenceWorker } from './protocol'
import { inferenceWorkerEntry } from './worker-entries'
import type { InferenceProgress, InferenceRequest, InferenceResult, InferenceScore, InferenceSessionOptions, SessionInfo } from './types'

export interface InferenceClientOptions extends InferenceSessionOptions {
  /** where the worker decodes images: 'worker' (default: its own decoding thread, overlapping session.run) or 'inline' */
  decode?: DecodeThread
  /** makes the worker; default: inference/worker.ts (tsx) or inference-worker.js (the app's build; worker-entries.ts) */
  createWorker?: () => Worker
}

export interface InferOptions<R> {
  /** each image's result, in input order, as soon as its batch is done */
  onResult?: (result: R) => void
  /** after every batch */
  onProgress?: (progress: InferenceProgress) => void
  /** aborting stops the request before its next batch; it then rejects with a UserError (code CANCELLED) */
  signal?: AbortSignal
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
  onResult?: (result: InferenceResult | InferenceScore) => void
  onProgress?: (progress: InferenceProgress) => void
  results: (InferenceResult | InferenceScore)[]
}

export class InferenceClient {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private lastSeq = 0
  private closing?: Promise<void>
  private failure?: Error
  private info_?: SessionInfo

  private constructor(private readonly worker: Worker) {}

  /**
   * Starts a worker and creates the session there: on the first of `options.providers` that works,
   * else CPU (`info.fallbacks` says why each one failed). Rejects with a UserError when the model
   * cannot be loaded.
   */
  static async open(modelPath: string, options: InferenceClientOptions = {}): Promise<InferenceClient> {
    const { createWorker, decode, ...sessionOptions } = options
    if (!existsSync(modelPath)) throw new UserError(`model not found: ${modelPath}`, 'NOT_FOUND') // before starting a thread
    const worker = createWorker ? createWorker() : spawnWorker(inferenceWorkerEntry('worker'))
    const client = new InferenceClient(worker)
    try {
      await client.listen()
      client.info_ = (await client.request({ type: 'open', id: client.nextId++, request: { modelPath, options: sessionOptions, decode } })) as SessionInfo
      return client
    } catch (err) {
      await client.close().catch(() => undefined)
      throw err
    }
  }

  /** The session: provider (and fallbacks), input size, map size, threads, batch, T, metadata. */
  get info(): SessionInfo {
    if (!this.info_) throw new Error('the inference client is not open')
    return this.info_
  }

  /** Scores and maps of `paths`, in order; `originalSize` adds each map at its image's own size. */
  infer(paths: readonly string[], options: InferOptions<InferenceResult> & { originalSize?: boolean } = {}): Promise<InferenceResult[]> {
    return this.run({ paths: [...paths], output: 'maps', originalSize: options.originalSize ?? false }, options as InferOptions<InferenceResult | InferenceScore>) as Promise<InferenceResult[]>
  }

  /** Scores only: nothing large is kept or sent (for many images). */
  score(paths: readonly string[], options: InferOptions<InferenceScore> = {}): Promise<InferenceScore[]> {
    return this.run({ paths: [...paths], output: 'scores', originalSize: false }, options as InferOptions<InferenceResult | InferenceScore>)
  }

  /** Cancels every request, releases the session and ends the worker. */
  async close(): Promise<void> {
    if (this.closing) return this.closing
    const worker = this.worker
    this.closing = (async () => {
      if (!this.failure) {
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
        try {
          await this.request({ type: 'close', id: this.nextId++ })
        } catch {
          // the worker is gone or failed: terminate below
        }
        const timer = setTimeout(() => void worker.terminate(), 10_000)
        await exited
        clearTimeout(timer)
      } else await worker.terminate()
      this.fail(new Error('the inference client is closed'))
    })()
    return this.closing
  }

  private async run(request: InferenceRequest, options: InferOptions<InferenceResult | InferenceScore>): Promise<(InferenceResult | InferenceScore)[]> {
    if (this.closing) throw new Error('the inference client is closed')
    const id = this.nextId++
    const { signal, onResult, onProgress } = options
    const onAbort = (): void => this.post({ type: 'cancel', id })
    const done = this.request({ type: 'infer', id, request }, { onResult, onProgress })
    signal?.addEventListener('abort', onAbort, { once: true })
    if (signal?.aborted) onAbort()
    try {
      return (await done) as (InferenceResult | InferenceScore)[]
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Sends a request and resolves with its answer ('opened' info, 'done' results, 'closed'). */
  private request(msg: ToInferenceWorker, handlers: Pick<Pending, 'onResult' | 'onProgress'> = {}): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject, results: [], ...handlers })
      this.post(msg)
    })
  }

  private post(msg: ToInferenceWorker): void {
    if (!this.failure) this.worker.postMessage(msg)
  }

  /** Waits for the worker's 'ready' and routes its messages from then on. */
  private listen(): Promise<void> {
    const worker = this.worker
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (msg: FromInferenceWorker) => {
        if (msg.seq !== this.lastSeq + 1) this.fail(new Error(`inference worker message out of order: seq ${msg.seq} after ${this.lastSeq}`))
        this.lastSeq = msg.seq
        if (msg.type === 'ready') resolve()
        else this.handle(msg)
      })
      worker.on('error', (err) => {
        reject(err)
        this.fail(err)
      })
      worker.on('exit', (code) => {
        const err = new Error(`the inference worker stopped unexpectedly (exit code ${code})`)
        reject(err)
        if (!this.closing) this.fail(err)
      })
    })
  }

  private handle(msg: Exclude<FromInferenceWorker, { type: 'ready' }>): void {
    const p = this.pending.get(msg.id)
    if (!p) return
    switch (msg.type) {
      case 'result':
        p.results.push(msg.result)
        p.onResult?.(msg.result)
        return
      case 'progress':
        p.onProgress?.(msg.progress)
        return
      case 'opened':
        this.pending.delete(msg.id)
        p.resolve(msg.info)
        return
      case 'done':
        this.pending.delete(msg.id)
        if (msg.count !== p.results.length) p.reject(new Error(`inference worker sent ${p.results.length} results, said ${msg.count}`))
        else p.resolve(p.results)
        return
      case 'closed':
        this.pending.delete(msg.id)
        p.resolve(undefined)
        return
      case 'error': {
        this.pending.delete(msg.id)
        const err = deserializeError(msg.error)
        if (msg.error.stack && msg.error.name !== 'UserError') err.stack = msg.error.stack
        p.reject(err)
        return
      }
    }
  }

  private fail(err: Error): void {
    this.failure ??= err
    for (const p of this.pending.values()) p.reject(err)
    this.pending.clear()
  }
}
