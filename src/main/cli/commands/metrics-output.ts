/** What `evaluate` and `evaluate-maps` share: the protocol options and how a MetricsReport is printed. */
import type { MetricsReport } from '../../engine/metrics/types'
import { parseNumber } from './common'

/** parseArgs options for the protocol's k and T. */
export const protocolOptions = { k: { type: 'string' }, 'top-t': { type: 'string' } } as const

/** --k (IAP@k, default 0.9) and --top-t (image score, default 100). */
export function parseProtocolOptions(values: { k?: string; 'top-t'?: string }): { k: number; topT: number } {
  return {
    k: parseNumber(values.k, 'k', (n) => n > 0 && n <= 1, 'a number in (0, 1]') ?? 0.9,
    topT: parseNumber(values['top-t'], 'top-t', (n) => Number.isInteger(n) && n >= 1 && n <= 65536, 'an integer in 1..65536') ?? 100
  }
}

/** The JSON summary both commands print (ms_per_image rounded to 0.01). */
export function metricsSummary(report: MetricsReport, msPerImage: number) {
  return {
    image_auroc: report.image_auroc,
    pixel_auroc: report.pixel_auroc,
    pixel_ap: report.pixel_ap,
    iap: report.iap,
    iap90: report.iap90,
    iap90_threshold: report.iap90_threshold,
    k: report.k,
    aupro: report.aupro,
    images: report.images,
    instances: report.instances,
    ms_per_image: Number(msPerImage.toFixed(2))
  }
}

/** The metrics as text lines (percentages), for output without --json. */
export function metricsLines(report: MetricsReport): string[] {
  const pct = (v: number | null): string => (v === null ? 'n/a (one image class)' : `${(100 * v).toFixed(2)}`)
  return [
    `${report.images} test images (${report.anomalous_images} anomalous), ${report.instances} defect instances, top-${report.top_t} image score`,
    `  image AUROC  ${pct(report.image_auroc)}`,
    `  pixel AUROC  ${pct(report.pixel_auroc)}`,
    `  pixel AP     ${pct(report.pixel_ap)}`,
    `  IAP          ${pct(report.iap)}`,
    `  ${`IAP@${Math.round(report.k * 100)}`.padEnd(11)}  ${pct(report.iap90)} at threshold ${report.iap90_threshold.toPrecision(6)}`,
    `  AUPRO@0.3    ${pct(report.aupro)}`
  ]
}
