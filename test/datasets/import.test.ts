import type Database from 'better-sqlite3'
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { UserError } from '../../src/common/ipc/errors'
import type { ImportOutcome } from '../../src/common/types/datasets'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { openDatabase } from '../../src/main/store/db'
import { dumpDatabase, makeMvtecCategory, makePlainDataset, tempDirs } from '../helpers/fixtures'
import { encode, truncateFile, writeBytes, writeImage, writeMask } from '../helpers/images'

const tempDir = tempDirs()
let db: Database.Database
let service: DatasetService

beforeEach(() => {
  const dir = tempDir()
  db = openDatabase(join(dir, 'app.sqlite'))
  service = new DatasetService(db, { dataDir: dir })
  return () => db.close()
})

const imageRows = (): { rel_path: string; split: string; defect_type: string; label: number }[] =>
  db
    .prepare<[], { rel_path: string; split: string; defect_type: string; label: number }>(
      'SELECT rel_path, split, defect_type, label FROM images ORDER BY rel_path'
    )
    .all()

/** Imports `folder` expecting a rejection and checks that nothing at all was written. */
async function expectRejected(folder: string, reasons: Record<string, RegExp>): Promise<ImportOutcome> {
  const before = dumpDatabase(db)
  const outcome = await service.import({ folder })
  expect(outcome.dataset_id).toBeNull()
  expect(outcome.message).toMatch(/Nothing imported/)
  expect(outcome.rejected.map((r) => r.path).sort()).toEqual(Object.keys(reasons).sort())
  for (const r of outcome.rejected) expect(r.reason, r.path).toMatch(reasons[r.path])
  expect(dumpDatabase(db)).toEqual(before)
  return outcome
}

describe('import: MVTec AD layout', () => {
  it('imports a category with counts, labels and masks', async () => {
    const root = join(tempDir(), 'bottle')
    await makeMvtecCategory(root)
    writeFileSync(join(root, 'readme.txt'), 'ignored')
    writeFileSync(join(root, 'train/good/.DS_Store'), 'ignored')
    const progress: string[] = []
    const outcome = await service.import({ folder: root }, (p) => progress.push(p.label))
    expect(outcome.rejected).toEqual([])
    expect(outcome.dataset_id).toBeTypeOf('number')
    expect(outcome.categories).toEqual([
      { name: 'bottle', train_good: 4, test_good: 2, test_anomalous: 3, masks: 3, defect_types: ['crack', 'hole'] }
    ])
    expect(progress).toContain('Checking images')
    const summary = service.get(outcome.dataset_id!)
    expect(summary).toMatchObject({ name: 'bottle', root, layout: 'mvtec' })
    expect(summary.categories[0].by_split_defect).toEqual({
      'train/good': 4,
      'test/good': 2,
      'test/crack': 2,
      'test/hole': 1
    })
    expect(
      imageRows()
        .filter((r) => r.defect_type !== 'good')
        .every((r) => r.label === 1)
    ).toBe(true)
    expect(
      imageRows()
        .filter((r) => r.defect_type === 'good')
        .every((r) => r.label === 0)
    ).toBe(true)
    const masks = db
      .prepare<[], { positive_pixels: number; width: number }>('SELECT positive_pixels, width FROM masks ORDER BY path')
      .all()
    expect(masks).toEqual([
      { positive_pixels: 1, width: 32 },
      { positive_pixels: 2, width: 32 },
      { positive_pixels: 1, width: 32 }
    ])
  })

  it('imports a root holding several categories, in mixed formats', async () => {
    const root = tempDir()
    await makeMvtecCategory(join(root, 'cable'), { ext: 'bmp' })
    await makeMvtecCategory(join(root, 'screw'), { ext: 'tiff', defects: { scratch: 1 } })
    await makeMvtecCategory(join(root, 'grid'), { ext: 'JPG', defects: {} })
    writeBytes(join(root, 'notes', 'x.png'), Buffer.from('not a category'))
    const outcome = await service.import({ folder: root, name: 'mixed' })
    expect(outcome.rejected).toEqual([])
    expect(outcome.categories.map((c) => [c.name, c.train_good, c.test_anomalous, c.masks])).toEqual([
      ['cable', 4, 3, 3],
      ['grid', 4, 0, 0],
      ['screw', 4, 1, 1]
    ])
    const formats = db.prepare<[], { format: string }>('SELECT DISTINCT format FROM images ORDER BY format').all()
    expect(formats.map((f) => f.format)).toEqual(['bmp', 'jpeg', 'tiff'])
    expect(service.get(outcome.dataset_id!).name).toBe('mixed')
  })

  it('reports the same folder twice and writes nothing', async () => {
    const root = join(tempDir(), 'bottle')
    await makeMvtecCategory(root)
    const first = await service.import({ folder: root })
    const before = dumpDatabase(db)
    const again = await service.import({ folder: join(root, '..', 'bottle') })
    expect(again.dataset_id).toBeNull()
    expect(again.existing_dataset_id).toBe(first.dataset_id)
    expect(again.message).toMatch(/already imported.*Re-scan/)
    const link = join(tempDir(), 'link')
    symlinkSync(root, link)
    expect((await service.import({ folder: link })).existing_dataset_id).toBe(first.dataset_id)
    expect(dumpDatabase(db)).toEqual(before)
  })

  it('suffixes a clashing folder name, and refuses a clashing explicit name', async () => {
    const a = join(tempDir(), 'bottle')
    const b = join(tempDir(), 'bottle')
    await makeMvtecCategory(a, { defects: {} })
    await makeMvtecCategory(b, { defects: {} })
    await service.import({ folder: a })
    const second = await service.import({ folder: b })
    expect(service.get(second.dataset_id!).name).toBe('bottle (2)')
    const c = join(tempDir(), 'other')
    await makeMvtecCategory(c, { defects: {} })
    const before = dumpDatabase(db)
    await expect(service.import({ folder: c, name: 'bottle' })).rejects.toThrow(/named "bottle" already exists/)
    expect(dumpDatabase(db)).toEqual(before)
  })
})

describe('import: mask bounding boxes', () => {
  /** A 32x24 mask with the given pixel values (all others 0), in 1 (grey) or 3 (grey as RGB) channels. */
  async function handMadeMask(path: string, pixels: [x: number, y: number, value: number][], channels: 1 | 3 = 1): Promise<void> {
    const data = Buffer.alloc(32 * 24 * channels)
    for (const [x, y, value] of pixels) data.fill(value, (y * 32 + x) * channels, (y * 32 + x + 1) * channels)
    writeBytes(path, await encode(data, 32, 24, channels, 'png'))
  }

  it('stores the box of the pixels >= 128, null for an empty mask or none, and gives it with the dataset id', async () => {
    const root = join(tempDir(), 'bottle')
    await makeMvtecCategory(root, { defects: { crack: 3 } })
    const crack = (i: number): string => join(root, 'ground_truth/crack', `00${i}_mask.png`)
    // 127 is below the threshold and lies outside the box; 128 counts.
    const pixels: [number, number, number][] = [[5, 3, 255], [20, 10, 200], [7, 15, 128], [30, 20, 127], [31, 0, 60]]
    await handMadeMask(crack(0), pixels)
    await handMadeMask(crack(1), pixels, 3)
    await handMadeMask(crack(2), [[30, 20, 127]])
    const outcome = await service.import({ folder: root })
    expect(outcome.rejected).toEqual([])
    const datasetId = outcome.dataset_id!

    const page = service.images({ datasetId, limit: 1000 })
    expect(page.images.every((i) => i.dataset_id === datasetId)).toBe(true)
    const detailOf = (rel: string): ReturnType<DatasetService['image']> =>
      service.image(page.images.find((i) => i.rel_path === rel)!.id)
    for (const rel of ['test/crack/000.png', 'test/crack/001.png']) {
      expect(detailOf(rel), rel).toMatchObject({ dataset_id: datasetId, mask_pixels: 3, mask_bbox: [5, 3, 16, 13] })
    }
    expect(detailOf('test/crack/002.png')).toMatchObject({ has_mask: true, mask_pixels: 0, mask_bbox: null })
    expect(detailOf('train/good/000.png')).toMatchObject({ dataset_id: datasetId, has_mask: false, mask_bbox: null })
    const stored = db
      .prepare<[], { bbox_x: number | null; bbox_y: number | null; bbox_w: number | null; bbox_h: number | null }>(
        'SELECT bbox_x, bbox_y, bbox_w, bbox_h FROM masks ORDER BY path'
      )
      .all()
    expect(stored).toEqual([
      { bbox_x: 5, bbox_y: 3, bbox_w: 16, bbox_h: 13 },
      { bbox_x: 5, bbox_y: 3, bbox_w: 16, bbox_h: 13 },
      { bbox_x: null, bbox_y: null, bbox_w: null, bbox_h: null }
    ])
  })
})

describe('import: bad input writes nothing', () => {
  it('throws UserError for a missing folder or an unknown layout', async () => {
    const before = dumpDatabase(db)
    await expect(service.import({ folder: join(tempDir(), 'nope') })).rejects.toThrow(UserError)
    await expect(service.import({ folder: join(tempDir(), 'nope') })).rejects.toThrow(/Folder not found/)
    const empty = tempDir()
    writeBytes(join(empty, 'pictures', 'a.png'), Buffer.from('x'))
    await expect(service.import({ folder: empty })).rejects.toThrow(
      /No train\/good or test\/ folder in .*expected MVTec AD layout .* or plain layout \(normal\/, anomalous\//
    )
    expect(dumpDatabase(db)).toEqual(before)
  })

  it('rejects an orphan mask', async () => {
    const root = tempDir()
    await makeMvtecCategory(root)
    const orphan = join(root, 'ground_truth/crack/099_mask.png')
    await writeMask(orphan)
    await expectRejected(root, { [orphan]: /mask without an image: no image .*\/test\/crack\/099\.\* found/ })
  })

  it('rejects a mask whose size differs from its image, naming both sizes', async () => {
    const root = tempDir()
    await makeMvtecCategory(root)
    const mask = join(root, 'ground_truth/crack/000_mask.png')
    await writeMask(mask, 30, 20)
    await expectRejected(root, { [mask]: /mask is 30x20 but its image is 32x24/ })
  })

  it('rejects a colour mask', async () => {
    const root = tempDir()
    await makeMvtecCategory(root)
    const mask = join(root, 'ground_truth/hole/000_mask.png')
    await writeImage(mask, { channels: 3 })
    await expectRejected(root, { [mask]: /colour image.*single-channel/ })
  })

  it('rejects a truncated PNG (and its mask) and a zero-byte file', async () => {
    const root = tempDir()
    await makeMvtecCategory(root, { width: 96, height: 96 })
    const corrupt = join(root, 'test/crack/000.png')
    truncateFile(corrupt, readFileSync(corrupt))
    const empty = join(root, 'train/good/001.png')
    writeFileSync(empty, '')
    await expectRejected(root, {
      [corrupt]: /unreadable or corrupt image/,
      [join(root, 'ground_truth/crack/000_mask.png')]: /its image 000\.png was rejected/,
      [empty]: /empty file \(0 bytes\)/
    })
  })

  it('rejects images outside class folders', async () => {
    const root = tempDir()
    await makeMvtecCategory(root, { defects: {} })
    await writeImage(join(root, 'test', 'loose.png'))
    await writeImage(join(root, 'train', 'bad', 'x.png'))
    await expectRejected(root, {
      [join(root, 'test', 'loose.png')]: /directly in test\//,
      [join(root, 'train', 'bad', 'x.png')]: /must be in train\/good/
    })
  })

  it('stops on abort and writes nothing', async () => {
    const root = tempDir()
    await makeMvtecCategory(root)
    const before = dumpDatabase(db)
    const controller = new AbortController()
    const promise = service.import(
      { folder: root },
      (p) => {
        if (p.done === 2) controller.abort()
      },
      controller.signal
    )
    await expect(promise).rejects.toThrow(/abort/i)
    expect(dumpDatabase(db)).toEqual(before)
  })
})

describe('import: skipRejected', () => {
  it('imports the good files and lists the rejected', async () => {
    const root = tempDir()
    await makeMvtecCategory(root)
    const orphan = join(root, 'ground_truth/hole/042_mask.png')
    await writeMask(orphan)
    const mismatched = join(root, 'ground_truth/crack/001_mask.png')
    await writeMask(mismatched, 8, 8)
    const outcome = await service.import({ folder: root, skipRejected: true })
    expect(outcome.dataset_id).toBeTypeOf('number')
    expect(outcome.rejected.map((r) => r.path)).toEqual([mismatched, orphan])
    expect(outcome.message).toMatch(/skipped 2 rejected files/)
    // The image of the mismatched mask is kept, without a mask.
    expect(outcome.categories[0]).toMatchObject({ test_anomalous: 3, masks: 2 })
  })
})

describe('import: plain layout', () => {
  it('splits normal images by the every-5th rule and pairs masks by either name', async () => {
    const root = join(tempDir(), 'widgets')
    await makePlainDataset(root, 10, 2)
    const outcome = await service.import({ folder: root })
    expect(outcome.rejected).toEqual([])
    expect(outcome.categories).toEqual([
      { name: 'widgets', train_good: 8, test_good: 2, test_anomalous: 2, masks: 2, defect_types: ['anomalous'] }
    ])
    const testGood = imageRows().filter((r) => r.split === 'test' && r.defect_type === 'good')
    expect(testGood.map((r) => r.rel_path)).toEqual(['normal/n04.png', 'normal/n09.png'])
    expect(service.get(outcome.dataset_id!).layout).toBe('plain')
  })

  it('rejects a mask without an anomalous image', async () => {
    const root = join(tempDir(), 'widgets')
    await makePlainDataset(root, 5, 1)
    const orphan = join(root, 'masks', 'n00_mask.png')
    await writeMask(orphan)
    await expectRejected(root, { [orphan]: /mask without an image: no image .*\/anomalous\/n00\.\* found/ })
  })

  it('imports an anomalous folder alone, and mask-less anomalies', async () => {
    const root = join(tempDir(), 'only')
    await writeImage(join(root, 'anomalous', 'a.png'))
    const outcome = await service.import({ folder: root })
    expect(outcome.categories[0]).toMatchObject({ train_good: 0, test_anomalous: 1, masks: 0 })
  })
})
