/**
 * What the run configuration form shows: each preset's values and, per hyperparameter, one line
 * of explanation and the value of the method's reference run (../shared/METHOD.md, "Training").
 */
import type { HyperparameterInfo, HyperparameterKey, RunHyperparameters, RunPresets } from '../../common/types/runs'
import type { PresetName } from '../../common/types/training'
import { makeRunConfig, PRESET_NAMES } from '../engine/trainer/presets'
import { NORMAL_AUGMENTATIONS, OPACITY_MODES, TEXTURE_COLOURS } from '../engine/synthesis/anomaly-synthesizer'

export const HYPERPARAMETER_KEYS: readonly HyperparameterKey[] = [
  'size',
  'student_size',
  'batch',
  'student_steps',
  'segmentation_steps',
  'lr_student',
  'lr_res',
  'lr_head',
  'lr_decay',
  'momentum',
  'weight_decay',
  'checkpoint_every',
  'seed',
  'opacity',
  'augmentation',
  'texture_colour'
]

export const HYPERPARAMETERS: readonly HyperparameterInfo[] = [
  {
    key: 'size',
    label: 'Input size',
    help: 'Side in pixels the images are resized to for training; the anomaly map is a quarter of it.',
    spec_default: 256,
    kind: 'integer',
    min: 32,
    multiple_of: 32
  },
  {
    key: 'student_size',
    label: 'Phase 1 input size',
    help: 'Side the de-noising student trains on; smaller than the input size makes phase 1 cheaper (a size of your own sets both).',
    spec_default: 256,
    kind: 'integer',
    min: 32,
    multiple_of: 32
  },
  { key: 'batch', label: 'Batch size', help: 'Images per SGD step.', spec_default: 32, kind: 'integer', min: 1 },
  {
    key: 'student_steps',
    label: 'Phase 1 steps',
    help: 'Steps training the de-noising student (cosine loss against the frozen teacher).',
    spec_default: 1000,
    kind: 'integer',
    min: 0
  },
  {
    key: 'segmentation_steps',
    label: 'Phase 2 steps',
    help: 'Steps training the segmentation net on synthetic anomalies (focal + L1 loss), student frozen.',
    spec_default: 4000,
    kind: 'integer',
    min: 0
  },
  { key: 'lr_student', label: 'Student learning rate', help: 'SGD learning rate of phase 1.', spec_default: 0.4, kind: 'number', min: 0 },
  {
    key: 'lr_res',
    label: 'Segmentation learning rate (residual blocks)',
    help: 'Phase-2 SGD learning rate of the segmentation net\'s two residual blocks.',
    spec_default: 0.1,
    kind: 'number',
    min: 0
  },
  {
    key: 'lr_head',
    label: 'Segmentation learning rate (ASPP head)',
    help: 'Phase-2 SGD learning rate of the ASPP head and the output convolutions.',
    spec_default: 0.01,
    kind: 'number',
    min: 0
  },
  {
    key: 'lr_decay',
    label: 'Phase 2 learning-rate decay',
    help: 'Fraction of phase 2, at its end, over which both phase-2 learning rates fall linearly towards 0; 0 keeps them constant (the reference).',
    spec_default: 0,
    kind: 'number',
    min: 0,
    max: 1
  },
  { key: 'momentum', label: 'Momentum', help: 'SGD momentum, both phases.', spec_default: 0.9, kind: 'number', min: 0 },
  { key: 'weight_decay', label: 'Weight decay', help: 'SGD weight decay (L2), both phases.', spec_default: 1e-4, kind: 'number', min: 0 },
  {
    key: 'checkpoint_every',
    label: 'Checkpoint every',
    help: 'Steps between checkpoints; a quit or crash loses at most this many steps (an app setting, not the method\'s).',
    spec_default: 100,
    kind: 'integer',
    min: 1
  },
  {
    key: 'seed',
    label: 'Seed',
    help: 'Seeds initialisation, image order and synthetic anomalies: same seed and backend, same run.',
    spec_default: 0,
    kind: 'integer',
    min: 0
  },
  {
    key: 'opacity',
    label: 'Texture opacity',
    help: 'How strongly textures are blended into synthetic anomalies: reference code (0.2-1) or the paper\'s Eq. 1 (0.15-1).',
    spec_default: 'reference',
    kind: 'choice',
    choices: [...OPACITY_MODES]
  },
  {
    key: 'augmentation',
    label: 'Augmentation',
    help: 'Rotation of the normal image before synthesis: none, +-5 degrees, or quarter turns plus +-5 degrees (per product).',
    spec_default: 'none',
    kind: 'choice',
    choices: [...NORMAL_AUGMENTATIONS]
  },
  {
    key: 'texture_colour',
    label: 'Texture colour',
    help: 'Anomaly textures as they are (the reference), or turned grey wherever the product image is grey (match).',
    spec_default: 'as_is',
    kind: 'choice',
    choices: [...TEXTURE_COLOURS]
  }
]

const DESCRIPTIONS: Record<PresetName, string> = {
  paper: 'The reference run: 256 px, batch 32, 1000 + 4000 steps. A GPU job; days on this CPU.',
  quick: 'batch 4; 300 steps of phase 1 at 128 px, 200 of phase 2 at 256 px, grey textures on grey products: about 40 minutes on a 2-core CPU.',
  tiny: '32 px, batch 2, 4 + 4 steps: seconds; for trying the workflow and for tests, not for quality.'
}

/** Every hyperparameter of a preset, with the defaults makeRunConfig adds (seed 0, reference opacity, no augmentation). */
export function presetHyperparameters(preset: PresetName): RunHyperparameters {
  const config = makeRunConfig({ preset, dataset: '-', textures: '-' })
  return Object.fromEntries(HYPERPARAMETER_KEYS.map((k) => [k, config[k]])) as unknown as RunHyperparameters
}

export function runPresets(defaultTextures: string | null): RunPresets {
  return {
    default_preset: 'quick',
    presets: Object.fromEntries(PRESET_NAMES.map((p) => [p, presetHyperparameters(p)])) as Record<PresetName, RunHyperparameters>,
    descriptions: DESCRIPTIONS,
    hyperparameters: [...HYPERPARAMETERS],
    default_textures: defaultTextures
  }
}
