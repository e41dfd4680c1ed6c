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

/**
 * The JSON summary both commands print (ms_per_image rounded to 0.01). Pixel metrics are null when
 * no anomalous test image has a mask (pixel_metrics_reason says why); images_per_metric gives the
 * test images each metric used (image AUROC: all; pixel metrics: those with masks plus the normal ones).
 */
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
    ms_per_image: Number(msPerImage.toFixed(2)),
    pixel_metrics_reason: report.pixel_metrics_reason,
    images_per_metric: report.images_per_metric,
    unmasked_images: report.unmasked_images,
    warnings: report.warnings
  }
}

/** The metrics as text lines (percentages), for output without --json. */
export function metricsLines(report: MetricsReport): string[] {
  const pct = (v: number | null, why = 'n/a (one image class)'): string => (v === null ? why : `${(100 * v).toFixed(2)}`)
  const pixelNull = 'n/a (no masks)'
  const used = report.images_per_metric
  const unmasked = report.unmasked_images > 0 ? `; ${report.unmasked_images} anomalous without a mask (image metrics only)` : ''
  return [
    `${report.images} test images (${report.anomalous_images} anomalous${unmasked}), ${report.instances} defect instances, top-${report.top_t} image score`,
    `  image AUROC  ${pct(report.image_auroc)}  (${used.image_auroc} images)`,
    `  pixel AUROC  ${pct(report.pixel_auroc, pixelNull)}  (${used.pixel_auroc} images)`,
    `  pixel AP     ${pct(report.pixel_ap, pixelNull)}`,
    `  IAP          ${pct(report.iap, pixelNull)}`,
    `  ${`IAP@${Math.round(report.k * 100)}`.padEnd(11)}  ${pct(report.iap90, pixelNull)}` +
      (report.iap90_threshold === null ? '' : ` at threshold ${report.iap90_threshold.toPrecision(6)}`),
    `  AUPRO@0.3    ${pct(report.aupro, pixelNull)}`,
    ...(report.pixel_metrics_reason ? [`  ${report.pixel_metrics_reason}`] : []),
    ...report.warnings.map((w) => `  warning: ${w.message}`)
  ]
}
