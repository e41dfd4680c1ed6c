/**
 * Import of folders whose defect types have image-level labels only (issue 7): a test/<defect> folder
 * without ground_truth/<defect> is accepted, its images are anomalous by folder and have no mask, and
 * the summary counts them; a mask without an image stays an error.
 */
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { openDatabase } from '../../src/main/store/db'
import { tempDirs } from '../helpers/fixtures'
import { writeImage, writeMask } from '../helpers/images'

const tempDir = tempDirs()
let db: Database.Database
let service: DatasetService

beforeEach(() => {
  const dataDir = tempDir()
  db = openDatabase(join(dataDir, 'destseg.sqlite'))
  service = new DatasetService(db, { dataDir })
})
afterEach(() => db.close())

/** train/good (3), test/good (2), test/broken (3, no masks), and test/crack (2, masked) when `mixed`. */
async function category(mixed: boolean): Promise<string> {
  const root = join(tempDir(), mixed ? 'mixed' : 'labels-only')
  let seed = 0
  for (let i = 0; i < 3; i++) await writeImage(join(root, 'train/good', `${i}.png`), { seed: seed++ })
  for (let i = 0; i < 2; i++) await writeImage(join(root, 'test/good', `${i}.png`), { seed: seed++ })
  for (let i = 0; i < 3; i++) await writeImage(join(root, 'test/broken', `${i}.png`), { seed: seed++ })
  if (mixed) {
    for (let i = 0; i < 2; i++) {
      await writeImage(join(root, 'test/crack', `${i}.png`), { seed: seed++ })
      await writeMask(join(root, 'ground_truth/crack', `${i}_mask.png`))
    }
  }
  return root
}

describe('import with image-level labels', () => {
  it('accepts a defect folder without ground_truth and says how many anomalous images have no mask', async () => {
    const outcome = await service.import({ folder: await category(false) })
    expect(outcome.dataset_id).not.toBeNull()
    expect(outcome.rejected).toEqual([])
    expect(outcome).toMatchObject({ anomalous_without_mask: 3, anomalous_without_mask_by_category: { 'labels-only': 3 } })
    expect(outcome.categories).toEqual([{ name: 'labels-only', train_good: 3, test_good: 2, test_anomalous: 3, masks: 0, defect_types: ['broken'] }])
    expect(outcome.message).toMatch(/Imported "labels-only": 8 images and 0 masks in 1 category; 3 anomalous images have no mask/)
    const page = service.images({ datasetId: outcome.dataset_id!, defectType: 'broken' })
    expect(page.images.map((im) => [im.label, im.has_mask])).toEqual([
      [1, false],
      [1, false],
      [1, false]
    ])
  })

  it('counts only the unmasked defect type in a mixed folder', async () => {
    const outcome = await service.import({ folder: await category(true) })
    expect(outcome.categories[0]).toMatchObject({ test_anomalous: 5, masks: 2, defect_types: ['broken', 'crack'] })
    expect(outcome).toMatchObject({ anomalous_without_mask: 3, anomalous_without_mask_by_category: { mixed: 3 } })
    expect(outcome.message).toMatch(/10 images and 2 masks in 1 category; 3 anomalous images have no mask/)
    const detail = service.images({ datasetId: outcome.dataset_id!, defectType: 'crack' }).images[0]
    expect(service.image(detail.id)).toMatchObject({ has_mask: true, label: 1 })
  })

  it('says nothing about masks when every anomalous image has one, and still rejects a mask without an image', async () => {
    const root = await category(true)
    await writeMask(join(root, 'ground_truth/broken', '7_mask.png'))
    const refused = await service.import({ folder: root })
    expect(refused.dataset_id).toBeNull()
    expect(refused.anomalous_without_mask).toBe(3)
    expect(refused.rejected).toEqual([{ path: join(root, 'ground_truth/broken/7_mask.png'), reason: expect.stringMatching(/mask without an image/) }])

    const full = join(tempDir(), 'full')
    await writeImage(join(full, 'train/good/0.png'))
    await writeImage(join(full, 'test/crack/0.png'), { seed: 3 })
    await writeMask(join(full, 'ground_truth/crack/0_mask.png'))
    const outcome = await service.import({ folder: full })
    expect(outcome.anomalous_without_mask).toBe(0)
    expect(outcome.message).not.toMatch(/no mask/)
  })
})
