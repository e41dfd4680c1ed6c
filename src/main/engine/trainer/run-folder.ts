/** The files of a training run folder (see trainer.ts for the layout). No tfjs here, so the CLI's main thread can read runs cheaply. */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { UserError } from '../../../common/ipc/errors'
import type { RunConfig, TrainResult } from './types'

export const RUN_FILES = {
  config: 'config.json',
  progress: 'progress.jsonl',
  checkpoints: 'checkpoints',
  /** final weights: student.bin + student.json */
  student: 'student',
  /** final weights: seg.bin + seg.json */
  segmentation: 'seg',
  result: 'result.json'
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
