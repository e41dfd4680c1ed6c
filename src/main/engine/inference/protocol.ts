/**
 * The inference worker's message protocol (inference/worker.ts <-> InferenceClient): tagged
 * unions, like the training worker's. Requests carry an `id` chosen by the client; every message
 * from the worker carries a `seq` (1, 2, 3, ... per worker) and, when it answers a request, its `id`.
 * Requests run one at a time, in the order they arrive.
 */
import type { SerializedError } from '../../../common/ipc/errors'
import type { DecodeThread } from './batch-loader'
import type { InferenceProgress, InferenceRequest, InferenceResult, InferenceScore, InferenceSessionOptions, SessionInfo } from './types'

export interface OpenRequest {
  modelPath: string
  options: InferenceSessionOptions
  /** where the worker decodes images; default 'worker' (a decoding thread of its own) */
  decode?: DecodeThread
}

export type ToInferenceWorker =
  /** create the session (once per worker) */
  | { type: 'open'; id: number; request: OpenRequest }
  /** score (and map) images; answered by 'result' messages, then 'done' */
  | { type: 'infer'; id: number; request: InferenceRequest }
  /** stop request `id` before its next batch (or before it starts); it ends with a CANCELLED error */
  | { type: 'cancel'; id: number }
  /** cancel everything, release the session and the decoding thread, answer 'closed' and end */
  | { type: 'close'; id: number }

export type FromInferenceWorker =
  /** the worker is up and listening */
  | { type: 'ready'; seq: number }
  | { type: 'opened'; seq: number; id: number; info: SessionInfo }
  /** one image's result, in input order; its maps are transferred */
  | { type: 'result'; seq: number; id: number; result: InferenceResult | InferenceScore }
  | { type: 'progress'; seq: number; id: number; progress: InferenceProgress }
  /** the request is complete: `count` results were sent */
  | { type: 'done'; seq: number; id: number; count: number }
  | { type: 'closed'; seq: number; id: number }
  /** the request failed, was cancelled or was refused */
  | { type: 'error'; seq: number; id: number; error: SerializedError & { stack?: string } }
