/**
 * The Results page on a real evaluation: magnetic-tile is imported and a `tiny` run trained through
 * the API (the step after training exports and evaluates it), then the page opens from the nav on
 * that evaluation: metric cards equal the stored metrics, the gallery is sorted by score (both
 * ways) and filters, the heat-map canvas draws, and the ground-truth and predicted outlines are
 * there.
 */
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EvaluationDetail, EvaluationListItem, ResultImagePage, ResultMap } from '../../src/common/types/result-queries'
import type { DatasetSummary, ImportOutcome } from '../../src/common/types/datasets'
import { launchBrowser, watchErrors } from './browser'
import { apiCall, requireShared, startServer, trainTinyRun, type ServerHandle } from './serve'

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim()
}

describe('results', () => {
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []
  let categoryId = 0
  let detail: EvaluationDetail

  const call = <T>(channel: string, ...args: unknown[]): Promise<T> => apiCall<T>(server!, channel, ...args)

  /** The scores of the tiles shown, in order. */
  async function tileScores(): Promise<number[]> {
    const scores = await page.getByTestId('result-tile').evaluateAll((tiles) => tiles.map((t) => t.getAttribute('data-score') ?? ''))
    return scores.map(Number)
  }

  beforeAll(async () => {
    const folder = requireShared('datasets/magnetic-tile')
    server = await startServer()
    const outcome = await call<ImportOutcome>('datasets:import', { folder, name: 'magnetic-tile' })
    categoryId = (await call<DatasetSummary>('datasets:get', outcome.dataset_id)).categories[0].id
    // A real run: the tiny preset with the shared ImageNet teacher; exported and evaluated when its training ends.
    const run = await trainTinyRun(server, categoryId)
    expect(run, server.log()).toMatchObject({ status: 'done', error: null })
    const [evaluation] = await call<EvaluationListItem[]>('results:evaluations', { runId: run.id })
    expect(evaluation).toMatchObject({ run_id: run.id, category_id: categoryId, images: 280 })
    detail = await call<EvaluationDetail>('results:evaluation', evaluation.id)
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    page.setDefaultTimeout(60_000)
    pageErrors = watchErrors(page)
  }, 330_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('opens the newest evaluation from the nav, with its metric cards', async () => {
    const id = detail.evaluation.id
    await page.goto(server!.url)
    await page.getByTestId('nav-results').click()
    await page.getByTestId('metric-cards').waitFor()
    await expect.poll(() => page.url()).toContain(`#/results/${categoryId}?evaluation=${id}`)
    const e = detail.evaluation
    const metrics = { image_auroc: e.image_auroc, pixel_auroc: e.pixel_auroc, pixel_ap: e.pixel_ap, iap: e.iap, iap90: e.iap90, aupro: e.aupro }
    for (const [key, value] of Object.entries(metrics)) {
      expect(await text(page.getByTestId(`metric-${key}`).getByTestId('metric-value'))).toBe(value === null ? '—' : `${(100 * value).toFixed(1)}%`)
    }
    // The IAP@90 card names its operating point, the pixel threshold in force by default.
    expect(await text(page.getByTestId('metric-iap90'))).toContain(`at t = ${e.iap90_threshold!.toPrecision(4)}`)
    expect(await text(page.getByTestId('pixel-threshold'))).toBe(e.iap90_threshold!.toPrecision(4))
    expect(await text(page.getByTestId('image-threshold'))).toBe(detail.thresholds.image.value.toPrecision(4))
    expect(await page.getByTestId('results-evaluation').inputValue()).toBe(String(id))
  })

  it('shows the gallery sorted by score, both ways, and filters it', async () => {
    const first = await call<ResultImagePage>('results:images', { evaluationId: detail.evaluation.id, limit: 60 })
    await expect.poll(() => page.getByTestId('result-tile').count()).toBe(60)
    const scores = await tileScores()
    expect(scores).toEqual(first.images.map((im) => im.score))
    expect(scores).toEqual([...scores].sort((a, b) => b - a))
    expect(await text(page.getByTestId('gallery-count'))).toMatch(/^280 images/)

    await page.getByTestId('sort-toggle').click()
    await expect.poll(async () => (await tileScores())[0]).toBe(Math.min(...detail.report.per_image.map((im) => im.score)))
    const ascending = await tileScores()
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b))
    await page.getByTestId('sort-toggle').click()
    await expect.poll(async () => (await tileScores())[0]).toBe(scores[0])

    // Normal images flagged at the image threshold: the false alarms.
    const falseAlarms = await call<ResultImagePage>('results:images', { evaluationId: detail.evaluation.id, label: 0, predicted: 1, limit: 1000 })
    await page.getByTestId('filter-label').selectOption('0')
    await page.getByTestId('filter-predicted').selectOption('1')
    await expect.poll(() => text(page.getByTestId('gallery-count'))).toMatch(new RegExp(`^${falseAlarms.total} image`))
    const shown = page.getByTestId('result-tile')
    expect(await shown.count()).toBe(Math.min(60, falseAlarms.total))
    for (const tile of (await shown.all()).slice(0, 5)) {
      expect(await tile.getAttribute('data-label')).toBe('0')
      expect(await tile.getAttribute('data-predicted')).toBe('1')
    }
    await page.getByTestId('filter-label').selectOption('')
    await page.getByTestId('filter-predicted').selectOption('')
    await page.getByTestId('filter-defect').selectOption('blowhole')
    await expect.poll(() => text(page.getByTestId('gallery-count'))).toMatch(/^115 images/)
    await page.getByTestId('filter-defect').selectOption('')
    await expect.poll(() => text(page.getByTestId('gallery-count'))).toMatch(/^280 images/)
  })

  it('draws the heat map and the outlines of the selected image', async () => {
    // The highest-scoring defect image with its mask.
    const tile = page.locator('[data-testid="result-tile"][data-label="1"]').first()
    const imageId = Number(await tile.getAttribute('data-image-id'))
    await tile.click()
    await expect.poll(() => page.url()).toContain(`image=${imageId}`)
    expect(await tile.getAttribute('aria-pressed')).toBe('true')

    const canvas = page.getByTestId('heatmap-canvas')
    await expect.poll(() => canvas.getAttribute('data-drawn')).toBeTruthy()
    const firstDrawn = await canvas.getAttribute('data-drawn')
    const drawn = await canvas.evaluate((el) => {
      // (typed structurally: the test code is compiled without the DOM lib)
      const c = el as unknown as {
        width: number
        height: number
        getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }
        getBoundingClientRect(): { width: number }
      }
      const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
      let opaque = 0
      const colours = new Set<number>()
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] > 0) opaque++
        colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2])
      }
      return { width: c.width, height: c.height, opaque, colours: colours.size, shown: c.getBoundingClientRect().width > 0 }
    })
    expect(drawn.shown).toBe(true)
    expect(drawn.width).toBeGreaterThan(8)
    expect(drawn.opaque).toBe(drawn.width * drawn.height)
    expect(drawn.colours).toBeGreaterThan(1)

    // Ground truth: the mask overlay traced by the outline filter.
    expect(await page.getByTestId('gt-outline').locator('image').getAttribute('href')).toMatch(new RegExp(`/${imageId}/mask`))
    // Predicted region at the pixel threshold: present exactly when some map value reaches it.
    const map = await call<ResultMap>('results:map', detail.evaluation.id, imageId)
    const reaches = map.data.some((v) => v >= detail.thresholds.pixel.value)
    if (reaches) expect((await page.getByTestId('predicted-outline').locator('path').first().getAttribute('d'))?.length).toBeGreaterThan(0)
    else expect(await page.getByTestId('predicted-outline').count()).toBe(0)

    // Opacity follows the slider; the heat map can be hidden.
    await page.getByTestId('heatmap-opacity').fill('0.8')
    expect(await canvas.evaluate((el) => (el as unknown as { style: { opacity: string } }).style.opacity)).toBe('0.8')
    await page.getByTestId('toggle-heatmap').click()
    expect(await canvas.isVisible()).toBe(false)
    await page.getByTestId('toggle-heatmap').click()
    await page.getByTestId('heatmap-opacity').fill('0.55')

    // Zoom from the toolbar and back.
    const zoom = page.getByTestId('results-zoom')
    const fitted = await text(zoom)
    await page.getByRole('button', { name: 'Zoom in' }).click()
    await expect.poll(() => text(zoom)).not.toBe(fitted)
    await page.getByRole('button', { name: 'Fit' }).click()
    await expect.poll(() => text(zoom)).toBe(fitted)

    // The colour map over this map's own range (a tiny run's maps vary little), for the screenshot.
    await page.getByTestId('heatmap-range').selectOption('image')
    await expect.poll(() => canvas.getAttribute('data-drawn')).not.toBe(firstDrawn)
    await page.mouse.move(0, 0)
    expect(pageErrors).toEqual([])
  })

  it('keeps the evaluation and the selected image across a reload', async () => {
    const url = page.url()
    await page.reload()
    await page.getByTestId('metric-cards').waitFor()
    await expect.poll(() => page.locator('[data-testid="result-tile"][aria-pressed="true"]').count()).toBe(1)
    expect(page.url()).toBe(url)
    expect(pageErrors).toEqual([])
  })
})
