/** The training worker (engine/worker.ts) and its TrainingClient: protocol, progress, cancel, errors. */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/common/ipc/errors'
import { spawnWorker, workerEntry } from '../../../src/main/engine/data/worker-spawn'
import { readCheckpoint } from '../../../src/main/engine/trainer/checkpoint'
import { TrainingClient } from '../../../src/main/engine/trainer/client'
import type { FromTrainingWorker, ToTrainingWorker } from '../../../src/main/engine/trainer/protocol'
import type { TrainProgress } from '../../../src/main/engine/trainer/types'
import { tempDirs } from '../../helpers/fixtures'
import { tinyConfig } from './helpers'

const tempDir = tempDirs()
const engineDir = resolve(__dirname, '../../../src/main/engine')
/** Smaller than tiny: 2 + 1 steps. */
const config = tinyConfig({ student_steps: 2, segmentation_steps: 1, checkpoint_every: 1 })

describe('training worker protocol', () => {
  let worker: Worker | undefined
  afterAll(async () => {
    await worker?.terminate()
  })

  it('says ready, answers with the request id, and numbers every message 1, 2, 3, ...', async () => {
    worker = spawnWorker(workerEntry(engineDir, 'worker'))
    const seen: FromTrainingWorker[] = []
    const next = (pred: (m: FromTrainingWorker) => boolean): Promise<FromTrainingWorker> =>
      new Promise((res) => {
        const on = (m: FromTrainingWorker): void => {
          seen.push(m)
          if (pred(m)) {
            worker!.off('message', on)
            res(m)
          }
        }
        worker!.on('message', on)
      })
    expect(await next((m) => m.type === 'ready')).toEqual({ type: 'ready', seq: 1 })
    const runDir = join(tempDir(), 'r')
    const bad: ToTrainingWorker = { type: 'start', id: 41, request: { config: { ...config, dataset: '/nonexistent/category' }, run_dir: runDir } }
    const reply = next((m) => m.type === 'error' || m.type === 'done')
    worker.postMessage(bad)
    const err = await reply
    expect(err).toMatchObject({ type: 'error', id: 41, error: { name: 'UserError', code: 'NOT_FOUND' } })
    expect(err.type === 'error' && err.error.message).toMatch(/training images folder not found: \/nonexistent\/category\/train\/good/)
    expect(seen.map((m) => m.seq)).toEqual(seen.map((_, i) => i + 1))
    expect(existsSync(runDir)).toBe(false) // a run that cannot start leaves no folder
  }, 60_000)
})

describe('TrainingClient', () => {
  const client = new TrainingClient()
  afterAll(async () => {
    await client.close()
  })

  it('runs a training in the worker, streams progress and logs, cancels through an AbortSignal and resumes', async () => {
    const runDir = join(tempDir(), 'run')
    const progress: TrainProgress[] = []
    const logs: string[] = []
    const controller = new AbortController()
    const run = client.train(
      { config, run_dir: runDir },
      {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p)
          controller.abort()
        },
        onLog: (m) => logs.push(m)
      }
    )
    expect(client.running).toBe(true)
    await expect(client.train({ config, run_dir: join(tempDir(), 'other') })).rejects.toThrow(/already in progress/)
    const cancelled = await run
    // the worker hears the abort after step 1's progress, or after step 2 if that step had begun
    expect(cancelled).toMatchObject({ status: 'cancelled', weights: null, run_dir: runDir })
    expect([1, 2]).toContain(cancelled.steps)
    expect(readCheckpoint(cancelled.checkpoint!).state.step).toBe(cancelled.steps)
    expect(logs.some((l) => l.startsWith('checkpoint '))).toBe(true)

    const result = await client.train({ config, run_dir: runDir, resume: true }, { onProgress: (p) => progress.push(p) })
    expect(result).toMatchObject({ status: 'done', steps: 3, total_steps: 3 })
    expect(progress.map((p) => [p.phase, p.step])).toEqual([
      ['student', 1],
      ['student', 2],
      ['segmentation', 1]
    ])
    expect(JSON.parse(readFileSync(join(runDir, 'result.json'), 'utf8'))).toEqual(result)
    expect(existsSync(join(runDir, 'seg.bin'))).toBe(true)
    expect(client.running).toBe(false)
  }, 120_000)

  it('rejects with a UserError when the run cannot start, and stays usable', async () => {
    const err = await client.train({ config: { ...config, textures: '/nonexistent/textures' }, run_dir: join(tempDir(), 'bad') }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).message).toMatch(/texture folder not found: \/nonexistent\/textures/)
    expect(client.running).toBe(false)
  }, 60_000)
})
