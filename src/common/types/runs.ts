/** Plain-JSON types of training runs as the API serves them (the Runs page). */
import type { BackendReport, NormalAugmentation, OpacityMode, PresetName, RunConfig, TeacherSource, TextureColour, TrainProgress } from './training'

/**
 * queued -> training -> (exporting -> evaluating ->) done; cancelled and failed runs can be resumed
 * (queued again), and a run that was training when the app stopped is cancelled with a note.
 */
export type RunStatus = 'queued' | 'training' | 'exporting' | 'evaluating' | 'done' | 'cancelled' | 'failed'

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'training', 'exporting', 'evaluating', 'done', 'cancelled', 'failed']

/** Statuses of the run being worked on (at most one at a time). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['training', 'exporting', 'evaluating']

/** The hyperparameters a run may set; the rest of RunConfig (folders, teacher, backend) comes from elsewhere. */
export interface RunHyperparameters {
  size: number
  student_size: number
  batch: number
  student_steps: number
  segmentation_steps: number
  lr_student: number
  lr_res: number
  lr_head: number
  lr_decay: number
  momentum: number
  weight_decay: number
  checkpoint_every: number
  seed: number
  opacity: OpacityMode
  augmentation: NormalAugmentation
  texture_colour: TextureColour
}

export type HyperparameterKey = keyof RunHyperparameters

export interface RunSummary {
  id: number
  dataset_id: number
  dataset_name: string
  category_id: number
  category_name: string
  name: string
  preset: RunConfig['preset']
  config: RunConfig
  status: RunStatus
  /** the run folder: config.json, progress.jsonl, log.txt, checkpoints/, weights, result.json */
  run_dir: string
  /** the tfjs backend it trained on, once known */
  backend: string | null
  /** 1 for the next run to start, 2 after it, ...; null when not queued */
  queue_position: number | null
  created_at: string
  started_at: string | null
  finished_at: string | null
  /** why it failed */
  error: string | null
  /** why it stopped when nobody asked it to (the app quit or crashed), and how to go on */
  note: string | null
  /** the latest progress saved (every few seconds while training) */
  last_progress: TrainProgress | null
  /** seconds of training over every session */
  train_seconds: number | null
  /** the exported model, once there is one */
  model_path: string | null
}

export interface RunCreateRequest {
  categoryId: number
  /** default: "<category> <preset>" */
  name?: string
  /** default 'quick' */
  preset?: PresetName
  /** overrides of the preset's values */
  config?: Partial<RunHyperparameters> & {
    /** preferred tfjs backend; null or absent: the best one that can train */
    backend?: string | null
    /** default: the shared folded ImageNet teacher; {kind: 'random'} only for tests */
    teacher?: TeacherSource
  }
  /** a texture source (textures:list) as the anomaly source; default: the shared DTD textures */
  textureSourceId?: number
}

/** One line about a hyperparameter, for the configuration form. */
export interface HyperparameterInfo {
  key: HyperparameterKey
  label: string
  /** what it does, in one line */
  help: string
  /** the value of the method's reference run (METHOD.md) */
  spec_default: number | string
  kind: 'integer' | 'number' | 'choice'
  choices?: string[]
  min?: number
  max?: number
  /** values must be multiples of this (size: 32) */
  multiple_of?: number
}

export interface RunPresets {
  default_preset: PresetName
  /** every hyperparameter of each preset */
  presets: Record<PresetName, RunHyperparameters>
  /** what each preset is for, in one line */
  descriptions: Record<PresetName, string>
  hyperparameters: HyperparameterInfo[]
  /** the shared DTD texture folder used when no texture source is chosen; null where it is missing */
  default_textures: string | null
}

/** The backend a run will train on. */
export interface RunBackend extends BackendReport {
  /** 'probe': asked of the training worker; 'run': the run in progress uses it */
  source: 'probe' | 'run'
}

/** `runs:onProgress`: one training step of a run. */
export interface RunProgressEvent {
  run_id: number
  progress: TrainProgress
}
