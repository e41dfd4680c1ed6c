/**
 * A one-shot worker thread that exports a run to ONNX (exportRunToOnnx): building the 35M-parameter
 * model and encoding it takes seconds of CPU (about 18 s on the cpu backend here), which must not
 * block the app's main thread. Request in workerData ({runDir, outFile?}); one reply message,
 * ExportWorkerReply. Spawned by exportRunInWorker (./export-client.ts).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { serializeError } from '../../../common/ipc/errors'
import type { ExportWorkerReply, ExportWorkerRequest } from './export-client'
import { exportRunToOnnx } from './index'

const port = parentPort
if (!port) throw new Error('export-worker.ts must run in a worker thread')
const request = workerData as ExportWorkerRequest
const reply = (message: ExportWorkerReply): void => port.postMessage(message)

exportRunToOnnx(request.runDir, request.outFile).then(
  (result) => reply({ ok: true, result }),
  (err: unknown) => reply({ ok: false, error: serializeError(err) })
)
