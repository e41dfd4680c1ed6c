/**
 * InspectionService on the small stand-in model: a folder of new images scored, mapped and judged by
 * the category's thresholds (saved, else the evaluation's defaults, else refused), results paged and
 * filtered, maps and images served; a cancel or a crash leaves no results and no maps; an inspection
 * left running by a crash fails at the next start; the inspections channels and the image route over HTTP.
 */
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../src/common/ipc/errors'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { InferenceClient } from '../../src/main/engine/inference/client'
import { readNpy } from '../../src/main/engine/io/npy'
import { InspectionService, type InspectionInference, type InspectionJob } from '../../src/main/inspections/inspection-service'
import { startHttpServer } from '../../src/main/server/http-server'
import { createServices } from '../../src/main/services/api'
import { openDatabase } from '../../src/main/store/db'
import * as inspectionsRepo from '../../src/main/store/repositories/inspections.repo'
import { insertEvaluation } from '../../src/main/store/repositories/results.repo'
import * as runsRepo from '../../src/main/store/repositories/runs.repo'
import { insertThreshold } from '../../src/main/store/repositories/thresholds.repo'
import { writeFakeModel } from '../engine/inference/fake-model'
import { makeMvtecCategory, tempDirs } from '../helpers/fixtures'
import { writeImage } from '../helpers/images'

const tempDir = tempDirs()
let db: Database.Database
let dataDir: string
let folder: string
let modelPath: string
let categoryId: number
let otherCategoryId: number
let runId: number
let service: InspectionService

/** A job context like JobRunner's; `onProgress` sees every update. */
function job(onProgress?: (done: number, controller: AbortController) => void): InspectionJob & { controller: AbortController; updates: number[] } {
  const controller = new AbortController()
  const updates: number[] = []
  return {
    jobId: 'test-job',
    signal: controller.signal,
    controller,
    updates,
    progress: ({ done }) => {
      updates.push(done)
      onProgress?.(done, controller)
    }
  }
}

function insertDoneRun(category: number, model: string | null): number {
  const dataset = db.prepare<[number], { dataset_id: number }>('SELECT dataset_id FROM categories WHERE id = ?').get(category)!.dataset_id
  const id = db.transaction(() =>
    runsRepo.insertQueuedRun(
      db,
      { dataset_id: dataset, category_id: category, name: 'trained', preset: 'tiny', config_json: '{}', created_at: new Date().toISOString() },
      (rid) => join(dataDir, 'runs', String(rid))
    )
  )()
  runsRepo.setRunStatus(db, id, 'done', { finished_at: new Date().toISOString() })
  runsRepo.setRunModelPath(db, id, model)
  return id
}

beforeAll(async () => {
  const root = tempDir()
  dataDir = join(root, 'data')
  const category = join(root, 'parts')
  await makeMvtecCategory(category, { trainGood: 2, testGood: 1, defects: { crack: 1 } })
  const other = join(root, 'other')
  await makeMvtecCategory(other, { trainGood: 2, testGood: 1, defects: { crack: 1 } })
  db = openDatabase(join(dataDir, 'destseg.sqlite'))
  const datasets = new DatasetService(db, { dataDir })
  categoryId = datasets.get((await datasets.import({ folder: category })).dataset_id!).categories[0].id
  otherCategoryId = datasets.get((await datasets.import({ folder: other })).dataset_id!).categories[0].id
  modelPath = join(root, 'model.onnx')
  writeFakeModel(modelPath, { size: 32, gain: 4 })
  runId = insertDoneRun(categoryId, modelPath)
  // New, unlabelled images: five in the folder, one of them in a subfolder; dark ones score low.
  folder = join(root, 'incoming')
  for (let i = 0; i < 4; i++) await writeImage(join(folder, `part${i}.png`), { width: 40 + i, height: 30, seed: 10 + i })
  await writeImage(join(folder, 'line2', 'part9.jpg'), { width: 36, height: 36, seed: 20 })
  service = new InspectionService(db, {
    dataDir,
    openModel: (path) => InferenceClient.open(path, { batch: 2, intraOpNumThreads: 1 }),
    chunk: 2
  })
}, 60_000)

afterAll(() => db?.close())

describe('InspectionService', () => {
  it('refuses without thresholds or an evaluation to take defaults from, writing nothing', async () => {
    await expect(service.create({ categoryId, folder }, job())).rejects.toMatchObject({ code: 'NO_THRESHOLDS' })
    expect(service.list()).toEqual([])
  })

  it('refuses a category without a trained model, a run of another category, and an empty folder', async () => {
    await expect(service.create({ categoryId: otherCategoryId, folder }, job())).rejects.toMatchObject({ code: 'NO_MODEL' })
    await expect(service.create({ categoryId: otherCategoryId, folder, runId }, job())).rejects.toMatchObject({ code: 'WRONG_CATEGORY' })
    await expect(service.create({ categoryId, folder: join(folder, 'missing') }, job())).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(service.create({ categoryId, folder: dataDir + '/runs-none' }, job())).rejects.toBeInstanceOf(UserError)
  })

  it('takes the defaults of the run\'s evaluation when no threshold is saved', async () => {
    const evaluationId = insertEvaluation(
      db,
      {
        run_id: runId,
        category_id: categoryId,
        model_path: modelPath,
        created_at: new Date().toISOString(),
        image_auroc: 1,
        pixel_auroc: 1,
        pixel_ap: 1,
        iap: 1,
        iap90: 1,
        iap90_threshold: 0.7,
        aupro: 1,
        images: 3,
        instances: 1,
        ms_per_image: 1,
        report: {
          per_image: [
            { path: 'a', defect: 'good', label: 0, score: 0.2 },
            { path: 'b', defect: 'good', label: 0, score: 0.4 },
            { path: 'c', defect: 'crack', label: 1, score: 0.6 }
          ]
        },
        maps_dir: join(dataDir, 'maps')
      },
      []
    )
    const done = await service.create({ categoryId, folder }, job())
    expect(done).toMatchObject({ status: 'done', pixel_threshold: 0.7, image_threshold: 0.6, images: 5 })
    expect(done.threshold_note).toContain('IAP@90 operating point')
    expect(done.threshold_note).toContain(`of evaluation ${evaluationId}`)
    expect(done.threshold_note).toContain('F1')
    service.remove(done.id)
  })

  it('inspects a folder: scores, maps on disk, pass/fail by the saved thresholds, all in one go', async () => {
    insertThreshold(db, { category_id: categoryId, evaluation_id: null, kind: 'pixel', value: 0.8, note: '', created_at: new Date().toISOString() })
    // An image threshold between the scores, so some pass and some fail.
    const probe = await InferenceClient.open(modelPath, { intraOpNumThreads: 1 })
    const scores = (await probe.score(readdirSync(folder).filter((f) => f.endsWith('.png')).map((f) => join(folder, f)))).map((s) => s.score)
    await probe.close()
    const sorted = [...scores].sort((a, b) => a - b)
    const imageThreshold = (sorted[1] + sorted[2]) / 2
    insertThreshold(db, { category_id: categoryId, evaluation_id: null, kind: 'image', value: imageThreshold, note: 'mid', created_at: new Date().toISOString() })

    const j = job()
    const done = await service.create({ categoryId, folder }, j)
    expect(done).toMatchObject({ status: 'done', category_id: categoryId, run_id: runId, run_name: 'trained', model_path: modelPath, images: 5 })
    expect(done).toMatchObject({ pixel_threshold: 0.8, image_threshold: imageThreshold, error: null, job_id: null })
    expect(done.threshold_note).toMatch(/pixel 0\.8000 \(saved .*image .* \(saved .*: mid\)/)
    expect(done.passed + done.failed).toBe(5)
    expect(done.passed).toBeGreaterThan(0)
    expect(done.failed).toBeGreaterThan(0)
    expect(j.updates[j.updates.length - 1]).toBe(5)

    const page = service.results({ inspectionId: done.id, limit: 10 })
    expect(page.total).toBe(5)
    const got = page.results.map((r) => r.score)
    expect(got).toEqual([...got].sort((a, b) => b - a))
    for (const r of page.results) expect(r.pass).toBe(r.score < imageThreshold)
    expect(page.results.map((r) => r.rel_path).sort()).toEqual(['line2/part9.jpg', 'part0.png', 'part1.png', 'part2.png', 'part3.png'])
    expect(page.results.find((r) => r.rel_path === 'part1.png')).toMatchObject({ width: 41, height: 30 })

    const failed = service.results({ inspectionId: done.id, verdict: 'fail' })
    expect(failed.total).toBe(done.failed)
    expect(failed.results.every((r) => !r.pass)).toBe(true)
    const ascending = service.results({ inspectionId: done.id, verdict: 'pass', order: 'asc', offset: 1, limit: 1 })
    expect(ascending).toMatchObject({ total: done.passed, offset: 1 })
    expect(ascending.results).toHaveLength(1)

    // Maps: one .npy per image, 8 x 8 for a 32 px model; what inspections:map serves.
    const top = page.results[0]
    const map = service.map(top.id)
    expect(map).toMatchObject({ inspection_id: done.id, result_id: top.id, size: 8, pixel_threshold: 0.8 })
    expect(map.data).toHaveLength(64)
    const row = inspectionsRepo.getResult(db, top.id)!
    expect(row.map_path.startsWith(join(dataDir, 'inspections', String(done.id)))).toBe(true)
    expect(Array.from(readNpy(row.map_path, 'map').data)).toEqual(map.data)
    expect(top.defect_fraction).toBeGreaterThanOrEqual(0)
    expect(top.defect_fraction).toBeLessThanOrEqual(1)

    // Images for display: thumbnails (cached WebP) and the image itself (JPEG/PNG as is).
    const thumb = await service.imageFile(top.id, 'inspection_thumb')
    expect(thumb.contentType).toBe('image/webp')
    expect(existsSync(thumb.path)).toBe(true)
    const full = await service.imageFile(top.id, 'inspection_full')
    expect(full.path).toBe(top.path)

    expect(service.list(categoryId).map((i) => i.id)).toEqual([done.id])
    expect(service.list(otherCategoryId)).toEqual([])
  })

  it('leaves no results and no maps when cancelled, or when inference fails', async () => {
    const cancelled = job((done, controller) => {
      if (done >= 2) controller.abort()
    })
    await expect(service.create({ categoryId, folder }, cancelled)).rejects.toMatchObject({ code: 'CANCELLED' })
    const stopped = service.list(categoryId)[0]
    expect(stopped).toMatchObject({ status: 'cancelled', images: 0, passed: 0, failed: 0, error: null })
    expect(service.results({ inspectionId: stopped.id }).total).toBe(0)
    expect(existsSync(join(dataDir, 'inspections', String(stopped.id)))).toBe(false)

    // A model that breaks on the second chunk, after the first chunk's maps were written.
    let calls = 0
    const breaking = new InspectionService(db, {
      dataDir,
      chunk: 2,
      openModel: async (path): Promise<InspectionInference> => {
        const client = await InferenceClient.open(path, { intraOpNumThreads: 1 })
        return {
          infer: (paths, options) => (++calls === 2 ? Promise.reject(new Error('the worker crashed')) : client.infer(paths, options)),
          close: () => client.close()
        }
      }
    })
    await expect(breaking.create({ categoryId, folder }, job())).rejects.toThrow('the worker crashed')
    const failed = service.list(categoryId)[0]
    expect(failed).toMatchObject({ status: 'failed', error: 'the worker crashed', images: 0 })
    expect(service.results({ inspectionId: failed.id }).total).toBe(0)
    expect(existsSync(join(dataDir, 'inspections', String(failed.id)))).toBe(false)
  })

  it('fails inspections an earlier session left running, and deletes one with its maps', () => {
    const id = db.transaction(() =>
      inspectionsRepo.insertInspection(
        db,
        { category_id: categoryId, run_id: runId, model_path: modelPath, folder, created_at: 'x', pixel_threshold: 0.5, image_threshold: 0.5, threshold_note: '' },
        (n) => join(dataDir, 'inspections', String(n))
      )
    )()
    service.start()
    expect(service.get(id)).toMatchObject({ status: 'failed', error: expect.stringContaining('The app stopped') })

    const done = service.list(categoryId).find((i) => i.status === 'done')!
    const dir = join(dataDir, 'inspections', String(done.id))
    expect(existsSync(dir)).toBe(true)
    service.remove(done.id)
    expect(existsSync(dir)).toBe(false)
    expect(() => service.get(done.id)).toThrow(/does not exist/)
  })
})

describe('inspections over HTTP', () => {
  it('serves the channels and the inspection image variants through the one image route', async () => {
    const services = createServices({ db, dbPath: ':memory:', dataDir, version: 'test', transport: 'http' })
    const server = await startHttpServer({ handlers: services.handlers, events: services.events, imageFile: services.imageFile })
    const call = async (channel: string, ...args: unknown[]): Promise<{ status: number; body: { result?: unknown; error?: { message: string } } }> => {
      const response = await fetch(`http://127.0.0.1:${server.port}/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
        body: JSON.stringify({ args })
      })
      return { status: response.status, body: (await response.json()) as { result?: unknown } }
    }
    try {
      const created = await call('inspections:create', { categoryId, folder, jobId: 'insp-1' })
      expect(created.status).toBe(200)
      const inspection = created.body.result as { id: number; images: number; status: string }
      expect(inspection).toMatchObject({ status: 'done', images: 5 })
      const page = (await call('inspections:results', { inspectionId: inspection.id, verdict: 'fail' })).body.result as {
        results: Array<{ id: number }>
      }
      const resultId = page.results[0].id
      expect(((await call('inspections:map', resultId)).body.result as { size: number }).size).toBe(8)
      const image = await fetch(`http://127.0.0.1:${server.port}/img/${resultId}/inspection_thumb?token=${server.token}`)
      expect(image.status).toBe(200)
      expect(image.headers.get('content-type')).toBe('image/webp')
      expect((await call('inspections:results', { inspectionId: inspection.id, verdict: 'maybe' })).status).toBe(400)
      expect((await call('inspections:create', { categoryId, folder: '' })).status).toBe(400)
      expect((await call('inspections:remove', inspection.id)).status).toBe(200)
      expect((await call('inspections:get', inspection.id)).status).toBe(400)
    } finally {
      await server.close()
      await services.close()
    }
  })
})
