/**
 * `destseg train`: trains DeSTSeg on a category's good images in a worker thread, printing
 * progress; ends with one JSON line {"run_dir", "backend", "steps", "seconds", "final_losses"}
 * under --json. Ctrl-C cancels (a checkpoint is written; `--out <run> --resume` continues it).
 */
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultDataDir, requireShared } from '../../config/paths'
import {
  NORMAL_AUGMENTATIONS,
  OPACITY_MODES,
  TEXTURE_COLOURS,
  type NormalAugmentation,
  type OpacityMode,
  type TextureColour
} from '../../engine/synthesis/anomaly-synthesizer'
import { TrainingClient } from '../../engine/trainer/client'
import { makeRunConfig, PRESET_NAMES } from '../../engine/trainer/presets'
import { readRunConfig } from '../../engine/trainer/run-folder'
import type { PresetName, RunConfig, TrainProgress } from '../../engine/trainer/types'
import { DEFAULT_TEXTURES, intAtLeast, parseChoice, parseNumber, UsageError, userPath, type CliCommand } from './common'

/** Default anomaly sources, relative to the shared folder. */

/** Options that change the configuration (refused with --resume, which uses the run's own). */
const CONFIG_OPTIONS = [
  'dataset',
  'textures',
  'preset',
  'seed',
  'size',
  'student-size',
  'batch',
  'student-steps',
  'seg-steps',
  'lr-student',
  'lr-res',
  'lr-head',
  'lr-decay',
  'checkpoint-every',
  'opacity',
  'augment',
  'texture-colour',
  'backend'
] as const

const nonNegative = (n: number): boolean => Number.isFinite(n) && n >= 0

function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?'
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = Math.round(s % 60)
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`
}

function formatProgress(p: TrainProgress): string {
  const parts = Object.entries(p.losses)
    .map(([k, v]) => `${k} ${(v as number).toFixed(4)}`)
    .join(', ')
  return (
    `[${p.phase} ${p.step}/${p.steps}] loss ${p.loss.toFixed(4)}${p.phase === 'segmentation' ? ` (${parts})` : ''}, ` +
    `${p.images_per_s.toFixed(2)} img/s, ETA ${duration(p.eta_s)}`
  )
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'train DeSTSeg on a category folder (train/good) in a worker thread; Ctrl-C cancels with a checkpoint',
  usage:
    '--dataset <category folder> [--textures <folder>] [--preset quick|tiny|paper] [--out <run dir>] [--seed N] ' +
    '[--size N] [--student-size N] [--batch N] [--student-steps N] [--seg-steps N] [--lr-student X] [--lr-res X] [--lr-head X] [--lr-decay F] ' +
    '[--checkpoint-every N] [--opacity reference|paper] [--augment none|rotate|rotate90] [--texture-colour as_is|match] [--backend wasm|cpu|...] ' +
    '[--prefetch N] [--json]\n       destseg train --out <run dir> --resume [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        dataset: { type: 'string' },
        textures: { type: 'string' },
        preset: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        size: { type: 'string' },
        'student-size': { type: 'string' },
        batch: { type: 'string' },
        'student-steps': { type: 'string' },
        'seg-steps': { type: 'string' },
        'lr-student': { type: 'string' },
        'lr-res': { type: 'string' },
        'lr-head': { type: 'string' },
        'lr-decay': { type: 'string' },
        'checkpoint-every': { type: 'string' },
        opacity: { type: 'string' },
        augment: { type: 'string' },
        'texture-colour': { type: 'string' },
        backend: { type: 'string' },
        prefetch: { type: 'string' },
        resume: { type: 'boolean' },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    const prefetch = parseNumber(values.prefetch, 'prefetch', intAtLeast(0), 'an integer >= 0')

    let config: RunConfig
    let runDir: string
    if (values.resume) {
      if (!values.out) throw new UsageError('--resume needs --out <run dir>')
      const given = CONFIG_OPTIONS.filter((o) => values[o] !== undefined)
      if (given.length > 0) throw new UsageError(`--resume continues the run with its own configuration; drop --${given.join(', --')}`)
      runDir = userPath(values.out)
      config = readRunConfig(runDir)
    } else {
      if (!values.dataset) throw new UsageError('--dataset is required')
      const preset = parseChoice<PresetName>(values.preset, PRESET_NAMES, 'preset') ?? 'quick'
      const dataset = userPath(values.dataset)
      config = makeRunConfig({
        preset,
        dataset,
        textures: values.textures ? userPath(values.textures) : requireShared(DEFAULT_TEXTURES),
        seed: parseNumber(values.seed, 'seed', (n) => intAtLeast(0)(n) && n <= Number.MAX_SAFE_INTEGER, 'a non-negative integer'),
        size: parseNumber(values.size, 'size', (n) => intAtLeast(32)(n) && n % 32 === 0, 'a multiple of 32'),
        student_size: parseNumber(values['student-size'], 'student-size', (n) => intAtLeast(32)(n) && n % 32 === 0, 'a multiple of 32'),
        batch: parseNumber(values.batch, 'batch', intAtLeast(1), 'a positive integer'),
        student_steps: parseNumber(values['student-steps'], 'student-steps', intAtLeast(0), 'an integer >= 0'),
        segmentation_steps: parseNumber(values['seg-steps'], 'seg-steps', intAtLeast(0), 'an integer >= 0'),
        lr_student: parseNumber(values['lr-student'], 'lr-student', nonNegative, 'a number >= 0'),
        lr_res: parseNumber(values['lr-res'], 'lr-res', nonNegative, 'a number >= 0'),
        lr_head: parseNumber(values['lr-head'], 'lr-head', nonNegative, 'a number >= 0'),
        lr_decay: parseNumber(values['lr-decay'], 'lr-decay', (n) => nonNegative(n) && n <= 1, 'a fraction from 0 to 1'),
        checkpoint_every: parseNumber(values['checkpoint-every'], 'checkpoint-every', intAtLeast(1), 'a positive integer'),
        opacity: parseChoice<OpacityMode>(values.opacity, OPACITY_MODES, 'opacity'),
        augmentation: parseChoice<NormalAugmentation>(values.augment, NORMAL_AUGMENTATIONS, 'augment'),
        texture_colour: parseChoice<TextureColour>(values['texture-colour'], TEXTURE_COLOURS, 'texture-colour'),
        backend: values.backend ?? null
      })
      runDir = values.out ? userPath(values.out) : join(defaultDataDir(), 'runs', `${basename(dataset)}-${preset}-${timestamp()}`)
    }

    const json = values.json ?? false
    const controller = new AbortController()
    let interrupts = 0
    const onSigint = (): void => {
      interrupts++
      if (interrupts === 1) {
        process.stderr.write('Cancelling: writing a checkpoint (Ctrl-C again to quit at once)\n')
        controller.abort()
      } else process.exit(130)
    }
    process.on('SIGINT', onSigint)
    const client = new TrainingClient()
    try {
      if (!json) console.log(`training ${config.preset} (${config.student_size ?? config.size}/${config.size} px, batch ${config.batch}, ${config.student_steps} + ${config.segmentation_steps} steps) into ${runDir}`)
      const result = await client.train(
        { config, run_dir: runDir, resume: values.resume ?? false, prefetch },
        {
          signal: controller.signal,
          onProgress: (p) => (json ? process.stdout.write(`${JSON.stringify(p)}\n`) : console.log(formatProgress(p))),
          onLog: (m) => process.stderr.write(`${m}\n`)
        }
      )
      const line = {
        run_dir: result.run_dir,
        backend: result.backend,
        steps: result.steps,
        seconds: Math.round(result.seconds * 10) / 10,
        final_losses: result.final_losses,
        ...(result.status === 'cancelled' ? { cancelled: true, checkpoint: result.checkpoint } : {})
      }
      if (json) process.stdout.write(`${JSON.stringify(line)}\n`)
      else if (result.status === 'cancelled') {
        console.log(`cancelled at step ${result.steps} of ${result.total_steps}; continue with: destseg train --out ${result.run_dir} --resume`)
      } else {
        const l = result.final_losses
        console.log(
          `done in ${duration(result.seconds)} on ${result.backend}: ${result.run_dir}\n` +
            `  final losses: cosine ${l.cosine?.toFixed(4) ?? '-'}, focal ${l.focal?.toFixed(4) ?? '-'}, l1 ${l.l1?.toFixed(4) ?? '-'}`
        )
      }
      return result.status === 'cancelled' ? 130 : 0
    } finally {
      process.off('SIGINT', onSigint)
      await client.close()
    }
  }
}
