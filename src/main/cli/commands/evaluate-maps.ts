/**
 * `destseg evaluate-maps`: the evaluation protocol (METHOD.md) on prediction maps stored as .npy
 * files, <maps>/<defect>/<stem>.npy for test/<defect>/<stem>.<ext> (good images: <maps>/good/).
 * Prints {"image_auroc", "pixel_auroc", "pixel_ap", "iap", "iap90", "iap90_threshold", "k", "aupro",
 * "images", "instances", "ms_per_image"}; ms_per_image is the whole evaluation (masks, maps and
 * metrics) divided by the number of images.
 */
import { parseArgs } from 'node:util'
import { evaluateMapsFolder } from '../../engine/evaluation/evaluate-maps'
import { parseNumber, printJson, UsageError, userPath, type CliCommand } from './common'

const round = (v: number | null, digits = 6): number | null => (v === null ? null : Number(v.toFixed(digits)))

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
        k: { type: 'string' },
        'top-t': { type: 'string' },
        curves: { type: 'boolean' },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    if (!values.dataset) throw new UsageError('--dataset is required')
    if (!values.maps) throw new UsageError('--maps is required')
    const k = parseNumber(values.k, 'k', (n) => n > 0 && n <= 1, 'a number in (0, 1]') ?? 0.9
    const topT =
      parseNumber(values['top-t'], 'top-t', (n) => Number.isInteger(n) && n >= 1 && n <= 65536, 'an integer in 1..65536') ?? 100
    const { report, timing } = await evaluateMapsFolder(userPath(values.dataset), userPath(values.maps), { k, topT })
    const summary = {
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
      ms_per_image: round(timing.ms_per_image, 2)
    }
    if (values.json) {
      printJson(values.curves ? { ...summary, curves: report.curves, per_image: report.per_image } : summary)
    } else {
      const pct = (v: number | null) => (v === null ? 'n/a (one image class)' : `${(100 * v).toFixed(2)}`)
      console.log(
        [
          `${report.images} test images (${report.anomalous_images} anomalous), ${report.instances} defect instances, top-${report.top_t} image score`,
          `  image AUROC  ${pct(report.image_auroc)}`,
          `  pixel AUROC  ${pct(report.pixel_auroc)}`,
          `  pixel AP     ${pct(report.pixel_ap)}`,
          `  IAP          ${pct(report.iap)}`,
          `  ${`IAP@${Math.round(report.k * 100)}`.padEnd(11)}  ${pct(report.iap90)} at threshold ${report.iap90_threshold.toPrecision(6)}`,
          `  AUPRO@0.3    ${pct(report.aupro)}`,
          `  ${(timing.total_ms / 1000).toFixed(2)} s (${timing.ms_per_image.toFixed(1)} ms per image; metrics ${(timing.metrics_ms / 1000).toFixed(2)} s)`
        ].join('\n')
      )
    }
    return 0
  }
}
