/**
 * Thresholds (issue 5.4) on the hand-made evaluation of review-fixture.ts: the defaults (the IAP@90
 * operating point, the best-F1 image threshold), the view the Thresholds page draws, saving with a
 * history and reverting, argument checks; and the shared threshold arithmetic of common/review.
 */
import type Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confusionAt, f1Of, instanceCurveAt } from '../../src/common/review/thresholds'
import { f1MaxThreshold } from '../../src/main/results/default-thresholds'
import { ThresholdsService } from '../../src/main/review/thresholds-service'
import { asThresholdSaveRequest, asThresholdsQuery } from '../../src/main/services/validate'
import { tempDirs } from '../helpers/fixtures'
import { f, makeReviewFixture, type ReviewFixture } from './review-fixture'

const tempDir = tempDirs()
let fx: ReviewFixture
let db: Database.Database
let clock = 0
/** Saved rows get 2026-02-01T00:00:0N.000Z, one second apart. */
const now = (): Date => new Date(Date.UTC(2026, 1, 1, 0, 0, clock++))

beforeAll(async () => {
  fx = await makeReviewFixture(tempDir())
  db = fx.db
})

afterAll(() => db?.close())

describe('threshold arithmetic', () => {
  const images = [
    { label: 0, score: 0.9 },
    { label: 1, score: 0.8 },
    { label: 1, score: 0.6 },
    { label: 0, score: 0.1 },
    { label: 1, score: 0.05 }
  ] as const

  it('counts TP/FP/TN/FN with score >= threshold called anomalous', () => {
    expect(confusionAt(images, 0.6)).toEqual({ tp: 2, fp: 1, tn: 1, fn: 1 })
    expect(confusionAt(images, 0.61)).toEqual({ tp: 1, fp: 1, tn: 1, fn: 2 })
    expect(confusionAt(images, 0)).toEqual({ tp: 3, fp: 2, tn: 0, fn: 0 })
    expect(f1Of({ tp: 2, fp: 1, tn: 1, fn: 1 })).toBeCloseTo(4 / 6, 12)
  })

  it('takes the best-F1 image score as the default image threshold (hand-computed; the one rule of results/default-thresholds)', () => {
    // F1 at 0.9: 0; 0.8: 2/5; 0.6: 4/6; 0.1: 4/7; 0.05: 6/8 -> 0.05
    expect(f1MaxThreshold(images)).toBe(0.05)
    // equal best F1 (2/3 at 0.9 and at 0.6): the higher threshold, fewer alarms
    const tied = [
      { label: 1, score: 0.9 },
      { label: 0, score: 0.8 },
      { label: 0, score: 0.7 },
      { label: 1, score: 0.6 },
      { label: 0, score: 0.1 }
    ] as const
    expect(f1Of(confusionAt(tied, 0.9))).toBeCloseTo(2 / 3, 12)
    expect(f1Of(confusionAt(tied, 0.6))).toBeCloseTo(2 / 3, 12)
    expect(f1Of(confusionAt(tied, 0.1))).toBeCloseTo(4 / 7, 12)
    expect(f1MaxThreshold(tied)).toBe(0.9)
    // tied scores are one threshold
    expect(f1MaxThreshold([{ label: 1, score: 0.4 }, { label: 0, score: 0.4 }, { label: 0, score: 0.1 }])).toBe(0.4)
    // no anomalous image: the highest score
    expect(f1MaxThreshold([{ label: 0, score: 0.2 }, { label: 0, score: 0.3 }])).toBe(0.3)
  })

  it('reads instance recall and pixel precision off the IAP curve at a pixel threshold', () => {
    const curve = { threshold: [0.1, 0.2, 0.2, 0.5], recall: [1, 0.75, 0.5, 0.25], precision: [0.1, 0.3, 0.3, 0.9] }
    expect(instanceCurveAt(curve, 0.05)).toEqual({ recall: 1, precision: 0.1 })
    expect(instanceCurveAt(curve, 0.1)).toEqual({ recall: 1, precision: 0.1 })
    expect(instanceCurveAt(curve, 0.15)).toEqual({ recall: 0.75, precision: 0.3 })
    expect(instanceCurveAt(curve, 0.2)).toEqual({ recall: 0.75, precision: 0.3 })
    expect(instanceCurveAt(curve, 0.5)).toEqual({ recall: 0.25, precision: 0.9 })
    expect(instanceCurveAt(curve, 0.6)).toEqual({ recall: 0, precision: 0.9 })
  })
})

describe('ThresholdsService', () => {
  it('shows the evaluation with defaults: pixel = its IAP@90 operating point, image = the best-F1 image score', () => {
    const service = new ThresholdsService(db, { now })
    const view = service.view({ categoryId: fx.categoryId })
    expect(view.evaluation.id).toBe(fx.evaluationId)
    expect(view.category_name).toBe('parts')
    expect(view.categories).toEqual([expect.objectContaining({ id: fx.categoryId, name: 'parts', evaluations: 1 })])
    // instances sorted ascending: D 0.05, B 0.2, C 0.2, A 0.8; recall >= 0.9 only at the first
    expect(view.instance_curve.threshold).toEqual([f(0.05), f(0.2), f(0.2), f(0.8)])
    expect(view.instance_curve.recall).toEqual([1, 0.75, 0.5, 0.25])
    expect(fx.iap90Threshold).toBe(f(0.05))
    expect(view.defaults.pixel).toBe(fx.iap90Threshold)
    expect(view.operating_point).toEqual({ k: 0.9, threshold: f(0.05), recall: 1, precision: view.evaluation.iap90 })
    // image scores: good 0.9 and 0.1, crack 0.8 and 0.6, hole 0.05 -> best F1 (6/8) at the hole's score
    const byPath = Object.fromEntries(view.images.map((im) => [im.path.replace(/^.*\/test\//, '').replace(/\.png$/, ''), im]))
    expect(byPath['good/000']).toMatchObject({ label: 0, image_id: fx.ids['good/000'] })
    expect(byPath['good/000'].score).toBeCloseTo(0.9, 6)
    expect(byPath['good/001'].score).toBeCloseTo(0.1, 6)
    expect(byPath['hole/000']).toMatchObject({ label: 1, defect: 'hole' })
    expect(view.defaults.image).toBe(byPath['hole/000'].score)
    expect(view.in_effect.pixel).toMatchObject({ source: 'default', value: view.defaults.pixel, record: null })
    expect(view.in_effect.image).toMatchObject({ source: 'default', value: view.defaults.image, record: null })
    expect(view.current).toEqual({ pixel: null, image: null })
    expect(view.history).toEqual([])
    // the newest evaluation of any category when nothing is asked
    expect(service.view({}).evaluation.id).toBe(fx.evaluationId)
    expect(service.view({ evaluationId: fx.evaluationId }).category_id).toBe(fx.categoryId)
  })

  it('saves thresholds as history rows; the latest of each kind is in effect; reverting saves a new row', () => {
    const service = new ThresholdsService(db, { now })
    const first = service.save({ categoryId: fx.categoryId, evaluationId: fx.evaluationId, kind: 'pixel', value: 0.5, note: 'first' })
    expect(first).toEqual({
      id: expect.any(Number),
      category_id: fx.categoryId,
      evaluation_id: fx.evaluationId,
      kind: 'pixel',
      value: 0.5,
      note: 'first',
      created_at: '2026-02-01T00:00:00.000Z'
    })
    const image = service.save({ categoryId: fx.categoryId, evaluationId: fx.evaluationId, kind: 'image', value: 0.5 })
    const second = service.save({ categoryId: fx.categoryId, evaluationId: null, kind: 'pixel', value: 0.4, note: 'second' })
    let view = service.view({ categoryId: fx.categoryId })
    expect(view.history.map((r) => [r.kind, r.value, r.note])).toEqual([
      ['pixel', 0.4, 'second'],
      ['image', 0.5, ''],
      ['pixel', 0.5, 'first']
    ])
    expect(view.current.pixel?.id).toBe(second.id)
    expect(view.current.image?.id).toBe(image.id)
    expect(view.in_effect.pixel).toMatchObject({ source: 'saved', value: 0.4, record: { id: second.id } })
    expect(view.in_effect.image).toMatchObject({ source: 'saved', value: 0.5 })
    // defaults do not move with saved values
    expect(view.defaults.pixel).toBe(f(0.05))

    const reverted = service.save({ categoryId: fx.categoryId, evaluationId: fx.evaluationId, kind: 'pixel', value: first.value, note: `revert to #${first.id}` })
    view = service.view({ categoryId: fx.categoryId })
    expect(view.history).toHaveLength(4)
    expect(view.history[0]).toEqual(reverted)
    expect(view.in_effect.pixel.value).toBe(0.5)
    expect(reverted.created_at).toBe('2026-02-01T00:00:03.000Z')
  })

  it('refuses unknown categories and evaluations, and says when a category has no evaluation', () => {
    const service = new ThresholdsService(db, { now })
    expect(() => service.save({ categoryId: 999, evaluationId: null, kind: 'pixel', value: 0.5 })).toThrow(/Category 999 does not exist/)
    expect(() => service.save({ categoryId: fx.categoryId, evaluationId: 999, kind: 'pixel', value: 0.5 })).toThrow(/Evaluation 999 does not exist/)
    expect(() => service.view({ evaluationId: 999 })).toThrow(/Evaluation 999 does not exist/)
    const datasetId = db.prepare<[number], { dataset_id: number }>('SELECT dataset_id FROM categories WHERE id = ?').get(fx.categoryId)!.dataset_id
    const empty = Number(db.prepare("INSERT INTO categories (dataset_id, name, root) VALUES (?, 'empty', '/nowhere')").run(datasetId).lastInsertRowid)
    expect(() => service.view({ categoryId: empty })).toThrow(expect.objectContaining({ code: 'NO_EVALUATION', message: expect.stringMatching(/empty has no evaluation/) }))
    expect(() => service.view({ categoryId: empty, evaluationId: fx.evaluationId })).toThrow(/is not of category/)
    expect(() => service.save({ categoryId: empty, evaluationId: fx.evaluationId, kind: 'image', value: 0.5 })).toThrow(/is not of category/)
  })

  it('checks the arguments of thresholds:get and thresholds:save', () => {
    expect(asThresholdsQuery(undefined)).toEqual({})
    expect(asThresholdsQuery({ categoryId: 3 })).toEqual({ categoryId: 3, evaluationId: undefined })
    expect(() => asThresholdsQuery({ categoryId: 'x' })).toThrow(/categoryId/)
    const ok = { categoryId: 1, evaluationId: 2, kind: 'pixel', value: 0.25, note: 'n' }
    expect(asThresholdSaveRequest(ok)).toEqual(ok)
    expect(asThresholdSaveRequest({ ...ok, evaluationId: null, note: undefined })).toEqual({ ...ok, evaluationId: null, note: '' })
    expect(() => asThresholdSaveRequest({ ...ok, value: Number.NaN })).toThrow(/finite number/)
    expect(() => asThresholdSaveRequest({ ...ok, value: '0.5' })).toThrow(/finite number/)
    expect(() => asThresholdSaveRequest({ ...ok, kind: 'region' })).toThrow(/kind must be one of pixel, image/)
    expect(() => asThresholdSaveRequest({ ...ok, note: 'x'.repeat(1001) })).toThrow(/at most 1000/)
  })
})
