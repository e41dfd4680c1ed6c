/** The demo's generated dataset: deterministic, exact binary masks, an MVTec layout that imports cleanly. */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { DatasetService, TextureService } from '../../src/main/datasets/dataset-service'
import { DEMO_CATEGORY, demoImage, writeDemoDataset, writeDemoTextures, type DemoDatasetSpec, type DemoSplit } from '../../src/main/demo/dataset'
import { openDatabase } from '../../src/main/store/db'
import { tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()
const SMALL: DemoDatasetSpec = { size: 64, trainGood: 3, testGood: 2, perDefect: 2, seed: 7 }

/** Relative path -> SHA-256 of every file below `dir`. */
function digests(dir: string): Record<string, string> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
  return Object.fromEntries(
    files.map((e) => {
      const path = join(e.parentPath, e.name)
      return [relative(dir, path), createHash('sha256').update(readFileSync(path)).digest('hex')]
    })
  )
}

describe('demo dataset', () => {
  it('is the same for a seed and differs between images and seeds', async () => {
    const a = demoImage(SMALL, 'test/scratch', 1)
    const b = demoImage(SMALL, 'test/scratch', 1)
    expect(Buffer.from(a.image).equals(Buffer.from(b.image))).toBe(true)
    expect(Buffer.from(a.mask!).equals(Buffer.from(b.mask!))).toBe(true)
    expect(Buffer.from(demoImage(SMALL, 'test/scratch', 0).image).equals(Buffer.from(a.image))).toBe(false)
    expect(Buffer.from(demoImage({ ...SMALL, seed: 8 }, 'test/scratch', 1).image).equals(Buffer.from(a.image))).toBe(false)

    const [one, two] = [tempDir(), tempDir()]
    await Promise.all([writeDemoDataset(one, SMALL), writeDemoDataset(two, SMALL)])
    await Promise.all([writeDemoTextures(join(one, 'textures'), 7, 1, 32), writeDemoTextures(join(two, 'textures'), 7, 1, 32)])
    const files = digests(one)
    expect(Object.keys(files)).toHaveLength(3 + 2 + 2 * 2 + 2 * 2 + 5)
    expect(digests(two)).toEqual(files)
  })

  it('draws each defect exactly where its mask is: binary masks, every masked pixel changed, no other', () => {
    for (const split of ['test/scratch', 'test/stain'] as DemoSplit[]) {
      for (let i = 0; i < 6; i++) {
        const { image, mask, clean } = demoImage({ size: 128, seed: 0 }, split, i)
        expect(mask).not.toBeNull()
        let masked = 0
        for (let p = 0; p < mask!.length; p++) {
          if (mask![p] !== 0 && mask![p] !== 255) throw new Error(`${split} ${i}: mask value ${mask![p]} at pixel ${p}`)
          const changed = image[p * 3] !== clean[p * 3] || image[p * 3 + 1] !== clean[p * 3 + 1] || image[p * 3 + 2] !== clean[p * 3 + 2]
          if (changed !== (mask![p] === 255)) throw new Error(`${split} ${i}: pixel ${p} changed=${changed} but mask=${mask![p]}`)
          if (mask![p]) masked++
        }
        expect(masked, `${split} ${i}`).toBeGreaterThanOrEqual(12)
      }
    }
    const normal = demoImage({ size: 128, seed: 0 }, 'test/good', 0)
    expect(normal.mask).toBeNull()
  })

  it('writes an MVTec-layout category that imports without rejections, masks as 1-channel 0/255 PNGs', async () => {
    const root = tempDir()
    const written = await writeDemoDataset(root, SMALL)
    expect(written).toEqual({ category: join(root, DEMO_CATEGORY), images: 3 + 2 + 4, masks: 4 })

    const maskFile = join(written.category, 'ground_truth/stain/001_mask.png')
    expect(await sharp(maskFile).metadata()).toMatchObject({ width: 64, height: 64, channels: 1 })
    const raw = await sharp(maskFile).extractChannel(0).raw().toBuffer({ resolveWithObject: true })
    expect(Buffer.from(raw.data).equals(Buffer.from(demoImage(SMALL, 'test/stain', 1).mask!))).toBe(true)
    const rgb = await sharp(join(written.category, 'test/stain/001.png')).raw().toBuffer({ resolveWithObject: true })
    expect(rgb.info.channels).toBe(3)
    expect(Buffer.from(rgb.data).equals(Buffer.from(demoImage(SMALL, 'test/stain', 1).image))).toBe(true)

    const db = openDatabase(join(tempDir(), 'app.sqlite'))
    try {
      const outcome = await new DatasetService(db, { dataDir: root }).import({ folder: written.category })
      expect(outcome.rejected).toEqual([])
      expect(outcome.dataset_id).not.toBeNull()
      expect(outcome.categories).toMatchObject([
        { name: DEMO_CATEGORY, train_good: 3, test_good: 2, test_anomalous: 4, masks: 4, defect_types: ['scratch', 'stain'] }
      ])
      await writeDemoTextures(join(root, 'textures'), 7, 1, 32)
      const textures = await new TextureService(db, { dataDir: root }).import({ folder: join(root, 'textures') })
      expect(textures).toMatchObject({ images: 5, rejected: [] })
      expect(textures.texture_source_id).not.toBeNull()
    } finally {
      db.close()
    }
  })
})
