/** Messages between a WorkerBatchLoader (batch-loader.ts) and its decoding thread (decode-worker.ts). */
import type { SerializedError } from '../../../common/ipc/errors'
import type { InputBatch } from './preprocess'

export type ToDecodeWorker =
  /** decode, resize and normalise `paths` to [N, 3, size, size]; answered in request order */
  | { type: 'load'; id: number; paths: string[]; size: number }
  /** finish what is in flight, then end */
  | { type: 'close' }

export type FromDecodeWorker =
  /** the batch; its input array is transferred, not copied */
  | { type: 'loaded'; id: number; batch: InputBatch }
  | { type: 'error'; id: number; error: SerializedError }
