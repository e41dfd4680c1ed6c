/** Headless Chromium (Debian's) through playwright-core, plus the page errors it saw. */
import { existsSync } from 'node:fs'
import { chromium, type Browser, type Page } from 'playwright-core'

/**
 * The docs screenshots are written only when DESTSEG_SCREENSHOTS=1 (`npm run screenshots`), so a
 * test run leaves docs/ as committed.
 */
export const WRITE_SCREENSHOTS = process.env.DESTSEG_SCREENSHOTS === '1'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set CHROMIUM_PATH.`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic'
    ]
  })
}

/** Collects uncaught page errors and console errors, so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => {
    // failed requests are reported below, with their URL
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(`console: ${msg.text()}`)
  })
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`)
  })
  page.on('requestfailed', (request) => {
    // superseded requests (an <img> whose src changed) are aborted on purpose
    if (request.failure()?.errorText === 'net::ERR_ABORTED') return
    errors.push(`request failed (${request.failure()?.errorText ?? 'unknown'}): ${request.method()} ${request.url()}`)
  })
  return errors
}
