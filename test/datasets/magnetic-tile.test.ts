/** Acceptance on the real shared data: the Magnetic Tile Defect dataset in MVTec AD layout. */
import type Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireShared } from '../../src/main/config/paths'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { openDatabase } from '../../src/main/store/db'
import { tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()
let db: Database.Database
let service: DatasetService

beforeAll(() => {
  const dir = tempDir()
  db = openDatabase(join(dir, 'app.sqlite'))
  service = new DatasetService(db, { dataDir: dir })
})
afterAll(() => db.close())

describe('magnetic-tile (shared data)', () => {
  it('imports 680 images and 200 masks with the expected counts', async () => {
    const folder = requireShared('datasets/magnetic-tile')
    const started = performance.now()
    const outcome = await service.import({ folder })
    const seconds = (performance.now() - started) / 1000
    console.log(`magnetic-tile import: ${seconds.toFixed(2)} s for 880 files`)
    expect(outcome.rejected).toEqual([])
    expect(outcome.categories).toEqual([
      {
        name: 'magnetic-tile',
        train_good: 400,
        test_good: 80,
        test_anomalous: 200,
        masks: 200,
        defect_types: ['blowhole', 'break']
      }
    ])
    const summary = service.get(outcome.dataset_id!)
    expect(summary.categories[0].by_split_defect).toEqual({
      'train/good': 400,
      'test/good': 80,
      'test/blowhole': 115,
      'test/break': 85
    })
    const masks = db
      .prepare<[], { empty: number }>('SELECT COUNT(*) AS empty FROM masks WHERE positive_pixels = 0')
      .get()!
    expect(masks.empty).toBe(0)
  })
})
