/** The expected values computed once in Python (test/fixtures/metrics/make_metrics_fixture.py). */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

export interface AntialiasCase {
  name: string
  stride: number
  sum: number
  values: number[]
  positives?: number
}

export interface ExpectedMetrics {
  image_auroc: number
  pixel_auroc: number
  pixel_ap: number
  iap: number
  iap90: number
  iap90_threshold: number
  aupro: number
  images: number
  instances: number
}

export interface MetricsFixture {
  seed: number
  k: number
  top_t: number
  antialias: AntialiasCase[]
  ground_truth: { relPath: string; positives: number; sha1: string }[]
  maps: Record<'random' | 'near-perfect', ExpectedMetrics>
}

export const FIXTURE_DIR = resolve(__dirname, '../../fixtures/metrics')

/** expected.json, parsed. */
export function loadFixture(): MetricsFixture {
  return JSON.parse(readFileSync(resolve(FIXTURE_DIR, 'expected.json'), 'utf8')) as MetricsFixture
}
