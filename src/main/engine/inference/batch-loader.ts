/**
 * Where the inference runner gets its input batches: decoded in the calling thread ('inline':
 * only sharp's libuv work can overlap a session.run there, since onnxruntime-node's run blocks the
 * event loop) or in a decoding thread ('worker': real overlap with session.run).
 * Both give identical batches.
 */
import type { Worker } from 'node:worker_threads'
import { ApiCallError, UserError, type SerializedError } from '../../../common/ipc/errors'
import { spawnWorker } from '../data/worker-spawn'
import type { FromDecodeWorker, ToDecodeWorker } from './decode-protocol'
import { loadInputBatch, type InputBatch } from './preprocess'
import { inferenceWorkerEntry } from './worker-entries'

export interface BatchLoader {
  /** [N, 3, size, size] for `paths`; rejects with a UserError (BAD_IMAGE) naming the first unreadable file */
  load(paths: readonly string[], size: number): Promise<InputBatch>
  close(): Promise<void>
}

export type DecodeThread = 'inline' | 'worker'

/** Rebuilds an error that crossed a thread boundary (a UserError stays one). */
export function deserializeError(error: SerializedError): Error {
  return error.name === 'UserError' ? new UserError(error.message, error.code) : new ApiCallError(error)
}

/** Decodes in this thread. */
export class InlineBatchLoader implements BatchLoader {
  load(paths: readonly string[], size: number): Promise<InputBatch> {
    return loadInputBatch(paths, size)
  }

  async close(): Promise<void> {}
}

/** Decodes in a worker thread (decode-worker.ts), spawned on first use. */
export class WorkerBatchLoader implements BatchLoader {
  private worker?: Worker
  private exited?: Promise<void>
  private closed = false
  private nextId = 1
  private readonly waiting = new Map<number, { resolve(b: InputBatch): void; reject(e: Error): void }>()

  load(paths: readonly string[], size: number): Promise<InputBatch> {
    if (this.closed) return Promise.reject(new Error('batch loader is closed'))
    const worker = this.start()
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject })
      worker.postMessage({ type: 'load', id, paths: [...paths], size } satisfies ToDecodeWorker)
    })
  }

  async close(): Promise<void> {
    this.closed = true
    const worker = this.worker
    if (!worker) return
    worker.postMessage({ type: 'close' } satisfies ToDecodeWorker)
    // it ends after the batch in flight; terminate only if it hangs
    const timer = setTimeout(() => void worker.terminate(), 30_000)
    await this.exited
    clearTimeout(timer)
    this.fail(new Error('batch loader is closed'))
  }

  private start(): Worker {
    if (this.worker) return this.worker
    const worker = spawnWorker(inferenceWorkerEntry('decode-worker'))
    this.worker = worker
    worker.on('message', (msg: FromDecodeWorker) => {
      const w = this.waiting.get(msg.id)
      if (!w) return
      this.waiting.delete(msg.id)
      if (msg.type === 'loaded') w.resolve(msg.batch)
      else w.reject(deserializeError(msg.error))
    })
    worker.on('error', (err) => this.fail(err))
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        if (!this.closed) this.fail(new Error(`the decoding thread stopped unexpectedly (exit code ${code})`))
        this.worker = undefined
        resolve()
      })
    })
    return worker
  }

  private fail(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err)
    this.waiting.clear()
  }
}

export function createBatchLoader(thread: DecodeThread): BatchLoader {
  return thread === 'worker' ? new WorkerBatchLoader() : new InlineBatchLoader()
}
