/** Messages between a WorkerBatchSource and its data worker (prefetch-worker.ts). */
import type { SerializedError } from '../../../common/ipc/errors'
import type { BatchSpec, TrainBatch } from './batch-producer'

/** workerData of the data worker. */
export interface DataWorkerData {
  spec: BatchSpec
}

export type ToDataWorker = { type: 'produce'; step: number } | { type: 'close' }

export type FromDataWorker =
  | { type: 'batch'; batch: TrainBatch }
  | { type: 'error'; step: number; error: SerializedError }
