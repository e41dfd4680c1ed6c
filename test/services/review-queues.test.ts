/**
 * Failure-case review (issue 5.5) on the hand-made evaluation of review-fixture.ts: the false-negative
 * and false-positive queues at the defaults and at saved thresholds (hand-computed), agreement of
 * the missed instances with the engine's IAP curve, verdicts (the latest per image and queue
 * counts), argument checks, and the channels through createServices.
 */
import type Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReviewCase } from '../../src/common/types/review'
import { groundTruthInstances, missedInstances, regionsOutsideTruth } from '../../src/main/review/failure-cases'
import { ReviewService } from '../../src/main/review/review-service'
import { ThresholdsService } from '../../src/main/review/thresholds-service'
import { createServices, type AppServices } from '../../src/main/services/api'
import { asReviewQueueRequest, asVerdictRequest } from '../../src/main/services/validate'
import { tempDirs } from '../helpers/fixtures'
import { f, makeReviewFixture, type ReviewFixture } from './review-fixture'

const tempDir = tempDirs()
let fx: ReviewFixture
let db: Database.Database
let thresholds: ThresholdsService
let review: ReviewService
let clock = 0
const now = (): Date => new Date(Date.UTC(2026, 2, 1, 0, 0, clock++))

beforeAll(async () => {
  fx = await makeReviewFixture(tempDir())
  db = fx.db
  thresholds = new ThresholdsService(db, { now })
  review = new ReviewService(db, thresholds, { now })
})

afterAll(() => db?.close())

/** A case as [image, image_error, regions as [x, y, width, height, pixels, score]]. */
function summary(cases: ReviewCase[]): Array<[string, boolean, number[][]]> {
  const name = (id: number): string => Object.entries(fx.ids).find(([, v]) => v === id)?.[0] ?? String(id)
  return cases.map((c) => [name(c.image_id), c.image_error, c.regions.map((r) => [r.x, r.y, r.width, r.height, r.pixels, r.score])])
}

describe('failure cases of one image', () => {
  it('scores ground-truth instances by their median and boxes them', () => {
    const gt = new Uint8Array(256 * 256)
    const map = new Float32Array(256 * 256)
    for (let y = 50; y < 70; y++) for (let x = 50; x < 60; x++) gt[y * 256 + x] = 1
    for (let y = 50; y < 70; y++) for (let x = 50; x < 60; x++) map[y * 256 + x] = y < 60 ? 0.6 : 0.2
    gt[255 * 256 + 255] = 1 // a one-pixel instance in the corner
    map[255 * 256 + 255] = 0.7
    const instances = groundTruthInstances(map, gt)
    expect(instances).toEqual([
      { x: 50, y: 50, width: 10, height: 20, pixels: 200, score: f(0.2) },
      { x: 255, y: 255, width: 1, height: 1, pixels: 1, score: f(0.7) }
    ])
    expect(missedInstances(instances, 0.5)).toEqual([instances[0]])
    expect(missedInstances(instances, f(0.2))).toEqual([])
    // map >= 0.5: the top half (touches the instance) and the corner pixel (is the instance): nothing outside
    expect(regionsOutsideTruth(map, gt, 0.5)).toEqual([])
    // without ground truth both are false alarms, the highest peak first
    expect(regionsOutsideTruth(map, null, 0.5)).toEqual([
      { x: 255, y: 255, width: 1, height: 1, pixels: 1, score: f(0.7) },
      { x: 50, y: 50, width: 10, height: 10, pixels: 100, score: f(0.6) }
    ])
    expect(regionsOutsideTruth(map, null, 0.8)).toEqual([])
  })
})

describe('ReviewService', () => {
  it('at the defaults (pixel 0.05 = IAP@90 point, image 0.05 = best F1): no false negative; three false positives', async () => {
    const fn = await review.queue({ evaluationId: fx.evaluationId, queue: 'false_negative' })
    expect(fn.thresholds.pixel).toMatchObject({ source: 'default', value: f(0.05) })
    expect(fn.grid).toBe(256)
    // every instance scores >= 0.05 (D exactly 0.05) and every anomalous image scores >= 0.05
    expect(fn.cases).toEqual([])
    const fp = await review.queue({ evaluationId: fx.evaluationId, queue: 'false_positive' })
    expect(summary(fp.cases)).toEqual([
      ['good/000', true, [[20, 20, 10, 10, 100, f(0.9)]]],
      // crack/000: B (0.2) touches its instance; the 0.7 blob does not
      ['crack/000', false, [[200, 200, 10, 10, 100, f(0.7)]]],
      // good/001: its 64x64 map of 0.1 upsampled is one region over the whole image
      ['good/001', true, [[0, 0, 256, 256, 65536, f(0.1)]]]
    ])
    // crack/001 and hole/000: every predicted region touches the ground truth
    expect(fp.cases.every((c) => c.verdict === null)).toBe(true)
    expect(fp.cases[0]).toMatchObject({ rel_path: 'test/good/000.png', defect: 'good', label: 0, width: 256, height: 256, instances: 0 })
  })

  it('the missed instances at the IAP@90 threshold are those the curve does not recall', async () => {
    const view = thresholds.view({ evaluationId: fx.evaluationId })
    const n = view.evaluation.instances
    const fn = await review.queue({ evaluationId: fx.evaluationId, queue: 'false_negative' })
    const missed = fn.cases.reduce((sum, c) => sum + c.regions.length, 0)
    expect(missed).toBe(Math.round(n * (1 - view.operating_point.recall)))
  })

  it('at saved thresholds (pixel 0.5, image 0.5): missed images and instances, false alarms outside the ground truth', async () => {
    thresholds.save({ categoryId: fx.categoryId, evaluationId: fx.evaluationId, kind: 'pixel', value: 0.5, note: '' })
    thresholds.save({ categoryId: fx.categoryId, evaluationId: fx.evaluationId, kind: 'image', value: 0.5, note: '' })
    const fn = await review.queue({ evaluationId: fx.evaluationId, queue: 'false_negative' })
    expect(fn.thresholds.pixel).toMatchObject({ source: 'saved', value: 0.5 })
    expect(fn.thresholds.image).toMatchObject({ source: 'saved', value: 0.5 })
    expect(summary(fn.cases)).toEqual([
      ['hole/000', true, [[0, 246, 10, 10, 100, f(0.05)]]],
      // C: 100 pixels of 0.6 and 100 of 0.2, its score the value at index 100 of 200 sorted descending
      ['crack/001', false, [[50, 50, 10, 20, 200, f(0.2)]]],
      ['crack/000', false, [[100, 100, 20, 10, 200, f(0.2)]]]
    ])
    expect(fn.cases.map((c) => c.instances)).toEqual([1, 1, 2])
    const fp = await review.queue({ evaluationId: fx.evaluationId, queue: 'false_positive' })
    expect(summary(fp.cases)).toEqual([
      ['good/000', true, [[20, 20, 10, 10, 100, f(0.9)]]],
      // crack/001's 0.55 patch lies outside C but joins C's top half: that region touches the ground truth
      ['crack/000', false, [[200, 200, 10, 10, 100, f(0.7)]]]
    ])
  })

  it('stores verdicts; the latest per image and queue counts, and the queues show them', async () => {
    const give = (image: string, queue: 'false_negative' | 'false_positive', verdict: 'true_defect' | 'false_alarm' | 'ambiguous_gt' | 'skip', note = '') =>
      review.verdict({ evaluationId: fx.evaluationId, imageId: fx.ids[image], queue, verdict, note })
    const first = give('hole/000', 'false_negative', 'true_defect', 'clearly a hole')
    expect(first).toEqual({
      id: expect.any(Number),
      evaluation_id: fx.evaluationId,
      image_id: fx.ids['hole/000'],
      queue: 'false_negative',
      verdict: 'true_defect',
      note: 'clearly a hole',
      created_at: expect.stringMatching(/^2026-03-01T/)
    })
    give('crack/001', 'false_negative', 'ambiguous_gt')
    const changed = give('crack/001', 'false_negative', 'skip')
    give('good/000', 'false_positive', 'false_alarm')

    const counts = await review.counts(fx.evaluationId)
    expect(counts.false_negative).toEqual({ cases: 3, judged: 2, verdicts: { true_defect: 1, false_alarm: 0, ambiguous_gt: 0, skip: 1 } })
    expect(counts.false_positive).toEqual({ cases: 2, judged: 1, verdicts: { true_defect: 0, false_alarm: 1, ambiguous_gt: 0, skip: 0 } })
    expect(counts.thresholds.pixel.value).toBe(0.5)

    const fn = await review.queue({ evaluationId: fx.evaluationId, queue: 'false_negative' })
    expect(fn.cases.map((c) => c.verdict?.verdict ?? null)).toEqual(['true_defect', 'skip', null])
    expect(fn.cases[1].verdict?.id).toBe(changed.id)
    // a verdict in one queue is not one in the other
    const fp = await review.queue({ evaluationId: fx.evaluationId, queue: 'false_positive' })
    expect(fp.cases.map((c) => c.verdict?.verdict ?? null)).toEqual(['false_alarm', null])
  })

  it('refuses verdicts on images outside the evaluation, and bad arguments', () => {
    const trainImage = db.prepare<[], { id: number }>("SELECT id FROM images WHERE split = 'train' LIMIT 1").get()!.id
    expect(() => review.verdict({ evaluationId: fx.evaluationId, imageId: trainImage, queue: 'false_negative', verdict: 'skip' })).toThrow(
      /is not a test image of evaluation/
    )
    expect(() => review.verdict({ evaluationId: 999, imageId: fx.ids['good/000'], queue: 'false_negative', verdict: 'skip' })).toThrow(
      /Evaluation 999 does not exist/
    )
    expect(asReviewQueueRequest({ evaluationId: 2, queue: 'false_positive' })).toEqual({ evaluationId: 2, queue: 'false_positive' })
    expect(() => asReviewQueueRequest({ evaluationId: 2, queue: 'missed' })).toThrow(/queue must be one of false_negative, false_positive/)
    const ok = { evaluationId: 1, imageId: 2, queue: 'false_negative', verdict: 'ambiguous_gt' }
    expect(asVerdictRequest(ok)).toEqual({ ...ok, note: '' })
    expect(() => asVerdictRequest({ ...ok, verdict: 'maybe' })).toThrow(/verdict must be one of true_defect, false_alarm, ambiguous_gt, skip/)
    expect(() => asVerdictRequest({ ...ok, imageId: 0 })).toThrow(/imageId/)
    expect(() => asVerdictRequest({ ...ok, note: 5 })).toThrow(/note must be a string/)
  })

  it('a missing map file is a clear error, and is read again once it is back', async () => {
    const fresh = new ReviewService(db, thresholds)
    const mapPath = db
      .prepare<[number, number], { map_path: string }>('SELECT map_path FROM image_results WHERE evaluation_id = ? AND image_id = ?')
      .get(fx.evaluationId, fx.ids['good/000'])!.map_path
    const { renameSync } = await import('node:fs')
    renameSync(mapPath, `${mapPath}.away`)
    await expect(fresh.queue({ evaluationId: fx.evaluationId, queue: 'false_positive' })).rejects.toThrow(/Missing map file .*000\.npy/)
    renameSync(`${mapPath}.away`, mapPath)
    expect((await fresh.queue({ evaluationId: fx.evaluationId, queue: 'false_positive' })).cases).toHaveLength(2)
  })
})

describe('thresholds and review channels', () => {
  let services: AppServices

  afterAll(async () => {
    await services?.close()
  })

  it('serves thresholds:*, review:* through the one API implementation', async () => {
    services = createServices({ db, dbPath: db.name, dataDir: fx.dataDir, version: 'test', transport: 'http' })
    const h = services.handlers
    const view = await h['thresholds:get']({ categoryId: fx.categoryId })
    expect(view.in_effect.pixel.value).toBe(0.5)
    const saved = await h['thresholds:save']({ categoryId: fx.categoryId, evaluationId: fx.evaluationId, kind: 'pixel', value: 0.75, note: 'via api' })
    expect(saved).toMatchObject({ kind: 'pixel', value: 0.75, note: 'via api' })
    // at 0.75 crack/000's A (0.8) is still found, and the 0.7 blob is no longer predicted
    const fp = await h['review:queue']({ evaluationId: fx.evaluationId, queue: 'false_positive' })
    expect(fp.cases.map((c) => c.image_id)).toEqual([fx.ids['good/000']])
    const verdict = await h['review:verdict']({ evaluationId: fx.evaluationId, imageId: fx.ids['good/000'], queue: 'false_positive', verdict: 'ambiguous_gt' })
    expect(verdict.verdict).toBe('ambiguous_gt')
    const counts = await h['review:counts'](fx.evaluationId)
    expect(counts.false_positive).toEqual({ cases: 1, judged: 1, verdicts: { true_defect: 0, false_alarm: 0, ambiguous_gt: 1, skip: 0 } })
    await expect(Promise.resolve().then(() => h['review:counts']('1' as unknown as number))).rejects.toThrow(/evaluationId must be a positive integer/)
  })
})
