/** The files of a training run folder (see trainer.ts for the layout). No tfjs here, so the CLI's main thread can read runs cheaply. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { UserError } from '../../../common/ipc/errors'
import type { RunConfig, TrainProgress, TrainResult } from './types'

export const RUN_FILES = {
  config: 'config.json',
  progress: 'progress.jsonl',
  checkpoints: 'checkpoints',
  /** final weights: student.bin + student.json */
  student: 'student',
  /** final weights: seg.bin + seg.json */
  segmentation: 'seg',
  result: 'result.json',
  /** the app's log of the run (messages of the trainer, errors) */
  log: 'log.txt'
} as const

/** The config stored in a run folder. */
export function readRunConfig(runDir: string): RunConfig {
  const path = join(runDir, RUN_FILES.config)
  if (!existsSync(path)) throw new UserError(`not a training run folder (no ${RUN_FILES.config}): ${runDir}`, 'NOT_FOUND')
  return JSON.parse(readFileSync(path, 'utf8')) as RunConfig
}

/** The result of a finished run, or null while it is unfinished. */
export function readRunResult(runDir: string): TrainResult | null {
  const path = join(runDir, RUN_FILES.result)
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TrainResult) : null
}

/**
 * The progress of every step in progress.jsonl, in step order. A crash can leave steps past the
 * last checkpoint that a resume runs again: the latest line of each step wins. A line cut short
 * by a crash is skipped. Empty when there is no progress yet.
 */
export function readRunProgress(runDir: string): TrainProgress[] {
  const path = join(runDir, RUN_FILES.progress)
  if (!existsSync(path)) return []
  const byStep = new Map<number, TrainProgress>()
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line) continue
    let entry: { event?: string } & Partial<TrainProgress>
    try {
      entry = JSON.parse(line) as typeof entry
    } catch {
      continue
    }
    if (entry.event !== 'progress' || typeof entry.global_step !== 'number') continue
    const { event: _event, time: _time, ...progress } = entry as typeof entry & { time?: string }
    byStep.set(entry.global_step, progress as TrainProgress)
  }
  return [...byStep.values()].sort((a, b) => a.global_step - b.global_step)
}
