/** The label service: relabel, mask versions (save, reload, restore), feedback, revisions, the test list. */
import type Database from 'better-sqlite3'
import { existsSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { trainingImages } from '../../src/main/engine/data/files'
import { beforeEach, describe, expect, it } from 'vitest'
import { decodeMaskRle, encodeMaskRle, maskStats } from '../../src/common/labels/mask-rle'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { LabelService } from '../../src/main/labels/label-service'
import { readBinaryMask } from '../../src/main/labels/mask-files'
import { openDatabase } from '../../src/main/store/db'
import { countSplitDefects, queryImages } from '../../src/main/store/repositories/datasets.repo'
import { insertEvaluation } from '../../src/main/store/repositories/results.repo'
import { makeMvtecCategory, tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()

interface Setup {
  db: Database.Database
  labels: LabelService
  dataDir: string
  root: string
  categoryId: number
  imageId: (relPath: string) => number
}

async function setup(): Promise<Setup> {
  const dataDir = tempDir()
  const root = join(tempDir(), 'widget')
  await makeMvtecCategory(root) // 4 train, 2 test good, crack 2, hole 1; 32x24
  const db = openDatabase(join(dataDir, 'db.sqlite'))
  const outcome = await new DatasetService(db, { dataDir }).import({ folder: root })
  const categoryId = (db.prepare('SELECT id FROM categories').get() as { id: number }).id
  expect(outcome.dataset_id).not.toBeNull()
  const imageId = (relPath: string): number => (db.prepare('SELECT id FROM images WHERE rel_path = ?').get(relPath) as { id: number }).id
  return { db, labels: new LabelService(db, { dataDir }), dataDir, root, categoryId, imageId }
}

function storeEvaluation(db: Database.Database, categoryId: number): number {
  return insertEvaluation(
    db,
    {
      run_id: null,
      category_id: categoryId,
      model_path: '/m.onnx',
      created_at: new Date().toISOString(),
      image_auroc: 1,
      pixel_auroc: 1,
      pixel_ap: 1,
      iap: 1,
      iap90: 1,
      iap90_threshold: 0.5,
      aupro: 1,
      images: 0,
      instances: 0,
      ms_per_image: 1,
      report: {},
      maps_dir: '/maps'
    },
    []
  )
}

describe('mask run-length encoding', () => {
  it('round-trips, starts with a 0-run and measures the box', () => {
    const pixels = new Uint8Array([1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 1, 1])
    const rle = encodeMaskRle(pixels, 4, 3)
    expect(rle.counts).toEqual([0, 2, 3, 1, 2, 4])
    expect(Array.from(decodeMaskRle(rle))).toEqual(Array.from(pixels))
    expect(maskStats(pixels, 4, 3)).toEqual({ positive: 7, bbox: [0, 0, 4, 3] })
    expect(() => decodeMaskRle({ width: 4, height: 3, counts: [5] })).toThrow(/cover 5 of 12/)
  })
})

describe('label service', () => {
  let s: Setup
  beforeEach(async () => {
    s = await setup()
  })

  it('saves mask versions in the label folder, reloads them and restores an older one', async () => {
    const id = s.imageId('test/crack/000.png')
    const before = s.labels.get(id)
    expect(before.versions.map((v) => v.version)).toEqual([0])
    expect(before.mask.path).toBe(join(s.root, 'ground_truth/crack/000_mask.png'))
    const original = readFileSync(before.mask.path!)

    const pixels = new Uint8Array(32 * 24)
    for (let y = 5; y < 10; y++) pixels.fill(1, y * 32 + 3, y * 32 + 9) // 6x5 box at (3, 5)
    const saved = await s.labels.saveMask({ imageId: id, mask: encodeMaskRle(pixels, 32, 24), note: 'tighter' })
    expect(saved.mask).toMatchObject({ version: 1, note: 'tighter', positive_pixels: 30, bbox: [3, 5, 6, 5], restored_from: null })
    expect(saved.mask.path!.startsWith(join(s.dataDir, 'labels'))).toBe(true)
    expect(saved.revision).toBe(1)
    expect(readFileSync(before.mask.path!)).toEqual(original) // the user's file is untouched
    const reloaded = await s.labels.mask(id)
    expect(Array.from(decodeMaskRle(reloaded!))).toEqual(Array.from(pixels))
    expect(Array.from((await readBinaryMask(saved.mask.path!)).pixels)).toEqual(Array.from(pixels))

    const restored = s.labels.restoreMask({ imageId: id, version: 0 })
    expect(restored.mask).toMatchObject({ version: 2, restored_from: 0, path: before.mask.path, note: 'restored version 0' })
    expect(restored.versions.map((v) => v.version)).toEqual([0, 1, 2])
    expect((await s.labels.mask(id, 1))!.counts).toEqual(reloaded!.counts)
    expect(s.labels.testImages(s.categoryId).find((t) => t.path.endsWith('crack/000.png'))!.maskPath).toBe(before.mask.path)

    const none = await s.labels.saveMask({ imageId: id, mask: null, note: 'image-level only' })
    expect(none.mask.path).toBeNull()
    expect(await s.labels.mask(id)).toBeNull()
    expect(s.labels.testImages(s.categoryId).find((t) => t.path.endsWith('crack/000.png'))).toMatchObject({ label: 1, maskPath: null })
    await expect(s.labels.saveMask({ imageId: id, mask: encodeMaskRle(new Uint8Array(4), 2, 2) })).rejects.toThrow(/same size/)
  })

  it('relabels between good and defect types, creating new ones, and keeps the test list current', () => {
    const good = s.imageId('test/good/000.png')
    const changed = s.labels.relabel({ imageId: good, defectType: 'scratch', note: 'seen on the bench' })
    expect(changed).toMatchObject({ split: 'test', defect_type: 'scratch', label: 1, source: 'relabel', note: 'seen on the bench' })
    expect(changed.imported).toEqual({ split: 'test', defect_type: 'good', label: 0 })
    expect(changed.defect_types).toEqual(['crack', 'hole', 'scratch'])
    expect(changed.mask.path).toBeNull() // a defect without a mask: an image-level label
    const test = s.labels.testImages(s.categoryId).find((t) => t.path.endsWith('test/good/000.png'))!
    expect(test).toMatchObject({ defect: 'scratch', label: 1, maskPath: null, stem: 'test__good__000' })

    expect(() => s.labels.relabel({ imageId: good, defectType: 'scratch', split: 'train' })).toThrow(/training uses normal images/)
    expect(() => s.labels.relabel({ imageId: good, defectType: '../x' })).toThrow(/cannot be a defect type/)
    const back = s.labels.relabel({ imageId: good, defectType: 'good' })
    expect(back).toMatchObject({ split: 'test', defect_type: 'good', label: 0 })
    expect(s.labels.relabel({ imageId: good, defectType: 'good' }).revision).toBe(back.revision) // no change, no revision
    expect(s.labels.addDefectType({ categoryId: s.categoryId, name: 'dent' })).toEqual(['crack', 'dent', 'hole', 'scratch'])
    expect(() => s.labels.addDefectType({ categoryId: s.categoryId, name: 'good' })).toThrow(/normal label/)
  })

  it('shows the current labels in the image viewer and orders its neighbours by them', () => {
    const datasets = new DatasetService(s.db, { dataDir: s.dataDir })
    const id = s.imageId('test/good/001.png')
    // test order: crack/000, crack/001, good/000, good/001, hole/000; as 'dent' the image sits after crack
    s.labels.relabel({ imageId: id, defectType: 'dent' })
    const detail = datasets.image(id)
    expect(detail).toMatchObject({ split: 'test', defect_type: 'dent', label: 1 })
    expect(detail.prev_id).toBe(s.imageId('test/crack/001.png'))
    expect(detail.next_id).toBe(s.imageId('test/good/000.png'))
    expect(datasets.image(s.imageId('test/crack/001.png')).next_id).toBe(id)
  })

  it('shows the current labels in the gallery and the dataset counts', () => {
    const id = s.imageId('test/good/001.png')
    const datasetId = (s.db.prepare('SELECT dataset_id FROM images WHERE id = ?').get(id) as { dataset_id: number }).dataset_id
    const count = (defect: string): { images: number; masks: number } | undefined =>
      countSplitDefects(s.db, datasetId).find((c) => c.split === 'test' && c.defect_type === defect)
    const goodBefore = count('good')!.images
    s.labels.relabel({ imageId: id, defectType: 'dent' })
    const page = queryImages(s.db, { datasetId, defectType: 'dent', offset: 0, limit: 10 })
    expect(page.images).toMatchObject([{ id, split: 'test', defect_type: 'dent', label: 1, has_mask: false }])
    expect(count('dent')).toMatchObject({ images: 1, masks: 0 })
    expect(count('good')!.images).toBe(goodBefore - 1)
    s.labels.relabel({ imageId: id, defectType: 'good' })
    expect(queryImages(s.db, { datasetId, defectType: 'dent', offset: 0, limit: 10 }).total).toBe(0)
  })

  it('feedback: a false alarm joins the training set, a true defect the test set', async () => {
    const good = s.imageId('test/good/001.png')
    expect(s.labels.trainingImages(s.categoryId)).toHaveLength(4)
    expect(s.labels.trainingFolder(s.categoryId)).toBe(s.root)
    const alarm = s.labels.feedback({ imageId: good, verdict: 'false_alarm' })
    expect(alarm).toMatchObject({ split: 'train', defect_type: 'good', label: 0, source: 'false_alarm' })
    expect(s.labels.trainingImages(s.categoryId)).toHaveLength(5)
    // what the trainer reads (engine/data/files trainingImages): train/good of the folder, 001.png twice under two names
    const folder = s.labels.trainingFolder(s.categoryId)
    expect(folder.startsWith(join(s.dataDir, 'labels'))).toBe(true)
    const files = await trainingImages(folder)
    expect(files.map((f) => basename(f))).toEqual(['000.png', '001.png', '002.png', '003.png', 'test_good_001.png'])
    expect(readFileSync(files[4])).toEqual(readFileSync(join(s.root, 'test/good/001.png')))
    expect(s.labels.trainingFolder(s.categoryId)).toBe(folder)
    expect(s.labels.testImages(s.categoryId)).toHaveLength(4)
    expect(() => s.labels.feedback({ imageId: s.imageId('test/crack/001.png'), verdict: 'false_alarm' })).toThrow(/relabel it as good first/)

    const other = s.imageId('test/good/000.png')
    const defect = s.labels.feedback({ imageId: other, verdict: 'true_defect', defectType: 'crack' })
    expect(defect).toMatchObject({ split: 'test', defect_type: 'crack', label: 1, source: 'true_defect' })
  })

  it('records the labels revision on evaluations and says when labels changed since', async () => {
    expect(s.labels.status(s.categoryId)).toMatchObject({ revision: 0, evaluation_id: null, changed: false })
    const first = storeEvaluation(s.db, s.categoryId)
    expect(s.labels.status(s.categoryId)).toMatchObject({ evaluation_id: first, evaluation_revision: 0, changed: false })
    s.labels.relabel({ imageId: s.imageId('test/good/000.png'), defectType: 'crack' })
    await s.labels.saveMask({ imageId: s.imageId('test/crack/000.png'), mask: encodeMaskRle(new Uint8Array(32 * 24).fill(1), 32, 24) })
    expect(s.labels.status(s.categoryId, first)).toMatchObject({ revision: 2, evaluation_revision: 0, changes_since: 2, changed: true })
    const second = storeEvaluation(s.db, s.categoryId)
    expect(s.labels.status(s.categoryId)).toMatchObject({ evaluation_id: second, evaluation_revision: 2, changes_since: 0, changed: false })
    expect(s.labels.status(s.categoryId, first).changed).toBe(true)
  })

  it('removes its rows with the dataset and never writes into the dataset folder', async () => {
    const id = s.imageId('test/hole/000.png')
    const saved = await s.labels.saveMask({ imageId: id, mask: encodeMaskRle(new Uint8Array(32 * 24), 32, 24) })
    expect(saved.mask.positive_pixels).toBe(0)
    expect(existsSync(saved.mask.path!)).toBe(true)
    expect(saved.mask.path!.startsWith(s.root)).toBe(false)
    s.db.prepare('DELETE FROM datasets').run()
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM mask_versions').get()).toEqual({ n: 0 })
  })
})
