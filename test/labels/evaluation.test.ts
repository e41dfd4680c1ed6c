/**
 * Evaluation uses the latest labels: the same maps scored before and after a mask edit, against
 * the label service's test list, change exactly as computed by hand.
 *
 * Two 256x256 test images (no resizing in the protocol): a good one with the map 0 everywhere, and a
 * crack whose map is 0.9 in the top-left quadrant A and 0.5 elsewhere.
 * - imported mask A: the 16384 positives all score 0.9 above every negative: pixel AUROC 1, AP 1.
 * - edited mask A + the top-right quadrant B: positives 16384 at 0.9 and 16384 at 0.5; negatives
 *   32768 at 0.5 (the crack's lower half) and 65536 at 0 (the good image).
 *   AUROC = 1/2 * 1 + 1/2 * (P(0.5 > neg) + 1/2 P(tie)) = 1/2 + 1/2 * (2/3 + 1/6) = 11/12.
 *   AP = sum over thresholds of (recall step) * precision = 0.5 * 1 + 0.5 * (32768 / 65536) = 0.75.
 * Image AUROC stays 1 (scores 0 and 0.9).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { encodeMaskRle } from '../../src/common/labels/mask-rle'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { evaluateMapsFolder } from '../../src/main/engine/evaluation/evaluate-maps'
import { mapPathOf } from '../../src/main/engine/evaluation/map-folder'
import { encodeNpy } from '../../src/main/engine/io/npy'
import { LabelService } from '../../src/main/labels/label-service'
import { openDatabase } from '../../src/main/store/db'
import { insertEvaluation } from '../../src/main/store/repositories/results.repo'
import { tempDirs } from '../helpers/fixtures'
import { writeImage } from '../helpers/images'

const tempDir = tempDirs()
const S = 256

/** 0/1 pixels of the quadrants given (tl, tr, bl, br). */
function quadrants(...which: ('tl' | 'tr' | 'bl' | 'br')[]): Uint8Array {
  const out = new Uint8Array(S * S)
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const q = `${y < S / 2 ? 't' : 'b'}${x < S / 2 ? 'l' : 'r'}` as 'tl'
      if (which.includes(q)) out[y * S + x] = 1
    }
  return out
}

describe('evaluation before and after a mask edit', () => {
  it('changes pixel AUROC from 1 to 11/12 and pixel AP from 1 to 0.75', async () => {
    const root = join(tempDir(), 'part')
    const dataDir = tempDir()
    await writeImage(join(root, 'train/good/000.png'), { width: S, height: S, seed: 1 })
    await writeImage(join(root, 'test/good/000.png'), { width: S, height: S, seed: 2 })
    await writeImage(join(root, 'test/crack/000.png'), { width: S, height: S, seed: 3 })
    const maskA = Buffer.from(quadrants('tl').map((v) => v * 255))
    mkdirSync(join(root, 'ground_truth/crack'), { recursive: true })
    await sharp(maskA, { raw: { width: S, height: S, channels: 1 } }).png().toFile(join(root, 'ground_truth/crack/000_mask.png'))

    const db = openDatabase(join(dataDir, 'db.sqlite'))
    await new DatasetService(db, { dataDir }).import({ folder: root })
    const categoryId = (db.prepare('SELECT id FROM categories').get() as { id: number }).id
    const crackId = (db.prepare("SELECT id FROM images WHERE rel_path = 'test/crack/000.png'").get() as { id: number }).id
    const labels = new LabelService(db, { dataDir })

    const mapsDir = join(tempDir(), 'maps')
    const tests = labels.testImages(categoryId)
    expect(tests.map((t) => [t.defect, t.stem, t.label])).toEqual([
      ['crack', '000', 1],
      ['good', '000', 0]
    ])
    for (const t of tests) {
      const map = new Float32Array(S * S)
      if (t.defect === 'crack') quadrants('tl').forEach((a, i) => (map[i] = a ? 0.9 : 0.5))
      const path = mapPathOf(mapsDir, t)
      mkdirSync(dirname(path), { recursive: true })
      writeFileSync(path, encodeNpy(map, [S, S]))
    }

    const before = await evaluateMapsFolder(root, mapsDir, { tests: labels.testImages(categoryId) })
    expect(before.report.image_auroc).toBe(1)
    expect(before.report.pixel_auroc).toBeCloseTo(1, 12)
    expect(before.report.pixel_ap).toBeCloseTo(1, 12)

    await labels.saveMask({ imageId: crackId, mask: encodeMaskRle(quadrants('tl', 'tr'), S, S), note: 'the crack runs on' })
    const after = await evaluateMapsFolder(root, mapsDir, { tests: labels.testImages(categoryId) })
    expect(after.report.image_auroc).toBe(1)
    expect(after.report.pixel_auroc).toBeCloseTo(11 / 12, 12)
    expect(after.report.pixel_ap).toBeCloseTo(0.75, 12)

    // a stored evaluation of these maps, scored again against the current labels
    const stored = insertEvaluation(
      db,
      { run_id: null, category_id: categoryId, model_path: '/m.onnx', created_at: new Date().toISOString(), image_auroc: 1, pixel_auroc: 1,
        pixel_ap: 1, iap: 1, iap90: 1, iap90_threshold: 0.5, aupro: 1, images: 2, instances: 1, ms_per_image: null, report: before.report, maps_dir: mapsDir },
      tests.map((t) => ({
        image_id: (db.prepare('SELECT id FROM images WHERE path = ?').get(t.path) as { id: number }).id,
        score: t.defect === 'crack' ? 0.9 : 0,
        map_path: mapPathOf(mapsDir, t)
      }))
    )
    expect(labels.status(categoryId, stored)).toMatchObject({ evaluation_revision: 1, changed: false })
    await labels.saveMask({ imageId: crackId, mask: encodeMaskRle(quadrants('tl'), S, S), note: 'back to A' })
    expect(labels.status(categoryId, stored).changed).toBe(true)
    await labels.saveMask({ imageId: crackId, mask: encodeMaskRle(quadrants('tl', 'tr'), S, S) })
    const again = await labels.reevaluate(stored)
    expect(again).toMatchObject({ from_evaluation_id: stored, images: 2, skipped: 0, labels_revision: 3 })
    const row = db.prepare('SELECT pixel_auroc, pixel_ap, labels_revision FROM evaluations WHERE id = ?').get(again.evaluation_id)
    expect(row).toEqual({ pixel_auroc: expect.closeTo(11 / 12, 12), pixel_ap: expect.closeTo(0.75, 12), labels_revision: 3 })
    expect(labels.status(categoryId).changed).toBe(false)

    // the folder itself still says A: without the label list the result is the old one
    const folder = await evaluateMapsFolder(root, mapsDir)
    expect(folder.report.pixel_auroc).toBeCloseTo(1, 12)
    db.close()
  })
})
