/** Hand-computed cases: ties, one-pixel instances, recall/precision steps, the PRO cut at 0.3, errors. */
import { describe, expect, it } from 'vitest'
import { UserError } from '../../../src/common/ipc/errors'
import { AveragePrecisionSum } from '../../../src/main/engine/metrics/average-precision'
import { ProArea } from '../../../src/main/engine/metrics/aupro'
import {
  connectedComponents8,
  evaluateCategory,
  EVAL_PIXELS,
  EVAL_SIZE,
  instanceAveragePrecision,
  instanceScores,
  rocAuc,
  type EvalSample
} from '../../../src/main/engine/metrics'
import { rankPixels, walkThresholds } from '../../../src/main/engine/metrics/pixel-ranking'
import { RocArea } from '../../../src/main/engine/metrics/roc'
import { floatKey, keyFloat, sortKeys } from '../../../src/main/engine/metrics/score-keys'

/** ROC AUC and AP of a handful of pooled pixels through the ranking walk. */
function pixelAucAp(scores: number[], labels: number[]): { auc: number; ap: number } {
  const positives = labels.filter((l) => l).length
  const ranking = rankPixels(
    [{ map: Float32Array.from(scores), labels: Int32Array.from(labels), firstRegion: 0 }],
    [positives] // all positives as one region
  )
  const roc = new RocArea()
  const ap = new AveragePrecisionSum()
  walkThresholds(ranking, (_key, tp, fp) => {
    roc.add(tp, fp)
    ap.add(tp, fp)
  })
  return { auc: roc.value(positives, labels.length - positives), ap: ap.value(positives) }
}

const at = (y: number, x: number): number => y * EVAL_SIZE + x

describe('score keys', () => {
  it('order like the floats, tie -0 with +0, and sort exactly', () => {
    const values = [-Infinity, -3.5, -1e-30, -0, 0, 1e-45, 0.1, 0.5, 0.5000001, 1, 7e30, Infinity]
    const keys = values.map(floatKey)
    for (let i = 1; i < keys.length; i++) {
      if (Object.is(values[i - 1], -0)) expect(keys[i]).toBe(keys[i - 1])
      else expect(keys[i]).toBeGreaterThan(keys[i - 1])
    }
    values.forEach((v) => expect(keyFloat(floatKey(v))).toBe(Math.fround(v) + 0))
    const data = Int32Array.from({ length: 5000 }, (_, i) => floatKey(Math.sin(i) * (i % 7 === 0 ? 1e-3 : 10) * (i % 5 === 0 ? 0 : 1)))
    const expected = Array.from(data).sort((a, b) => a - b)
    const payload = Uint32Array.from(data, (k) => k >>> 0)
    sortKeys(data, payload)
    expect(Array.from(data)).toEqual(expected)
    expect(Array.from(payload, (p) => p | 0)).toEqual(expected) // payload moved with its key
  })
})

describe('pixel AUROC and AP', () => {
  it('counts a group of tied scores as one threshold step', () => {
    // positives 0.9, 0.8, 0.5; negatives 0.8, 0.7
    // AUROC: pairs won 1 + 1 + 0.5 (tie) + 1 + 0 + 0 = 3.5 of 6
    // AP: thresholds 0.9 (R 1/3, P 1), 0.8 (R 2/3, P 2/3), 0.7 (no recall step), 0.5 (R 1, P 3/5)
    const { auc, ap } = pixelAucAp([0.9, 0.8, 0.8, 0.7, 0.5], [1, 1, 0, 0, 1])
    expect(auc).toBeCloseTo(3.5 / 6, 14)
    expect(ap).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 3, 14)
    expect(rocAuc([0.9, 0.8, 0.8, 0.7, 0.5], [1, 1, 0, 0, 1])).toBeCloseTo(3.5 / 6, 14)
  })

  it('gives 0.5 when every score ties, and 1 / 0 for perfect and reversed rankings', () => {
    expect(pixelAucAp([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1])).toEqual({ auc: 0.5, ap: 0.5 })
    expect(pixelAucAp([4, 3, 2, 1], [1, 1, 0, 0])).toEqual({ auc: 1, ap: 1 })
    const reversed = pixelAucAp([1, 2, 3, 4], [1, 1, 0, 0])
    expect(reversed.auc).toBe(0)
    expect(reversed.ap).toBeCloseTo((1 / 2) * (1 / 3) + (1 / 2) * (2 / 4), 14)
  })
})

describe('instances', () => {
  it('are 8-connected components, a diagonal touch joins two pixels', () => {
    const mask = new Uint8Array(5 * 6)
    const set = (y: number, x: number) => (mask[y * 6 + x] = 1)
    set(0, 0)
    set(1, 1) // diagonal to (0, 0): same instance
    set(0, 3) // separated by a column of background
    set(3, 5)
    set(4, 5)
    set(4, 4) // an L of three pixels
    const c = connectedComponents8(mask, 5, 6)
    expect(c.count).toBe(3)
    expect(c.sizes).toEqual([2, 1, 3])
    expect(c.labels[1 * 6 + 1]).toBe(c.labels[0])
  })

  it('score at index floor(0.5 n) of the scores sorted descending; a one-pixel instance scores its pixel', () => {
    //   1 1 1 1
    //   0 0 0 1     one instance of 8 pixels
    //   0 1 1 1
    const mask = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1])
    const eight = connectedComponents8(mask, 3, 4)
    expect(eight.count).toBe(1)
    const map = Float32Array.from([0.1, 0.4, 0.3, 0.2, 9, 9, 9, 0.8, 9, 0.7, 0.6, 0.5])
    // descending 0.8 0.7 0.6 0.5 0.4 0.3 0.2 0.1, index floor(4) -> 0.4
    expect(Array.from(instanceScores(eight, map))).toEqual([Math.fround(0.4)])
    // n = 3: descending 0.9 0.5 0.1, index floor(1.5) = 1 -> 0.5 (at least half the pixels >= it)
    const three = connectedComponents8(Uint8Array.from([1, 1, 1, 0, 0, 0]), 2, 3)
    expect(Array.from(instanceScores(three, Float32Array.from([0.5, 0.9, 0.1, 0, 0, 0])))).toEqual([Math.fround(0.5)])
    const single = connectedComponents8(Uint8Array.from([0, 0, 0, 1]), 2, 2)
    expect(Array.from(instanceScores(single, Float32Array.from([1, 1, 1, 0.25])))).toEqual([0.25])
  })
})

describe('IAP', () => {
  const precision = new Map([
    [0.2, 0.5],
    [0.5, 0.4],
    [0.8, 0.9],
    [0.9, 0.7]
  ])
  const result = (k: number) => instanceAveragePrecision([0.9, 0.2, 0.8, 0.5], (t) => precision.get(t) as number, k)

  it('averages the running-max precision over the instance thresholds', () => {
    // ascending 0.2 0.5 0.8 0.9: recall 1, 0.75, 0.5, 0.25; precision 0.5 0.4 0.9 0.7 -> 0.5 0.5 0.9 0.9
    const r = result(0.9)
    expect(Array.from(r.recalls)).toEqual([1, 0.75, 0.5, 0.25])
    expect(Array.from(r.precisions)).toEqual([0.5, 0.5, 0.9, 0.9])
    expect(r.iap).toBeCloseTo(0.7, 15)
  })

  it('takes IAP@k at the highest threshold whose recall is still >= k', () => {
    expect([result(0.9).iapAtK, result(0.9).thresholdAtK]).toEqual([0.5, 0.2])
    expect([result(0.75).iapAtK, result(0.75).thresholdAtK]).toEqual([0.5, 0.5]) // recall 0.75 >= 0.75
    expect([result(0.5).iapAtK, result(0.5).thresholdAtK]).toEqual([0.9, 0.8])
    expect([result(0.1).iapAtK, result(0.1).thresholdAtK]).toEqual([0.9, 0.9])
    // N = 10, k = 0.9: recall of the 2nd threshold is 1 - 1/10 = 0.9 exactly, so it counts
    const ten = instanceAveragePrecision(Array.from({ length: 10 }, (_, i) => i), (t) => t / 10, 0.9)
    expect(ten.thresholdAtK).toBe(1)
  })
})

describe('AUPRO', () => {
  it('integrates the PRO curve to FPR 0.3, interpolating the crossing segment', () => {
    // 10 normal pixels, 1 region: points (0, 0.5), (0.2, 0.5), (0.4, 1); at 0.3 the PRO is 0.75
    // area = 0.2 * 0.5 + 0.1 * (0.5 + 0.75) / 2 = 0.1625
    const pro = new ProArea(10, 1)
    pro.add(0, 0.5)
    pro.add(2, 0.5)
    pro.add(4, 1)
    pro.add(10, 1)
    expect(pro.value()).toBeCloseTo(0.1625 / 0.3, 14)
  })
})

describe('evaluateCategory', () => {
  /**
   * Two images, maps 0 except: normal image A has one pixel at 0.6; defect image B has a one-pixel
   * instance scoring 0.9 and a 2x2 instance scoring 0.8, 0.7, 0.6, 0.5.
   */
  function handCase(): EvalSample[] {
    const a = new Float32Array(EVAL_PIXELS)
    a[at(5, 5)] = 0.6
    const b = new Float32Array(EVAL_PIXELS)
    const gt = new Uint8Array(EVAL_PIXELS)
    gt[at(10, 10)] = 1
    b[at(10, 10)] = 0.9
    const square: [number, number, number][] = [
      [100, 100, 0.8],
      [100, 101, 0.7],
      [101, 100, 0.6],
      [101, 101, 0.5]
    ]
    for (const [y, x, v] of square) {
      gt[at(y, x)] = 1
      b[at(y, x)] = v
    }
    return [
      { path: 'a.png', defect: 'good', gt: null, map: a },
      { path: 'b.png', defect: 'crack', gt, map: b }
    ]
  }

  it('matches the hand-computed metrics', () => {
    const r = evaluateCategory(handCase(), { topT: 2 })
    const negatives = 2 * EVAL_PIXELS - 5
    // AUROC: each positive beats the 131066 zero negatives; against the 0.6 negative: 3 wins, 1 tie, 1 loss
    expect(r.pixel_auroc).toBeCloseTo((5 * (negatives - 1) + 3.5) / (5 * negatives), 14)
    // AP: precision 1, 1, 1 at 0.9, 0.8, 0.7; 4/5 at 0.6; 5/6 at 0.5
    expect(r.pixel_ap).toBeCloseTo((3 + 0.8 + 5 / 6) / 5, 14)
    // instances: 0.9 (one pixel) and the 2x2 square's 3rd highest, 0.6; precision at 0.6 = 4/5, at 0.9 = 1
    expect(r.instances).toBe(2)
    expect(r.iap).toBeCloseTo(0.9, 14)
    expect(r.iap90).toBeCloseTo(0.8, 14)
    expect(r.iap90_threshold).toBe(Math.fround(0.6))
    // PRO: 0.5 0.625 0.75 at FPR 0; 0.875 and 1 at FPR f = 1/negatives; then 1 to FPR 0.3
    const f = 1 / negatives
    expect(r.aupro).toBeCloseTo((0.8125 * f + (0.3 - f)) / 0.3, 14)
    // image scores, top 2: A (0.6 + 0) / 2, B (0.9 + 0.8) / 2
    expect(r.per_image.map((p) => [p.label, p.score])).toEqual([
      [0, Math.fround(0.6) / 2],
      [1, (Math.fround(0.9) + Math.fround(0.8)) / 2]
    ])
    expect(r.image_auroc).toBe(1)
    expect(r.positive_pixels).toBe(5)
    expect(r.negative_pixels).toBe(negatives)
  })

  it('returns curves of at most about 500 points, ending at (1, 1)', () => {
    const r = evaluateCategory(handCase(), { maxCurvePoints: 3 })
    const roc = r.curves.pixel_roc
    expect(roc.fpr.length).toBeLessThanOrEqual(5)
    expect([roc.fpr[roc.fpr.length - 1], roc.tpr[roc.tpr.length - 1]]).toEqual([1, 1])
    expect(r.curves.instance).toEqual({ threshold: [Math.fround(0.6), Math.fround(0.9)], recall: [1, 0.5], precision: [0.8, 1] })
    expect(r.curves.image_roc).toEqual({ fpr: [0, 1], tpr: [1, 1], threshold: [r.per_image[1].score, r.per_image[0].score] })
  })

  it('refuses a category with no anomalous pixel, with a clear message', () => {
    const normal = (path: string, gt: Uint8Array | null): EvalSample => ({ path, defect: 'good', gt, map: new Float32Array(EVAL_PIXELS) })
    const samples = [normal('a.png', null), normal('b.png', new Uint8Array(EVAL_PIXELS))]
    expect(() => evaluateCategory(samples)).toThrow(UserError)
    expect(() => evaluateCategory(samples)).toThrow(/No anomalous pixel in the ground truth of the 2 test images/)
    try {
      evaluateCategory(samples)
    } catch (err) {
      expect((err as UserError).code).toBe('NO_ANOMALOUS_PIXELS')
    }
  })

  it('names the image of a NaN map and rejects bad options', () => {
    const samples = handCase()
    samples[1].map[7] = Number.NaN
    expect(() => evaluateCategory(samples)).toThrow(/b\.png: the map contains NaN/)
    expect(() => evaluateCategory(handCase(), { k: 0 })).toThrow(/k must be in \(0, 1\]/)
    expect(() => evaluateCategory(handCase(), { topT: 0 })).toThrow(/top T must be an integer/)
    expect(() => evaluateCategory([])).toThrow(/No test images/)
  })

  it('reports image AUROC as null when all images share one label', () => {
    const [, b] = handCase()
    expect(evaluateCategory([b]).image_auroc).toBeNull()
  })
})
