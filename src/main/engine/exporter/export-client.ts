/**
 * exportRunToOnnx in a worker thread (./export-worker.ts), for callers on the app's main thread:
 *
 *   const { file } = await exportRunInWorker(runDir, { signal })
 *
 * Aborting terminates the worker and rejects with a UserError (code CANCELLED).
 */
import type { Worker } from 'node:worker_threads'
import { UserError, type SerializedError } from '../../../common/ipc/errors'
import { spawnWorker, workerEntry } from '../data/worker-spawn'
import type { OnnxExportResult } from './index'

export interface ExportWorkerRequest {
  runDir: string
  outFile?: string
}

export type ExportWorkerReply = { ok: true; result: OnnxExportResult } | { ok: false; error: SerializedError }

export interface ExportInWorkerOptions {
  /** default `<runDir>/model.onnx` */
  outFile?: string
  signal?: AbortSignal
  /** makes the worker; default: export-worker.ts beside this file (sources) or export-worker.js beside the app's bundle */
  createWorker?: (request: ExportWorkerRequest) => Worker
}

const defaultWorker = (request: ExportWorkerRequest): Worker =>
  spawnWorker(workerEntry(__dirname, 'export-worker'), { workerData: request })

export function exportRunInWorker(runDir: string, options: ExportInWorkerOptions = {}): Promise<OnnxExportResult> {
  const { signal } = options
  if (signal?.aborted) return Promise.reject(new UserError('Export cancelled.', 'CANCELLED'))
  const request: ExportWorkerRequest = { runDir, outFile: options.outFile }
  const worker = (options.createWorker ?? defaultWorker)(request)
  return new Promise<OnnxExportResult>((resolve, reject) => {
    let settled = false
    const finish = (outcome: () => void): void => {
      if (settled) return
      settled = true
      signal?.removeEventListener('abort', onAbort)
      outcome()
      void worker.terminate()
    }
    const onAbort = (): void => finish(() => reject(new UserError('Export cancelled.', 'CANCELLED')))
    signal?.addEventListener('abort', onAbort, { once: true })
    worker.once('message', (reply: ExportWorkerReply) =>
      finish(() => {
        if (reply.ok) resolve(reply.result)
        else reject(reply.error.name === 'UserError' ? new UserError(reply.error.message, reply.error.code) : new Error(reply.error.message))
      })
    )
    worker.once('error', (err) => finish(() => reject(err)))
    worker.once('exit', (code) => finish(() => reject(new Error(`the export worker exited (code ${code}) before it answered`))))
  })
}
