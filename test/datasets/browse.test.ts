import type Database from 'better-sqlite3'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, afterAll, describe, expect, it } from 'vitest'
import { DatasetService } from '../../src/main/datasets/dataset-service'
import { openDatabase } from '../../src/main/store/db'
import { makeMvtecCategory, tempDirs } from '../helpers/fixtures'
import { writeImage } from '../helpers/images'

const tempDir = tempDirs()
let db: Database.Database
let service: DatasetService
let dataDir: string
let datasetId: number

beforeAll(async () => {
  dataDir = tempDir()
  db = openDatabase(join(dataDir, 'app.sqlite'))
  service = new DatasetService(db, { dataDir })
  const root = join(tempDir(), 'tiles')
  await makeMvtecCategory(root, { width: 600, height: 300 })
  await writeImage(join(root, 'train/good/big.bmp'), { width: 300, height: 600 })
  await writeImage(join(root, 'train/good/big.tif'), { width: 40, height: 30, channels: 1 })
  datasetId = (await service.import({ folder: root })).dataset_id!
})
afterAll(() => db.close())

describe('browsing', () => {
  it('lists and gets datasets', () => {
    expect(service.list().map((d) => d.id)).toEqual([datasetId])
    expect(() => service.get(42)).toThrow('Dataset 42 not found')
  })

  it('pages and filters images in category order', () => {
    const all = service.images({ datasetId, limit: 1000 })
    expect(all.total).toBe(11)
    const keys = all.images.map((i) => `${i.split}/${i.defect_type}/${i.rel_path}`)
    expect(keys).toEqual([...keys].sort())
    const page = service.images({ datasetId, offset: 2, limit: 3 })
    expect(page).toMatchObject({ total: 11, offset: 2 })
    expect(page.images.map((i) => i.id)).toEqual(all.images.slice(2, 5).map((i) => i.id))
    const crack = service.images({ datasetId, split: 'test', defectType: 'crack' })
    expect(crack.images.map((i) => [i.rel_path, i.label, i.has_mask])).toEqual([
      ['test/crack/000.png', 1, true],
      ['test/crack/001.png', 1, true]
    ])
    expect(() => service.images({ datasetId: 42 })).toThrow('not found')
  })

  it('gives image details with the previous and next image of the category', () => {
    const ids = service.images({ datasetId }).images.map((i) => i.id)
    const first = service.image(ids[0])
    expect(first.prev_id).toBeNull()
    expect(first.next_id).toBe(ids[1])
    const middle = service.image(ids[5])
    expect([middle.prev_id, middle.next_id]).toEqual([ids[4], ids[6]])
    expect(service.image(ids[ids.length - 1]).next_id).toBeNull()
    const crack = service.image(service.images({ datasetId, defectType: 'crack' }).images[1].id)
    expect(crack).toMatchObject({
      dataset_id: datasetId,
      has_mask: true,
      mask_pixels: 2,
      mask_bbox: [0, 0, 2, 1],
      channels: 3,
      content_hash: expect.stringMatching(/^[0-9a-f]{64}$/)
    })
    expect(crack.mask_path).toMatch(/ground_truth\/crack\/001_mask\.png$/)
    expect(() => service.image(99999)).toThrow('Image 99999 not found')
  })

  it('caches thumbnails once, converts BMP/TIFF for display and draws mask overlays', async () => {
    const [png] = service.images({ datasetId, defectType: 'crack' }).images
    const thumb = await service.imageFile(png.id, 'thumb')
    expect(thumb.path.startsWith(join(dataDir, 'cache'))).toBe(true)
    expect(thumb.contentType).toBe('image/webp')
    expect(await sharp(thumb.path).metadata()).toMatchObject({ format: 'webp', width: 256, height: 128 })
    const written = statSync(thumb.path).mtimeMs
    await new Promise((r) => setTimeout(r, 20))
    expect((await service.imageFile(png.id, 'thumb')).path).toBe(thumb.path)
    expect(statSync(thumb.path).mtimeMs).toBe(written)

    expect(await service.imageFile(png.id, 'full')).toEqual({ path: png.path, contentType: 'image/png' })
    for (const name of ['big.bmp', 'big.tif']) {
      const image = service.images({ datasetId }).images.find((i) => i.rel_path.endsWith(name))!
      const full = await service.imageFile(image.id, 'full')
      expect(full.contentType).toBe('image/png')
      expect(await sharp(full.path).metadata()).toMatchObject({
        format: 'png',
        width: image.width,
        height: image.height
      })
      expect((await sharp((await service.imageFile(image.id, 'thumb')).path).metadata()).height).toBeLessThanOrEqual(
        256
      )
    }

    const overlay = await service.imageFile(png.id, 'mask')
    const { data, info } = await sharp(overlay.path).raw().toBuffer({ resolveWithObject: true })
    expect(info).toMatchObject({ width: 600, height: 300, channels: 4 })
    expect([...data.subarray(0, 8)]).toEqual([255, 40, 40, 160, 0, 0, 0, 0]) // one positive pixel, then none

    const good = service.images({ datasetId, split: 'train' }).images[0]
    await expect(service.imageFile(good.id, 'mask')).rejects.toThrow(/has no mask/)
    await expect(service.imageFile(99999, 'thumb')).rejects.toThrow(/not found/)
  })

  it('removes a dataset with everything in it', async () => {
    const root = join(tempDir(), 'temp')
    await makeMvtecCategory(root, { defects: {} })
    const id = (await service.import({ folder: root })).dataset_id!
    service.remove(id)
    expect(service.list().map((d) => d.id)).toEqual([datasetId])
    expect(() => service.remove(id)).toThrow('not found')
  })
})
