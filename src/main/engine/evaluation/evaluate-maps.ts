/**
 * Evaluates prediction maps stored as .npy files against a category folder's test split: the
 * engine behind `destseg evaluate-maps`.
 */
import { existsSync } from 'node:fs'
import { UserError } from '../../../common/ipc/errors'
import { evaluateCategory } from '../metrics/evaluate-category'
import { predictionTo256 } from '../metrics/protocol'
import type { EvalOptions, EvalSample, MetricsReport } from '../metrics/types'
import { mapPathOf, readScoreMap } from './map-folder'
import { checkTestImages, listTestImages, loadTruths, sampleOf, type TestImage } from './test-split'

export interface MapsEvaluation {
  report: MetricsReport
  /** wall-clock ms: loading masks, reading and resizing maps; metrics; both; and both per image */
  timing: { load_ms: number; metrics_ms: number; total_ms: number; ms_per_image: number }
}

export interface MapsEvaluationOptions extends EvalOptions {
  /** the test images, in place of listing the category folder (see ModelEvaluationOptions.tests) */
  tests?: TestImage[]
}

/**
 * Evaluates <mapsDir>/<defect>/<stem>.npy for every test image of `categoryDir`. Every map path is
 * checked before any mask is decoded: a UserError names the first missing one.
 */
export async function evaluateMapsFolder(categoryDir: string, mapsDir: string, options: MapsEvaluationOptions = {}): Promise<MapsEvaluation> {
  const started = performance.now()
  const images = options.tests ? checkTestImages(options.tests) : await listTestImages(categoryDir)
  const mapPaths = images.map((im) => mapPathOf(mapsDir, im))
  const missing = mapPaths.filter((path) => !existsSync(path))
  if (missing.length > 0) {
    const first = images[mapPaths.indexOf(missing[0])]
    throw new UserError(
      `Missing map file ${missing[0]} for test image ${first.path}` +
        (missing.length > 1 ? ` (and ${missing.length - 1} more of ${images.length} maps).` : '.'),
      'MISSING_MAP'
    )
  }
  const truths = await loadTruths(images)
  const samples: EvalSample[] = images.map((im, i) => {
    const map = readScoreMap(mapPaths[i], im.path)
    return sampleOf(im, truths[i], predictionTo256(map.data, map.height, map.width))
  })
  const loaded = performance.now()
  const report = evaluateCategory(samples, options)
  const done = performance.now()
  return {
    report,
    timing: {
      load_ms: loaded - started,
      metrics_ms: done - loaded,
      total_ms: done - started,
      ms_per_image: (done - started) / samples.length
    }
  }
}
