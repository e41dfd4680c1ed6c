/**
 * Image-level labels end to end (issue 7): a generated MVTec folder with train/good and
 * test/{good,broken} and no ground_truth is imported, trained with the tiny preset (random teacher),
 * exported and evaluated after training: image AUROC a number, the pixel metrics null with a reason,
 * the counts per metric stored; Results, Thresholds and Review work on it (image threshold, image-level
 * false negatives). A mixed folder (masks for crack, none for broken) reports per-metric image counts.
 * `destseg evaluate` on the run's model prints the same fields.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunCreateRequest } from '../../src/common/types/runs'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { ResultsService } from '../../src/main/results/results-service'
import { ReviewService } from '../../src/main/review/review-service'
import { ThresholdsService } from '../../src/main/review/thresholds-service'
import { exportAndEvaluate } from '../../src/main/runs/after-training'
import { RunService } from '../../src/main/runs/run-service'
import { ApiEventBus } from '../../src/main/services/events'
import { openDatabase } from '../../src/main/store/db'
import { imageResults, listEvaluations } from '../../src/main/store/repositories/results.repo'
import { destseg } from '../helpers/cli'
import { tempDirs } from '../helpers/fixtures'
import { writeImage, writeMask } from '../helpers/images'

const tempDir = tempDirs()
const SIZE = 40

let db: Database.Database
let root: string
let datasets: DatasetService
let runs: RunService

/** train/good (4), test/good (3), test/broken (3, no masks) and, with `masked`, test/crack (2, masks). */
async function category(name: string, masked: boolean): Promise<string> {
  const dir = join(root, name)
  let seed = 0
  const image = (rel: string): Promise<void> => writeImage(join(dir, rel), { width: SIZE, height: SIZE, seed: seed++ })
  for (let i = 0; i < 4; i++) await image(`train/good/00${i}.png`)
  for (let i = 0; i < 3; i++) await image(`test/good/00${i}.png`)
  for (let i = 0; i < 3; i++) await image(`test/broken/00${i}.png`)
  if (masked) {
    for (let i = 0; i < 2; i++) {
      await image(`test/crack/00${i}.png`)
      await writeMask(join(dir, `ground_truth/crack/00${i}_mask.png`), SIZE, SIZE, SIZE * 8)
    }
  }
  return dir
}

const request = (categoryId: number): RunCreateRequest => ({
  categoryId,
  preset: 'tiny',
  config: { student_steps: 2, segmentation_steps: 2, teacher: { kind: 'random', seed: 0 } }
})

async function importAndTrain(folder: string): Promise<{ categoryId: number; runDir: string; runId: number; unmasked: number | undefined }> {
  const outcome = await datasets.import({ folder })
  expect(outcome.dataset_id).not.toBeNull()
  const categoryId = datasets.get(outcome.dataset_id!).categories[0].id
  const run = runs.create(request(categoryId))
  await runs.idle()
  expect(runs.get(run.id)).toMatchObject({ status: 'done', error: null })
  return { categoryId, runDir: run.run_dir, runId: run.id, unmasked: outcome.anomalous_without_mask }
}

beforeAll(async () => {
  root = tempDir()
  const dataDir = join(root, 'data')
  const textures = join(root, 'textures')
  for (let i = 0; i < 3; i++) await writeImage(join(textures, 'cls', `t${i}.png`), { width: SIZE, height: SIZE, seed: 50 + i })
  db = openDatabase(join(dataDir, 'destseg.sqlite'))
  datasets = new DatasetService(db, { dataDir })
  runs = new RunService(db, {
    dataDir,
    events: new ApiEventBus(),
    defaultTextures: () => textures,
    prefetch: 0,
    afterTraining: exportAndEvaluate({ db, datasets, inference: { batch: 4 } })
  })
  runs.start()
}, 60_000)

afterAll(async () => {
  await runs?.close()
  db?.close()
})

describe('image-level labels end to end', () => {
  it('imports, trains and evaluates a folder without ground_truth: image AUROC, pixel metrics null with a reason', async () => {
    const folder = await category('no-masks', false)
    const { categoryId, runDir, runId, unmasked } = await importAndTrain(folder)
    expect(unmasked).toBe(3)

    const [evaluation] = listEvaluations(db, categoryId)
    expect(evaluation).toMatchObject({ run_id: runId, images: 6, instances: 0, pixel_auroc: null, pixel_ap: null, iap: null, iap90: null, aupro: null })
    expect(evaluation.image_auroc).toBeTypeOf('number')
    expect(imageResults(db, evaluation.id)).toHaveLength(6)
    const log = readFileSync(join(runDir, 'log.txt'), 'utf8')
    expect(log).toMatch(/3 anomalous test images have no mask[\s\S]*evaluation \d+: 6 images[\s\S]*no pixel metrics: None of the 3 anomalous/)

    // Results: the report with its reason and counts; the gallery's rows say which images lack a mask
    const results = new ResultsService(db)
    const detail = results.evaluation(evaluation.id)
    expect(detail.report).toMatchObject({
      pixel_auroc: null,
      unmasked_images: 3,
      images_per_metric: { image_auroc: 6, pixel_auroc: 0, pixel_ap: 0, iap: 0, iap90: 0, aupro: 0 }
    })
    expect(detail.report.pixel_metrics_reason).toMatch(/image-level labels only/)
    expect(detail.report.per_image.filter((im) => im.label === 1).every((im) => im.has_mask === false)).toBe(true)
    expect(detail.thresholds.pixel).toMatchObject({ source: 'default', value: 0.5, rule: expect.stringMatching(/no pixel metrics/) })
    const rows = results.images({ evaluationId: evaluation.id, label: 1 }).images
    expect(rows.map((r) => [r.defect_type, r.has_mask])).toEqual(Array(3).fill(['broken', false]))

    // Thresholds: the pixel card has the reason; the image threshold works (best F1 on the folder labels)
    const thresholds = new ThresholdsService(db)
    const view = thresholds.view({ categoryId })
    expect(view.pixel_metrics_reason).toBe(detail.report.pixel_metrics_reason)
    expect(view.instance_curve.threshold).toEqual([])
    expect(view.images.filter((im) => im.label === 1)).toHaveLength(3)
    expect(view.defaults.image).toBe(detail.thresholds.image.value)
    thresholds.save({ categoryId, evaluationId: evaluation.id, kind: 'image', value: 1e9, note: 'everything passes' })

    // Review at image level: with every image passing, the three broken images are false negatives with no regions
    const review = new ReviewService(db, thresholds)
    const fn = await review.queue({ evaluationId: evaluation.id, queue: 'false_negative' })
    expect(fn.cases.map((c) => [c.defect, c.label, c.has_mask, c.image_error, c.regions.length, c.instances])).toEqual(
      Array(3).fill(['broken', 1, false, true, 0, 0])
    )
    const fp = await review.queue({ evaluationId: evaluation.id, queue: 'false_positive' })
    expect(fp.cases.every((c) => c.label === 0 && c.has_mask === false)).toBe(true)

    // The CLI on the run's model prints the same
    const cli = await destseg('evaluate', '--model', join(runDir, 'model.onnx'), '--dataset', folder, '--json')
    expect(cli.code, cli.stderr).toBe(0)
    const json = JSON.parse(cli.stdout) as Record<string, unknown>
    expect(json).toMatchObject({
      image_auroc: detail.report.image_auroc,
      pixel_auroc: null,
      aupro: null,
      images: 6,
      unmasked_images: 3,
      images_per_metric: { image_auroc: 6, pixel_auroc: 0 },
      pixel_metrics_reason: expect.stringMatching(/image-level labels only/)
    })
  }, 300_000)

  it('reports per-metric image counts for a mixed folder (masks for one defect type only)', async () => {
    const { categoryId, unmasked } = await importAndTrain(await category('mixed', true))
    expect(unmasked).toBe(3)
    const [evaluation] = listEvaluations(db, categoryId)
    expect(evaluation.image_auroc).toBeTypeOf('number')
    expect(evaluation.pixel_auroc).toBeTypeOf('number')
    expect(evaluation.aupro).toBeTypeOf('number')
    const { report } = new ResultsService(db).evaluation(evaluation.id)
    // image AUROC: 3 good + 3 broken + 2 crack; pixel metrics: 3 good + 2 crack
    expect(report.images_per_metric).toEqual({ image_auroc: 8, pixel_auroc: 5, pixel_ap: 5, iap: 5, iap90: 5, aupro: 5 })
    expect(report).toMatchObject({ images: 8, anomalous_images: 5, unmasked_images: 3, pixel_metrics_reason: null })
    expect(report.per_image.filter((im) => im.defect === 'crack').every((im) => im.has_mask)).toBe(true)
  }, 300_000)
})
