/**
 * Report export on the hand-made review fixture (a real evaluation of five test images, computed by
 * the engine from stored maps and masks), made the evaluation of a run, with a saved threshold and
 * a verdict: CSV and JSON rows (one per test image), a self-contained HTML file and a PDF whose
 * text (pdftotext) holds the metrics as the report formats them and whose first page renders
 * (pdftoppm). Also the errors a user can hit.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReportImageRow } from '../../src/common/types/reports'
import { formatMetric, renderReport, writeReportFile } from '../../src/main/reports'
import { histogramChart, instanceCurveChart, rocChart } from '../../src/main/reports/charts'
import { scoreHistogram } from '../../src/main/reports/gather'
import { CSV_COLUMNS, type ReportJson } from '../../src/main/reports/rows'
import { asReportExportRequest } from '../../src/main/services/validate'
import { getEvaluation } from '../../src/main/store/repositories/results.repo'
import { insertThreshold } from '../../src/main/store/repositories/thresholds.repo'
import { insertVerdict } from '../../src/main/store/repositories/verdicts.repo'
import { tempDirs } from '../helpers/fixtures'
import { makeReviewFixture, type ReviewFixture } from '../services/review-fixture'

const tempDir = tempDirs()
let fx: ReviewFixture
let root: string
let runId: number

const METRIC_KEYS = ['image_auroc', 'pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'iap90_threshold', 'aupro'] as const

/** Splits a CSV text (quoted cells allowed, no newlines inside) into rows of cells. */
function parseCsv(text: string): string[][] {
  return text
    .trim()
    .split(/\r\n/)
    .map((line) => {
      const cells: string[] = []
      const re = /("(?:[^"]|"")*"|[^,]*)(,|$)/g
      let m: RegExpExecArray | null
      while ((m = re.exec(line)) !== null) {
        const cell = m[1]
        cells.push(cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell)
        if (m[2] === '') break
      }
      return cells
    })
}

beforeAll(async () => {
  root = tempDir()
  fx = await makeReviewFixture(root)
  const { db, categoryId, evaluationId } = fx
  const datasetId = db.prepare<[number], { dataset_id: number }>('SELECT dataset_id FROM categories WHERE id = ?').get(categoryId)!.dataset_id
  const config = { preset: 'tiny', dataset: join(root, 'parts'), textures: join(root, 'textures'), size: 32, batch: 2, student_steps: 4, segmentation_steps: 4 }
  runId = Number(
    db
      .prepare(
        `INSERT INTO runs (dataset_id, category_id, name, preset, config_json, status, run_dir, backend, created_at, started_at, finished_at, train_seconds, model_path)
         VALUES (?, ?, 'parts tiny', 'tiny', ?, 'done', ?, 'wasm', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:11.000Z', 10.5, ?)`
      )
      .run(datasetId, categoryId, JSON.stringify(config), join(root, 'run'), join(root, 'model.onnx')).lastInsertRowid
  )
  db.prepare('UPDATE evaluations SET run_id = ? WHERE id = ?').run(runId, evaluationId)
  insertThreshold(db, { category_id: categoryId, evaluation_id: evaluationId, kind: 'image', value: 0.5, note: 'tuned on the line', created_at: '2026-01-02T00:00:00.000Z' })
  insertVerdict(db, { evaluation_id: evaluationId, image_id: fx.ids['hole/000'], queue: 'false_negative', verdict: 'ambiguous_gt', note: 'faint', created_at: '2026-01-03T00:00:00.000Z' })
}, 60_000)

afterAll(() => fx?.db.close())

const now = (): Date => new Date('2026-02-01T12:00:00.000Z')

describe('report export', () => {
  it('formats metrics with 4 decimals', () => {
    expect(formatMetric(0.80305)).toBe((0.80305).toFixed(4))
    expect(formatMetric(1)).toBe('1.0000')
    expect(formatMetric(null)).toBe('n/a')
  })

  it('CSV: one row per test image with the columns, predicted at the saved image threshold, verdicts', async () => {
    const { filename, mime, data } = await renderReport(fx.db, { run_id: runId }, 'csv', { now })
    expect(filename).toBe(`report-parts-run-${runId}.csv`)
    expect(mime).toMatch(/^text\/csv/)
    const [header, ...rows] = parseCsv(data.toString('utf8'))
    expect(header).toEqual([...CSV_COLUMNS])
    for (const c of ['path', 'split', 'defect_type', 'label', 'score', 'predicted', 'verdict']) expect(header).toContain(c)
    const testImages = fx.db.prepare<[number], { n: number }>("SELECT COUNT(*) AS n FROM images WHERE category_id = ? AND split = 'test'").get(fx.categoryId)!.n
    expect(rows).toHaveLength(testImages)
    expect(rows).toHaveLength(5)
    const col = (name: string): number => header.indexOf(name)
    const byRel = new Map(rows.map((r) => [r[col('rel_path')], r]))
    expect(byRel.get('test/good/000.png')).toBeDefined()
    for (const r of rows) {
      expect(r[col('split')]).toBe('test')
      expect(r[col('predicted')]).toBe(Number(r[col('score')]) >= 0.5 ? '1' : '0')
    }
    const hole = byRel.get('test/hole/000.png')!
    expect(hole[col('label')]).toBe('1')
    expect(hole[col('verdict')]).toBe('ambiguous_gt')
    expect(hole[col('queues')]).toBe('false_negative')
    expect(byRel.get('test/good/000.png')![col('queues')]).toBe('false_positive')
    // highest score first
    const scores = rows.map((r) => Number(r[col('score')]))
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
  })

  it('JSON: the same rows, the metrics and the thresholds in force', async () => {
    const csv = parseCsv((await renderReport(fx.db, { run_id: runId }, 'csv', { now })).data.toString('utf8'))
    const { data, mime } = await renderReport(fx.db, { run_id: runId }, 'json', { now })
    expect(mime).toBe('application/json')
    const json = JSON.parse(data.toString('utf8')) as ReportJson
    expect(json).toMatchObject({ kind: 'run', run_id: runId, evaluation_id: fx.evaluationId, thresholds: { image: 0.5, image_source: 'saved', pixel_source: 'default' } })
    const evaluation = getEvaluation(fx.db, fx.evaluationId)!
    for (const key of METRIC_KEYS) expect(json.metrics[key]).toBe(evaluation[key])
    expect(json.images).toHaveLength(csv.length - 1)
    const header = csv[0]
    json.images.forEach((row: ReportImageRow, i) => {
      expect(String(row.image_id)).toBe(csv[i + 1][header.indexOf('image_id')])
      expect(String(row.score)).toBe(csv[i + 1][header.indexOf('score')])
      expect(row.path).toBe(csv[i + 1][header.indexOf('path')])
    })
  })

  it('HTML: self-contained, with the metric values, charts, thresholds and failure cases', async () => {
    const { data, mime } = await renderReport(fx.db, { run_id: runId }, 'html', { now })
    expect(mime).toMatch(/^text\/html/)
    const html = data.toString('utf8')
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i)
    expect(html).not.toMatch(/<script|<link|@import|url\(/i)
    const evaluation = getEvaluation(fx.db, fx.evaluationId)!
    for (const key of METRIC_KEYS) expect(html).toContain(formatMetric(evaluation[key]))
    expect((html.match(/<svg /g) ?? []).length).toBe(3)
    expect(html).toContain('tuned on the line')
    expect(html).toContain('False negatives')
    expect(html).toContain('ambiguous ground truth')
    expect((html.match(/src="data:image\/png;base64,/g) ?? []).length).toBeGreaterThanOrEqual(6)
  })

  it('PDF: pdftotext holds the metrics, pdftoppm renders page 1', async () => {
    const out = join(root, 'out', 'report.pdf')
    await writeReportFile(fx.db, { run_id: runId }, 'pdf', out, { now })
    const pdf = readFileSync(out)
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    const text = execFileSync('/usr/bin/pdftotext', ['-layout', out, '-'], { encoding: 'utf8' })
    const evaluation = getEvaluation(fx.db, fx.evaluationId)!
    for (const key of METRIC_KEYS) expect(text).toContain(formatMetric(evaluation[key]))
    expect(text).toContain('Image AUROC')
    expect(text).toContain('False negatives')
    execFileSync('/usr/bin/pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', out, join(root, 'out', 'page')])
    const page = ['page-1.png', 'page-01.png'].map((f) => join(root, 'out', f)).find((f) => existsSync(f))
    expect(page).toBeDefined()
    expect(readFileSync(page!).subarray(1, 4).toString('latin1')).toBe('PNG')
    if (process.env.DESTSEG_REPORT_SAMPLE) writeFileSync(process.env.DESTSEG_REPORT_SAMPLE, pdf)
  })

  it('category reports list the runs of the category', async () => {
    const { data, filename } = await renderReport(fx.db, { category_id: fx.categoryId }, 'html', { now })
    expect(filename).toBe(`report-parts-category-eval-${fx.evaluationId}.html`)
    const html = data.toString('utf8')
    expect(html).toContain('Runs of parts')
    expect(html).toContain(`${runId} · parts tiny`)
  })

  it('draws the charts of an evaluation without pixel metrics (image-level labels only)', () => {
    const curves = { instance: { threshold: [], recall: [], precision: [] }, image_roc: null, pixel_roc: { fpr: [], tpr: [] }, operating_point: null }
    expect(instanceCurveChart(curves, 0.9).svg).toContain('no pixel metrics')
    expect(rocChart(curves).svg).not.toContain('<polyline')
    const histogram = scoreHistogram([{ score: 0.2, label: 0 }, { score: 0.2, label: 1 }], 0.2)
    expect(histogram.normal.reduce((a, b) => a + b, 0) + histogram.anomalous.reduce((a, b) => a + b, 0)).toBe(2)
    expect(histogramChart(histogram, 0.2).svg).toContain('threshold 0.2000')
  })

  it('checks reports:export arguments', () => {
    expect(asReportExportRequest({ target: { run_id: 3 }, format: 'pdf' })).toEqual({ target: { run_id: 3 }, format: 'pdf' })
    expect(asReportExportRequest({ target: { category_id: 2 }, format: 'csv' })).toEqual({ target: { category_id: 2 }, format: 'csv' })
    expect(() => asReportExportRequest({ target: { run_id: 3 }, format: 'docx' })).toThrow('format must be one of pdf, html, csv, json')
    expect(() => asReportExportRequest({ target: { run_id: 3, category_id: 2 }, format: 'pdf' })).toThrow('target must be')
    expect(() => asReportExportRequest({ target: { run_id: -1 }, format: 'pdf' })).toThrow('target.run_id must be a positive integer')
  })

  it('says what is wrong: an unknown run or category, a run without evaluation', async () => {
    await expect(renderReport(fx.db, { run_id: 999 }, 'csv')).rejects.toThrow('Run 999 does not exist.')
    await expect(renderReport(fx.db, { category_id: 999 }, 'csv')).rejects.toThrow('Category 999 does not exist.')
    const run = fx.db.prepare<[number], { dataset_id: number; category_id: number; config_json: string }>('SELECT dataset_id, category_id, config_json FROM runs WHERE id = ?').get(runId)!
    const bare = Number(
      fx.db
        .prepare(
          `INSERT INTO runs (dataset_id, category_id, name, preset, config_json, status, run_dir, created_at) VALUES (?, ?, 'failed one', 'tiny', ?, 'failed', ?, '2026-01-05T00:00:00.000Z')`
        )
        .run(run.dataset_id, run.category_id, run.config_json, join(root, 'run2')).lastInsertRowid
    )
    await expect(renderReport(fx.db, { run_id: bare }, 'pdf')).rejects.toThrow(/has no evaluation yet \(status failed\)/)
  })
})
