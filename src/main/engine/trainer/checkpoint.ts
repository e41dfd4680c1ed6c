/**
 * Checkpoints of a training run: `<run>/checkpoints/step-NNNNNN/` holding
 *   tensors.bin + tensors.json  every student and segmentation parameter and BN running stat
 *                               (`student.<name>`, `segmentation.<name>`) and the SGD momentum
 *                               buffers (`optim.student.<name>`, `optim.segmentation.<name>`);
 *   state.json                  the step, optimiser step counts and learning rates, recent losses,
 *                               training seconds and the config's hash.
 * The data pipeline needs no state beyond the step (batches are a function of the step).
 * A checkpoint is written in a temporary folder and renamed into place, so a crash mid-write leaves
 * the previous one intact; the newest `keep` (2) are kept.
 */
import { createHash } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { fsyncDir, readTensorFile, writeTensorFile, type TensorEntry } from './tensor-file'
import type { LossParts, RunConfig } from './types'

export const CHECKPOINT_FORMAT = 'destseg-checkpoint/1'

/** How many checkpoints a run keeps. */
export const KEEP_CHECKPOINTS = 2

export interface OptimizerMeta {
  steps: number
  lrs: Record<string, number>
}

export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT
  /** global steps completed; training continues with step index `step` */
  step: number
  config_hash: string
  backend: string
  train_seconds: number
  optimizers: { student: OptimizerMeta; segmentation: OptimizerMeta }
  /** the last (up to 10) steps' losses of each phase, for final_losses after a resume */
  recent_losses: { student: LossParts[]; segmentation: LossParts[] }
  written_at: string
}

export interface Checkpoint {
  path: string
  state: CheckpointState
  tensors: Map<string, TensorEntry>
}

const NAME = /^step-(\d+)$/

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`
}

/** sha256 of the config with keys sorted (what must match to resume). */
export function configHash(config: RunConfig): string {
  const canonical = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, canonical((v as Record<string, unknown>)[k])])
        )
      : v
  return createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex')
}

/** Checkpoint folders under `dir`, oldest first. Temporary folders are not listed. */
export function listCheckpoints(dir: string): { step: number; path: string }[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && NAME.test(e.name))
    .map((e) => ({ step: Number(NAME.exec(e.name)![1]), path: join(dir, e.name) }))
    .sort((a, b) => a.step - b.step)
}

/** Writes a checkpoint under `dir` atomically and prunes older ones; returns its folder. */
export function saveCheckpoint(dir: string, state: CheckpointState, tensors: readonly TensorEntry[], keep = KEEP_CHECKPOINTS): string {
  mkdirSync(dir, { recursive: true })
  const final = join(dir, checkpointName(state.step))
  const tmp = join(dir, `.tmp-${checkpointName(state.step)}-${process.pid}-${Date.now()}`)
  rmSync(tmp, { recursive: true, force: true })
  mkdirSync(tmp)
  try {
    writeTensorFile(join(tmp, 'tensors'), tensors)
    writeJsonSynced(join(tmp, 'state.json'), state)
    fsyncDir(tmp)
    // the same step again (a resumed run that reached it before): replace it
    if (existsSync(final)) rmSync(final, { recursive: true, force: true })
    renameSync(tmp, final)
    fsyncDir(dir)
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true })
    throw err
  }
  for (const old of listCheckpoints(dir).slice(0, -keep)) rmSync(old.path, { recursive: true, force: true })
  for (const e of readdirSync(dir)) if (e.startsWith('.tmp-')) rmSync(join(dir, e), { recursive: true, force: true })
  return final
}

/** JSON written to `path.tmp`, fsynced, renamed (the same rule as the tensor files). */
export function writeJsonSynced(path: string, value: unknown): void {
  const fd = openSync(`${path}.tmp`, 'w')
  try {
    writeSync(fd, `${JSON.stringify(value, null, 1)}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(`${path}.tmp`, path)
}

/** Reads one checkpoint folder; throws when it is incomplete or damaged. */
export function readCheckpoint(path: string): Checkpoint {
  const state = JSON.parse(readFileSync(join(path, 'state.json'), 'utf8')) as CheckpointState
  if (state.format !== CHECKPOINT_FORMAT) throw new Error(`${path}: not a ${CHECKPOINT_FORMAT} checkpoint`)
  return { path, state, tensors: readTensorFile(join(path, 'tensors.json')) }
}

/**
 * The newest readable checkpoint under `dir`, or null when there is none. A damaged newest one is
 * reported through `onSkip` and the one before it is used.
 */
export function loadLatestCheckpoint(dir: string, onSkip?: (path: string, why: string) => void): Checkpoint | null {
  for (const c of listCheckpoints(dir).reverse()) {
    try {
      return readCheckpoint(c.path)
    } catch (err) {
      onSkip?.(c.path, err instanceof Error ? err.message : String(err))
    }
  }
  return null
}
