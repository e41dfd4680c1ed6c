/**
 * Plain-JSON types of a training run: its configuration, the progress it streams and its result.
 * Defined here (not in the engine) because they cross the API: the Runs page configures runs and
 * draws their progress. The engine re-exports them (engine/trainer/types.ts, synthesis, weights).
 * Field names are snake_case like the other JSON records the app writes and prints.
 */

export type PresetName = 'paper' | 'quick' | 'tiny'

/** Phase 1 trains the de-noising student, phase 2 the segmentation net. */
export type Phase = 'student' | 'segmentation'

/**
 * How the blend factor of a synthetic anomaly is drawn:
 * 'reference' beta = U[0, 1) * 0.8 (the authors' code), 'paper' opacity ~ U[0.15, 1] (Eq. 1).
 */
export type OpacityMode = 'reference' | 'paper'

/** Augmentation of the normal image before synthesis: none, +-5 degrees, or quarter turns plus +-5 degrees. */
export type NormalAugmentation = 'none' | 'rotate' | 'rotate90'

/**
 * The colour of the anomaly texture A: 'as_is' (the reference: DTD's colours, also on grey
 * products) or 'match' (A turned grey, ITU-R 601 luma, wherever the normal image is grey).
 */
export type TextureColour = 'as_is' | 'match'

/** Where the teacher comes from. 'random' exists for tests only and must be asked for. */
export type TeacherSource =
  | { kind: 'npy'; dir?: string }
  | { kind: 'torchvision'; path: string }
  | { kind: 'random'; seed: number }

/** Everything that decides what a run computes (the run folder's config.json). */
export interface RunConfig {
  /** the preset it started from ('custom' when none) */
  preset: PresetName | 'custom'
  /** the category folder (MVTec layout: train/good holds the normal images) */
  dataset: string
  /** folder of anomaly-source textures (DTD) */
  textures: string
  /** input side in pixels, a multiple of 32: phase 2's and the exported model's */
  size: number
  /**
   * phase 1's input side (the de-noising student is fully convolutional, so it can learn on smaller
   * images than the segmentation net); a multiple of 32. Missing in runs of older versions: `size`.
   */
  student_size?: number
  batch: number
  /** phase-1 steps (de-noising student) */
  student_steps: number
  /** phase-2 steps (segmentation net) */
  segmentation_steps: number
  /** phase-1 SGD learning rate (reference 0.4) */
  lr_student: number
  /** phase-2 learning rate of the segmentation net's residual blocks (reference 0.1) */
  lr_res: number
  /** phase-2 learning rate of the ASPP head (reference 0.01) */
  lr_head: number
  /**
   * fraction of phase 2's steps, at its end, over which both phase-2 learning rates fall linearly
   * towards 0 (0 or missing: constant, as the reference code and the paper)
   */
  lr_decay?: number
  /** SGD momentum (0.9) */
  momentum: number
  /** SGD weight decay (1e-4) */
  weight_decay: number
  /** seeds the networks' initialisation, the image order and the synthesis */
  seed: number
  opacity: OpacityMode
  /** augmentation of the normal image before synthesis (a per-dataset setting) */
  augmentation: NormalAugmentation
  /** colour of the anomaly textures; missing in runs of older versions: 'as_is' */
  texture_colour?: TextureColour
  /** write a checkpoint every N steps (and at a cancel, and at the phase change) */
  checkpoint_every: number
  /** where the frozen teacher comes from; 'random' only for tests, never implied */
  teacher: TeacherSource
  /** preferred tfjs backend ('wasm', 'cpu', ...); null: the best one that can train */
  backend: string | null
}

/** Loss values of one step or averaged over a few: L_cos in phase 1, focal and L1 in phase 2. */
export interface LossParts {
  cosine?: number
  focal?: number
  l1?: number
}

/** One progress event, sent after every step. */
export interface TrainProgress {
  phase: Phase
  /** 1-based step within the phase */
  step: number
  /** steps of this phase */
  steps: number
  /** 1-based step over both phases */
  global_step: number
  total_steps: number
  /** the phase's objective: L_cos, or L_focal + L_l1 */
  loss: number
  losses: LossParts
  /** over the last few steps of this phase (data waits included) */
  images_per_s: number
  /** estimated seconds to the end of the run */
  eta_s: number
  /** seconds this step took */
  step_s: number
  /** seconds of training so far, over every session of the run */
  elapsed_s: number
}

export type TrainStatus = 'done' | 'cancelled'

/** What a run ends with (the run folder's result.json when done). */
export interface TrainResult {
  status: TrainStatus
  run_dir: string
  backend: string
  /** global steps completed */
  steps: number
  total_steps: number
  /** wall-clock seconds of this session (from start or resume to the end) */
  seconds: number
  /** seconds of training over every session of the run */
  train_seconds: number
  /** mean over the last (up to) 10 steps of each phase; null for a phase not reached */
  final_losses: { cosine: number | null; focal: number | null; l1: number | null }
  /** the newest checkpoint folder, if any */
  checkpoint: string | null
  /** the final weight files (index JSON of each), when done */
  weights: { student: string; segmentation: string } | null
}

/** The tfjs backend training uses (or would use), as the training worker reports it. */
export interface BackendReport {
  /** the tfjs backend name: 'tensorflow' (tfjs-node / tfjs-node-gpu), 'wasm', 'cpu' */
  name: string
  /** threads its kernels compute with */
  threads: number
  /** why this one and any caveat (what was tried before it; a fallback to the slow cpu backend) */
  note?: string
}
