/**
 * RunService: queued runs train one after another in the training worker (tiny preset with a
 * random teacher on a small generated category); cancel, resume with the same total steps, a
 * crash mid-run that leaves a resumable run, delete refused while training, the afterTraining plug,
 * and the runs channels through createServices and the HTTP server.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Worker } from 'node:worker_threads'
import type Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunCreateRequest, RunProgressEvent, RunStatus, RunSummary } from '../../src/common/types/runs'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { spawnWorker, workerEntry } from '../../src/main/engine/data/worker-spawn'
import { TrainingClient } from '../../src/main/engine/trainer/client'
import { RunService, type AfterTraining } from '../../src/main/runs/run-service'
import { startHttpServer } from '../../src/main/server/http-server'
import { createServices } from '../../src/main/services/api'
import { ApiEventBus } from '../../src/main/services/events'
import { openDatabase } from '../../src/main/store/db'
import { makeMvtecCategory, tempDirs } from '../helpers/fixtures'
import { writeImage } from '../helpers/images'

const tempDir = tempDirs()
const engineDir = resolve(__dirname, '../../src/main/engine')

let db: Database.Database
let dataDir: string
let texturesDir: string
let categoryId: number
let events: ApiEventBus
let service: RunService
const states: RunSummary[] = []
const progress: RunProgressEvent[] = []
/** The afterTraining step of `service`, replaced by the tests that need one. */
let plug: AfterTraining = async () => undefined

/** The tiny preset, smaller still, with a random teacher. */
function request(config: RunCreateRequest['config'] = {}): RunCreateRequest {
  return {
    categoryId,
    preset: 'tiny',
    config: { student_steps: 2, segmentation_steps: 2, teacher: { kind: 'random', seed: 0 }, ...config }
  }
}

/** Resolves with the first state event of `runId` in `status` (or one seen already). */
function stateOf(bus: ApiEventBus, seen: RunSummary[], runId: number, status: RunStatus): Promise<RunSummary> {
  const already = seen.find((s) => s.id === runId && s.status === status)
  if (already) return Promise.resolve(already)
  return new Promise((res) => {
    const off = bus.on('runs:onState', (s) => {
      if (s.id === runId && s.status === status) {
        off()
        res(s)
      }
    })
  })
}

/** Resolves at the progress event of `runId` with this global step. */
function stepOf(bus: ApiEventBus, runId: number, globalStep: number): Promise<RunProgressEvent> {
  return new Promise((res) => {
    const off = bus.on('runs:onProgress', (e) => {
      if (e.run_id === runId && e.progress.global_step === globalStep) {
        off()
        res(e)
      }
    })
  })
}

const statusesOf = (runId: number, seen = states): RunStatus[] =>
  seen.filter((s) => s.id === runId).map((s) => s.status).filter((s, i, all) => i === 0 || all[i - 1] !== s)

beforeAll(async () => {
  const root = tempDir()
  dataDir = join(root, 'data')
  texturesDir = join(root, 'textures')
  for (let i = 0; i < 3; i++) await writeImage(join(texturesDir, 'cls', `t${i}.png`), { width: 40, height: 40, seed: 50 + i })
  const category = join(root, 'parts')
  await makeMvtecCategory(category, { trainGood: 4, testGood: 1, defects: { crack: 1 } })
  db = openDatabase(join(dataDir, 'destseg.sqlite'))
  const outcome = await new DatasetService(db, { dataDir }).import({ folder: category })
  categoryId = new DatasetService(db, { dataDir }).get(outcome.dataset_id!).categories[0].id
  events = new ApiEventBus()
  events.on('runs:onState', (s) => states.push(s))
  events.on('runs:onProgress', (p) => progress.push(p))
  service = new RunService(db, {
    dataDir,
    events,
    defaultTextures: () => texturesDir,
    progressSaveMs: 0,
    prefetch: 0,
    afterTraining: (run, context) => plug(run, context)
  })
  service.start()
}, 60_000)

afterAll(async () => {
  await service?.close()
  db?.close()
})

describe('RunService', () => {
  it('queues two runs and trains them one after the other', async () => {
    const a = service.create(request({ seed: 1 }))
    const b = service.create(request({ seed: 2 }))
    expect(a).toMatchObject({ status: 'training', queue_position: null, preset: 'tiny', category_name: 'parts', name: 'parts tiny' })
    expect(b).toMatchObject({ status: 'queued', queue_position: 1 })
    expect(a.run_dir).toBe(join(dataDir, 'runs', `${a.id}-parts-tiny`))
    expect(b.config).toMatchObject({ dataset: expect.stringMatching(/parts$/), textures: texturesDir, size: 32, seed: 2, student_steps: 2 })
    await service.idle()

    expect(statusesOf(a.id)).toEqual(['queued', 'training', 'done'])
    expect(statusesOf(b.id)).toEqual(['queued', 'training', 'done'])
    // b started only after a was done.
    const aDone = states.findIndex((s) => s.id === a.id && s.status === 'done')
    const bTraining = states.findIndex((s) => s.id === b.id && s.status === 'training')
    expect(bTraining).toBeGreaterThan(aDone)
    for (const run of [a, b]) {
      const got = service.get(run.id)
      expect(got).toMatchObject({ status: 'done', error: null, note: null, queue_position: null })
      expect(got.last_progress).toMatchObject({ phase: 'segmentation', global_step: 4, total_steps: 4 })
      expect(got.train_seconds).toBeGreaterThan(0)
      expect(got.backend).toBeTruthy()
      expect(got.started_at).not.toBeNull()
      expect(got.finished_at).not.toBeNull()
      expect(existsSync(join(run.run_dir, 'result.json'))).toBe(true)
      expect(readFileSync(join(run.run_dir, 'log.txt'), 'utf8')).toMatch(/starting training[\s\S]*done/)
      expect(progress.filter((p) => p.run_id === run.id).map((p) => p.progress.global_step)).toEqual([1, 2, 3, 4])
      expect(service.history(run.id).map((p) => p.global_step)).toEqual([1, 2, 3, 4])
    }
    expect(service.list(categoryId).map((r) => r.id)).toEqual([b.id, a.id])
    expect(service.list(categoryId + 1000)).toEqual([])

    // Idle, the backend is the worker's choice; it is the one the runs used.
    const backend = await service.backend()
    expect(backend).toMatchObject({ name: service.get(a.id).backend, source: 'probe' })
    expect(backend.threads).toBeGreaterThan(0)
  }, 180_000)

  it('cancels a training run at a checkpoint, refuses to delete it meanwhile, and resumes it to the same total', async () => {
    const run = service.create(request({ student_steps: 3, segmentation_steps: 3 }))
    const queued = service.create(request())
    await stepOf(events, run.id, 2)
    expect(() => service.remove(run.id)).toThrow(/training; cancel it before deleting it/)
    expect(await service.backend()).toMatchObject({ source: 'run', name: expect.any(String) })
    expect(() => service.resume(queued.id)).toThrow(/only a cancelled or failed run can be resumed/)
    // A queued run leaves the queue at once.
    expect(service.cancel(queued.id)).toMatchObject({ status: 'cancelled', note: 'Cancelled before it started.', queue_position: null })
    service.cancel(run.id)
    const cancelled = await stateOf(events, states, run.id, 'cancelled')
    expect(cancelled.note).toBeNull()
    const stoppedAt = cancelled.last_progress!.global_step
    expect(stoppedAt).toBeGreaterThanOrEqual(2)
    expect(stoppedAt).toBeLessThan(6)
    await service.idle()

    const resumed = service.resume(run.id)
    expect(['queued', 'training']).toContain(resumed.status)
    await service.idle()
    const done = service.get(run.id)
    expect(done).toMatchObject({ status: 'done', last_progress: { global_step: 6, total_steps: 6 } })
    expect(service.history(run.id).map((p) => p.global_step)).toEqual([1, 2, 3, 4, 5, 6])
    expect(JSON.parse(readFileSync(join(run.run_dir, 'result.json'), 'utf8'))).toMatchObject({ status: 'done', steps: 6, total_steps: 6 })
    expect(readFileSync(join(run.run_dir, 'log.txt'), 'utf8')).toMatch(/cancelled at step \d of 6[\s\S]*resuming training[\s\S]*resumed from/)

    // Not running any more: deleting takes the row and the folder.
    service.remove(run.id)
    expect(existsSync(run.run_dir)).toBe(false)
    expect(() => service.get(run.id)).toThrow(/does not exist/)
    service.remove(queued.id) // never started: no folder
    expect(() => service.cancel(queued.id)).toThrow(/does not exist/)
  }, 180_000)

  it('runs the afterTraining step with its stages; a failing step fails the run and a resume redoes only that step', async () => {
    let calls = 0
    plug = async (run, context) => {
      calls++
      expect(context.result).toMatchObject({ status: 'done', steps: 4 })
      context.setStatus('exporting')
      context.setModelPath(join(run.run_dir, 'model.onnx'))
      context.log('exported')
      if (calls === 1) throw new Error('disk full')
      context.setStatus('evaluating')
    }
    try {
      const run = service.create(request())
      await service.idle()
      expect(service.get(run.id)).toMatchObject({ status: 'failed', error: 'After training: disk full' })
      expect(statusesOf(run.id)).toEqual(['queued', 'training', 'exporting', 'failed'])
      const steps = progress.filter((p) => p.run_id === run.id).length
      service.resume(run.id)
      await service.idle()
      expect(service.get(run.id)).toMatchObject({ status: 'done', error: null, model_path: join(run.run_dir, 'model.onnx') })
      expect(statusesOf(run.id)).toEqual(['queued', 'training', 'exporting', 'failed', 'queued', 'training', 'exporting', 'evaluating', 'done'])
      expect(progress.filter((p) => p.run_id === run.id)).toHaveLength(steps) // no training the second time
      expect(readFileSync(join(run.run_dir, 'log.txt'), 'utf8')).toMatch(/training had finished; continuing after training/)
      expect(calls).toBe(2)
    } finally {
      plug = async () => undefined
    }
  }, 180_000)

  it('after a crash mid-run, the next start makes the run resumable; resuming finishes it', async () => {
    // A service whose training worker dies at step 3 (after the checkpoint of step 2), as it would when the app is killed.
    let worker: Worker | undefined
    const client = new TrainingClient({ createWorker: () => (worker = spawnWorker(workerEntry(engineDir, 'worker'))) })
    const crashEvents = new ApiEventBus()
    const options = { dataDir, events: crashEvents, client, defaultTextures: () => texturesDir, progressSaveMs: 0, prefetch: 0 }
    const crashing = new RunService(db, options)
    try {
      const run = crashing.create(request({ student_steps: 3, segmentation_steps: 3 }))
      await stepOf(crashEvents, run.id, 3)
      await worker!.terminate()
      await crashing.idle()
      // What the killed app leaves behind: the row still says training.
      db.prepare("UPDATE runs SET status = 'training', error = NULL, finished_at = NULL WHERE id = ?").run(run.id)

      const seen: RunSummary[] = []
      crashEvents.on('runs:onState', (s) => seen.push(s))
      const restarted = new RunService(db, options)
      restarted.start()
      const recovered = restarted.get(run.id)
      expect(recovered).toMatchObject({ status: 'cancelled', error: null })
      expect(recovered.note).toMatch(/app stopped while this run was training\. Resume it to continue from its last checkpoint/)
      expect(recovered.last_progress?.global_step).toBeGreaterThanOrEqual(1)
      restarted.resume(run.id)
      await restarted.idle()
      expect(restarted.get(run.id)).toMatchObject({ status: 'done', note: null, last_progress: { global_step: 6, total_steps: 6 } })
      expect(restarted.history(run.id).map((p) => p.global_step)).toEqual([1, 2, 3, 4, 5, 6])
      expect(statusesOf(run.id, seen)).toEqual(['cancelled', 'queued', 'training', 'done'])
      expect(readFileSync(join(run.run_dir, 'log.txt'), 'utf8')).toMatch(/resumed from \S+step-00000[23] \(step [23] of 6\)/)
    } finally {
      await client.close()
    }
  }, 180_000)

  it('keeps queued runs queued when closed, and starts them on the next start', async () => {
    const bus = new ApiEventBus()
    const options = { dataDir, events: bus, defaultTextures: () => texturesDir, progressSaveMs: 0, prefetch: 0 }
    const first = new RunService(db, options)
    const a = first.create(request({ student_steps: 40, segmentation_steps: 0 }))
    const b = first.create(request())
    await stepOf(bus, a.id, 1)
    await first.close()
    expect(first.get(a.id)).toMatchObject({ status: 'cancelled', note: expect.stringMatching(/^Stopped when the app quit \(cancelled at step \d+ of 40\)/) })
    expect(first.get(b.id)).toMatchObject({ status: 'queued', queue_position: 1 })

    const second = new RunService(db, options)
    second.start()
    await second.idle()
    expect(second.get(b.id).status).toBe('done')
    expect(second.get(a.id).status).toBe('cancelled')
    await second.close()
  }, 180_000)
})

describe('runs channels', () => {
  it('validate requests, describe the presets and are served over HTTP', async () => {
    const services = createServices({ db, dbPath: ':memory:', dataDir, version: 't', transport: 'http', runs: { defaultTextures: () => texturesDir } })
    const h = services.handlers
    try {
      const presets = await h['runs:presets']()
      expect(presets.default_preset).toBe('quick')
      expect(presets.presets.tiny).toMatchObject({ size: 32, batch: 2, student_steps: 4, segmentation_steps: 4, seed: 0, opacity: 'reference' })
      expect(presets.presets.paper).toMatchObject({ size: 256, batch: 32, student_steps: 1000, segmentation_steps: 4000, lr_student: 0.4 })
      expect(presets.hyperparameters.map((p) => p.key).sort()).toEqual(Object.keys(presets.presets.quick).sort())
      for (const p of presets.hyperparameters) expect(p.help.length).toBeGreaterThan(10)
      expect(presets.default_textures).toBe(texturesDir)

      const bad = (req: unknown): unknown => (h['runs:create'] as (r: unknown) => unknown)(req)
      expect(() => bad({ categoryId: categoryId, preset: 'huge' })).toThrow(/preset must be one of paper, quick, tiny/)
      expect(() => bad({ categoryId: categoryId, config: { learning_rate: 1 } })).toThrow(/config.learning_rate is not a setting of a run/)
      expect(() => bad({ categoryId: categoryId, config: { size: '64' } })).toThrow(/config.size must be a number/)
      expect(() => bad({ categoryId: categoryId, config: { size: 48 } })).toThrow(/size must be a multiple of 32/)
      expect(() => bad({ categoryId: categoryId, config: { texture_colour: 'sepia' } })).toThrow(/config.texture_colour must be one of as_is, match/)
      expect(() => bad({ categoryId: categoryId, config: { lr_decay: 2 } })).toThrow(/lr_decay must be a fraction from 0 to 1/)
      expect(() => bad({ categoryId: 9999 })).toThrow(/Category 9999 does not exist/)
      expect(() => bad({ categoryId: categoryId, textureSourceId: 77 })).toThrow(/Texture source 77 does not exist/)
      expect(() => h['runs:get'](0)).toThrow(/positive integer/)

      const server = await startHttpServer({ handlers: h, events: services.events, imageFile: () => Promise.reject(new Error('no')), port: 0 })
      try {
        const call = async (channel: string, ...args: unknown[]): Promise<{ result?: unknown; error?: { message: string } }> => {
          const res = await fetch(`http://127.0.0.1:${server.port}/api/${channel}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
            body: JSON.stringify({ args })
          })
          return (await res.json()) as { result?: unknown; error?: { message: string } }
        }
        const listed = (await call('runs:list', categoryId)).result as RunSummary[]
        expect(listed.length).toBeGreaterThan(0)
        expect(listed.every((r) => r.category_id === categoryId)).toBe(true)
        expect((await call('runs:presets')).result).toEqual(presets)
        expect((await call('runs:remove', listed.find((r) => r.status === 'done')!.id)).error).toBeUndefined()
      } finally {
        await server.close()
      }
    } finally {
      await services.close()
    }
  }, 60_000)
})
