/** evaluateCategory against the slow direct implementations of ./naive.ts on seeded random categories. */
import { describe, expect, it } from 'vitest'
import { evaluateCategory, EVAL_PIXELS, EVAL_SIZE, type EvalSample } from '../../../src/main/engine/metrics'
import { Random } from '../../../src/main/engine/random'
import { naiveAupro, naiveAuroc, naiveAveragePrecision, naiveIap, naiveTopMean } from './naive'

const S = EVAL_SIZE

/** Defects of several kinds: rectangles, single pixels, diagonal strokes (one 8-connected instance), speckles. */
function randomTruth(random: Random): Uint8Array {
  const gt = new Uint8Array(EVAL_PIXELS)
  const shapes = 1 + random.int(0, 4)
  for (let s = 0; s < shapes; s++) {
    const kind = random.int(0, 4)
    const y0 = random.int(0, S)
    const x0 = random.int(0, S)
    if (kind === 0) {
      const h = 1 + random.int(0, 40)
      const w = 1 + random.int(0, 40)
      for (let y = y0; y < Math.min(S, y0 + h); y++) for (let x = x0; x < Math.min(S, x0 + w); x++) gt[y * S + x] = 1
    } else if (kind === 1) {
      gt[y0 * S + x0] = 1
    } else if (kind === 2) {
      for (let t = 0; t < 30 && y0 + t < S && x0 + t < S; t++) gt[(y0 + t) * S + x0 + t] = 1
    } else {
      for (let t = 0; t < 25; t++) gt[Math.min(S - 1, y0 + random.int(0, 20)) * S + Math.min(S - 1, x0 + random.int(0, 20))] = 1
    }
  }
  return gt
}

/** Score distributions that stress ties, zeros of both signs, negatives, narrow and wide ranges. */
function randomMap(random: Random, gt: Uint8Array | null): Float32Array {
  const map = new Float32Array(EVAL_PIXELS)
  const kind = random.int(0, 5)
  const levels = [2, 5, 16][random.int(0, 3)]
  for (let i = 0; i < EVAL_PIXELS; i++) {
    const signal = gt && gt[i] ? 0.4 : 0
    const u = random.next()
    switch (kind) {
      case 0: // few distinct values: big tie groups mixing both classes
        map[i] = Math.floor((u + signal) * levels) / levels
        break
      case 1: // continuous
        map[i] = u + signal
        break
      case 2: // zeros of both signs, negatives, duplicates
        map[i] = u < 0.3 ? (u < 0.15 ? 0 : -0) : u < 0.5 ? -u : Math.round((u + signal) * 1000) / 1000
        break
      case 3: // a narrow range: all keys in one or two first-pass buckets
        map[i] = 0.5 + (u + signal) * 1e-4
        break
      default: // a wide dynamic range: many buckets
        map[i] = Math.exp(12 * (u - 0.7 + signal))
    }
  }
  return map
}

function randomCategory(seed: number): EvalSample[] {
  const random = new Random(seed)
  const count = 3 + random.int(0, 2)
  const samples: EvalSample[] = []
  for (let n = 0; n < count; n++) {
    // the first image is always anomalous, so pixel metrics exist; an all-zero truth is allowed too
    const gt = n === 0 || random.next() < 0.6 ? randomTruth(random) : random.next() < 0.5 ? null : new Uint8Array(EVAL_PIXELS)
    samples.push({ path: `seed${seed}/${n}`, defect: gt ? 'defect' : 'good', gt, map: randomMap(random, gt) })
  }
  return samples
}

describe('evaluateCategory against direct implementations', () => {
  it.each([1, 2, 3, 4])('agrees on random category %i', (seed) => {
    const samples = randomCategory(seed)
    const k = [0.9, 0.5, 0.75, 1][seed % 4]
    const topT = [100, 1, 7, 65536][seed % 4]
    const report = evaluateCategory(samples, { k, topT })

    const labels = new Uint8Array(samples.length * EVAL_PIXELS)
    const scores = new Float32Array(samples.length * EVAL_PIXELS)
    samples.forEach((s, n) => {
      scores.set(s.map, n * EVAL_PIXELS)
      if (s.gt) labels.set(s.gt, n * EVAL_PIXELS)
    })
    const imageLabels = samples.map((s) => (s.gt && s.gt.some((v) => v) ? 1 : 0))
    const imageScores = samples.map((s) => naiveTopMean(s.map, topT))
    const iap = naiveIap(samples, S, k)

    expect(report.pixel_auroc).toBeCloseTo(naiveAuroc(scores, labels), 10)
    expect(report.pixel_ap).toBeCloseTo(naiveAveragePrecision(scores, labels), 10)
    expect(report.aupro).toBeCloseTo(naiveAupro(samples, S), 10)
    expect(report.instances).toBe(iap.instances)
    expect(report.iap).toBeCloseTo(iap.iap, 12)
    expect(report.iap90).toBeCloseTo(iap.iapAtK, 12)
    expect(report.iap90_threshold === iap.threshold).toBe(true) // -0 and +0 tie
    report.per_image.forEach((r, n) => {
      expect(r.label).toBe(imageLabels[n])
      expect(r.score).toBeCloseTo(imageScores[n], 9)
    })
    const bothClasses = new Set(imageLabels).size === 2
    if (bothClasses) expect(report.image_auroc).toBeCloseTo(naiveAuroc(imageScores, imageLabels), 12)
    else expect(report.image_auroc).toBeNull()
  })
})
