/**
 * Labelling in the browser against `npm run serve`: magnetic-tile is imported and a `tiny` run
 * trained (its evaluation gives the heat map underneath), then on a blowhole test image the mask
 * editor draws (brush, polygon), keeps unsaved strokes when asked to leave, undoes and redoes, saves a version with a note, keeps it over a
 * reload, restores the imported version, relabels the image, and the results page then says that
 * the labels changed since the run, until the run's maps are scored again with the current labels. With DESTSEG_SCREENSHOTS=1 it writes
 * docs/screenshots/mask-editor.png: the editor with a drawn mask over the heat map.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DatasetSummary, ImagePage, ImportOutcome } from '../../src/common/types/datasets'
import type { ImageLabel, LabelsStatus } from '../../src/common/types/labels'
import { launchBrowser, watchErrors, WRITE_SCREENSHOTS } from './browser'
import { apiCall, repoRoot, requireShared, startServer, trainTinyRun, type ServerHandle } from './serve'

describe('labels: the mask editor', () => {
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []
  let categoryId = 0
  let imageId = 0
  let imported = 0

  const call = <T>(channel: string, ...args: unknown[]): Promise<T> => apiCall<T>(server!, channel, ...args)

  const pixels = async (): Promise<number> => Number(await page.getByTestId('mask-pixels').getAttribute('data-count'))

  /** A point of the mask canvas, as fractions of the image, in page coordinates. */
  async function at(fx: number, fy: number): Promise<{ x: number; y: number }> {
    const box = (await page.getByTestId('mask-canvas').boundingBox())!
    return { x: box.x + fx * box.width, y: box.y + fy * box.height }
  }

  async function drag(from: [number, number], to: [number, number]): Promise<void> {
    const a = await at(...from)
    const b = await at(...to)
    await page.mouse.move(a.x, a.y)
    await page.mouse.down()
    for (let i = 1; i <= 8; i++) await page.mouse.move(a.x + ((b.x - a.x) * i) / 8, a.y + ((b.y - a.y) * i) / 8)
    await page.mouse.up()
  }

  async function openEditor(): Promise<void> {
    await page.goto(`${server!.url}#/image/${imageId}?edit=1`)
    await page.getByTestId('mask-editor').waitFor()
    await expect.poll(() => page.getByTestId('mask-canvas').getAttribute('data-revision'), { timeout: 30_000 }).not.toBeNull()
  }

  beforeAll(async () => {
    const folder = requireShared('datasets/magnetic-tile')
    server = await startServer()
    const outcome = await call<ImportOutcome>('datasets:import', { folder, name: 'magnetic-tile' })
    const dataset = await call<DatasetSummary>('datasets:get', outcome.dataset_id)
    categoryId = dataset.categories[0].id
    const run = await trainTinyRun(server, categoryId)
    expect(run, server.log()).toMatchObject({ status: 'done', error: null })
    const images = await call<ImagePage>('datasets:images', { datasetId: dataset.id, categoryId, split: 'test', defectType: 'blowhole', limit: 1 })
    imageId = images.images[0].id
    imported = (await call<ImageLabel>('labels:get', imageId)).mask.positive_pixels
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    page.setDefaultTimeout(60_000)
    pageErrors = watchErrors(page)
  }, 330_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  it('opens on the imported mask over the heat map of the run', async () => {
    await openEditor()
    expect(await pixels()).toBe(imported)
    await expect.poll(() => page.getByTestId('editor-heatmap').getAttribute('data-drawn'), { timeout: 30_000 }).toBe('1')
    expect(await page.getByTestId('heat-toggle').getAttribute('aria-pressed')).toBe('true')
    expect(await page.getByTestId('mask-shortcuts').textContent()).toContain('Ctrl+Z')
    expect(await page.getByTestId('mask-version-0').textContent()).toContain('current')
  })

  it('draws with the brush and a polygon, undoes and redoes', async () => {
    await page.getByTestId('tool-brush').click()
    await drag([0.2, 0.3], [0.7, 0.35])
    const brushed = await pixels()
    expect(brushed).toBeGreaterThan(imported)
    await expect.poll(() => page.getByTestId('mask-unsaved').isVisible()).toBe(true)

    // leaving with unsaved strokes asks first; answering no keeps the editor and its strokes
    let asked = ''
    page.once('dialog', (dialog) => {
      asked = dialog.message()
      void dialog.dismiss()
    })
    await page.getByTestId('nav-runs').click()
    await expect.poll(() => asked).toContain('unsaved changes')
    expect(page.url()).toContain(`#/image/${imageId}`)
    expect(await page.getByTestId('mask-editor').isVisible()).toBe(true)
    expect(await pixels()).toBe(brushed)

    await page.keyboard.press('p')
    for (const [fx, fy] of [
      [0.3, 0.6],
      [0.6, 0.6],
      [0.45, 0.85]
    ] as const) {
      const p = await at(fx, fy)
      await page.mouse.click(p.x, p.y)
    }
    await page.getByTestId('polygon-preview').waitFor()
    await page.keyboard.press('Enter')
    const drawn = await pixels()
    expect(drawn).toBeGreaterThan(brushed)

    await page.keyboard.press('Control+z')
    expect(await pixels()).toBe(brushed)
    await page.getByTestId('mask-undo').click()
    expect(await pixels()).toBe(imported)
    await page.keyboard.press('Control+Shift+z')
    expect(await pixels()).toBe(brushed)
    await page.getByTestId('mask-redo').click()
    expect(await pixels()).toBe(drawn)
  })

  it('saves a version, keeps it over a reload, and restores the imported one', async () => {
    const drawn = await pixels()
    await page.getByTestId('mask-note').fill('blowhole traced wider')
    await page.getByTestId('mask-save').click()
    await page.getByTestId('mask-version-1').waitFor()
    const saved = await call<ImageLabel>('labels:get', imageId)
    expect(saved.mask).toMatchObject({ version: 1, note: 'blowhole traced wider', positive_pixels: drawn })
    expect(saved.mask.path).toContain(server!.dataDir)

    if (WRITE_SCREENSHOTS) {
      const dir = join(repoRoot, 'docs', 'screenshots')
      mkdirSync(dir, { recursive: true })
      await page.screenshot({ path: join(dir, 'mask-editor.png') })
    }

    // the viewer shows the saved mask in place of the imported one; E opens the editor again
    await page.getByTestId('mask-close').click()
    await page.getByTestId('viewer-page').waitFor()
    await expect.poll(() => page.getByTestId('mask-overlay').getAttribute('src')).toMatch(/^blob:/)
    await page.keyboard.press('e')
    await page.getByTestId('mask-editor').waitFor()

    await page.reload()
    await page.getByTestId('mask-editor').waitFor()
    await expect.poll(pixels, { timeout: 30_000 }).toBe(drawn)
    expect(await page.getByTestId('mask-version-1').textContent()).toContain('current')
    expect(await page.getByTestId('mask-version-1').textContent()).toContain('blowhole traced wider')

    await page.getByTestId('mask-restore-0').click()
    await page.getByTestId('mask-version-2').waitFor()
    await expect.poll(pixels).toBe(imported)
    const restored = await call<ImageLabel>('labels:get', imageId)
    expect(restored.mask).toMatchObject({ version: 2, restored_from: 0, positive_pixels: imported })
    // the restore is an editor step too: undo brings the drawn mask back (unsaved)
    await page.keyboard.press('Control+z')
    expect(await pixels()).toBe(drawn)
  })

  it('relabels the image, and the results page says the labels changed since the run', async () => {
    await page.getByTestId('label-select').selectOption('__new__')
    await page.getByTestId('label-new-type').fill('crack')
    await page.getByTestId('label-apply').click()
    await expect.poll(async () => (await page.getByTestId('label-current').textContent())?.trim()).toBe('crack')
    expect(await call<ImageLabel>('labels:get', imageId)).toMatchObject({ defect_type: 'crack', label: 1, source: 'relabel' })
    const status = await call<LabelsStatus>('labels:status', categoryId)
    expect(status).toMatchObject({ changed: true, changes_since: 3, evaluation_revision: 0 })

    // back in the viewer the badge follows the new label
    page.once('dialog', (dialog) => void dialog.accept()) // leave with the unsaved undo
    await page.getByTestId('mask-close').click()
    await expect.poll(async () => (await page.getByTestId('viewer-defect').textContent())?.trim()).toBe('crack')
    await page.goto(`${server!.url}#/results/${categoryId}`)
    await page.getByTestId('labels-changed').waitFor()
    expect(await page.getByTestId('labels-changed').textContent()).toContain('3 label or mask changes')
    const before = page.url()
    await page.getByTestId('labels-rescore').click()
    await expect.poll(() => page.url(), { timeout: 30_000 }).not.toBe(before)
    await expect.poll(() => page.getByTestId('labels-changed').count()).toBe(0)
    expect(await call<LabelsStatus>('labels:status', categoryId)).toMatchObject({ changed: false, evaluation_revision: 3 })
    expect(pageErrors).toEqual([])
  })
})
