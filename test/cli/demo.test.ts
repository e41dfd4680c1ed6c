/**
 * `destseg demo` end to end, as a user runs it (a tsx child process): the generated dataset, a
 * `tiny` run trained, exported and evaluated, thresholds at IAP@90, and the reports. The PDF must
 * render (pdftoppm) and carry the metrics `destseg evaluate` prints for the same model (pdftotext);
 * the CSV has a row per test image. Needs the shared teacher weights and poppler-utils.
 */
import Database from 'better-sqlite3'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { requireShared } from '../../src/main/config/paths'
import { DEMO_THRESHOLD_NOTE, type DemoSummary } from '../../src/main/demo/demo'
import { SHARED_TEACHER_DIR } from '../../src/main/demo/teacher-source'
import { formatMetric } from '../../src/main/reports'
import { destseg, destsegWithEnv, runCommand } from '../helpers/cli'
import { tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()

const METRICS = ['image_auroc', 'pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'aupro'] as const

describe('destseg demo', () => {
  it('trains, exports, evaluates and reports on a generated dataset; the PDF carries what evaluate prints', { timeout: 900_000 }, async () => {
    requireShared(SHARED_TEACHER_DIR)
    const out = join(tempDir(), 'demo')
    // A throw-away data folder: nothing of the user's is read or written (no teacher download either).
    const demo = await destsegWithEnv({ DESTSEG_DATA_DIR: tempDir() }, 'demo', '--out', out, '--json')
    expect(demo.code, demo.stderr).toBe(0)
    const lines = demo.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const summary = JSON.parse(lines[0]) as DemoSummary
    expect(summary).toMatchObject({ out, db: join(out, 'destseg.sqlite'), dataset: join(out, 'dataset', 'washer'), run_id: 1 })
    expect(summary.model).toBe(join(summary.run_dir, 'model.onnx'))
    expect(demo.stderr).toMatch(/\[student 4\/4\]/)
    expect(demo.stderr).toMatch(/\[segmentation 4\/4\]/)
    expect(demo.stderr).toMatch(/run 1: exporting[\s\S]*run 1: evaluating[\s\S]*run 1: done/)
    for (const file of Object.values(summary.reports)) expect(statSync(file).size, file).toBeGreaterThan(0)

    const evaluate = await destseg('evaluate', '--model', summary.run_dir, '--dataset', summary.dataset, '--json')
    expect(evaluate.code, evaluate.stderr).toBe(0)
    const printed = JSON.parse(evaluate.stdout) as Record<(typeof METRICS)[number] | 'images' | 'iap90_threshold', number | null>
    expect(printed.images).toBe(summary.metrics.images)

    const text = await runCommand('pdftotext', [summary.reports.pdf, '-'])
    expect(text.code, text.stderr).toBe(0)
    const html = readFileSync(summary.reports.html, 'utf8')
    for (const key of METRICS) {
      const value = printed[key]
      if (value === null) continue
      expect(summary.metrics[key], key).toBeCloseTo(value, 6)
      expect(text.stdout, `${key} ${formatMetric(value)} in the PDF`).toContain(formatMetric(value))
      expect(html, `${key} in the HTML`).toContain(formatMetric(value))
    }

    const page = join(tempDir(), 'page')
    const render = await runCommand('pdftoppm', ['-png', '-r', '50', '-f', '1', '-l', '1', summary.reports.pdf, page])
    expect(render.code, render.stderr).toBe(0)
    const png = readFileSync(`${page}-1.png`)
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect(png.length).toBeGreaterThan(5000)

    // One row per test image: 10 good + 8 scratch + 8 stain.
    const csv = readFileSync(summary.reports.csv, 'utf8').trim().split(/\r?\n/)
    expect(csv).toHaveLength(1 + 26)
    expect(summary.metrics.images).toBe(26)
    expect(JSON.parse(readFileSync(summary.reports.json, 'utf8'))).toBeTruthy()

    // Thresholds saved at the operating points, with the demo's note.
    const db = new Database(summary.db, { readonly: true })
    try {
      const saved = db.prepare<[], { kind: string; value: number; note: string }>('SELECT kind, value, note FROM thresholds ORDER BY id').all()
      expect(saved).toEqual([
        { kind: 'pixel', value: summary.thresholds.pixel, note: DEMO_THRESHOLD_NOTE },
        { kind: 'image', value: summary.thresholds.image, note: DEMO_THRESHOLD_NOTE }
      ])
      expect(summary.thresholds.pixel).toBe(summary.metrics.iap90_threshold)
    } finally {
      db.close()
    }
    expect(existsSync(join(summary.run_dir, 'log.txt'))).toBe(true)
  })
})
