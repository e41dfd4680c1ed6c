/**
 * Migration 0030 (runs, evaluations, image_results, thresholds, verdicts) and its repositories:
 * upgrade of a 0020 database with data, constraints and cascades, one-transaction evaluation
 * inserts, threshold history and current values, latest verdicts.
 */
import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/main/store/db'
import { migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersion } from '../../src/main/store/migrations'
import * as results from '../../src/main/store/repositories/results.repo'
import * as runs from '../../src/main/store/repositories/runs.repo'
import * as thresholds from '../../src/main/store/repositories/thresholds.repo'
import * as verdicts from '../../src/main/store/repositories/verdicts.repo'
import { dumpDatabase, tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()

const SEED = `
  INSERT INTO datasets (id, name, root, layout, created_at, scanned_at) VALUES (1, 'mt', '/d/mt', 'mvtec', 't', 't');
  INSERT INTO categories (id, dataset_id, name, root) VALUES (1, 1, 'mt', '/d/mt'), (2, 1, 'other', '/d/other');
  INSERT INTO images (id, dataset_id, category_id, path, rel_path, split, defect_type, label, width, height,
                      channels, format, size_bytes, mtime_ms, content_hash)
    VALUES (1, 1, 1, '/d/mt/test/good/0.png', 'test/good/0.png', 'test', 'good', 0, 4, 4, 1, 'png', 1, 0, 'a'),
           (2, 1, 1, '/d/mt/test/crack/0.png', 'test/crack/0.png', 'test', 'crack', 1, 4, 4, 1, 'png', 1, 0, 'b');
  INSERT INTO texture_sources (id, name, root, created_at) VALUES (1, 'dtd', '/t', 't');
`

const count = (db: Database.Database, table: string): number =>
  db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n

const newRun = (categoryId = 1): runs.NewRun => ({
  dataset_id: 1,
  category_id: categoryId,
  name: 'r',
  preset: 'tiny',
  config_json: '{}',
  created_at: '2025-01-01T00:00:00.000Z'
})

const evaluation = (runId: number | null): results.NewEvaluation => ({
  run_id: runId,
  category_id: 1,
  model_path: '/m.onnx',
  created_at: 't',
  image_auroc: 0.9,
  pixel_auroc: 0.95,
  pixel_ap: 0.5,
  iap: 0.4,
  iap90: 0.2,
  iap90_threshold: 0.61,
  aupro: null,
  images: 2,
  instances: 1,
  ms_per_image: 12.5,
  report: { curves: { recall: [1, 0.5], precision: [0.1, 0.9] } },
  maps_dir: '/maps'
})

describe('migration 0030: runs and results', () => {
  it('upgrades a 0020 database with data, keeping every row', () => {
    const path = join(tempDir(), 'v20.sqlite')
    const old = new Database(path)
    migrate(old, MIGRATIONS.filter((m) => m.version <= 20))
    expect(schemaVersion(old)).toBe(20)
    old.exec(SEED)
    const before = dumpDatabase(old)
    old.close()

    const db = openDatabase(path)
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    const after = dumpDatabase(db)
    for (const table of ['datasets', 'categories', 'images', 'texture_sources']) expect(after[table]).toEqual(before[table])
    for (const table of ['runs', 'evaluations', 'image_results', 'thresholds', 'verdicts']) expect(after[table]).toEqual([])
    const strict = db
      .prepare<[], { name: string; strict: number }>("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all()
    expect(strict.every((t) => t.strict === 1)).toBe(true)
    db.close()
  })

  it('checks statuses, kinds and the queue invariant', () => {
    const db = openDatabase(':memory:')
    db.exec(SEED)
    const id = db.transaction(() => runs.insertQueuedRun(db, newRun(), (i) => `/data/runs/${i}-r`))()
    expect(runs.getRun(db, id)).toMatchObject({ status: 'queued', queue_position: 1, run_dir: `/data/runs/${id}-r` })
    expect(() => db.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(id)).toThrow(/CHECK/)
    // queued <=> queue_position set
    expect(() => db.prepare("UPDATE runs SET status = 'training' WHERE id = ?").run(id)).toThrow(/CHECK/)
    expect(() => db.prepare('UPDATE runs SET train_seconds = ? WHERE id = ?').run('fast', id)).toThrow(/cannot store TEXT value in REAL column/)
    expect(() =>
      db.prepare("INSERT INTO thresholds (category_id, kind, value, created_at) VALUES (1, 'region', 0.5, 't')").run()
    ).toThrow(/CHECK/)
    // A run's dataset must be its category's.
    db.exec("INSERT INTO datasets (id, name, root, layout, created_at, scanned_at) VALUES (2, 'b', '/b', 'mvtec', 't', 't')")
    expect(() => runs.insertQueuedRun(db, { ...newRun(), dataset_id: 2 }, () => '/x')).toThrow(/FOREIGN KEY/)
    db.close()
  })

  it('orders the queue, ranks queued runs and takes them out when they start', () => {
    const db = openDatabase(':memory:')
    db.exec(SEED)
    const [a, b, c] = [1, 2, 1].map((cat) => runs.insertQueuedRun(db, newRun(cat), (i) => `/r/${i}`))
    expect(runs.nextQueuedRun(db)?.id).toBe(a)
    expect(runs.listRuns(db).map((r) => [r.id, r.queue_rank, r.category_name])).toEqual([
      [c, 3, 'mt'],
      [b, 2, 'other'],
      [a, 1, 'mt']
    ])
    expect(runs.listRuns(db, 2).map((r) => r.id)).toEqual([b])
    runs.markRunStarted(db, a, 'start-1')
    expect(runs.getRunRow(db, b)?.queue_rank).toBe(1)
    runs.setRunStatus(db, a, 'cancelled', { finished_at: 'end', note: 'n' })
    runs.enqueueRun(db, a) // at the end again, its ending cleared
    expect(runs.getRunRow(db, a)).toMatchObject({ status: 'queued', queue_rank: 3, finished_at: null, note: null })
    runs.markRunStarted(db, a, 'start-2')
    expect(runs.getRun(db, a)?.started_at).toBe('start-1') // the first start stays
    expect(runs.runsWithStatus(db, ['training']).map((r) => r.id)).toEqual([a])
    db.close()
  })

  it('stores an evaluation with all its image results in one transaction, or nothing', () => {
    const db = openDatabase(':memory:')
    db.exec(SEED)
    const run = runs.insertQueuedRun(db, newRun(), () => '/r')
    const id = results.insertEvaluation(db, evaluation(run), [
      { image_id: 1, score: 0.1, map_path: '/maps/0.npy' },
      { image_id: 2, score: 0.8, map_path: '/maps/1.npy' }
    ])
    expect(results.getEvaluation(db, id)).toMatchObject({ run_id: run, iap90_threshold: 0.61, aupro: null, images: 2 })
    expect(results.evaluationReport(db, id)).toEqual({ curves: { recall: [1, 0.5], precision: [0.1, 0.9] } })
    expect(results.imageResults(db, id).map((r) => r.image_id)).toEqual([2, 1])
    expect(results.runEvaluations(db, run).map((e) => e.id)).toEqual([id])
    expect(results.listEvaluations(db, 1).map((e) => e.id)).toEqual([id])

    // An image that does not exist: neither the evaluation nor any of its rows is kept.
    expect(() =>
      results.insertEvaluation(db, evaluation(null), [
        { image_id: 1, score: 0.1, map_path: '/a' },
        { image_id: 99, score: 0.2, map_path: '/b' }
      ])
    ).toThrow(/FOREIGN KEY/)
    expect(count(db, 'evaluations')).toBe(1)
    expect(count(db, 'image_results')).toBe(2)
    db.close()
  })

  it('keeps the threshold history; the current one is the latest per kind', () => {
    const db = openDatabase(':memory:')
    db.exec(SEED)
    const ev = results.insertEvaluation(db, evaluation(null), [])
    const t = (kind: 'pixel' | 'image', value: number, note = ''): number =>
      thresholds.insertThreshold(db, { category_id: 1, evaluation_id: ev, kind, value, note, created_at: 't' })
    expect(thresholds.currentThresholds(db, 1)).toEqual({ pixel: null, image: null })
    t('pixel', 0.61, 'IAP@90 operating point')
    t('image', 0.4)
    const latest = t('pixel', 0.55, 'fewer misses')
    const current = thresholds.currentThresholds(db, 1)
    expect(current.pixel).toMatchObject({ id: latest, value: 0.55, note: 'fewer misses' })
    expect(current.image?.value).toBe(0.4)
    expect(thresholds.thresholdHistory(db, 1, 'pixel').map((r) => r.value)).toEqual([0.55, 0.61])
    expect(thresholds.thresholdHistory(db, 1)).toHaveLength(3)
    expect(thresholds.currentThresholds(db, 2)).toEqual({ pixel: null, image: null })
    // Deleting the evaluation keeps the thresholds, unlinked.
    results.deleteEvaluation(db, ev)
    expect(thresholds.thresholdHistory(db, 1).map((r) => r.evaluation_id)).toEqual([null, null, null])
    db.close()
  })

  it('counts the latest verdict per image and queue', () => {
    const db = openDatabase(':memory:')
    db.exec(SEED)
    const ev = results.insertEvaluation(db, evaluation(null), [])
    const v = (image_id: number, queue: 'false_negative' | 'false_positive', verdict: 'true_defect' | 'false_alarm' | 'ambiguous_gt' | 'skip'): number =>
      verdicts.insertVerdict(db, { evaluation_id: ev, image_id, queue, verdict, note: '', created_at: 't' })
    v(2, 'false_negative', 'skip')
    v(2, 'false_negative', 'true_defect') // changed their mind
    v(1, 'false_positive', 'false_alarm')
    v(2, 'false_positive', 'ambiguous_gt')
    expect(verdicts.latestVerdicts(db, ev).map((r) => [r.image_id, r.queue, r.verdict])).toEqual([
      [1, 'false_positive', 'false_alarm'],
      [2, 'false_negative', 'true_defect'],
      [2, 'false_positive', 'ambiguous_gt']
    ])
    expect(verdicts.countVerdicts(db, ev)).toEqual({ true_defect: 1, false_alarm: 1, ambiguous_gt: 1, skip: 0 })
    expect(verdicts.countVerdicts(db, ev, 'false_negative')).toEqual({ true_defect: 1, false_alarm: 0, ambiguous_gt: 0, skip: 0 })
    expect(verdicts.verdictHistory(db, ev, 2).map((r) => r.verdict)).toEqual(['ambiguous_gt', 'true_defect', 'skip'])
    expect(() => db.prepare("INSERT INTO verdicts (evaluation_id, image_id, queue, verdict, created_at) VALUES (?, 1, 'false_negative', 'maybe', 't')").run(ev)).toThrow(/CHECK/)
    db.close()
  })

  it('cascades: a category takes its runs, their evaluations, results, verdicts and thresholds with it', () => {
    const db = openDatabase(':memory:')
    db.exec(SEED)
    const run = runs.insertQueuedRun(db, newRun(), () => '/r')
    const ev = results.insertEvaluation(db, evaluation(run), [{ image_id: 1, score: 0.1, map_path: '/a' }])
    verdicts.insertVerdict(db, { evaluation_id: ev, image_id: 1, queue: 'false_positive', verdict: 'skip', note: '', created_at: 't' })
    thresholds.insertThreshold(db, { category_id: 1, evaluation_id: ev, kind: 'pixel', value: 0.5, note: '', created_at: 't' })
    // Deleting the run deletes its evaluation and what hangs on it; the threshold stays.
    runs.deleteRun(db, run)
    expect([count(db, 'evaluations'), count(db, 'image_results'), count(db, 'verdicts'), count(db, 'thresholds')]).toEqual([0, 0, 0, 1])
    // Deleting the dataset takes everything.
    runs.insertQueuedRun(db, newRun(), () => '/r2')
    results.insertEvaluation(db, evaluation(null), [{ image_id: 2, score: 0.3, map_path: '/b' }])
    db.exec('DELETE FROM datasets WHERE id = 1')
    for (const table of ['runs', 'evaluations', 'image_results', 'verdicts', 'thresholds']) expect(count(db, table)).toBe(0)
    db.close()
  })
})
