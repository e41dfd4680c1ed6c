/**
 * Reports end to end: a small generated category is imported and a `tiny` run trained through the
 * API (exported and evaluated after training). The Reports page previews the run's HTML report and
 * downloads its CSV (one row per test image); reports:export's PDF holds the stored metrics as the
 * report prints them (pdftotext).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetSummary, ImportOutcome } from '../../src/common/types/datasets'
import type { ReportFile } from '../../src/common/types/reports'
import type { EvaluationListItem } from '../../src/common/types/result-queries'
import { formatMetric } from '../../src/main/reports/format'
import { makeMvtecCategory } from '../helpers/fixtures'
import { launchBrowser, watchErrors } from './browser'
import { apiCall, requireShared, startServer, trainTinyRun, type ServerHandle } from './serve'

const METRIC_KEYS = ['image_auroc', 'pixel_auroc', 'pixel_ap', 'iap', 'iap90', 'aupro'] as const

describe('reports', () => {
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []
  let folder = ''
  let runId = 0
  let evaluation: EvaluationListItem

  const call = <T>(channel: string, ...args: unknown[]): Promise<T> => apiCall<T>(server!, channel, ...args)

  beforeAll(async () => {
    requireShared('assets/teacher')
    folder = mkdtempSync(join(tmpdir(), 'destseg-e2e-reports-'))
    await makeMvtecCategory(join(folder, 'parts'), { trainGood: 6, testGood: 3, defects: { crack: 2, hole: 2 }, width: 48, height: 48 })
    server = await startServer()
    const outcome = await call<ImportOutcome>('datasets:import', { folder: join(folder, 'parts'), name: 'parts' })
    const categoryId = (await call<DatasetSummary>('datasets:get', outcome.dataset_id)).categories[0].id
    const run = await trainTinyRun(server, categoryId)
    expect(run, server.log()).toMatchObject({ status: 'done', error: null })
    runId = run.id
    ;[evaluation] = await call<EvaluationListItem[]>('results:evaluations', { runId })
    expect(evaluation).toMatchObject({ run_id: runId, images: 7 })
    browser = await launchBrowser()
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
    page = await context.newPage()
    page.setDefaultTimeout(60_000)
    pageErrors = watchErrors(page)
  }, 420_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (folder) rmSync(folder, { recursive: true, force: true })
  })

  it('previews a run report and downloads its CSV, one row per test image', async () => {
    await page.goto(server!.url)
    await page.getByTestId('nav-reports').click()
    await page.getByTestId('report-target').selectOption(`run:${runId}`)
    const preview = page.frameLocator('[data-testid="report-preview"]')
    await expect.poll(async () => (await preview.locator('h1').textContent()) ?? '', { timeout: 60_000 }).toContain(`run ${runId}`)
    const body = (await preview.locator('body').textContent()) ?? ''
    for (const key of METRIC_KEYS) expect(body).toContain(formatMetric(evaluation[key]))

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-download-csv').click()])
    expect(download.suggestedFilename()).toBe(`report-parts-run-${runId}.csv`)
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n')
    expect(csv[0].split(',').slice(0, 7)).toEqual(['path', 'split', 'defect_type', 'label', 'score', 'predicted', 'verdict'])
    expect(csv).toHaveLength(1 + evaluation.images)
    expect(pageErrors).toEqual([])
  })

  it('exports a PDF over the API whose text holds the metrics', async () => {
    const file = await call<ReportFile>('reports:export', { target: { run_id: runId }, format: 'pdf' })
    expect(file).toMatchObject({ mime: 'application/pdf', filename: `report-parts-run-${runId}.pdf` })
    const path = join(folder, 'report.pdf')
    writeFileSync(path, Buffer.from(file.data_base64, 'base64'))
    const text = execFileSync('/usr/bin/pdftotext', [path, '-'], { encoding: 'utf8' })
    for (const key of METRIC_KEYS) expect(text).toContain(formatMetric(evaluation[key]))
    await expect(call('reports:export', { target: { run_id: runId }, format: 'docx' })).rejects.toThrow('format must be one of pdf, html, csv, json')
  })
})
