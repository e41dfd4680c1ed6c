/**
 * The DeSTSeg training loop: phase 1 (de-noising student) then phase 2 (segmentation net), with
 * checkpoints, resume, cancellation and progress. Runs in whatever thread calls it; the app and
 * the CLI call it inside the training worker (../worker.ts) through a TrainingClient.
 *
 * Run folder:
 *   config.json          the RunConfig
 *   progress.jsonl       one JSON line per step ({"event": "progress", ...TrainProgress}) and per
 *                        start / resume / checkpoint / cancel / done event
 *   checkpoints/step-N/  the newest two checkpoints (see checkpoint.ts)
 *   student.bin/.json    final student weights (parameters and BN running stats, state_dict names)
 *   seg.bin/.json        final segmentation-net weights
 *   result.json          the TrainResult of the finished run
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { UserError } from '../../../common/ipc/errors'
import { missingTrainingKernels, selectBackend } from '../backend'
import { createBatchSource, type BatchSource } from '../data/batch-source'
import type { BatchSpec } from '../data/batch-producer'
import { textureImages, trainingImages } from '../data/files'
import { SegmentationNet } from '../destseg/segmentation'
import { StudentNet } from '../destseg/student'
import { TeacherNet } from '../destseg/teacher'
import type { Sgd } from '../optim/sgd'
import {
  checkpointName,
  configHash,
  listCheckpoints,
  loadLatestCheckpoint,
  saveCheckpoint,
  writeJsonSynced,
  CHECKPOINT_FORMAT,
  type CheckpointState
} from './checkpoint'
import { cacheVariablesOnCpu } from '../kernels/webgpu'
import { batchTensors, segmentationOptimizer, segmentationStep, studentOptimizer, studentStep, type DeSTSegNets } from './phases'
import { validateRunConfig } from './presets'
import { assignEntries, tensorEntries, writeTensorFile, type TensorEntry } from './tensor-file'
import { readRunConfig, RUN_FILES } from './run-folder'
import type { LossParts, Phase, RunConfig, TrainProgress, TrainRequest, TrainResult } from './types'

export interface TrainOptions {
  request: TrainRequest
  /** checked between steps; a cancel writes a checkpoint and resolves with status 'cancelled' */
  signal?: AbortSignal
  onProgress?: (progress: TrainProgress) => void
  onLog?: (message: string) => void
  /** the backend the run computes on, once chosen (before the first step) */
  onBackend?: (backend: TrainingBackend) => void
}

/** Steps averaged for final_losses and the speed estimate. */
const RECENT = 10
/**
 * Until phase 2 has been timed, its step is estimated as this many phase-1 steps at the same size
 * (measured on wasm with the training kernels, 128 px batch 4: 7.2 s vs 2.8 s; PyTorch at 256 px:
 * 8.5 s vs 1.7 s), times (phase-2 size / phase-1 size)^1.4 (a phase-2 step at 256 px took 2.6x one
 * at 128 px here).
 */
const PHASE2_COST_RATIO = 2.6

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length

function meanLosses(parts: readonly LossParts[], key: keyof LossParts): number | null {
  const xs = parts.map((p) => p[key]).filter((v): v is number => v !== undefined)
  return xs.length > 0 ? mean(xs) : null
}

/** The tfjs backend a run computes on. */
export interface TrainingBackend {
  name: string
  /** threads its kernels use (1 for wasm in Node and for cpu) */
  threads: number
}

/**
 * Activates the configured backend (`preferred`), or else the best one that can train (the wasm
 * training kernels are installed by selectBackend when present; without them this falls back to
 * the very slow cpu backend, saying so through `log`).
 */
export async function chooseTrainingBackend(preferred: string | null, log: (m: string) => void = () => undefined): Promise<TrainingBackend> {
  const describe = (choice: Awaited<ReturnType<typeof selectBackend>>): TrainingBackend => ({
    name: choice.name,
    threads: 'threads' in choice && typeof choice.threads === 'number' ? choice.threads : 1
  })
  const choice = await selectBackend(preferred ?? undefined)
  const missing = missingTrainingKernels(choice.name)
  if (missing.length === 0) {
    if (choice.reason) log(`backend ${choice.name} (${choice.reason})`)
    return describe(choice)
  }
  if (preferred !== null) {
    throw new UserError(`the ${choice.name} backend cannot train: it lacks ${missing.join(', ')}`, 'BACKEND')
  }
  log(`backend ${choice.name} cannot train (missing ${missing.join(', ')}); using cpu, which is very slow`)
  return describe(await selectBackend('cpu'))
}

/** Checks that the run folder can take this run: a fresh folder, or the same config to resume. */
function checkRunFolder(runDir: string, config: RunConfig, resume: boolean): void {
  if (resume) {
    const stored = readRunConfig(runDir)
    if (configHash(stored) !== configHash(config)) {
      throw new UserError(`the run in ${runDir} was started with a different configuration; resume it with its own config.json`, 'CONFIG_MISMATCH')
    }
    if (existsSync(join(runDir, RUN_FILES.result))) throw new UserError(`the run in ${runDir} has already finished`, 'FINISHED')
    return
  }
  if (existsSync(join(runDir, RUN_FILES.config)) || listCheckpoints(join(runDir, RUN_FILES.checkpoints)).length > 0) {
    throw new UserError(`${runDir} already holds a training run; resume it or choose another folder`, 'EXISTS')
  }
}

/** Keeps progress.jsonl consistent with a resumed checkpoint: drops step lines past it. */
function truncateProgress(path: string, step: number): void {
  if (!existsSync(path)) return
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (!line) return false
      try {
        const e = JSON.parse(line) as { event?: string; global_step?: number }
        return e.event !== 'progress' || (e.global_step ?? 0) <= step
      } catch {
        return false // a line cut short by a crash
      }
    })
  writeFileSync(path, kept.map((l) => `${l}\n`).join(''))
}

/** Runs (or resumes) a training run to its end or until cancelled. */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const started = performance.now()
  const { request, signal } = options
  const config = request.config
  const runDir = resolve(request.run_dir)
  const resume = request.resume ?? false
  const log = (m: string): void => options.onLog?.(m)
  validateRunConfig(config)

  // Everything that can refuse the run comes before the run folder is made, so a run that cannot
  // start leaves nothing behind (and the cheap checks come first).
  checkRunFolder(runDir, config, resume)
  const [images, textures] = await Promise.all([trainingImages(config.dataset), textureImages(config.textures)])
  const chosen = await chooseTrainingBackend(config.backend, log)
  const backend = chosen.name
  options.onBackend?.(chosen)
  const spec: BatchSpec = {
    images,
    textures,
    size: config.size,
    batch: config.batch,
    seed: config.seed,
    opacity: config.opacity,
    augmentation: config.augmentation,
    textureColour: config.texture_colour ?? 'as_is'
  }
  const nets: DeSTSegNets = {
    teacher: TeacherNet.load(config.teacher),
    student: new StudentNet({ seed: config.seed }),
    segmentation: new SegmentationNet({ seed: config.seed })
  }
  const sgd = { momentum: config.momentum, weightDecay: config.weight_decay }
  const optimizers: Record<Phase, Sgd> = {
    student: studentOptimizer(nets.student, config.lr_student, sgd),
    segmentation: segmentationOptimizer(nets.segmentation, config.lr_res, config.lr_head, sgd)
  }
  const progressPath = join(runDir, RUN_FILES.progress)
  const checkpointsDir = join(runDir, RUN_FILES.checkpoints)
  const event = (e: Record<string, unknown>): void => appendFileSync(progressPath, `${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`)
  let source: BatchSource | undefined
  try {
    if (!resume) {
      mkdirSync(runDir, { recursive: true })
      writeJsonSynced(join(runDir, RUN_FILES.config), config)
    }
    const s1 = config.student_steps
    const total = s1 + config.segmentation_steps
    let step = 0
    let trainSeconds = 0
    const recent: Record<Phase, LossParts[]> = { student: [], segmentation: [] }
    let lastCheckpoint: string | null = null

    if (resume) {
      const ckpt = loadLatestCheckpoint(checkpointsDir, (path, why) => log(`skipping checkpoint ${path}: ${why}`))
      if (ckpt) {
        if (ckpt.state.config_hash !== configHash(config)) throw new UserError(`${ckpt.path} belongs to a different configuration`, 'CONFIG_MISMATCH')
        restore(nets, optimizers, ckpt.tensors, ckpt.state, ckpt.path)
        step = ckpt.state.step
        trainSeconds = ckpt.state.train_seconds
        recent.student = ckpt.state.recent_losses.student
        recent.segmentation = ckpt.state.recent_losses.segmentation
        lastCheckpoint = ckpt.path
        if (ckpt.state.backend !== backend) {
          log(`checkpoint written on ${ckpt.state.backend}, continuing on ${backend}: results will not match a run on one backend bit for bit`)
        }
        log(`resumed from ${ckpt.path} (step ${step} of ${total})`)
      } else {
        log('no checkpoint to resume from; starting from the beginning')
      }
      truncateProgress(progressPath, step)
      event({ event: 'resume', global_step: step, backend })
    } else {
      event({ event: 'start', global_step: 0, backend })
    }

    const checkpoint = (): string => {
      const state: CheckpointState = {
        format: CHECKPOINT_FORMAT,
        step,
        config_hash: configHash(config),
        backend,
        train_seconds: trainSeconds,
        optimizers: {
          student: { steps: optimizers.student.stepCount, lrs: { student: optimizers.student.learningRate('student') } },
          segmentation: {
            steps: optimizers.segmentation.stepCount,
            lrs: { res: optimizers.segmentation.learningRate('res'), head: optimizers.segmentation.learningRate('head') }
          }
        },
        recent_losses: { student: recent.student, segmentation: recent.segmentation },
        written_at: new Date().toISOString()
      }
      const path = saveCheckpoint(checkpointsDir, state, checkpointTensors(nets, optimizers))
      event({ event: 'checkpoint', global_step: step, path })
      log(`checkpoint ${path}`)
      lastCheckpoint = path
      return path
    }

    // One batch source per input size: phase 1's (student_size), then phase 2's where it differs.
    const studentSize = config.student_size ?? config.size
    const sizeAt = (at: number): number => (at < s1 ? studentSize : config.size)
    let sourceSize = sizeAt(step)
    const sourceFor = (size: number): BatchSource =>
      createBatchSource(
        { ...spec, size },
        {
          end: size === config.size ? total : s1,
          depth: Math.max(request.prefetch ?? 2, 0),
          thread: (request.prefetch ?? 2) > 0 ? 'worker' : 'inline'
        }
      )
    source = sourceFor(sourceSize)
    const stepTimes: Record<Phase, number[]> = { student: [], segmentation: [] }
    let cancelled = false
    while (step < total) {
      // Let queued messages in (a cancel from the worker's port) before the next synchronous step.
      await new Promise<void>((r) => setImmediate(r))
      if (signal?.aborted) {
        cancelled = true
        break
      }
      const phase: Phase = step < s1 ? 'student' : 'segmentation'
      const t0 = performance.now()
      if (sizeAt(step) !== sourceSize) {
        await source.close()
        sourceSize = sizeAt(step)
        source = sourceFor(sourceSize)
      }
      const batch = await source.get(step)
      if (signal?.aborted) {
        cancelled = true
        break
      }
      if (phase === 'segmentation') {
        const f = decayFactor(step - s1, config.segmentation_steps, config.lr_decay ?? 0)
        optimizers.segmentation.setLearningRate('res', config.lr_res * f)
        optimizers.segmentation.setLearningRate('head', config.lr_head * f)
      }
      const t = batchTensors(batch)
      let losses: LossParts
      try {
        losses =
          phase === 'student'
            ? await studentStep(nets, optimizers.student, t.normal, t.anomalous)
            : await segmentationStep(nets, optimizers.segmentation, t.anomalous, t.mask)
      } finally {
        tf.dispose([t.normal, t.anomalous, t.mask])
      }
      const loss = phase === 'student' ? losses.cosine! : losses.focal! + losses.l1!
      if (!Number.isFinite(loss)) {
        throw new UserError(`the ${phase} loss became ${loss} at step ${step + 1}; lower the learning rate`, 'DIVERGED')
      }
      step++
      const dt = (performance.now() - t0) / 1000
      trainSeconds += dt
      recent[phase] = [...recent[phase], losses].slice(-RECENT)
      stepTimes[phase] = [...stepTimes[phase], dt].slice(-RECENT)

      const perStep = mean(stepTimes[phase])
      const phaseLeft = phase === 'student' ? s1 - step : total - step
      const phase2Step =
        stepTimes.segmentation.length > 0 ? mean(stepTimes.segmentation) : perStep * PHASE2_COST_RATIO * (config.size / studentSize) ** 1.4
      const progress: TrainProgress = {
        phase,
        step: phase === 'student' ? step : step - s1,
        steps: phase === 'student' ? s1 : config.segmentation_steps,
        global_step: step,
        total_steps: total,
        loss,
        losses,
        images_per_s: config.batch / perStep,
        eta_s: phaseLeft * perStep + (phase === 'student' ? config.segmentation_steps * phase2Step : 0),
        step_s: dt,
        elapsed_s: trainSeconds
      }
      event({ event: 'progress', ...progress })
      options.onProgress?.(progress)
      const phaseChange = step === s1 && step < total
      // The student's momentum is not needed after phase 1: free it (and keep it out of checkpoints).
      if (step === s1) optimizers.student.dispose()
      if (step < total && (step % config.checkpoint_every === 0 || phaseChange)) {
        await cacheVariablesOnCpu() // webgpu: checkpoints read the weights synchronously
        checkpoint()
      }
    }

    await cacheVariablesOnCpu()

    if (cancelled) {
      if (!lastCheckpoint?.endsWith(checkpointName(step))) checkpoint()
      event({ event: 'cancel', global_step: step })
      log(`cancelled at step ${step} of ${total}`)
    }
    let weights: TrainResult['weights'] = null
    if (!cancelled) {
      weights = {
        student: writeTensorFile(join(runDir, RUN_FILES.student), tensorEntries([...nets.student.parameters(), ...nets.student.buffers()])),
        segmentation: writeTensorFile(
          join(runDir, RUN_FILES.segmentation),
          tensorEntries([...nets.segmentation.parameters(), ...nets.segmentation.buffers()])
        )
      }
    }
    const result: TrainResult = {
      status: cancelled ? 'cancelled' : 'done',
      run_dir: runDir,
      backend,
      steps: step,
      total_steps: total,
      seconds: (performance.now() - started) / 1000,
      train_seconds: trainSeconds,
      final_losses: {
        cosine: meanLosses(recent.student, 'cosine'),
        focal: meanLosses(recent.segmentation, 'focal'),
        l1: meanLosses(recent.segmentation, 'l1')
      },
      checkpoint: lastCheckpoint,
      weights
    }
    if (!cancelled) {
      writeJsonSynced(join(runDir, RUN_FILES.result), result)
      event({ event: 'done', global_step: step })
    }
    return result
  } finally {
    await source?.close()
    optimizers.student.dispose()
    optimizers.segmentation.dispose()
    nets.teacher.dispose()
    nets.student.dispose()
    nets.segmentation.dispose()
  }
}

/**
 * The learning-rate factor of step i (0-based) of a phase of n steps whose last fraction `decay`
 * falls linearly: 1 before the tail, then k/(d+1) on the tail's d steps (k = d..1), never 0.
 */
export function decayFactor(i: number, n: number, decay: number): number {
  const d = Math.round(n * decay)
  return i < n - d ? 1 : (n - i) / (d + 1)
}

/** Everything a checkpoint holds as tensors. */
function checkpointTensors(nets: DeSTSegNets, optimizers: Record<Phase, Sgd>): TensorEntry[] {
  const momentum = (prefix: string, sgd: Sgd): TensorEntry[] =>
    sgd.getState().buffers.map((b) => ({ name: prefix + b.name, shape: b.shape, data: b.data }))
  return [
    ...tensorEntries([...nets.student.parameters(), ...nets.student.buffers()], 'student.'),
    ...tensorEntries([...nets.segmentation.parameters(), ...nets.segmentation.buffers()], 'segmentation.'),
    ...momentum('optim.student.', optimizers.student),
    ...momentum('optim.segmentation.', optimizers.segmentation)
  ]
}

/** Loads a checkpoint's tensors into the networks and optimisers. */
function restore(
  nets: DeSTSegNets,
  optimizers: Record<Phase, Sgd>,
  tensors: Map<string, TensorEntry>,
  state: CheckpointState,
  source: string
): void {
  assignEntries([...nets.student.parameters(), ...nets.student.buffers()], tensors, 'student.', source)
  assignEntries([...nets.segmentation.parameters(), ...nets.segmentation.buffers()], tensors, 'segmentation.', source)
  for (const [phase, prefix] of [
    ['student', 'optim.student.'],
    ['segmentation', 'optim.segmentation.']
  ] as const) {
    const buffers = [...tensors.values()]
      .filter((t) => t.name.startsWith(prefix))
      .map((t) => ({ name: t.name.slice(prefix.length), shape: t.shape, data: t.data }))
    optimizers[phase].setState({ ...state.optimizers[phase], buffers })
  }
}
