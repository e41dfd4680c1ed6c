/**
 * Training presets and RunConfig construction/validation. All use the reference optimiser settings.
 *  - paper: the reference run (METHOD.md): 256 px, batch 32, 1000 + 4000 steps. A GPU-sized job
 *    (about 11 days at wasm's measured per-image speed here).
 *  - quick: batch 4; phase 1 at 128 px for 300 steps (1.6-2.9 s a step on wasm here), phase 2 and the
 *    model at 256 px for 200 steps (8.5-10 s a step with 2 threads): about 40 minutes. Training the
 *    student small and the segmentation net at full size keeps 64x64 maps for small defects; grey
 *    products get grey anomaly textures (texture_colour 'match'). See the README's "Training"
 *    section for its measured quality.
 *  - tiny: for tests: 32 px, batch 2, 4 + 4 steps, a checkpoint every 2; both losses fall over
 *    those steps (checked for seeds 0-5).
 */
import { UserError } from '../../../common/ipc/errors'
import { NORMAL_AUGMENTATIONS, OPACITY_MODES, TEXTURE_COLOURS } from '../synthesis/anomaly-synthesizer'
import type { PresetName, RunConfig } from './types'

/** The values a preset fixes. */
export type PresetValues = Pick<
  RunConfig,
  | 'size'
  | 'student_size'
  | 'batch'
  | 'student_steps'
  | 'segmentation_steps'
  | 'lr_student'
  | 'lr_res'
  | 'lr_head'
  | 'lr_decay'
  | 'momentum'
  | 'weight_decay'
  | 'checkpoint_every'
  | 'texture_colour'
>

/** The reference optimiser settings (METHOD.md, "Training"). */
const REFERENCE_OPTIM = { lr_student: 0.4, lr_res: 0.1, lr_head: 0.01, lr_decay: 0, momentum: 0.9, weight_decay: 1e-4 } as const

export const PRESETS: Readonly<Record<PresetName, Readonly<PresetValues>>> = {
  paper: { size: 256, batch: 32, student_steps: 1000, segmentation_steps: 4000, ...REFERENCE_OPTIM, checkpoint_every: 100, texture_colour: 'as_is' },
  quick: {
    size: 256,
    student_size: 128,
    batch: 4,
    student_steps: 300,
    segmentation_steps: 200,
    ...REFERENCE_OPTIM,
    checkpoint_every: 25,
    texture_colour: 'match'
  },
  tiny: { size: 32, batch: 2, student_steps: 4, segmentation_steps: 4, ...REFERENCE_OPTIM, checkpoint_every: 2, texture_colour: 'as_is' }
}

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[]

export interface RunConfigInput extends Partial<Omit<RunConfig, 'dataset' | 'textures'>> {
  dataset: string
  textures: string
}

/** A full RunConfig: the preset's values (default 'quick'), then the given overrides. */
export function makeRunConfig(input: RunConfigInput): RunConfig {
  const presetName: PresetName = input.preset && input.preset !== 'custom' ? input.preset : 'quick'
  const preset = PRESETS[presetName]
  if (!preset) throw new UserError(`unknown preset '${String(input.preset)}'; choose one of ${PRESET_NAMES.join(', ')}`, 'BAD_CONFIG')
  const config: RunConfig = {
    preset: input.preset ?? 'quick',
    dataset: input.dataset,
    textures: input.textures,
    ...preset,
    seed: 0,
    opacity: 'reference',
    augmentation: 'none',
    teacher: { kind: 'npy' },
    backend: null,
    ...definedOnly(input)
  }
  // a preset's student size goes with its own input size; a size of one's own trains both phases on it
  if (input.student_size === undefined && (input.size !== undefined || preset.student_size === undefined)) config.student_size = config.size
  validateRunConfig(config)
  return config
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

/** Throws a UserError naming the first bad field. */
export function validateRunConfig(c: RunConfig): void {
  const bad = (msg: string): never => {
    throw new UserError(`bad training configuration: ${msg}`, 'BAD_CONFIG')
  }
  const int = (v: number, name: string, min: number): void => {
    if (!(Number.isInteger(v) && v >= min)) bad(`${name} must be an integer >= ${min}, got ${v}`)
  }
  const num = (v: number, name: string): void => {
    if (!(Number.isFinite(v) && v >= 0)) bad(`${name} must be a finite number >= 0, got ${v}`)
  }
  if (c.preset !== 'custom' && !PRESET_NAMES.includes(c.preset)) bad(`unknown preset '${String(c.preset)}'`)
  if (!c.dataset) bad('dataset is required')
  if (!c.textures) bad('textures is required')
  int(c.size, 'size', 32)
  if (c.size % 32 !== 0) bad(`size must be a multiple of 32, got ${c.size}`)
  const studentSize = c.student_size ?? c.size
  int(studentSize, 'student_size', 32)
  if (studentSize % 32 !== 0) bad(`student_size must be a multiple of 32, got ${studentSize}`)
  int(c.batch, 'batch', 1)
  // BatchNorm in training needs more than one value per channel; the student's layer4 is size/32 square.
  const smallest = Math.min(c.size, studentSize)
  if (c.batch * (smallest / 32) ** 2 < 2) bad(`batch must be at least 2 at size ${smallest} (batch statistics of a 1x1 feature map)`)
  int(c.student_steps, 'student_steps', 0)
  int(c.segmentation_steps, 'segmentation_steps', 0)
  if (c.student_steps + c.segmentation_steps === 0) bad('no steps to run')
  for (const k of ['lr_student', 'lr_res', 'lr_head', 'momentum', 'weight_decay'] as const) num(c[k], k)
  if (c.lr_decay !== undefined && !(Number.isFinite(c.lr_decay) && c.lr_decay >= 0 && c.lr_decay <= 1)) {
    bad(`lr_decay must be a fraction from 0 to 1, got ${c.lr_decay}`)
  }
  int(c.seed, 'seed', 0)
  if (c.seed > Number.MAX_SAFE_INTEGER) bad('seed is too large')
  if (!OPACITY_MODES.includes(c.opacity)) bad(`opacity must be one of ${OPACITY_MODES.join(', ')}`)
  if (!NORMAL_AUGMENTATIONS.includes(c.augmentation)) bad(`augmentation must be one of ${NORMAL_AUGMENTATIONS.join(', ')}`)
  if (c.texture_colour !== undefined && !TEXTURE_COLOURS.includes(c.texture_colour)) {
    bad(`texture_colour must be one of ${TEXTURE_COLOURS.join(', ')}`)
  }
  int(c.checkpoint_every, 'checkpoint_every', 1)
  const t = c.teacher
  if (!t || !['npy', 'torchvision', 'random'].includes(t.kind)) bad('teacher must be {kind: npy|torchvision|random}')
  if (c.backend !== null && typeof c.backend !== 'string') bad('backend must be a name or null')
}
