/**
 * A small hand-made evaluation for the threshold and review tests: a category "parts" of 256x256
 * images (so masks and most maps are already on the protocol's grid and every value below is exact),
 * imported into a fresh database, with hand-drawn maps stored as .npy and the report computed by the
 * engine's evaluateCategory from the same maps and masks, as `destseg evaluate` stores it.
 *
 * Test images (image score = mean of the top 100 map values; instance score = median of its pixels):
 *   good/000   normal     map: a 10x10 blob of 0.9 at x 20..29, y 20..29                 score 0.9
 *   good/001   normal     map: 64x64, 0.1 everywhere (upsampled: 0.1 everywhere)         score 0.1
 *   crack/000  anomalous  mask: A x 10..19 y 10..19 (100 px), B x 100..119 y 100..109 (200 px)
 *                         map: A 0.8, B 0.2, a blob of 0.7 at x 200..209 y 200..209     score 0.8
 *                         instances: A 0.8, B 0.2
 *   crack/001  anomalous  mask: C x 50..59 y 50..69 (200 px)
 *                         map: C's top half 0.6, bottom half 0.2; 0.55 at x 60..64 y 50..54
 *                         (outside C but 8-connected to its top half)                   score 0.6
 *                         instance C: 0.2 (the value at index 100 of 200 sorted descending)
 *   hole/000   anomalous  mask: D x 0..9 y 246..255 (100 px); map: 0.05 everywhere       score 0.05
 *                         instance D: 0.05
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type Database from 'better-sqlite3'
import sharp from 'sharp'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { loadGroundTruth } from '../../src/main/engine/evaluation/test-split'
import { encodeNpy } from '../../src/main/engine/io/npy'
import { evaluateCategory, predictionTo256, type EvalSample } from '../../src/main/engine/metrics'
import { openDatabase } from '../../src/main/store/db'
import { insertEvaluation } from '../../src/main/store/repositories/results.repo'
import { writeImage } from '../helpers/images'

const S = 256

interface Rect {
  x0: number
  x1: number
  y0: number
  y1: number
}

function fill(target: Float32Array | Uint8Array, r: Rect, value: number, size = S): void {
  for (let y = r.y0; y <= r.y1; y++) for (let x = r.x0; x <= r.x1; x++) target[y * size + x] = value
}

async function writeMaskRects(path: string, rects: Rect[]): Promise<void> {
  const data = new Uint8Array(S * S)
  for (const r of rects) fill(data, r, 255)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, await sharp(Buffer.from(data), { raw: { width: S, height: S, channels: 1 } }).png().toBuffer())
}

export const RECTS = {
  A: { x0: 10, x1: 19, y0: 10, y1: 19 },
  B: { x0: 100, x1: 119, y0: 100, y1: 109 },
  C: { x0: 50, x1: 59, y0: 50, y1: 69 },
  D: { x0: 0, x1: 9, y0: 246, y1: 255 },
  goodBlob: { x0: 20, x1: 29, y0: 20, y1: 29 },
  crackBlob: { x0: 200, x1: 209, y0: 200, y1: 209 }
} satisfies Record<string, Rect>

/** float32 of a value, as the maps hold it. */
export const f = Math.fround

interface FixtureImage {
  rel: string
  defect: string
  masks: Rect[]
  /** [size*size] */
  map: Float32Array
  size: number
}

function fixtureImages(): FixtureImage[] {
  const map = (): Float32Array => new Float32Array(S * S)
  const good0 = map()
  fill(good0, RECTS.goodBlob, 0.9)
  const good1 = new Float32Array(64 * 64).fill(0.1)
  const crack0 = map()
  fill(crack0, RECTS.A, 0.8)
  fill(crack0, RECTS.B, 0.2)
  fill(crack0, RECTS.crackBlob, 0.7)
  const crack1 = map()
  fill(crack1, { x0: 50, x1: 59, y0: 50, y1: 59 }, 0.6)
  fill(crack1, { x0: 50, x1: 59, y0: 60, y1: 69 }, 0.2)
  fill(crack1, { x0: 60, x1: 64, y0: 50, y1: 54 }, 0.55)
  const hole0 = map().fill(0.05)
  return [
    { rel: 'good/000', defect: 'good', masks: [], map: good0, size: S },
    { rel: 'good/001', defect: 'good', masks: [], map: good1, size: 64 },
    { rel: 'crack/000', defect: 'crack', masks: [RECTS.A, RECTS.B], map: crack0, size: S },
    { rel: 'crack/001', defect: 'crack', masks: [RECTS.C], map: crack1, size: S },
    { rel: 'hole/000', defect: 'hole', masks: [RECTS.D], map: hole0, size: S }
  ]
}

export interface ReviewFixture {
  db: Database.Database
  dataDir: string
  categoryId: number
  evaluationId: number
  /** image id by 'good/000', 'crack/001', ... */
  ids: Record<string, number>
  iap90Threshold: number
}

/** Builds the category under `root`, imports it and stores the evaluation. */
export async function makeReviewFixture(root: string): Promise<ReviewFixture> {
  const category = join(root, 'parts')
  const images = fixtureImages()
  for (let i = 0; i < 2; i++) await writeImage(join(category, 'train/good', `${i}.png`), { width: S, height: S, seed: i })
  let seed = 10
  for (const im of images) {
    await writeImage(join(category, 'test', `${im.rel}.png`), { width: S, height: S, seed: seed++ })
    if (im.masks.length > 0) await writeMaskRects(join(category, 'ground_truth', `${im.rel}_mask.png`), im.masks)
  }
  const dataDir = join(root, 'data')
  const db = openDatabase(join(dataDir, 'destseg.sqlite'))
  const datasets = new DatasetService(db, { dataDir })
  const outcome = await datasets.import({ folder: category })
  const categoryId = datasets.get(outcome.dataset_id!).categories[0].id

  const mapsDir = join(dataDir, 'evaluations', 'fixture')
  const ids: Record<string, number> = {}
  const samples: EvalSample[] = []
  const rows: Array<{ image_id: number; map_path: string; score: number }> = []
  for (const im of images) {
    const path = join(category, 'test', `${im.rel}.png`)
    const row = db.prepare<[string], { id: number }>('SELECT id FROM images WHERE path = ?').get(path)
    if (!row) throw new Error(`fixture: ${path} was not imported`)
    ids[im.rel] = row.id
    const mapPath = join(mapsDir, `${im.rel}.npy`)
    mkdirSync(dirname(mapPath), { recursive: true })
    writeFileSync(mapPath, encodeNpy(im.map, [im.size, im.size]))
    const gt = im.masks.length > 0 ? await loadGroundTruth(join(category, 'ground_truth', `${im.rel}_mask.png`)) : null
    samples.push({ path, defect: im.defect, gt, map: predictionTo256(im.map, im.size, im.size) })
    rows.push({ image_id: row.id, map_path: mapPath, score: 0 })
  }
  const report = evaluateCategory(samples)
  report.per_image.forEach((r, i) => (rows[i].score = r.score))
  const evaluationId = insertEvaluation(
    db,
    {
      run_id: null,
      category_id: categoryId,
      model_path: join(root, 'model.onnx'),
      created_at: '2026-01-01T00:00:00.000Z',
      image_auroc: report.image_auroc,
      pixel_auroc: report.pixel_auroc,
      pixel_ap: report.pixel_ap,
      iap: report.iap,
      iap90: report.iap90,
      iap90_threshold: report.iap90_threshold,
      aupro: report.aupro,
      images: report.images,
      instances: report.instances,
      ms_per_image: null,
      report,
      maps_dir: mapsDir
    },
    rows
  )
  return { db, dataDir, categoryId, evaluationId, ids, iap90Threshold: report.iap90_threshold as number }
}
