/**
 * The quality engineer's whole loop, in chromium against `npm run serve` (issue 5.7): import the
 * shared magnetic-tile category, train a `tiny` run from the Runs page and watch it to done (the
 * export and the evaluation after training included), open its results, move the pixel threshold
 * and save it with a note, give verdicts on two failure cases by keystroke, inspect a folder of new
 * images (pass/fail by the thresholds), reload, and find everything persisted.
 * With DESTSEG_SCREENSHOTS=1 it writes a screenshot of each page from this real run:
 * docs/screenshots/{runs,results,thresholds,review,inspection}.png.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { extname, join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiArgs, ApiChannel, ApiResult } from '../../src/common/ipc/contract'
import type { ResultImageRow } from '../../src/common/types/result-queries'
import type { ReviewQueue } from '../../src/common/types/results'
import { launchBrowser, watchErrors, WRITE_SCREENSHOTS } from './browser'
import { repoRoot, requireShared, startServer, type ServerHandle } from './serve'

const SCREENSHOTS = join(repoRoot, 'docs', 'screenshots')

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim()
}

/** The category id in the current URL (#/<page>/<id>), NaN when there is none. */
function idInUrl(page: Page, prefix: string): number {
  const match = new RegExp(`#/${prefix}/(\\d+)`).exec(page.url())
  return match ? Number(match[1]) : NaN
}

/**
 * A screenshot of the whole page: the app scrolls inside its page element, so the window is made as
 * tall as the page's content (at most 2400 px) for the shot, then set back.
 */
async function screenshot(page: Page, name: string): Promise<void> {
  if (!WRITE_SCREENSHOTS) return
  // Info notices ("Started …") are dismissed; an error notice would stay, and fail the test later.
  const notices = page.getByTestId('info-banner')
  while ((await notices.count()) > 0) await notices.first().getByRole('button', { name: 'Dismiss' }).click()
  const viewport = page.viewportSize() ?? { width: 1440, height: 1000 }
  const content = await page.locator('.page').first().evaluate((el) => {
    el.scrollTo(0, 0)
    return el.scrollHeight
  })
  await page.setViewportSize({ width: viewport.width, height: Math.min(2400, Math.max(viewport.height, content)) })
  await page.mouse.move(0, 0)
  await page.waitForTimeout(150) // let the layout settle (resize observers, re-fits)
  await page.screenshot({ path: join(SCREENSHOTS, name) })
  await page.setViewportSize(viewport)
}

describe('the whole loop', () => {
  /** A call of the API contract over HTTP, as the page makes it. */
  async function api<C extends ApiChannel>(channel: C, ...args: ApiArgs<C>): Promise<ApiResult<C>> {
    const response = await fetch(`${server!.origin}/api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server!.token}` },
      body: JSON.stringify({ args })
    })
    const body = (await response.json()) as { result?: ApiResult<C>; error?: { message: string } }
    if (!response.ok) throw new Error(`${channel}: ${body.error?.message ?? response.status}`)
    return body.result as ApiResult<C>
  }

  let datasetFolder = ''
  let newImages = ''
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []
  let categoryId = NaN
  /** the pixel threshold saved on the Thresholds page, as its exact field shows it */
  let savedPixel = ''
  const NOTE = 'e2e: stricter pixel threshold after looking at the results'
  /** the review queue the verdicts were given in */
  let reviewQueue: ReviewQueue = 'false_negative'

  beforeAll(async () => {
    datasetFolder = requireShared('datasets/magnetic-tile')
    mkdirSync(SCREENSHOTS, { recursive: true })
    newImages = await mkdtemp(join(tmpdir(), 'destseg-e2e-incoming-'))
    server = await startServer()
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    page.setDefaultTimeout(60_000)
    pageErrors = watchErrors(page)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (newImages) await rm(newImages, { recursive: true, force: true })
  })

  it('imports magnetic-tile on the Datasets page', async () => {
    await page.goto(server!.url)
    await page.getByTestId('datasets-empty').waitFor()
    await page.getByTestId('import-folder').fill(datasetFolder)
    await page.getByTestId('import-name').fill('magnetic-tile')
    await page.getByTestId('import-submit').click()
    const outcome = page.getByTestId('import-outcome')
    await outcome.waitFor({ timeout: 120_000 })
    expect(await text(outcome.getByTestId('import-status'))).toBe('Imported')
  })

  it('trains a tiny run from the Runs page to done: training, export and evaluation', async () => {
    await page.getByTestId('nav-runs').click()
    await page.getByTestId('runs-empty').waitFor()
    await page.getByTestId('run-preset').selectOption('tiny')
    await page.getByTestId('run-start').click()
    const progress = page.getByTestId('run-progress')
    await progress.waitFor()
    // The stages after training are shown on the way.
    const seen = new Set<string>()
    await expect
      .poll(
        async () => {
          const status = await text(progress.getByTestId('run-status'))
          seen.add(status)
          return status
        },
        { timeout: 150_000, interval: 200 }
      )
      .toBe('done')
    expect(await progress.getByTestId('run-error').count()).toBe(0)
    expect(await text(progress.getByTestId('run-step'))).toContain('(8 / 8 overall)')
    expect([...seen].some((s) => s === 'exporting' || s === 'evaluating')).toBe(true)
    await screenshot(page, 'runs.png')
  })

  it('opens the results: metric cards, the gallery sorted by score and the heat-map viewer', async () => {
    await page.getByTestId('nav-results').click()
    await page.getByTestId('results-page').waitFor()
    const cards = page.getByTestId('metric-cards')
    await cards.waitFor()
    const evaluations = await api('results:evaluations')
    expect(evaluations).toHaveLength(1)
    categoryId = evaluations[0].category_id
    const auroc = (await text(cards.getByTestId('metric-image_auroc').getByTestId('metric-value'))).replace('%', '')
    expect(Number(auroc)).toBeCloseTo(100 * evaluations[0].image_auroc!, 1)
    const tiles = page.getByTestId('result-tiles').getByTestId('result-tile')
    await expect.poll(() => tiles.count()).toBeGreaterThan(10)
    const scores = (await tiles.getByTestId('tile-score').allTextContents()).map(Number)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    await expect.poll(() => page.getByTestId('results-viewer').getByTestId('heatmap-canvas').getAttribute('data-drawn')).not.toBeNull()
    await screenshot(page, 'results.png')
  })

  it('moves the pixel threshold on the Thresholds page and saves it with a note', async () => {
    await page.getByTestId('nav-thresholds').click()
    const pixelCard = page.getByTestId('pixel-card')
    await pixelCard.waitFor()
    // The IAP@90 operating point shown is the evaluation's iap90 threshold.
    const [evaluation] = await api('results:evaluations', { categoryId })
    expect(Number(await text(pixelCard.getByTestId('iap90-threshold')))).toBeCloseTo(evaluation.iap90_threshold!, 3)
    const before = await pixelCard.getByTestId('pixel-threshold-value').inputValue()
    // Move the slider with the keyboard: 40 steps up.
    await pixelCard.getByTestId('pixel-threshold-range').focus()
    for (let i = 0; i < 40; i++) await page.keyboard.press('ArrowRight')
    savedPixel = await pixelCard.getByTestId('pixel-threshold-value').inputValue()
    expect(Number(savedPixel)).toBeGreaterThan(Number(before))
    expect(await text(page.getByTestId('threshold-changes'))).toMatch(/^pixel /)
    await page.getByTestId('threshold-note').fill(NOTE)
    await page.getByTestId('threshold-save').click()
    const history = page.getByTestId('threshold-history')
    await expect.poll(() => history.getByTestId('history-note').allTextContents()).toContain(NOTE)
    expect(await text(page.getByTestId('threshold-changes'))).toBe('No change.')
    expect(Number(await text(pixelCard.getByTestId('pixel-in-effect')))).toBeCloseTo(Number(savedPixel), 3)
    await screenshot(page, 'thresholds.png')
  })

  it('gives verdicts on two failure cases by keystroke on the Review page', async () => {
    await page.getByTestId('nav-review').click()
    await page.getByTestId('review-page').waitFor()
    const counts = await api('review:counts', await newestEvaluationId())
    // The missed defects, or the false alarms where fewer than two defects are missed.
    reviewQueue = counts.false_negative.cases >= 2 ? 'false_negative' : 'false_positive'
    expect(counts[reviewQueue].cases).toBeGreaterThanOrEqual(2)
    await page.getByTestId(`review-tab-${reviewQueue}`).click()
    const current = page.getByTestId('review-current')
    await current.waitFor()
    await expect.poll(() => page.getByTestId('review-thresholds').textContent()).toContain(`pixel ${Number(Number(savedPixel).toPrecision(4))}`)

    // First case: "true defect" with its key.
    const first = await text(current)
    await page.keyboard.press('1')
    await expect.poll(() => text(current)).not.toBe(first)
    // Second case: a note (n focuses it; Esc leaves it), then "false alarm" with its key.
    await page.keyboard.press('n')
    await page.keyboard.type('e2e: texture, not a defect')
    await page.keyboard.press('Escape')
    await page.keyboard.press('f')
    await expect.poll(() => text(page.getByTestId(`count-${reviewQueue}-true_defect`))).toBe('1')
    await expect.poll(() => text(page.getByTestId(`count-${reviewQueue}-false_alarm`))).toBe('1')
    expect(await text(page.getByTestId(`judged-${reviewQueue}`))).toMatch(/^2 \/ \d+$/)
    await screenshot(page, 'review.png')
  })

  it('inspects a folder of new images: scores, pass/fail badges and the heat map', async () => {
    // New, unlabelled images: copies of the two lowest-scoring normal and the two highest-scoring
    // defective test images (so both verdicts show), under plain names. The same model scores them
    // the same, so each is expected to pass or fail as the evaluation predicted it at these thresholds.
    const evaluationId = await newestEvaluationId()
    const pick = async (label: 0 | 1, sort: 'score_asc' | 'score_desc'): Promise<ResultImageRow[]> =>
      (await api('results:images', { evaluationId, label, sort, limit: 2 })).images
    const chosen = [...(await pick(0, 'score_asc')), ...(await pick(1, 'score_desc'))]
    const expected = new Map<string, ResultImageRow>()
    chosen.forEach((row, i) => {
      copyFileSync(row.path, join(newImages, `part-${i + 1}${extname(row.path)}`))
      expected.set(`part-${i + 1}${extname(row.path)}`, row)
    })

    await page.getByTestId('nav-inspect').click()
    const picker = page.getByTestId('inspect-category')
    await expect.poll(() => picker.locator('option').count()).toBe(2)
    await picker.selectOption({ index: 1 })
    await expect.poll(() => idInUrl(page, 'inspect')).not.toBeNaN()
    expect(idInUrl(page, 'inspect')).toBe(categoryId)
    await page.getByTestId('inspections-empty').waitFor()

    await page.getByTestId('inspect-folder').fill(newImages)
    await page.getByTestId('inspect-start').click()
    const results = page.getByTestId('inspection-results')
    await results.waitFor({ timeout: 120_000 })
    const tiles = results.getByTestId('inspection-tile')
    await expect.poll(() => tiles.count()).toBe(4)
    const verdicts = (await tiles.getByTestId('tile-verdict').allTextContents()).map((v) => v.trim())
    expect(verdicts.every((v) => v === 'pass' || v === 'fail')).toBe(true)
    const scores = (await tiles.getByTestId('tile-score').allTextContents()).map(Number)
    expect(scores).toEqual([...scores].sort((a, b) => b - a))

    const row = page.getByTestId('inspections-table').locator('tbody tr').first()
    expect(await text(row.getByTestId('inspection-status'))).toBe('done')
    const failed = Number(await text(row.getByTestId('inspection-failed')))
    const passed = Number(await text(row.getByTestId('inspection-passed')))
    expect(failed).toBe(chosen.filter((r) => r.predicted === 1).length)
    expect(passed).toBe(chosen.filter((r) => r.predicted === 0).length)
    expect(verdicts.filter((v) => v === 'fail')).toHaveLength(failed)
    for (let i = 0; i < 4; i++) {
      const tile = tiles.nth(i)
      const source = expected.get((await tile.getAttribute('title')) ?? '')!
      expect(Number(await text(tile.getByTestId('tile-score')))).toBeCloseTo(source.score, 3)
      expect(await text(tile.getByTestId('tile-verdict'))).toBe(source.predicted === 1 ? 'fail' : 'pass')
    }
    // Judged with the pixel threshold saved above.
    expect(Number(await text(row.getByTestId('inspection-pixel-threshold')))).toBeCloseTo(Number(savedPixel), 3)

    // The viewer shows the first (highest-scoring) image with its heat map drawn.
    const viewer = page.getByTestId('inspection-viewer')
    await viewer.waitFor()
    await expect.poll(() => viewer.getByTestId('heatmap-canvas').getAttribute('data-drawn')).not.toBeNull()
    expect(Number(await text(viewer.getByTestId('viewer-score')))).toBeCloseTo(scores[0], 3)

    // The filter shows only failed (or only passed) images.
    await results.getByTestId('inspect-filter-fail').click()
    await expect.poll(() => tiles.count()).toBe(failed)
    await results.getByTestId('inspect-filter-all').click()
    await expect.poll(() => tiles.count()).toBe(4)

    await screenshot(page, 'inspection.png')
  })

  it('finds everything persisted after a reload', async () => {
    await page.reload()
    await page.getByTestId('inspect-page').waitFor()
    const row = page.getByTestId('inspections-table').locator('tbody tr')
    await expect.poll(() => row.count()).toBe(1)
    await expect.poll(() => page.getByTestId('inspection-tile').count()).toBe(4)

    await page.getByTestId('nav-thresholds').click()
    const pixelCard = page.getByTestId('pixel-card')
    await pixelCard.waitFor()
    await page.reload()
    await pixelCard.waitFor()
    expect(await pixelCard.getByTestId('pixel-threshold-value').inputValue()).toBe(savedPixel)
    const history = page.getByTestId('threshold-history')
    await expect.poll(() => history.getByTestId('history-note').allTextContents()).toContain(NOTE)
    expect((await history.getByTestId('history-value').allTextContents()).map((t) => t.trim())).toContain(savedPixel)

    await page.getByTestId('nav-review').click()
    await page.getByTestId(`review-tab-${reviewQueue}`).click()
    await page.reload()
    await page.getByTestId('review-counts').waitFor()
    await expect.poll(() => text(page.getByTestId(`count-${reviewQueue}-true_defect`))).toBe('1')
    await expect.poll(() => text(page.getByTestId(`count-${reviewQueue}-false_alarm`))).toBe('1')
    expect(await text(page.getByTestId(`judged-${reviewQueue}`))).toMatch(/^2 \/ \d+$/)
    expect(await page.getByTestId('error-banner').count()).toBe(0)
    expect(pageErrors).toEqual([])
  })

  async function newestEvaluationId(): Promise<number> {
    return (await api('results:evaluations', { categoryId }))[0].id
  }
})
