/**
 * All metrics of one category from its test images at the protocol's resolution: image AUROC,
 * pixel AUROC, pixel AP, IAP, IAP@k (with its threshold) and AUPRO, plus thinned curves for display.
 */
import { UserError } from '../../../common/ipc/errors'
import { AveragePrecisionSum } from './average-precision'
import { ProArea } from './aupro'
import { CurveThinner, evenIndices } from './curve-points'
import { instanceAveragePrecision } from './iap'
import { connectedComponents8, instanceScores } from './instances'
import { countAtOrAbove, NanScoreError, rankPixels, scoreOfKey, walkThresholds, type RankedImage } from './pixel-ranking'
import { DEFAULT_TOP_T, imageLabel, imageScore } from './protocol'
import { RocArea, rocAucOfSteps, rocCurveOf, tieSteps } from './roc'
import { EVAL_PIXELS, EVAL_SIZE, type EvalOptions, type EvalSample, type EvalWarning, type ImageResult, type MetricsReport, type RocCurve } from './types'

/** Default recall level of IAP@k. */
export const DEFAULT_K = 0.9
/** Default most points per curve. */
export const DEFAULT_CURVE_POINTS = 500

function checkOptions(options: EvalOptions): Required<EvalOptions> {
  const k = options.k ?? DEFAULT_K
  const topT = options.topT ?? DEFAULT_TOP_T
  const maxCurvePoints = options.maxCurvePoints ?? DEFAULT_CURVE_POINTS
  if (!(k > 0 && k <= 1)) throw new UserError(`k must be in (0, 1], got ${k}`, 'BAD_OPTION')
  if (!(Number.isInteger(topT) && topT >= 1 && topT <= EVAL_PIXELS)) {
    throw new UserError(`top T must be an integer in 1..${EVAL_PIXELS}, got ${topT}`, 'BAD_OPTION')
  }
  if (!(Number.isInteger(maxCurvePoints) && maxCurvePoints >= 2)) {
    throw new UserError(`maxCurvePoints must be an integer >= 2, got ${maxCurvePoints}`, 'BAD_OPTION')
  }
  return { k, topT, maxCurvePoints }
}

function checkSample(sample: EvalSample): void {
  if (sample.map.length !== EVAL_PIXELS) {
    throw new Error(`${sample.path}: map has ${sample.map.length} values, expected ${EVAL_SIZE}x${EVAL_SIZE}`)
  }
  if (sample.gt !== null) {
    if (sample.gt.length !== EVAL_PIXELS) {
      throw new Error(`${sample.path}: ground truth has ${sample.gt.length} values, expected ${EVAL_SIZE}x${EVAL_SIZE}`)
    }
    const gt = sample.gt
    for (let i = 0; i < gt.length; i++) {
      if (gt[i] > 1) throw new Error(`${sample.path}: ground truth must be 0/1, found ${gt[i]}`)
    }
  }
}

/** At most about `maxPoints` evenly spaced points of a ROC curve (first and last kept). */
function thinRoc(curve: RocCurve | null, maxPoints: number): RocCurve | null {
  if (curve === null || curve.fpr.length <= maxPoints) return curve
  const keep = evenIndices(curve.fpr.length, maxPoints)
  return { fpr: keep.map((i) => curve.fpr[i]), tpr: keep.map((i) => curve.tpr[i]), threshold: keep.map((i) => curve.threshold[i]) }
}

/** The label an image is scored with, and whether it has a mask: the mask decides where there is one, else the folder. */
function labelOf(sample: EvalSample): { label: 0 | 1; hasMask: boolean; warning: EvalWarning | null } {
  if (sample.gt === null) return { label: sample.folderLabel ?? 0, hasMask: false, warning: null }
  const label = imageLabel(sample.gt)
  let warning: EvalWarning | null = null
  if (sample.folderLabel === 1 && label === 0) {
    warning = {
      path: sample.path,
      kind: 'empty_mask',
      message: `${sample.path} is in the defect folder "${sample.defect}" but its mask is empty at 256x256; it is scored as normal (the mask's label).`
    }
  } else if (sample.folderLabel === 0 && label === 1) {
    warning = {
      path: sample.path,
      kind: 'mask_on_good',
      message: `${sample.path} is in the good folder but its mask has defect pixels; it is scored as anomalous (the mask's label).`
    }
  }
  return { label, hasMask: true, warning }
}

function hasNaN(map: Float32Array): boolean {
  for (let i = 0; i < map.length; i++) if (Number.isNaN(map[i])) return true
  return false
}

/** The report's pixel part when the pixel metrics cannot be computed. */
function noPixelMetrics(reason: string): Pick<
  MetricsReport,
  'pixel_auroc' | 'pixel_ap' | 'iap' | 'iap90' | 'iap90_threshold' | 'aupro' | 'pixel_metrics_reason' | 'instances' | 'positive_pixels' | 'negative_pixels'
> & { curves: Pick<MetricsReport['curves'], 'pixel_roc' | 'instance'> } {
  return {
    pixel_auroc: null,
    pixel_ap: null,
    iap: null,
    iap90: null,
    iap90_threshold: null,
    aupro: null,
    pixel_metrics_reason: reason,
    instances: 0,
    positive_pixels: 0,
    negative_pixels: 0,
    curves: { pixel_roc: { fpr: [], tpr: [], threshold: [] }, instance: { threshold: [], recall: [], precision: [] } }
  }
}

/**
 * Evaluates one category. An image's label is its mask's (the protocol) where it has a mask, else its
 * folder's (EvalSample.folderLabel); image AUROC uses every image, the pixel metrics the images with a
 * mask plus the normal ones. Throws a UserError when no image is anomalous at all, when every pixel
 * of the pixel-metric images is anomalous, and when a map holds NaN; when the images with masks hold
 * no anomalous pixel (image-level labels only), the pixel metrics are null with a reason.
 * Cost: two passes over the pixels and a radix sort of the normal pixels whose scores fall among the
 * ground-truth scores (scripts/bench-metrics.ts: 18M pixels in about 1 s of CPU on one core).
 */
export function evaluateCategory(samples: EvalSample[], options: EvalOptions = {}): MetricsReport {
  const { k, topT, maxCurvePoints } = checkOptions(options)
  if (samples.length === 0) throw new UserError('No test images to evaluate.', 'NO_TEST_IMAGES')
  samples.forEach(checkSample)

  // per image: label, score, ground-truth regions (images with a mask and normal images only)
  const perImage: ImageResult[] = []
  const warnings: EvalWarning[] = []
  const ranked: RankedImage[] = []
  const rankedSample: number[] = []
  const regionSizes: number[] = []
  const instanceScoreParts: Float32Array[] = []
  let unmasked = 0
  samples.forEach((s, index) => {
    const { label, hasMask, warning } = labelOf(s)
    if (warning) warnings.push(warning)
    if (hasNaN(s.map)) throw new UserError(`${s.path}: the map contains NaN.`, 'NAN_SCORE')
    perImage.push({ path: s.path, defect: s.defect, label, score: imageScore(s.map, topT), has_mask: hasMask })
    if (!hasMask && label === 1) {
      unmasked++
      return
    }
    rankedSample.push(index)
    if (label === 0) {
      ranked.push({ map: s.map, labels: null, firstRegion: 0 })
      return
    }
    const components = connectedComponents8(s.gt as Uint8Array, EVAL_SIZE, EVAL_SIZE)
    ranked.push({ map: s.map, labels: components.labels, firstRegion: regionSizes.length })
    regionSizes.push(...components.sizes)
    instanceScoreParts.push(instanceScores(components, s.map))
  })
  const scores = perImage.map((r) => r.score)
  const labels = perImage.map((r) => r.label)
  const anomalousImages = labels.reduce<number>((a, l) => a + l, 0)
  if (anomalousImages === 0) {
    throw new UserError(
      `No anomalous pixel in the ground truth of the ${samples.length} test images: pixel AUROC, AP, IAP and ` +
        'AUPRO need at least one defect image with a non-empty mask (after resizing to 256x256).',
      'NO_ANOMALOUS_PIXELS'
    )
  }
  const imageSteps = tieSteps(scores, labels)
  const imageAuroc = rocAucOfSteps(imageSteps)
  const imagePart = {
    image_auroc: Number.isNaN(imageAuroc) ? null : imageAuroc,
    k,
    unmasked_images: unmasked,
    warnings,
    images: samples.length,
    anomalous_images: anomalousImages,
    top_t: topT,
    per_image: perImage
  }
  const imageRoc = thinRoc(rocCurveOf(imageSteps), maxCurvePoints)

  if (regionSizes.length === 0) {
    const emptyMasks = warnings.filter((w) => w.kind === 'empty_mask').length
    const reason =
      `None of the ${anomalousImages} anomalous test images has a ground-truth mask with defect pixels ` +
      `(${unmasked} with image-level labels only${emptyMasks ? `, ${emptyMasks} with an empty mask` : ''}), so the pixel metrics cannot be computed.`
    const none = noPixelMetrics(reason)
    return {
      ...imagePart,
      ...none,
      images_per_metric: { image_auroc: samples.length, pixel_auroc: 0, pixel_ap: 0, iap: 0, iap90: 0, aupro: 0 },
      curves: { ...none.curves, image_roc: imageRoc }
    }
  }

  let ranking
  try {
    ranking = rankPixels(ranked, regionSizes)
  } catch (err) {
    if (err instanceof NanScoreError) throw new UserError(`${samples[rankedSample[err.image]].path}: the map contains NaN.`, 'NAN_SCORE')
    throw err
  }
  const positives = ranking.positives.length
  const negatives = ranking.negativeCount
  if (negatives === 0) {
    throw new UserError('Every pixel of every test image is anomalous: pixel metrics need normal pixels too.', 'NO_NORMAL_PIXELS')
  }

  // one walk over the distinct pixel scores feeds ROC, AP, PRO and the displayed ROC curve
  const roc = new RocArea()
  const ap = new AveragePrecisionSum()
  const pro = new ProArea(negatives, regionSizes.length)
  const rocPoints = new CurveThinner(maxCurvePoints, 2)
  walkThresholds(ranking, (key, tp, fp, overlap) => {
    roc.add(tp, fp)
    ap.add(tp, fp)
    pro.add(fp, overlap)
    rocPoints.offer(fp / negatives, tp / positives, key)
  })
  const rocColumns = rocPoints.finish()

  // instances
  let instanceCount = 0
  for (const part of instanceScoreParts) instanceCount += part.length
  const allInstanceScores = new Float32Array(instanceCount)
  let offset = 0
  for (const part of instanceScoreParts) {
    allInstanceScores.set(part, offset)
    offset += part.length
  }
  const iap = instanceAveragePrecision(
    allInstanceScores,
    (t) => {
      const c = countAtOrAbove(ranking, t)
      return c.positives / c.all
    },
    k
  )
  const shown = evenIndices(instanceCount, maxCurvePoints)

  const used = ranked.length
  return {
    ...imagePart,
    pixel_auroc: roc.value(positives, negatives),
    pixel_ap: ap.value(positives),
    iap: iap.iap,
    iap90: iap.iapAtK,
    iap90_threshold: iap.thresholdAtK,
    aupro: pro.value(),
    pixel_metrics_reason: null,
    images_per_metric: { image_auroc: samples.length, pixel_auroc: used, pixel_ap: used, iap: used, iap90: used, aupro: used },
    instances: instanceCount,
    positive_pixels: positives,
    negative_pixels: negatives,
    curves: {
      pixel_roc: { fpr: rocColumns.x, tpr: rocColumns.y, threshold: rocColumns.threshold.map(scoreOfKey) },
      image_roc: imageRoc,
      instance: {
        threshold: shown.map((i) => iap.thresholds[i]),
        recall: shown.map((i) => iap.recalls[i]),
        precision: shown.map((i) => iap.precisions[i])
      }
    }
  }
}
