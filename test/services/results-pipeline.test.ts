/**
 * The step after training (runs/after-training.ts) in the run queue: a tiny run (random teacher) on
 * a small generated category is exported, evaluated on its test split and stored (one image result
 * per test image, maps under <run_dir>/maps); a category without anomalous test images, or without a test split,
 * still ends done with a note in the log and no evaluation. The results channels then serve it.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunCreateRequest, RunStatus, RunSummary } from '../../src/common/types/runs'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { readNpy } from '../../src/main/engine/io/npy'
import { exportAndEvaluate } from '../../src/main/runs/after-training'
import { RunService } from '../../src/main/runs/run-service'
import { ResultsService } from '../../src/main/results/results-service'
import { ApiEventBus } from '../../src/main/services/events'
import { openDatabase } from '../../src/main/store/db'
import { imageResults, listEvaluations } from '../../src/main/store/repositories/results.repo'
import { makeMvtecCategory, tempDirs } from '../helpers/fixtures'
import { writeImage } from '../helpers/images'

const tempDir = tempDirs()

let db: Database.Database
let dataDir: string
let root: string
let datasets: DatasetService
let service: RunService
const states: RunSummary[] = []

async function importCategory(folder: string): Promise<number> {
  const outcome = await datasets.import({ folder })
  expect(outcome.dataset_id).not.toBeNull()
  return datasets.get(outcome.dataset_id!).categories[0].id
}

function request(categoryId: number): RunCreateRequest {
  return { categoryId, preset: 'tiny', config: { student_steps: 2, segmentation_steps: 2, teacher: { kind: 'random', seed: 0 } } }
}

const statusesOf = (runId: number): RunStatus[] =>
  states.filter((s) => s.id === runId).map((s) => s.status).filter((s, i, all) => i === 0 || all[i - 1] !== s)

beforeAll(async () => {
  root = tempDir()
  dataDir = join(root, 'data')
  const textures = join(root, 'textures')
  for (let i = 0; i < 3; i++) await writeImage(join(textures, 'cls', `t${i}.png`), { width: 40, height: 40, seed: 50 + i })
  db = openDatabase(join(dataDir, 'destseg.sqlite'))
  datasets = new DatasetService(db, { dataDir })
  const events = new ApiEventBus()
  events.on('runs:onState', (s) => states.push(s))
  service = new RunService(db, {
    dataDir,
    events,
    defaultTextures: () => textures,
    prefetch: 0,
    afterTraining: exportAndEvaluate({ db, datasets, inference: { batch: 4 } })
  })
  service.start()
}, 60_000)

afterAll(async () => {
  await service?.close()
  db?.close()
})

describe('after training', () => {
  it('exports, evaluates on the test split and stores one result per test image', async () => {
    const folder = join(root, 'parts')
    await makeMvtecCategory(folder, { trainGood: 4, testGood: 3, defects: { crack: 2, hole: 1 }, width: 40, height: 40 })
    const categoryId = await importCategory(folder)
    const run = service.create(request(categoryId))
    await service.idle()

    const done = service.get(run.id)
    expect(done).toMatchObject({ status: 'done', error: null, model_path: join(run.run_dir, 'model.onnx') })
    expect(statusesOf(run.id)).toEqual(['queued', 'training', 'exporting', 'evaluating', 'done'])
    expect(existsSync(join(run.run_dir, 'model.onnx'))).toBe(true)

    const evaluations = listEvaluations(db, categoryId)
    expect(evaluations).toHaveLength(1)
    const evaluation = evaluations[0]
    expect(evaluation).toMatchObject({ run_id: run.id, category_id: categoryId, images: 6, model_path: done.model_path, maps_dir: join(run.run_dir, 'maps') })
    expect(evaluation.instances).toBeGreaterThanOrEqual(3)
    expect(evaluation.pixel_auroc).toBeGreaterThanOrEqual(0)
    const results = imageResults(db, evaluation.id)
    expect(results).toHaveLength(6)
    const testImages = db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM images WHERE category_id = ? AND split = 'test'").get(categoryId)!.n
    expect(results).toHaveLength(testImages)
    // Each map is a file under the run's maps folder, at the model's output size (32 px input -> 8x8).
    for (const r of results) {
      expect(r.map_path.startsWith(join(run.run_dir, 'maps'))).toBe(true)
      expect(readNpy(r.map_path, 'map').shape).toEqual([8, 8])
    }
    const log = readFileSync(join(run.run_dir, 'log.txt'), 'utf8')
    expect(log).toMatch(/exported .*model\.onnx[\s\S]*inference 6\/6[\s\S]*evaluation \d+: 6 images[\s\S]*done/)

    // The results channels serve it.
    const resultsService = new ResultsService(db)
    expect(resultsService.evaluations({ runId: run.id }).map((e) => e.id)).toEqual([evaluation.id])
    const detail = resultsService.evaluation(evaluation.id)
    expect(detail.report.per_image).toHaveLength(6)
    expect(detail.thresholds.pixel).toMatchObject({ source: 'default', value: evaluation.iap90_threshold })
    expect(detail.defect_types).toEqual(['crack', 'good', 'hole'])
    const page = resultsService.images({ evaluationId: evaluation.id })
    expect(page.images.map((im) => im.score)).toEqual([...results.map((r) => r.score)].sort((a, b) => b - a))
    const map = resultsService.map(evaluation.id, page.images[0].id)
    expect(map.size).toBe(8)
    expect(map.data).toHaveLength(64)
  }, 240_000)

  it('ends done with a note, and no evaluation, where the category has no anomalous test image or no test split', async () => {
    const noMasks = join(root, 'no-masks')
    await makeMvtecCategory(noMasks, { trainGood: 4, testGood: 2, defects: {}, width: 40, height: 40 })
    const noTest = join(root, 'no-test')
    await makeMvtecCategory(noTest, { trainGood: 4, testGood: 0, defects: {}, width: 40, height: 40 })
    for (const [folder, why] of [
      [noMasks, /no evaluation: no anomalous test image in .* \(only test\/good\)/],
      [noTest, /no evaluation: No test images in/]
    ] as const) {
      const categoryId = await importCategory(folder)
      const run = service.create(request(categoryId))
      await service.idle()
      expect(service.get(run.id)).toMatchObject({ status: 'done', error: null, model_path: join(run.run_dir, 'model.onnx') })
      expect(statusesOf(run.id)).toEqual(['queued', 'training', 'exporting', 'done'])
      expect(readFileSync(join(run.run_dir, 'log.txt'), 'utf8')).toMatch(why)
      expect(listEvaluations(db, categoryId)).toEqual([])
    }
  }, 240_000)
})
