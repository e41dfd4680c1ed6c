/**
 * `destseg evaluate-maps`: the evaluation protocol (METHOD.md) on prediction maps stored as .npy
 * files, <maps>/<defect>/<stem>.npy for test/<defect>/<stem>.<ext> (good images: <maps>/good/).
 * Prints {"image_auroc", "pixel_auroc", "pixel_ap", "iap", "iap90", "iap90_threshold", "k", "aupro",
 * "images", "instances", "ms_per_image", "pixel_metrics_reason", "images_per_metric", "unmasked_images",
 * "warnings"}; ms_per_image is the whole evaluation (masks, maps and metrics) divided by the number of
 * images. Defect images without masks count for image AUROC only (metrics-output.ts).
 */
import { parseArgs } from 'node:util'
import { evaluateMapsFolder } from '../../engine/evaluation/evaluate-maps'
import { printJson, UsageError, userPath, type CliCommand } from './common'
import { metricsLines, metricsSummary, parseProtocolOptions, protocolOptions } from './metrics-output'

export const evaluateMapsCommand: CliCommand = {
  name: 'evaluate-maps',
  summary: 'image AUROC, pixel AUROC/AP, IAP, IAP@k and AUPRO of .npy prediction maps on a category test split',
  usage: '--dataset <category folder> --maps <folder> [--k 0.9] [--top-t 100] [--curves] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        dataset: { type: 'string' },
        maps: { type: 'string' },
        ...protocolOptions,
        curves: { type: 'boolean' },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    if (!values.dataset) throw new UsageError('--dataset is required')
    if (!values.maps) throw new UsageError('--maps is required')
    const { k, topT } = parseProtocolOptions(values)
    const { report, timing } = await evaluateMapsFolder(userPath(values.dataset), userPath(values.maps), { k, topT })
    const summary = metricsSummary(report, timing.ms_per_image)
    if (values.json) {
      printJson(values.curves ? { ...summary, curves: report.curves, per_image: report.per_image } : summary)
    } else {
      const seconds = `  ${(timing.total_ms / 1000).toFixed(2)} s (${timing.ms_per_image.toFixed(1)} ms per image; metrics ${(timing.metrics_ms / 1000).toFixed(2)} s)`
      console.log([...metricsLines(report), seconds].join('\n'))
    }
    return 0
  }
}
