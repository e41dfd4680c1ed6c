/**
 * The training worker's message protocol (engine/worker.ts <-> TrainingClient): tagged unions.
 * Requests carry an `id` chosen by the client; every message from the worker carries a `seq`
 * (1, 2, 3, ... per worker, so a client can tell the order and spot gaps) and, when it belongs
 * to a request, that request's `id`.
 */
import type { SerializedError } from '../../../common/ipc/errors'
import type { BackendReport } from '../../../common/types/training'
import type { TrainProgress, TrainRequest, TrainResult } from './types'

export type ToTrainingWorker =
  /** start a run (or resume one); one run at a time */
  | { type: 'start'; id: number; request: TrainRequest }
  /** cancel the run started by request `id`: it checkpoints and ends with status 'cancelled' */
  | { type: 'cancel'; id: number }
  /**
   * which backend a run would train on (`preferred` as RunConfig.backend), without training; while
   * a run is in progress, the one it uses
   */
  | { type: 'probe'; id: number; preferred: string | null }

export type FromTrainingWorker =
  /** the worker is up and listening */
  | { type: 'ready'; seq: number }
  | { type: 'progress'; seq: number; id: number; progress: TrainProgress }
  | { type: 'log'; seq: number; id: number; message: string }
  /** the run ended: done, or cancelled with a checkpoint */
  | { type: 'done'; seq: number; id: number; result: TrainResult }
  /** the answer to a probe */
  | { type: 'backend'; seq: number; id: number; backend: BackendReport }
  /** the run (or probe) failed, or the request was refused */
  | { type: 'error'; seq: number; id: number; error: SerializedError & { stack?: string } }
