/**
 * The results channels on a directly stored evaluation (real metrics on chosen maps): listing by
 * category and run, the report and the thresholds in force (default F1-max image threshold,
 * IAP@90 pixel threshold, a saved threshold winning), the image query's filters, sort and paging,
 * one image's map, and argument checks.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { mapPathOf } from '../../src/main/engine/evaluation/map-folder'
import { loadTestSplit } from '../../src/main/engine/evaluation/test-split'
import { encodeNpy } from '../../src/main/engine/io/npy'
import { EVAL_PIXELS, evaluateCategory } from '../../src/main/engine/metrics'
import { f1MaxThreshold } from '../../src/main/results/default-thresholds'
import { createServices } from '../../src/main/services/api'
import { storeEvaluation } from '../../src/main/services/evaluations'
import { openDatabase } from '../../src/main/store/db'
import { insertThreshold } from '../../src/main/store/repositories/thresholds.repo'
import { makeMvtecCategory, tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()

/** The constant value of each test image's map (its score), by relative path. */
const VALUES: Record<string, number> = {
  'test/good/000.png': 0.1,
  'test/good/001.png': 0.3,
  'test/good/002.png': 0.6,
  'test/crack/000.png': 0.5,
  'test/crack/001.png': 0.9,
  'test/hole/000.png': 0.7
}

let db: Database.Database
let services: ReturnType<typeof createServices>
let categoryId: number
let evaluationId: number
let folder: string

beforeAll(async () => {
  const root = tempDir()
  const dataDir = join(root, 'data')
  folder = join(root, 'parts')
  await makeMvtecCategory(folder, { trainGood: 1, testGood: 3, defects: { crack: 2, hole: 1 }, width: 40, height: 40 })
  db = openDatabase(join(dataDir, 'destseg.sqlite'))
  const datasets = new DatasetService(db, { dataDir })
  const outcome = await datasets.import({ folder })
  categoryId = datasets.get(outcome.dataset_id!).categories[0].id

  // A stored evaluation as the run pipeline makes one: maps on disk (8x8), metrics from the protocol.
  const tests = await loadTestSplit(folder)
  const mapsDir = join(root, 'maps')
  const value = (relPath: string): number => VALUES[relPath]
  const report = evaluateCategory(
    tests.map((t) => ({ path: t.path, defect: t.defect, gt: t.gt, map: new Float32Array(EVAL_PIXELS).fill(value(t.relPath)) }))
  )
  const images = tests.map((t, i) => {
    const mapPath = mapPathOf(mapsDir, t)
    mkdirSync(dirname(mapPath), { recursive: true })
    writeFileSync(mapPath, encodeNpy(new Float32Array(64).fill(value(t.relPath)), [8, 8]))
    return { ...t, score: report.per_image[i].score, mapPath }
  })
  const timing = { inference_ms: 1, metrics_ms: 1, total_ms: 2, ms_per_image: 0.5 }
  evaluationId = await storeEvaluation(db, datasets, {
    categoryDir: folder,
    modelPath: join(root, 'model.onnx'),
    mapsDir,
    runId: null,
    evaluation: { report, images, provider: 'cpu', fallbacks: [], threads: 1, timing }
  })
  services = createServices({ db, dbPath: ':memory:', dataDir, version: 't', transport: 'http', runs: { defaultTextures: () => null } })
}, 60_000)

afterAll(async () => {
  await services?.close()
  db?.close()
})

describe('f1MaxThreshold', () => {
  it('picks the score with the best F1 of "anomalous at score >= t", ties to the highest', () => {
    const scores = Object.entries(VALUES).map(([path, score]) => ({ score, label: path.includes('good') ? (0 as const) : (1 as const) }))
    // t=0.9: F1 2/4; 0.7: 4/5; 0.6: 4/6; 0.5: 6/7 (best); 0.3: 6/8; 0.1: 6/9
    expect(f1MaxThreshold(scores)).toBe(0.5)
    expect(f1MaxThreshold([])).toBeNull()
    expect(f1MaxThreshold([{ score: 0.2, label: 0 }, { score: 0.4, label: 0 }])).toBe(0.4)
    // Both thresholds give F1 1 (a perfect split): the highest is kept.
    expect(f1MaxThreshold([{ score: 0.9, label: 1 }, { score: 0.2, label: 0 }])).toBe(0.9)
    // Tied scores are one step.
    expect(f1MaxThreshold([{ score: 0.5, label: 1 }, { score: 0.5, label: 0 }, { score: 0.1, label: 0 }])).toBe(0.5)
  })
})

describe('results channels', () => {
  it('list evaluations by category, by run and all', async () => {
    const h = services.handlers
    const all = await h['results:evaluations']()
    expect(all).toHaveLength(1)
    expect(all[0]).toMatchObject({ id: evaluationId, category_id: categoryId, category_name: 'parts', dataset_name: 'parts', run_id: null, run_name: null, images: 6 })
    expect((await h['results:evaluations']({ categoryId })).map((e) => e.id)).toEqual([evaluationId])
    expect(await h['results:evaluations']({ categoryId: categoryId + 1 })).toEqual([])
    expect(await h['results:evaluations']({ runId: 1 })).toEqual([])
  })

  it('give the report with its curves and the default thresholds, and a saved threshold wins', async () => {
    const h = services.handlers
    const detail = await h['results:evaluation'](evaluationId)
    expect(detail.evaluation.id).toBe(evaluationId)
    expect(detail.report.per_image).toHaveLength(6)
    expect(detail.report.curves.instance.threshold.length).toBeGreaterThan(0)
    expect(detail.report.curves.pixel_roc.fpr.length).toBeGreaterThan(1)
    expect(detail.report.iap90_threshold).toBe(detail.evaluation.iap90_threshold)
    expect(detail.defect_types).toEqual(['crack', 'good', 'hole'])
    expect(detail.thresholds.image).toMatchObject({ kind: 'image', value: expect.closeTo(0.5, 6), source: 'default', record: null })
    expect(detail.thresholds.pixel).toMatchObject({ kind: 'pixel', value: detail.evaluation.iap90_threshold, source: 'default' })

    const page = await h['results:images']({ evaluationId })
    expect(page.total).toBe(6)
    expect(page.image_threshold).toBeCloseTo(0.5, 6)
    expect(page.images.map((im) => im.rel_path)).toEqual([
      'test/crack/001.png',
      'test/hole/000.png',
      'test/good/002.png',
      'test/crack/000.png',
      'test/good/001.png',
      'test/good/000.png'
    ])
    expect(page.images.map((im) => im.predicted)).toEqual([1, 1, 1, 1, 0, 0])
    expect(page.images.map((im) => im.rank)).toEqual([1, 2, 3, 4, 5, 6])
    expect(page.images[0]).toMatchObject({ split: 'test', defect_type: 'crack', label: 1, has_mask: true, category_id: categoryId })
    expect(page.images[0].score).toBeCloseTo(0.9, 6)
    expect(page.images[5]).toMatchObject({ defect_type: 'good', label: 0, has_mask: false })

    insertThreshold(db, { category_id: categoryId, evaluation_id: evaluationId, kind: 'image', value: 0.65, note: 'fewer alarms', created_at: '2024-01-02T03:04:05.000Z' })
    try {
      const saved = await h['results:evaluation'](evaluationId)
      expect(saved.thresholds.image).toMatchObject({ value: 0.65, source: 'saved', record: { note: 'fewer alarms' } })
      const flagged = await h['results:images']({ evaluationId, predicted: 1 })
      expect(flagged.image_threshold).toBe(0.65)
      expect(flagged.images.map((im) => im.rel_path)).toEqual(['test/crack/001.png', 'test/hole/000.png'])
    } finally {
      db.prepare('DELETE FROM thresholds').run()
    }
  })

  it('filter by defect type, true and predicted label and split; sort ascending; page', async () => {
    const h = services.handlers
    const paths = async (q: Omit<Parameters<(typeof h)['results:images']>[0], 'evaluationId'>): Promise<string[]> =>
      (await h['results:images']({ evaluationId, ...q })).images.map((im) => im.rel_path)
    expect(await paths({ defectType: 'crack' })).toEqual(['test/crack/001.png', 'test/crack/000.png'])
    expect(await paths({ label: 0 })).toEqual(['test/good/002.png', 'test/good/001.png', 'test/good/000.png'])
    // false positives at the default threshold: normal images flagged
    expect(await paths({ label: 0, predicted: 1 })).toEqual(['test/good/002.png'])
    expect(await paths({ label: 1, predicted: 0 })).toEqual([])
    expect(await paths({ split: 'train' })).toEqual([])
    expect(await paths({ sort: 'score_asc', limit: 2 })).toEqual(['test/good/000.png', 'test/good/001.png'])
    const second = await h['results:images']({ evaluationId, sort: 'score_asc', limit: 2, offset: 2 })
    expect(second).toMatchObject({ total: 6, offset: 2 })
    expect(second.images.map((im) => [im.rel_path, im.rank])).toEqual([
      ['test/crack/000.png', 4],
      ['test/good/002.png', 3]
    ])
  })

  it('serve one image map at its stored size', async () => {
    const h = services.handlers
    const [top] = (await h['results:images']({ evaluationId, limit: 1 })).images
    const map = await h['results:map'](evaluationId, top.id)
    expect(map).toMatchObject({ evaluation_id: evaluationId, image_id: top.id, size: 8 })
    expect(map.data).toHaveLength(64)
    expect(map.data.every((v) => Math.abs(v - 0.9) < 1e-6)).toBe(true)
    const train = db.prepare<[], { id: number }>("SELECT id FROM images WHERE split = 'train'").get()!
    expect(() => h['results:map'](evaluationId, train.id)).toThrow(/is not in evaluation/)
  })

  it('check their arguments', () => {
    const h = services.handlers as unknown as Record<string, (...args: unknown[]) => unknown>
    expect(() => h['results:evaluation'](evaluationId + 100)).toThrow(/Evaluation \d+ does not exist/)
    expect(() => h['results:evaluation']('1')).toThrow(/positive integer/)
    expect(() => h['results:evaluations']({ categoryId: -1 })).toThrow(/categoryId must be a positive integer/)
    expect(() => h['results:images']({ evaluationId, label: 2 })).toThrow(/label must be 0 or 1/)
    expect(() => h['results:images']({ evaluationId, sort: 'name' })).toThrow(/sort must be one of score_desc, score_asc/)
    expect(() => h['results:images']({ evaluationId, limit: -1 })).toThrow(/limit must be a non-negative integer/)
    expect(() => h['results:images']({})).toThrow(/evaluationId must be a positive integer/)
    expect(() => h['results:map'](evaluationId, 0)).toThrow(/imageId must be a positive integer/)
  })
})
