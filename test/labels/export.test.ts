/**
 * MVTec AD export with the current labels: re-importing the export gives the same counts, the
 * edited labels and identical mask pixels; on a fixture and on the shared magnetic-tile dataset.
 */
import type Database from 'better-sqlite3'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeMaskRle, encodeMaskRle } from '../../src/common/labels/mask-rle'
import { requireShared } from '../../src/main/config/paths'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { LabelService } from '../../src/main/labels/label-service'
import { readBinaryMask } from '../../src/main/labels/mask-files'
import { openDatabase } from '../../src/main/store/db'
import { makeMvtecCategory, tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()

interface Opened {
  db: Database.Database
  datasets: DatasetService
  labels: LabelService
  datasetId: number
  id: (relPath: string) => number
}

async function importFolder(folder: string): Promise<Opened> {
  const dataDir = tempDir()
  const db = openDatabase(join(dataDir, 'db.sqlite'))
  const datasets = new DatasetService(db, { dataDir })
  const outcome = await datasets.import({ folder })
  expect(outcome.rejected).toEqual([])
  const id = (relPath: string): number => {
    const row = db.prepare('SELECT id FROM images WHERE rel_path = ?').get(relPath) as { id: number } | undefined
    if (!row) throw new Error(`no image ${relPath}`)
    return row.id
  }
  return { db, datasets, labels: new LabelService(db, { dataDir }), datasetId: outcome.dataset_id!, id }
}

/** A blob of 0/1 pixels: a w x h box at (x, y). */
function box(width: number, height: number, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(width * height)
  for (let r = y; r < y + h; r++) out.fill(1, r * width + x, r * width + x + w)
  return out
}

describe('MVTec AD export', () => {
  it('re-imports a fixture with the edited labels and identical masks', async () => {
    const root = join(tempDir(), 'widget')
    await makeMvtecCategory(root, { trainGood: 3, testGood: 3, defects: { crack: 2 } })
    const a = await importFolder(root)
    a.labels.relabel({ imageId: a.id('test/good/000.png'), defectType: 'dent' }) // a new type, image-level (no mask)
    a.labels.relabel({ imageId: a.id('test/good/001.png'), defectType: 'crack' }) // collides with crack/001.png
    await a.labels.saveMask({ imageId: a.id('test/good/001.png'), mask: encodeMaskRle(box(32, 24, 1, 1, 4, 4), 32, 24) })
    await a.labels.saveMask({ imageId: a.id('test/crack/000.png'), mask: encodeMaskRle(box(32, 24, 10, 2, 7, 9), 32, 24) })
    a.labels.feedback({ imageId: a.id('test/good/002.png'), verdict: 'false_alarm' })

    const out = join(tempDir(), 'export')
    const progress: number[] = []
    const outcome = await a.labels.export({ datasetId: a.datasetId, folder: out }, (p) => progress.push(p.done))
    const expected = { name: 'widget', train_good: 4, test_good: 0, test_anomalous: 4, masks: 3, defect_types: ['crack', 'dent'] }
    expect(outcome.categories).toEqual([expected])
    expect(progress.at(-1)).toBe(8)
    expect(readdirSync(join(out, 'widget/test/crack')).sort()).toEqual(['000.png', '001.png', 'good_001.png'])

    const b = await importFolder(join(out, 'widget'))
    expect(b.datasets.list()[0].categories[0]).toMatchObject(expected)
    const edited = (await b.labels.mask(b.id('test/crack/000.png')))!
    expect(Array.from(decodeMaskRle(edited))).toEqual(Array.from(box(32, 24, 10, 2, 7, 9)))
    const moved = (await b.labels.mask(b.id('test/crack/good_001.png')))!
    expect(Array.from(decodeMaskRle(moved))).toEqual(Array.from(box(32, 24, 1, 1, 4, 4)))
    const untouched = (await b.labels.mask(b.id('test/crack/001.png')))!
    expect(untouched.counts).toEqual((await a.labels.mask(a.id('test/crack/001.png')))!.counts)
    expect(b.labels.get(b.id('test/dent/000.png'))).toMatchObject({ defect_type: 'dent', label: 1, mask: { path: null } })

    await expect(a.labels.export({ datasetId: a.datasetId, folder: out })).rejects.toThrow(/not empty/)
    await expect(a.labels.export({ datasetId: a.datasetId, folder: join(root, 'x') })).rejects.toThrow(/outside the dataset/)
  })

  it('exports magnetic-tile after one relabel and one mask edit; the re-import has them', async () => {
    const folder = requireShared('datasets/magnetic-tile')
    const a = await importFolder(folder)
    const goodRel = (a.db.prepare("SELECT rel_path FROM images WHERE rel_path LIKE 'test/good/%' ORDER BY rel_path LIMIT 1").get() as { rel_path: string }).rel_path
    const holeRel = (a.db.prepare("SELECT rel_path FROM images WHERE rel_path LIKE 'test/blowhole/%' ORDER BY rel_path LIMIT 1").get() as { rel_path: string }).rel_path
    a.labels.relabel({ imageId: a.id(goodRel), defectType: 'break', note: 'a crack at the edge' })
    const hole = a.labels.get(a.id(holeRel))
    const edit = box(hole.width, hole.height, 2, 3, Math.min(20, hole.width - 2), Math.min(15, hole.height - 3))
    await a.labels.saveMask({ imageId: hole.image_id, mask: encodeMaskRle(edit, hole.width, hole.height) })

    const out = join(tempDir(), 'mt-export')
    const started = performance.now()
    const outcome = await a.labels.export({ datasetId: a.datasetId, folder: out })
    const seconds = (performance.now() - started) / 1000
    console.log(`magnetic-tile export: ${seconds.toFixed(2)} s for ${outcome.images} images and ${outcome.masks} masks`)
    expect(seconds).toBeLessThan(30)
    const expected = {
      name: 'magnetic-tile',
      train_good: 400,
      test_good: 79,
      test_anomalous: 201,
      masks: 200,
      defect_types: ['blowhole', 'break']
    }
    expect(outcome.categories).toEqual([expected])

    const b = await importFolder(join(out, 'magnetic-tile'))
    expect(b.datasets.list()[0].categories[0]).toMatchObject(expected)
    const file = goodRel.split('/').pop()!
    expect(b.labels.get(b.id(`test/break/${file}`))).toMatchObject({ defect_type: 'break', label: 1, mask: { path: null } })
    const reimported = (await b.labels.mask(b.id(holeRel)))!
    expect(Array.from(decodeMaskRle(reimported))).toEqual(Array.from(edit))
    // an untouched mask: identical pixels
    const otherRel = (a.db.prepare("SELECT rel_path FROM images WHERE rel_path LIKE 'test/break/%' ORDER BY rel_path LIMIT 1").get() as { rel_path: string }).rel_path
    const original = await readBinaryMask(a.labels.get(a.id(otherRel)).mask.path!)
    const copied = await readBinaryMask(b.labels.get(b.id(otherRel)).mask.path!)
    expect(copied.pixels).toEqual(original.pixels)
    a.db.close()
    b.db.close()
  }, 120_000)
})
