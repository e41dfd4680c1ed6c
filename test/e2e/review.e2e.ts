/**
 * Thresholds and failure-case review on a real evaluation: magnetic-tile is imported and a `tiny`
 * run trained through the API (exported and evaluated after training; DESTSEG_E2E_MODEL=<model.onnx>
 * evaluates that model with `destseg evaluate --db` instead).
 * Thresholds page: the IAP@90 point shown equals the stored iap90_threshold; moving the sliders
 * updates the readouts and counts live; Save with a note; a reload finds the value and the note in
 * the history. Review page: two verdicts by keystroke (one with a note typed without triggering
 * any), a reload finds them counted and the cases marked. (Screenshots: loop.e2e.ts.)
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetSummary, ImportOutcome } from '../../src/common/types/datasets'
import type { EvaluationListItem } from '../../src/common/types/result-queries'
import type { ReviewCounts, ThresholdsView } from '../../src/common/types/review'
import { launchBrowser, watchErrors } from './browser'
import { apiCall, repoRoot, requireShared, startServer, trainTinyRun, type ServerHandle } from './serve'


async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim()
}

/** As the pages show thresholds: 4 significant digits. */
const shown = (v: number): string => String(Number(v.toPrecision(4)))

describe('thresholds and review', () => {
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []
  let categoryId = 0
  let evaluation: EvaluationListItem
  let savedPixel = ''

  const call = <T>(channel: string, ...args: unknown[]): Promise<T> => apiCall<T>(server!, channel, ...args)

  /** A tiny run through the API; the step after training exports and evaluates it. */
  async function trainAndEvaluate(): Promise<EvaluationListItem> {
    const run = await trainTinyRun(server!, categoryId)
    expect(run, server!.log()).toMatchObject({ status: 'done', error: null })
    const [made] = await call<EvaluationListItem[]>('results:evaluations', { runId: run.id })
    return made
  }

  /** `destseg evaluate --db` of a given model into the server's database. */
  async function evaluateModel(model: string, folder: string): Promise<EvaluationListItem> {
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/main/cli/destseg.ts', 'evaluate', '--model', model, '--dataset', folder, '--db', join(server!.dataDir, 'db.sqlite'), '--json'],
      { cwd: repoRoot, maxBuffer: 1 << 24 }
    )
    const [made] = await call<EvaluationListItem[]>('results:evaluations', { categoryId })
    return made
  }

  beforeAll(async () => {
    const folder = requireShared('datasets/magnetic-tile')
    server = await startServer()
    const outcome = await call<ImportOutcome>('datasets:import', { folder, name: 'magnetic-tile' })
    categoryId = (await call<DatasetSummary>('datasets:get', outcome.dataset_id)).categories[0].id
    const model = process.env.DESTSEG_E2E_MODEL
    evaluation = model ? await evaluateModel(model, folder) : await trainAndEvaluate()
    expect(evaluation).toMatchObject({ category_id: categoryId, images: 280 })
    expect(evaluation.iap90_threshold).toEqual(expect.any(Number))
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    page.setDefaultTimeout(60_000)
    pageErrors = watchErrors(page)
  }, 420_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('shows the IAP@90 point of the evaluation, moves both thresholds live, saves with a note and finds it after a reload', async () => {
    await page.goto(server!.url)
    await page.getByTestId('nav-thresholds').click()
    await page.getByTestId('pixel-card').waitFor()
    // the newest evaluation, named in the address
    await expect.poll(() => page.url()).toContain(`#/thresholds/${categoryId}?evaluation=${evaluation.id}`)
    // the operating point shown is the one `evaluate` computed and stored
    expect(await text(page.getByTestId('iap90-threshold'))).toBe(shown(evaluation.iap90_threshold!))
    expect(await text(page.getByTestId('pixel-in-effect'))).toBe(shown(evaluation.iap90_threshold!))
    expect(await page.getByTestId('iap90-point').count()).toBe(1)
    expect(await page.getByTestId('instance-curve-path').getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+ H/)

    // the pixel slider: the marker and the readout follow, nothing is saved yet
    const readout = await text(page.getByTestId('pixel-readout'))
    const marker = await page.getByTestId('pixel-marker').locator('circle').first().getAttribute('cx')
    await page.getByTestId('pixel-threshold-range').focus()
    // step up (0.001 a key) until an instance is lost, at least 0.04
    for (let i = 0; i < 40 || (i < 600 && (await text(page.getByTestId('pixel-readout'))) === readout); i++) {
      await page.keyboard.press('ArrowRight')
    }
    expect(await text(page.getByTestId('pixel-readout'))).not.toBe(readout)
    expect(await page.getByTestId('pixel-marker').locator('circle').first().getAttribute('cx')).not.toBe(marker)
    savedPixel = await page.getByTestId('pixel-threshold-value').inputValue()
    expect(Number(savedPixel)).toBeGreaterThan(evaluation.iap90_threshold!)
    expect(await text(page.getByTestId('threshold-changes'))).toContain(`pixel ${shown(evaluation.iap90_threshold!)} →`)

    // the image slider: the confusion counts follow (fewer images fail as it moves up)
    const failing = async (): Promise<number> => Number(await text(page.getByTestId('count-tp'))) + Number(await text(page.getByTestId('count-fp')))
    const before = await failing()
    await page.getByTestId('image-threshold-range').focus()
    for (let i = 0; i < 100 || (i < 900 && (await failing()) >= before); i++) await page.keyboard.press('ArrowRight')
    expect(await failing()).toBeLessThan(before)
    const counts = Number(await text(page.getByTestId('count-tp'))) + Number(await text(page.getByTestId('count-fn')))
    expect(counts + Number(await text(page.getByTestId('count-fp'))) + Number(await text(page.getByTestId('count-tn')))).toBe(280)
    const savedImage = await page.getByTestId('image-threshold-value').inputValue()

    await page.getByTestId('threshold-note').fill('e2e: fewer false alarms')
    await page.getByTestId('threshold-save').click()
    await expect.poll(() => text(page.getByTestId('threshold-changes'))).toBe('No change.')
    expect(await page.getByTestId('threshold-history').locator('tbody tr').count()).toBe(2)

    await page.reload()
    await page.getByTestId('pixel-card').waitFor()
    const notes = page.getByTestId('history-note')
    await expect.poll(() => notes.allTextContents()).toEqual(['e2e: fewer false alarms', 'e2e: fewer false alarms'])
    expect(await text(page.getByTestId('pixel-in-effect'))).toBe(shown(Number(savedPixel)))
    expect(await text(page.getByTestId('image-in-effect'))).toBe(shown(Number(savedImage)))
    expect(await page.getByTestId('pixel-card').locator('.tag', { hasText: 'saved' }).count()).toBe(1)
    // the stored value is the one the slider held
    const view = await call<ThresholdsView>('thresholds:get', { categoryId })
    expect(view.in_effect.pixel.source).toBe('saved')
    expect(shown(view.in_effect.pixel.value)).toBe(shown(Number(savedPixel)))
    expect(view.history.map((r) => r.note)).toEqual(['e2e: fewer false alarms', 'e2e: fewer false alarms'])
    // the app scrolls inside its page element: the window is made as tall as the page for the shot
    const viewport = page.viewportSize() ?? { width: 1440, height: 1000 }
    const tall = await page.locator('.page').first().evaluate((el) => el.scrollHeight)
    await page.setViewportSize({ width: viewport.width, height: Math.min(2400, Math.max(viewport.height, tall)) })
    await page.mouse.move(0, 0)
    await page.waitForTimeout(150)
    await page.setViewportSize(viewport)
  })

  it('gives two verdicts by keystroke at the saved thresholds and finds them counted after a reload', async () => {
    await page.getByTestId('to-review').click()
    await page.getByTestId('review-page').waitFor()
    await expect.poll(() => text(page.getByTestId('review-thresholds')), { timeout: 120_000 }).toContain(`pixel ${shown(Number(savedPixel))} (saved)`)
    const counts0 = await call<ReviewCounts>('review:counts', evaluation.id)
    const queue = counts0.false_negative.cases >= 2 ? 'false_negative' : 'false_positive'
    expect(counts0[queue].cases).toBeGreaterThanOrEqual(2)
    await page.getByTestId(`review-tab-${queue}`).click()
    const judged = page.getByTestId(`judged-${queue}`)
    await expect.poll(() => text(judged)).toBe(`0 / ${counts0[queue].cases}`)
    const first = await text(page.getByTestId('review-current'))

    // 1: true defect, then the next case
    await page.getByTestId('review-case-0').click()
    await page.keyboard.press('1')
    await expect.poll(() => text(judged)).toBe(`1 / ${counts0[queue].cases}`)
    await expect.poll(() => text(page.getByTestId('review-current'))).not.toBe(first)
    // typing a note (digits and verdict letters included) gives no verdict
    const note = page.getByTestId('verdict-note')
    await note.click()
    await page.keyboard.type('1 2 f a: texture, not a defect')
    expect(await text(judged)).toBe(`1 / ${counts0[queue].cases}`)
    await page.keyboard.press('Escape')
    await page.keyboard.press('f')
    await expect.poll(() => text(judged)).toBe(`2 / ${counts0[queue].cases}`)
    expect(await text(page.getByTestId(`count-${queue}-true_defect`))).toBe('1')
    expect(await text(page.getByTestId(`count-${queue}-false_alarm`))).toBe('1')
    await page.getByTestId('review-case-2').click()
    await page.mouse.move(0, 0)
    await page.locator('[data-testid=heatmap-canvas][data-drawn]').waitFor({ state: 'attached' })

    await page.reload()
    await page.getByTestId('review-cases').waitFor()
    await expect.poll(() => text(page.getByTestId(`judged-${queue}`)), { timeout: 120_000 }).toBe(`2 / ${counts0[queue].cases}`)
    expect(await text(page.getByTestId(`count-${queue}-true_defect`))).toBe('1')
    expect(await text(page.getByTestId(`count-${queue}-false_alarm`))).toBe('1')
    expect(await page.getByTestId('review-case-0').getAttribute('data-judged')).toBe('true')
    expect(await page.getByTestId('review-case-1').getAttribute('data-judged')).toBe('true')
    await page.getByTestId('review-case-1').click()
    expect(await text(page.getByTestId('review-current-verdict'))).toBe('False alarm — 1 2 f a: texture, not a defect')
    const counts = await call<ReviewCounts>('review:counts', evaluation.id)
    expect(counts[queue]).toMatchObject({ judged: 2, verdicts: { true_defect: 1, false_alarm: 1, ambiguous_gt: 0, skip: 0 } })
    expect(pageErrors).toEqual([])
  })
})
