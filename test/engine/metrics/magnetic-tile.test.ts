/**
 * Acceptance on the shared magnetic-tile category (80 good, 115 blowhole, 85 break test images):
 * `destseg evaluate-maps` on seeded synthetic maps agrees with the independent Python
 * implementation (sklearn, scipy/skimage components, a direct IAP, MVTec AD's AUPRO, PyTorch
 * resizes; test/fixtures/metrics/make_metrics_fixture.py) to 1e-4 on every metric. The maps are
 * regenerated here from the seed (./synthetic-maps.ts); only the expected values are committed.
 */
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/common/ipc/errors'
import { requireShared } from '../../../src/main/config/paths'
import { evaluateMapsFolder } from '../../../src/main/engine/evaluation/evaluate-maps'
import { mapPathOf } from '../../../src/main/engine/evaluation/map-folder'
import { listTestImages, loadTruths, type TestImage } from '../../../src/main/engine/evaluation/test-split'
import { destseg } from '../../helpers/cli'
import { makeMvtecCategory, tempDirs } from '../../helpers/fixtures'
import { loadFixture, type ExpectedMetrics } from './fixture'
import { writeSyntheticMaps } from './synthetic-maps'

const tempDir = tempDirs()
const fixture = loadFixture()
const METRICS = ['image_auroc', 'pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'iap90_threshold', 'aupro'] as const

/** np.packbits (big-endian bit order) of a 0/1 array. */
function packBits(bits: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8))
  for (let i = 0; i < bits.length; i++) if (bits[i]) out[i >> 3] |= 0x80 >> (i & 7)
  return out
}

/** Largest |ours - python| over the metrics, after checking the counts. */
function compare(ours: Record<string, unknown>, expected: ExpectedMetrics): number {
  expect(ours.images).toBe(expected.images)
  expect(ours.instances).toBe(expected.instances)
  let worst = 0
  for (const name of METRICS) {
    const diff = Math.abs((ours[name] as number) - expected[name])
    expect(diff, name).toBeLessThan(1e-4)
    worst = Math.max(worst, diff)
  }
  return worst
}

describe('magnetic-tile: evaluate-maps against the Python reference', () => {
  let category: string
  let images: TestImage[]
  let truths: (Uint8Array | null)[]
  const mapsDir = tempDir('destseg-maps-')

  beforeAll(async () => {
    category = requireShared('datasets/magnetic-tile')
    images = await listTestImages(category)
    truths = await loadTruths(images)
    writeSyntheticMaps('random', fixture.seed, images, truths, join(mapsDir, 'random'))
    writeSyntheticMaps('near-perfect', fixture.seed, images, truths, join(mapsDir, 'near-perfect'))
  })

  it('lists the test split and makes the same 256x256 ground truth as PyTorch', () => {
    expect(images.map((im) => im.relPath)).toEqual(fixture.ground_truth.map((g) => g.relPath))
    expect(images.filter((im) => im.defect === 'good').length).toBe(80)
    const mismatched = fixture.ground_truth.filter((g, i) => {
      const gt = truths[i] ?? new Uint8Array(256 * 256)
      return createHash('sha1').update(packBits(gt)).digest('hex') !== g.sha1
    })
    expect(mismatched.map((g) => g.relPath)).toEqual([])
  })

  it('agrees on seeded random maps (64x64, 256x256 with ties, 300x180), through the CLI', async () => {
    const run = await destseg('evaluate-maps', '--dataset', category, '--maps', join(mapsDir, 'random'), '--json')
    expect(run.stderr).not.toMatch(/Error/)
    expect(run.code).toBe(0)
    const out = JSON.parse(run.stdout) as Record<string, unknown>
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['image_auroc', 'pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'aupro', 'images', 'instances', 'ms_per_image'])
    )
    const worst = compare(out, fixture.maps.random)
    console.log(`random maps: largest difference from Python ${worst.toExponential(2)}, ${out.ms_per_image} ms per image`)
  })

  it('agrees on near-perfect maps (ground truth plus noise)', async () => {
    const { report, timing } = await evaluateMapsFolder(category, join(mapsDir, 'near-perfect'), { k: fixture.k, topT: fixture.top_t })
    const worst = compare(report as unknown as Record<string, unknown>, fixture.maps['near-perfect'])
    expect(report.pixel_auroc).toBeGreaterThan(0.999)
    console.log(
      `near-perfect maps: largest difference from Python ${worst.toExponential(2)}; ` +
        `load ${timing.load_ms.toFixed(0)} ms, metrics ${timing.metrics_ms.toFixed(0)} ms`
    )
  })

  it('names a missing map file before decoding anything', async () => {
    const partial = tempDir('destseg-maps-partial-')
    writeSyntheticMaps('random', 1, images.slice(0, 3), truths.slice(0, 3), partial)
    const missing = mapPathOf(partial, images[3])
    await expect(evaluateMapsFolder(category, partial)).rejects.toThrow(UserError)
    await expect(evaluateMapsFolder(category, partial)).rejects.toThrow(`Missing map file ${missing} for test image ${images[3].path} (and 276 more`)
  })
})

describe('evaluate-maps CLI errors', () => {
  it('exits 1 naming the missing map, and 2 on bad usage', async () => {
    const dir = tempDir()
    await makeMvtecCategory(dir, { trainGood: 1, testGood: 1, defects: { crack: 1 } })
    const images = await listTestImages(dir)
    const maps = tempDir('destseg-maps-')
    writeSyntheticMaps('random', 0, images, await loadTruths(images), maps)
    const gone = mapPathOf(maps, images[0])
    rmSync(gone)
    const [missing, usage] = await Promise.all([
      destseg('evaluate-maps', '--dataset', dir, '--maps', maps, '--json'),
      destseg('evaluate-maps', '--dataset', dir, '--maps', maps, '--k', '1.5')
    ])
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout).error).toMatchObject({ name: 'UserError', code: 'MISSING_MAP' })
    expect(missing.stderr).toContain(`Missing map file ${gone}`)
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/--k must be a number in \(0, 1\], got 1\.5/)
  })
})
