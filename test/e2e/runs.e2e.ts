/**
 * Runs end to end: on the shared magnetic-tile category, start a tiny run from the Runs page,
 * watch its progress to completion (both loss curves drawn), cancel and resume a second run to the
 * same total, delete it, reload and find the finished run as it was.
 */
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, watchErrors } from './browser'
import { requireShared, startServer, type ServerHandle } from './serve'

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim()
}

describe('runs', () => {
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []

  beforeAll(async () => {
    const folder = requireShared('datasets/magnetic-tile')
    server = await startServer()
    // The dataset is imported through the API; the datasets test covers the import UI.
    const response = await fetch(`${server.origin}/api/datasets:import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ args: [{ folder, name: 'magnetic-tile' }] })
    })
    expect(response.status).toBe(200)
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
    page.setDefaultTimeout(60_000)
    pageErrors = watchErrors(page)
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  /** Sets a hyperparameter in the (open) configuration table. */
  async function setParam(key: string, value: string): Promise<void> {
    const input = page.getByTestId(`param-${key}`)
    await input.fill(value)
    await input.dispatchEvent('change')
  }

  it('trains a tiny run from the Runs page and shows its progress and loss curves', async () => {
    await page.goto(server!.url)
    await page.getByTestId('nav-runs').click()
    await page.getByTestId('runs-empty').waitFor()
    await page.getByTestId('run-preset').selectOption('tiny')
    // The backend training will use is shown before anything starts.
    await page.getByTestId('run-backend').locator('.mono').waitFor({ timeout: 120_000 })
    expect(await text(page.getByTestId('run-backend'))).toMatch(/Backend: (wasm|tensorflow|cpu)/)
    await page.getByTestId('run-params').locator('summary').click()
    expect(await page.getByTestId('param-size').inputValue()).toBe('32')
    await page.getByTestId('run-params').locator('summary').click() // closed again, so the screenshot shows the whole page

    await page.getByTestId('run-start').click()
    const progress = page.getByTestId('run-progress')
    await progress.waitFor()
    await expect.poll(() => text(progress.getByTestId('run-status')), { timeout: 240_000, interval: 500 }).toBe('done')
    expect(await text(progress.getByTestId('run-step'))).toContain('(8 / 8 overall)')
    expect(await progress.getByTestId('chart-cosine').locator('path').count()).toBe(1)
    expect(await progress.getByTestId('chart-segmentation').locator('path').count()).toBe(1)
    await page.mouse.move(0, 0)
  })

  it('cancels a run, resumes it to the same total, and deletes it', async () => {
    await page.getByTestId('run-params').locator('summary').click()
    await setParam('student_steps', '3')
    await setParam('segmentation_steps', '3')
    await page.getByTestId('run-start').click()
    const progress = page.getByTestId('run-progress')
    await expect.poll(() => text(progress.getByTestId('run-status')), { timeout: 120_000, interval: 250 }).toBe('training')
    await expect.poll(() => text(progress.getByTestId('run-step')), { timeout: 120_000, interval: 250 }).toMatch(/\(\d \/ 6 overall\)/)
    await progress.getByTestId('run-cancel').click()
    await expect.poll(() => text(progress.getByTestId('run-status')), { timeout: 120_000, interval: 250 }).toBe('cancelled')

    await progress.getByTestId('run-resume').click()
    await expect.poll(() => text(progress.getByTestId('run-status')), { timeout: 240_000, interval: 500 }).toBe('done')
    expect(await text(progress.getByTestId('run-step'))).toContain('(6 / 6 overall)')

    const rows = page.getByTestId('runs-table').locator('tbody tr')
    expect(await rows.count()).toBe(2)
    await rows.first().locator('button', { hasText: 'Delete' }).click()
    await page.getByTestId('confirm-ok').click()
    await expect.poll(() => rows.count()).toBe(1)
  })

  it('finds the finished run after a reload, curves included', async () => {
    await page.reload()
    const rows = page.getByTestId('runs-table').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(1)
    expect(await text(rows.first().getByTestId('run-status'))).toBe('done')
    const progress = page.getByTestId('run-progress')
    expect(await text(progress.getByTestId('run-step'))).toContain('(8 / 8 overall)')
    await progress.getByTestId('chart-segmentation').locator('path').waitFor()
    expect(pageErrors).toEqual([])
  })
})
