/**
 * Plain-JSON types of a training run. The configuration, progress and result cross the API, so
 * they are defined in src/common/types/training.ts and re-exported here; TrainRequest is the
 * worker's own.
 */
import type { RunConfig } from '../../../common/types/training'

export type {
  LossParts,
  Phase,
  PresetName,
  RunConfig,
  TrainProgress,
  TrainResult,
  TrainStatus
} from '../../../common/types/training'

/** What a training worker is asked to do. */
export interface TrainRequest {
  config: RunConfig
  run_dir: string
  /** continue the run in run_dir from its last checkpoint (its config must be the same) */
  resume?: boolean
  /** batches made ahead in a data worker; 0 makes them in the training thread; default 2 */
  prefetch?: number
}
