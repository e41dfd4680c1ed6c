/**
 * A stored evaluation's report as the current MetricsReport: reports stored before image-level
 * labels (no masks) were supported lack pixel_metrics_reason, images_per_metric, unmasked_images,
 * warnings and each image's has_mask. Their images all had masks where anomalous, so the defaults
 * follow: every metric used every image, nothing was unmasked.
 */
import type { EvaluationReport } from '../../common/types/result-queries'
import { METRIC_NAMES, type MetricName } from '../../common/types/metrics'

export function storedReport(raw: unknown): EvaluationReport {
  const report = raw as EvaluationReport
  const pixelMissing = report.pixel_auroc === null || report.pixel_auroc === undefined
  const images = report.images ?? report.per_image?.length ?? 0
  const perMetric = Object.fromEntries(
    METRIC_NAMES.map((m) => [m, m === 'image_auroc' || !pixelMissing ? images : 0])
  ) as Record<MetricName, number>
  return {
    ...report,
    pixel_auroc: report.pixel_auroc ?? null,
    pixel_ap: report.pixel_ap ?? null,
    iap: report.iap ?? null,
    iap90: report.iap90 ?? null,
    iap90_threshold: report.iap90_threshold ?? null,
    aupro: report.aupro ?? null,
    pixel_metrics_reason: report.pixel_metrics_reason ?? (pixelMissing ? 'The pixel metrics were not computed.' : null),
    images_per_metric: report.images_per_metric ?? perMetric,
    unmasked_images: report.unmasked_images ?? 0,
    warnings: report.warnings ?? [],
    per_image: report.per_image ?? []
  }
}
