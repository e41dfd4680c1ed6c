/** The protocol's per-image steps: antialiased mask resize (against PyTorch), prediction resize, image score. */
import { describe, expect, it } from 'vitest'
import {
  EVAL_PIXELS,
  groundTruthFromMask,
  imageLabel,
  imageScore,
  predictionTo256,
  resizeAntialiased
} from '../../../src/main/engine/metrics'
import { resizeBilinear } from '../../../src/main/engine/synthesis/image-ops'
import { loadFixture } from './fixture'
import { naiveTopMean } from './naive'

/** The four analytic inputs of make_metrics_fixture.py's analytic_cases(), same formulas. */
function analyticCases(): { input: Float64Array; height: number; width: number; outHeight: number; outWidth: number }[] {
  const grid = (height: number, width: number, f: (y: number, x: number) => number) => {
    const input = new Float64Array(height * width)
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) input[y * width + x] = f(y, x)
    return { input, height, width }
  }
  const ellipses = (y: number, x: number): number =>
    ((y - 120) / 60) ** 2 + ((x - 100) / 35) ** 2 <= 1 ||
    ((y - 300) / 9) ** 2 + ((x - 200) / 4) ** 2 <= 1 ||
    (y === 40 && x >= 20 && x < 230) ||
    (y === 350 && x === 10)
      ? 1
      : 0
  return [
    { ...grid(373, 248, ellipses), outHeight: 256, outWidth: 256 },
    { ...grid(47, 61, (y, x) => ((x * x + 3 * y) % 256) / 255), outHeight: 256, outWidth: 256 },
    { ...grid(612, 300, (y, x) => ((x * 7 + y * y) % 256) / 255), outHeight: 256, outWidth: 256 },
    { ...grid(100, 100, (y, x) => ((x * 5 + y * 11) % 256) / 255), outHeight: 37, outWidth: 23 }
  ]
}

describe('antialiased bilinear resize', () => {
  const fixture = loadFixture()

  it.each(analyticCases().map((c, i) => [fixture.antialias[i].name, c, fixture.antialias[i]] as const))(
    'matches PyTorch F.interpolate(antialias=True): %s',
    (_name, c, expected) => {
      const out = resizeAntialiased(c.input, c.height, c.width, c.outHeight, c.outWidth)
      const sampled = Array.from(out).filter((_, i) => i % expected.stride === 0)
      expect(sampled.length).toBe(expected.values.length)
      let worst = 0
      sampled.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - expected.values[i]))))
      expect(worst).toBeLessThan(2e-6) // PyTorch computes in float32; the fixture keeps 8 decimals
      expect(out.reduce((a, v) => a + v, 0)).toBeCloseTo(expected.sum, 2)
      if (expected.positives !== undefined) expect(out.filter((v) => v >= 0.5).length).toBe(expected.positives)
    }
  )

  it('is the identity at the same size and plain bilinear when upsampling an interior pixel', () => {
    const src = Float64Array.from({ length: 12 }, (_, i) => (i * 37) % 11)
    expect(Array.from(resizeAntialiased(src, 3, 4, 3, 4))).toEqual(Array.from(src))
    const up = resizeAntialiased(src, 3, 4, 6, 8)
    const plain = resizeBilinear(Float32Array.from(src), 3, 4, 6, 8)
    up.forEach((v, i) => expect(v).toBeCloseTo(plain[i], 5))
  })

  it('binarises a 255-valued mask at >= 0.5 after scaling to [0, 1], from any channel count', () => {
    const { input, height, width } = analyticCases()[0]
    const grey = Uint8Array.from(input, (v) => v * 255)
    const gt = groundTruthFromMask(grey, height, width)
    expect(gt.length).toBe(EVAL_PIXELS)
    expect(gt.reduce((a, v) => a + v, 0)).toBe(fixture.antialias[0].positives)
    const rgba = new Uint8Array(grey.length * 4)
    grey.forEach((v, i) => rgba.set([v, v, v, 255], i * 4))
    expect(groundTruthFromMask(rgba, height, width, 4)).toEqual(gt)
    expect(imageLabel(gt)).toBe(1)
    expect(imageLabel(new Uint8Array(EVAL_PIXELS))).toBe(0)
    expect(imageLabel(null)).toBe(0)
  })
})

describe('prediction maps and image scores', () => {
  it('brings maps to 256x256 with half-pixel bilinear, copying 256x256 ones', () => {
    const map = Float32Array.from({ length: EVAL_PIXELS }, (_, i) => i % 13)
    const same = predictionTo256(map, 256, 256)
    expect(same.every((v, i) => v === map[i])).toBe(true)
    expect(same).not.toBe(map)
    const small = Float32Array.from({ length: 64 * 64 }, (_, i) => Math.sin(i))
    const expected = resizeBilinear(small, 64, 64, 256, 256)
    expect(predictionTo256(small, 64, 64).every((v, i) => v === expected[i])).toBe(true)
  })

  it('scores an image by the mean of its top T values, ties and negatives included', () => {
    const map = Float32Array.from({ length: EVAL_PIXELS }, (_, i) => ((i * 7919) % 1000) / 100 - 5)
    for (const t of [1, 2, 100, 999, 1000, 65536]) expect(imageScore(map, t)).toBeCloseTo(naiveTopMean(map, t), 9)
    expect(imageScore(new Float32Array(EVAL_PIXELS).fill(0.25), 100)).toBe(0.25)
    expect(() => imageScore(map, 0)).toThrow(/T must be an integer/)
  })
})
