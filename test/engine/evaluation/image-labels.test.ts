/**
 * Test splits with image-level labels only (issue 7): anomalous images without masks count for image
 * AUROC alone; the pixel metrics use the images with masks plus the normal ones, or are null with a
 * reason when no anomalous image has a mask; a defect image with an empty mask is a warning; each
 * metric says how many images it used. Fully masked data scores exactly as before.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { evaluateMapsFolder } from '../../../src/main/engine/evaluation/evaluate-maps'
import { listTestImages, type TestImage } from '../../../src/main/engine/evaluation/test-split'
import { encodeNpy } from '../../../src/main/engine/io/npy'
import { evaluateCategory } from '../../../src/main/engine/metrics/evaluate-category'
import { EVAL_PIXELS, EVAL_SIZE, type EvalSample } from '../../../src/main/engine/metrics/types'
import { destseg } from '../../helpers/cli'
import { tempDirs } from '../../helpers/fixtures'
import { writeImage, writeMask } from '../../helpers/images'

const tempDir = tempDirs()
const at = (y: number, x: number): number => y * EVAL_SIZE + x

/** A map that is `value` everywhere and `peak` on a 4x4 square at (y, x). */
function mapWith(value: number, peak = value, y = 100, x = 100): Float32Array {
  const map = new Float32Array(EVAL_PIXELS).fill(value)
  for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) map[at(y + dy, x + dx)] = peak
  return map
}

function squareTruth(y = 100, x = 100): Uint8Array {
  const gt = new Uint8Array(EVAL_PIXELS)
  for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) gt[at(y + dy, x + dx)] = 1
  return gt
}

const good = (path: string, v: number): EvalSample => ({ path, defect: 'good', gt: null, map: mapWith(v), folderLabel: 0 })
const masked = (path: string, v: number): EvalSample => ({ path, defect: 'crack', gt: squareTruth(), map: mapWith(0.1, v), folderLabel: 1 })
const unmasked = (path: string, v: number): EvalSample => ({ path, defect: 'broken', gt: null, map: mapWith(0.1, v), folderLabel: 1 })

describe('evaluateCategory with image-level labels', () => {
  it('scores fully masked data exactly as without folder labels', () => {
    const samples = [good('g0', 0.2), good('g1', 0.3), masked('c0', 0.9), masked('c1', 0.25)]
    const plain = samples.map(({ folderLabel: _, ...s }) => s)
    const withLabels = evaluateCategory(samples)
    const without = evaluateCategory(plain)
    expect(withLabels).toEqual(without)
    expect(withLabels.pixel_metrics_reason).toBeNull()
    expect(withLabels.unmasked_images).toBe(0)
    expect(withLabels.images_per_metric).toEqual({ image_auroc: 4, pixel_auroc: 4, pixel_ap: 4, iap: 4, iap90: 4, aupro: 4 })
    expect(withLabels.per_image.every((im) => im.has_mask === (im.defect !== 'good'))).toBe(true)
  })

  it('without any mask: image AUROC from the folder labels, pixel metrics null with a reason', () => {
    const r = evaluateCategory([good('g0', 0.2), good('g1', 0.3), unmasked('b0', 0.9), unmasked('b1', 0.25)], { topT: 4 })
    expect(r.per_image.map((im) => [im.label, im.has_mask])).toEqual([
      [0, false],
      [0, false],
      [1, false],
      [1, false]
    ])
    // scores: 0.2, 0.3, 0.9, 0.25 (the top 4 values are the square's peak) -> 3 of 4 pairs ordered
    expect(r.image_auroc).toBe(0.75)
    for (const key of ['pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'iap90_threshold', 'aupro'] as const) expect(r[key]).toBeNull()
    expect(r.pixel_metrics_reason).toMatch(/None of the 2 anomalous test images has a ground-truth mask .*2 with image-level labels only/)
    expect(r.images_per_metric).toEqual({ image_auroc: 4, pixel_auroc: 0, pixel_ap: 0, iap: 0, iap90: 0, aupro: 0 })
    expect(r).toMatchObject({ images: 4, anomalous_images: 2, unmasked_images: 2, instances: 0, positive_pixels: 0, warnings: [] })
    expect(r.curves.instance.threshold).toEqual([])
    expect(r.curves.pixel_roc.fpr).toEqual([])
    expect(r.curves.image_roc?.fpr.length).toBeGreaterThan(1)
    expect(JSON.parse(JSON.stringify(r)).pixel_auroc).toBeNull()
  })

  it('mixed: pixel metrics on the masked and normal images only, image AUROC on all', () => {
    const base = [good('g0', 0.2), good('g1', 0.3), masked('c0', 0.9), masked('c1', 0.25)]
    const mixed = [...base, unmasked('b0', 0.95), unmasked('b1', 0.15), unmasked('b2', 0.5)]
    const r = evaluateCategory(mixed, { topT: 4 })
    const onlyMasked = evaluateCategory(base, { topT: 4 })
    for (const key of ['pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'iap90_threshold', 'aupro', 'instances', 'positive_pixels', 'negative_pixels'] as const) {
      expect(r[key]).toBe(onlyMasked[key])
    }
    expect(r.images_per_metric).toEqual({ image_auroc: 7, pixel_auroc: 4, pixel_ap: 4, iap: 4, iap90: 4, aupro: 4 })
    expect(r).toMatchObject({ images: 7, anomalous_images: 5, unmasked_images: 3, pixel_metrics_reason: null })
    expect(r.image_auroc).not.toBe(onlyMasked.image_auroc)
    // positives 0.9, 0.25, 0.95, 0.15, 0.5 against negatives 0.2, 0.3: 7 of 10 pairs ordered
    expect(r.image_auroc).toBeCloseTo(7 / 10, 12)
  })

  it('reports a defect image with an empty mask as a warning and scores it by its mask (normal)', () => {
    const empty: EvalSample = { path: '/data/test/crack/007.png', defect: 'crack', gt: new Uint8Array(EVAL_PIXELS), map: mapWith(0.1), folderLabel: 1 }
    const r = evaluateCategory([good('g0', 0.2), masked('c0', 0.9), empty])
    expect(r.warnings).toEqual([{ path: '/data/test/crack/007.png', kind: 'empty_mask', message: expect.stringContaining('/data/test/crack/007.png') }])
    expect(r.per_image[2]).toMatchObject({ label: 0, has_mask: true })
    expect(r.images_per_metric.pixel_auroc).toBe(3)
    expect(r.unmasked_images).toBe(0)
  })

  it('still refuses a split with no anomalous image at all', () => {
    expect(() => evaluateCategory([good('g0', 0.2), good('g1', 0.3)])).toThrow(/No anomalous pixel/)
  })
})

/** test/{good,broken,crack}: masks for crack only; maps .npy beside. */
async function mixedFolder(): Promise<{ category: string; maps: string }> {
  const root = tempDir()
  const category = join(root, 'widget')
  const maps = join(root, 'maps')
  const size = 24
  const write = async (defect: string, i: number, peak: number, mask: boolean): Promise<void> => {
    const stem = String(i).padStart(3, '0')
    await writeImage(join(category, 'test', defect, `${stem}.png`), { width: size, height: size, seed: i + defect.length * 10 })
    if (mask) await writeMask(join(category, 'ground_truth', defect, `${stem}_mask.png`), size, size, size * 6)
    const map = new Float32Array(size * size).fill(0.1)
    if (peak > 0) map.fill(peak, 0, size * 6) // the first 6 rows, where the masks are
    const path = join(maps, defect, `${stem}.npy`)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, encodeNpy(map, [size, size]))
  }
  for (let i = 0; i < 4; i++) await writeImage(join(category, 'train', 'good', `${i}.png`), { width: size, height: size, seed: 90 + i })
  for (let i = 0; i < 3; i++) await write('good', i, 0, false)
  for (let i = 0; i < 2; i++) await write('crack', i, 0.8 + i / 10, true)
  for (let i = 0; i < 3; i++) await write('broken', i, 0.5 + i / 10, false)
  return { category, maps }
}

describe('evaluateMapsFolder with image-level labels', () => {
  it('lists defect images without masks, and counts per metric', async () => {
    const { category, maps } = await mixedFolder()
    const tests = await listTestImages(category)
    expect(tests.filter((t) => t.label === 1 && t.maskPath === null).map((t) => t.relPath)).toEqual([
      'test/broken/000.png',
      'test/broken/001.png',
      'test/broken/002.png'
    ])
    const { report } = await evaluateMapsFolder(category, maps)
    expect(report.images_per_metric).toEqual({ image_auroc: 8, pixel_auroc: 5, pixel_ap: 5, iap: 5, iap90: 5, aupro: 5 })
    expect(report).toMatchObject({ images: 8, anomalous_images: 5, unmasked_images: 3, pixel_metrics_reason: null, image_auroc: 1 })
    expect(report.pixel_auroc).toBeCloseTo(1, 12)
  })

  it('evaluates an explicit list of test images in place of the folder (labels from elsewhere)', async () => {
    const { category, maps } = await mixedFolder()
    const listed = await listTestImages(category)
    // a caller relabels test/good/002 as anomalous (no mask) and leaves test/crack/001 out
    const tests: TestImage[] = listed
      .filter((t) => t.relPath !== 'test/crack/001.png')
      .map((t) => (t.relPath === 'test/good/002.png' ? { ...t, label: 1 } : t))
    const { report } = await evaluateMapsFolder(category, maps, { tests })
    expect(report.images).toBe(7)
    expect(report.unmasked_images).toBe(4)
    expect(report.images_per_metric.pixel_auroc).toBe(3)
    expect(report.per_image.find((p) => p.path.endsWith('good/002.png'))).toMatchObject({ label: 1, has_mask: false })
    await expect(evaluateMapsFolder(category, maps, { tests: [] })).rejects.toThrow(/No test images/)
    await expect(evaluateMapsFolder(category, maps, { tests: [tests[0], tests[0]] })).rejects.toThrow(/listed twice/)
  })

  it('gives null pixel metrics with a reason when no defect image has a mask', async () => {
    const { category, maps } = await mixedFolder()
    const tests = (await listTestImages(category)).filter((t) => t.defect !== 'crack')
    const { report } = await evaluateMapsFolder(category, maps, { tests })
    expect(report.image_auroc).toBe(1)
    expect(report.pixel_auroc).toBeNull()
    expect(report.pixel_metrics_reason).toMatch(/image-level labels only/)
    expect(report.images_per_metric).toEqual({ image_auroc: 6, pixel_auroc: 0, pixel_ap: 0, iap: 0, iap90: 0, aupro: 0 })
  })
})

describe('destseg evaluate-maps --json', () => {
  it('prints null pixel metrics with the reason, the images per metric and the warnings', async () => {
    const { category, maps } = await mixedFolder()
    // crack/001 gets an empty mask: a warning naming it
    await writeMask(join(category, 'ground_truth', 'crack', '001_mask.png'), 24, 24, 0)
    const out = await destseg('evaluate-maps', '--dataset', category, '--maps', maps, '--json')
    expect(out.stderr).toBe('')
    expect(out.code).toBe(0)
    const json = JSON.parse(out.stdout) as Record<string, unknown>
    expect(json).toMatchObject({
      images: 8,
      unmasked_images: 3,
      images_per_metric: { image_auroc: 8, pixel_auroc: 5, pixel_ap: 5, iap: 5, iap90: 5, aupro: 5 },
      pixel_metrics_reason: null,
      warnings: [{ path: join(category, 'test', 'crack', '001.png'), kind: 'empty_mask', message: expect.stringContaining('mask is empty') }]
    })
    expect(typeof json.image_auroc).toBe('number')
    expect(typeof json.pixel_auroc).toBe('number')
  }, 60_000)
})
