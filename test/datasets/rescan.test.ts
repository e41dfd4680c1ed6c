import type Database from 'better-sqlite3'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { openDatabase } from '../../src/main/store/db'
import { dumpDatabase, makeMvtecCategory, makePlainDataset, tempDirs } from '../helpers/fixtures'
import { truncateFile, writeImage, writeMask } from '../helpers/images'

const tempDir = tempDirs()
let db: Database.Database
let service: DatasetService

beforeEach(() => {
  const dir = tempDir()
  db = openDatabase(join(dir, 'app.sqlite'))
  service = new DatasetService(db, { dataDir: dir })
  return () => db.close()
})

const idOf = (path: string): number | undefined =>
  db.prepare<[string], { id: number }>('SELECT id FROM images WHERE path = ?').get(path)?.id

describe('rescan', () => {
  it('picks up added, removed and changed files in one go, keeping ids of changed files', async () => {
    const root = join(tempDir(), 'bottle')
    await makeMvtecCategory(root)
    const { dataset_id } = await service.import({ folder: root })
    const changed = join(root, 'train/good/000.png')
    const changedId = idOf(changed)

    await writeImage(join(root, 'train/good/100.png'), { seed: 50 }) // added
    await writeImage(join(root, 'test/crack/100.png'), { seed: 51 }) // added, with a mask
    await writeMask(join(root, 'ground_truth/crack/100_mask.png'))
    rmSync(join(root, 'test/hole/000.png')) // removed, with its mask
    rmSync(join(root, 'ground_truth/hole/000_mask.png'))
    await writeImage(changed, { seed: 99 }) // changed content
    await writeMask(join(root, 'ground_truth/crack/001_mask.png'), 32, 24, 10) // changed mask

    const outcome = await service.rescan(dataset_id!)
    expect(outcome).toMatchObject({ added: 2, removed: 1, changed: 2, rejected: [] })
    expect(outcome.categories[0]).toMatchObject({ train_good: 5, test_anomalous: 3, masks: 3, defect_types: ['crack'] })
    expect(idOf(changed)).toBe(changedId)
    const maskPixels = db
      .prepare<[], { positive_pixels: number }>("SELECT positive_pixels FROM masks WHERE path LIKE '%001_mask.png'")
      .get()
    expect(maskPixels?.positive_pixels).toBe(10)
    const crack001 = service.images({ datasetId: dataset_id! }).images.find((i) => i.rel_path === 'test/crack/001.png')!
    expect(service.image(crack001.id).mask_bbox).toEqual([0, 0, 10, 1]) // the first 10 pixels of the first row

    const again = await service.rescan(dataset_id!)
    expect(again).toMatchObject({ added: 0, removed: 0, changed: 0, message: expect.stringMatching(/No changes/) })
  })

  it('changes nothing when a file is rejected', async () => {
    const root = join(tempDir(), 'bottle')
    await makeMvtecCategory(root)
    const { dataset_id } = await service.import({ folder: root })
    await writeImage(join(root, 'train/good/100.png'))
    const corrupt = join(root, 'train/good/001.png')
    truncateFile(corrupt, readFileSync(corrupt))
    const before = dumpDatabase(db)
    const outcome = await service.rescan(dataset_id!)
    expect(outcome).toMatchObject({ added: 0, removed: 0, changed: 0 })
    expect(outcome.rejected).toEqual([{ path: corrupt, reason: expect.stringMatching(/corrupt/) }])
    expect(dumpDatabase(db)).toEqual(before)
  })

  it('moves plain-layout images between train and test when the split rule says so', async () => {
    const root = join(tempDir(), 'widgets')
    await makePlainDataset(root, 5, 1)
    const { dataset_id } = await service.import({ folder: root })
    writeFileSync(join(root, 'normal', 'n00a.png'), readFileSync(join(root, 'normal', 'n00.png')))
    const outcome = await service.rescan(dataset_id!)
    // n00a sorts second, so n03 (was index 3) becomes the 5th image and moves to test; n04 moves to train.
    expect(outcome).toMatchObject({ added: 1, removed: 0, changed: 2 })
    expect(outcome.categories[0]).toMatchObject({ train_good: 5, test_good: 1 })
  })

  it('throws UserError for an unknown dataset or a vanished folder', async () => {
    await expect(service.rescan(999)).rejects.toThrow(/Dataset 999 not found/)
    const root = join(tempDir(), 'gone')
    await makeMvtecCategory(root, { defects: {} })
    const { dataset_id } = await service.import({ folder: root })
    rmSync(root, { recursive: true })
    await expect(service.rescan(dataset_id!)).rejects.toThrow(/no longer exists/)
  })
})
