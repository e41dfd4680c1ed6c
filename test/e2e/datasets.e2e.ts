/**
 * Datasets end to end: the token guard, importing the shared magnetic-tile dataset through the UI,
 * browsing it, and the image viewer (mask overlay, keyboard). Also writes the docs screenshots.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, watchErrors, WRITE_SCREENSHOTS } from './browser'
import { repoRoot, requireShared, startServer, type ServerHandle } from './serve'

const SCREENSHOTS = join(repoRoot, 'docs', 'screenshots')

/** Resolves once an <img> has decoded; returns its natural width (0 when it failed). */
async function loadedWidth(img: Locator): Promise<number> {
  return img.evaluate(
    (el) =>
      new Promise<number>((done) => {
        // (typed structurally: the test code is compiled without the DOM lib)
        const image = el as unknown as {
          complete: boolean
          naturalWidth: number
          addEventListener: (type: string, listener: () => void, options: { once: boolean }) => void
        }
        const settle = (): void => done(image.naturalWidth)
        if (image.complete) return settle()
        image.addEventListener('load', settle, { once: true })
        image.addEventListener('error', settle, { once: true })
      })
  )
}

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim()
}

function imageIdInUrl(page: Page): number {
  const match = /#\/image\/(\d+)/.exec(page.url())
  return match ? Number(match[1]) : NaN
}

describe('datasets', () => {
  let datasetFolder = ''
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []

  beforeAll(async () => {
    datasetFolder = requireShared('datasets/magnetic-tile')
    mkdirSync(SCREENSHOTS, { recursive: true })
    server = await startServer()
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(30_000)
    pageErrors = watchErrors(page)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('answers 401 without the token', async () => {
    const { origin, token } = server!
    const post = (headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`${origin}/api/datasets:list`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ args: [] })
      })

    for (const response of [
      await post(),
      await post({ authorization: 'Bearer not-the-token' }),
      await fetch(`${origin}/`),
      await fetch(`${origin}/img/1/thumb`),
      await fetch(`${origin}/api/events`)
    ]) {
      expect(response.status, response.url).toBe(401)
      await response.body?.cancel()
    }

    const allowed = await post({ authorization: `Bearer ${token}` })
    expect(allowed.status).toBe(200)
    expect(await allowed.json()).toEqual({ result: [] })
  })

  it('imports magnetic-tile through the UI and shows its counts', async () => {
    await page.goto(server!.url)
    await page.getByTestId('datasets-empty').waitFor()

    await page.getByTestId('import-folder').fill(datasetFolder)
    await page.getByTestId('import-name').fill('magnetic-tile')
    await page.getByTestId('import-submit').click()
    await page.getByTestId('job-progress').waitFor()

    const outcome = page.getByTestId('import-outcome')
    await outcome.waitFor({ timeout: 240_000 })
    expect(await text(outcome.getByTestId('import-status'))).toBe('Imported')
    expect(await outcome.getByTestId('rejected-table').count()).toBe(0)

    const counts = outcome.getByTestId('counts-row')
    expect(await counts.count()).toBe(1)
    expect(await text(counts.getByTestId('count-train-good'))).toBe('400')
    expect(await text(counts.getByTestId('count-test-good'))).toBe('80')
    expect(await text(counts.getByTestId('count-test-anomalous'))).toBe('200')
    expect(await text(counts.getByTestId('count-masks'))).toBe('200')
    const defects = await counts.getByTestId('count-defect-types').locator('.tag').allTextContents()
    expect(defects.map((d) => d.trim()).sort()).toEqual(['blowhole', 'break'])

    const row = page.getByTestId('dataset-row')
    await expect.poll(() => row.count()).toBe(1)
    expect(await text(row.getByTestId('dataset-name'))).toBe('magnetic-tile')
    expect(await text(row.getByTestId('dataset-train-good'))).toBe('400')
    expect(await text(row.getByTestId('dataset-test-anomalous'))).toBe('200')
    expect(await text(row.getByTestId('dataset-masks'))).toBe('200')

    await page.mouse.move(0, 0)
    // down to the end of the datasets list, not the empty rest of the window
    const listBox = await page.getByTestId('dataset-table').boundingBox()
    const height = Math.min(900, Math.max(480, Math.ceil((listBox?.y ?? 0) + (listBox?.height ?? 0) + 36)))
    if (WRITE_SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'datasets.png'), clip: { x: 0, y: 0, width: 1440, height } })
  })

  it('opens an anomalous image, toggles its mask and steps with the arrow keys', async () => {
    await page.getByTestId('dataset-row').getByTestId('dataset-open').click()
    const breakdown = page.getByTestId('split-defect-table')
    await breakdown.waitFor()
    const countOf = (split: string, defect: string): Promise<string> =>
      text(breakdown.locator(`[data-split="${split}"][data-defect="${defect}"] td.num`))
    expect(await countOf('train', 'good')).toBe('400')
    expect(await countOf('test', 'good')).toBe('80')
    expect(await countOf('test', 'blowhole')).toBe('115')
    expect(await countOf('test', 'break')).toBe('85')

    // The unfiltered grid comes in pages: scrolling to its end loads the next one.
    await expect.poll(() => text(page.getByTestId('grid-count'))).toBe('120 of 680 images')
    await page.getByTestId('grid-load-more').scrollIntoViewIfNeeded()
    await expect.poll(() => text(page.getByTestId('grid-count'))).toBe('240 of 680 images')

    // Filter the grid to the blowholes.
    await breakdown.locator('[data-split="test"][data-defect="blowhole"]').click()
    await expect.poll(() => text(page.getByTestId('grid-count'))).toBe('115 of 115 images')
    const tiles = page.getByTestId('image-tile')
    expect(await tiles.count()).toBe(115)
    expect(new Set(await tiles.evaluateAll((els) => els.map((el) => el.getAttribute('data-label'))))).toEqual(new Set(['1']))
    expect(await tiles.first().getByTestId('tile-mask').count()).toBe(1)
    expect(await loadedWidth(tiles.first().locator('img'))).toBeGreaterThan(0)

    // Open one blowhole image: the full image and its mask overlay load.
    const wanted = tiles.filter({ has: page.locator('.caption', { hasText: process.env.DESTSEG_E2E_IMAGE ?? 'exp1_num_262480' }) })
    await ((await wanted.count()) > 0 ? wanted.first() : tiles.first()).click()
    await page.getByTestId('viewer-page').waitFor()
    expect(await loadedWidth(page.getByTestId('viewer-image'))).toBeGreaterThan(0)
    expect(await text(page.getByTestId('info-label'))).toBe('anomalous')
    expect(await text(page.getByTestId('info-defect'))).toBe('blowhole')

    const mask = page.getByTestId('mask-overlay')
    await mask.waitFor({ state: 'visible' })
    expect(await loadedWidth(mask)).toBeGreaterThan(0)
    await page.keyboard.press('m')
    await mask.waitFor({ state: 'hidden' })
    await page.getByTestId('mask-toggle').click()
    await mask.waitFor({ state: 'visible' })
    await page.keyboard.press('m')
    await mask.waitFor({ state: 'hidden' })
    await page.keyboard.press('m')
    await mask.waitFor({ state: 'visible' })

    // → goes to the next image of the category, ← comes back.
    const firstId = imageIdInUrl(page)
    const firstPath = await text(page.getByTestId('info-path'))
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => imageIdInUrl(page)).not.toBe(firstId)
    await expect.poll(() => text(page.getByTestId('info-path'))).not.toBe(firstPath)
    expect(await loadedWidth(page.getByTestId('viewer-image'))).toBeGreaterThan(0)
    await page.keyboard.press('ArrowLeft')
    await expect.poll(() => imageIdInUrl(page)).toBe(firstId)
    await expect.poll(() => text(page.getByTestId('info-path'))).toBe(firstPath)
    await mask.waitFor({ state: 'visible' })
    expect(await loadedWidth(mask)).toBeGreaterThan(0)

    // Zoom in on the defect for the screenshot: D (or the Defect button) frames the mask's region.
    const zoomLevel = async (): Promise<number> => Number((await text(page.getByTestId('zoom-level'))).replace('%', ''))
    const fitted = await zoomLevel()
    await expect.poll(() => page.getByTestId('zoom-defect').isEnabled()).toBe(true)
    await page.keyboard.press('d')
    await expect.poll(zoomLevel).toBeGreaterThan(fitted)
    // then back out a little (around the centre, where the defect now is) to keep some context
    const close = await zoomLevel()
    for (let i = 0; i < 2; i++) await page.keyboard.press('-')
    await expect.poll(zoomLevel).toBeLessThan(close)
    await page.getByTestId('image-info').click() // moves the focus ring off the toolbar
    await page.mouse.move(0, 0)
    if (WRITE_SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'viewer-mask.png') })

    // Esc returns to the grid with its filter.
    await page.keyboard.press('Escape')
    await page.getByTestId('image-grid').waitFor()
    await expect.poll(() => text(page.getByTestId('grid-count'))).toBe('115 of 115 images')
    expect(page.url()).toContain('defect=blowhole')

    expect(pageErrors).toEqual([])
  })
})
