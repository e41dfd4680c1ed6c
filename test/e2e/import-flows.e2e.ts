/**
 * The import paths that need a decision from the user: rejected files ("Import anyway"),
 * an already imported folder ("Re-scan instead"), and deleting through the confirmation dialog.
 * Runs on a small copy of magnetic-tile with one unreadable file added.
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, watchErrors } from './browser'
import { requireShared, startServer, type ServerHandle } from './serve'

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').trim()
}

/** Copies the first `count` images of `dir` (and their masks) into the same place under `target`. */
function copySome(source: string, target: string, dir: string, count: number, withMasks = false): string[] {
  const names = readdirSync(join(source, dir)).sort().slice(0, count)
  mkdirSync(join(target, dir), { recursive: true })
  for (const name of names) {
    copyFileSync(join(source, dir, name), join(target, dir, name))
    if (withMasks) {
      const defect = dir.split('/')[1]
      const mask = `${name.replace(/\.[^.]+$/, '')}_mask.png`
      mkdirSync(join(target, 'ground_truth', defect), { recursive: true })
      copyFileSync(join(source, 'ground_truth', defect, mask), join(target, 'ground_truth', defect, mask))
    }
  }
  return names
}

describe('import decisions', () => {
  let server: ServerHandle | undefined
  let browser: Browser | undefined
  let page: Page
  let pageErrors: string[] = []
  let source = ''
  let folder = ''

  beforeAll(async () => {
    source = requireShared('datasets/magnetic-tile')
    folder = join(await mkdtemp(join(tmpdir(), 'destseg-e2e-small-')), 'small-tile')
    copySome(source, folder, 'train/good', 6)
    copySome(source, folder, 'test/good', 2)
    copySome(source, folder, 'test/break', 2, true)
    writeFileSync(join(folder, 'train/good/corrupt.png'), Buffer.from('this is not a PNG file'))

    server = await startServer()
    browser = await launchBrowser()
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    page.setDefaultTimeout(30_000)
    pageErrors = watchErrors(page)
    await page.goto(server.url)
    await page.getByTestId('datasets-empty').waitFor()
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    if (folder) rmSync(join(folder, '..'), { recursive: true, force: true })
  })

  it('shows the backend error for a folder that does not exist', async () => {
    const missing = join(folder, '..', 'no-such-folder')
    await page.getByTestId('import-folder').fill(missing)
    await page.getByTestId('import-submit').click()
    const banner = page.getByTestId('error-banner')
    await banner.waitFor()
    expect(await text(banner)).toMatch(/^⚠\s*Import: .+/)
    await banner.getByRole('button', { name: 'Dismiss' }).click()
    await banner.waitFor({ state: 'detached' })
    expect(await page.getByTestId('import-outcome').count()).toBe(0)
    pageErrors.splice(0) // the failed call itself is expected
  })

  it('imports nothing while a file is rejected, then imports the rest on request', async () => {
    await page.getByTestId('import-folder').fill(folder)
    await page.getByTestId('import-submit').click()

    const outcome = page.getByTestId('import-outcome')
    await outcome.waitFor({ timeout: 120_000 })
    expect(await text(outcome.getByTestId('import-status'))).toBe('Nothing was imported')
    const rejected = outcome.getByTestId('rejected-row')
    expect(await rejected.count()).toBe(1)
    expect(await text(rejected.first().locator('td').first())).toContain('corrupt.png')
    expect(await text(rejected.first().locator('td').nth(1))).not.toBe('')
    expect(await page.getByTestId('dataset-row').count()).toBe(0)

    const anyway = outcome.getByTestId('import-anyway')
    expect(await text(anyway)).toBe('Import anyway, skipping 1 file')
    await anyway.click()
    await expect.poll(() => text(page.getByTestId('import-status')), { timeout: 120_000 }).toBe('Imported')
    const counts = page.getByTestId('import-outcome').getByTestId('counts-row')
    expect(await text(counts.getByTestId('count-train-good'))).toBe('6')
    expect(await text(counts.getByTestId('count-test-good'))).toBe('2')
    expect(await text(counts.getByTestId('count-test-anomalous'))).toBe('2')
    expect(await text(counts.getByTestId('count-masks'))).toBe('2')
    await expect.poll(() => page.getByTestId('dataset-row').count()).toBe(1)
    expect(await text(page.getByTestId('dataset-row').getByTestId('dataset-name'))).toBe('small-tile')
  })

  it('offers a re-scan when the folder is already imported', async () => {
    rmSync(join(folder, 'train/good/corrupt.png'))
    const extra = readdirSync(join(source, 'train/good')).sort()[6]
    copyFileSync(join(source, 'train/good', extra), join(folder, 'train/good', extra))

    await page.getByTestId('import-submit').click()
    const outcome = page.getByTestId('import-outcome')
    await expect.poll(() => text(outcome.getByTestId('import-status')), { timeout: 120_000 }).toBe('Already imported')
    await outcome.getByTestId('import-rescan-instead').click()

    const rescan = page.getByTestId('rescan-outcome')
    await rescan.waitFor({ timeout: 120_000 })
    expect(await text(rescan.getByTestId('rescan-changes'))).toMatch(/^1 added · 0 removed · 0 changed$/)
    expect(await text(page.getByTestId('dataset-row').getByTestId('dataset-train-good'))).toBe('7')
  })

  it('deletes only after the confirmation', async () => {
    const row = page.getByTestId('dataset-row')
    await row.getByTestId('dataset-delete').click()
    const dialog = page.getByTestId('confirm-dialog')
    await dialog.waitFor()
    expect(await text(dialog)).toContain('small-tile')
    await dialog.getByTestId('confirm-cancel').click()
    await dialog.waitFor({ state: 'detached' })
    expect(await row.count()).toBe(1)

    await row.getByTestId('dataset-delete').click()
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    expect(await row.count()).toBe(1)

    await row.getByTestId('dataset-delete').click()
    await dialog.getByTestId('confirm-ok').click()
    await page.getByTestId('datasets-empty').waitFor()
    expect(await text(page.getByTestId('info-banner'))).toContain('small-tile')

    // The files themselves are untouched.
    expect(readdirSync(join(folder, 'train/good'))).toHaveLength(7)
    expect(pageErrors).toEqual([])
  })
})
