import { defineConfig } from 'vitest/config'

/** End-to-end: the built renderer, served by the headless server, driven by Playwright in Chromium. */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1
  }
})
