/**
 * Failure-case review (issue 5.5): an evaluation's false-negative and false-positive queues at the
 * thresholds in effect (the category's saved ones, else the evaluation's defaults), and the
 * reviewer's verdicts on them.
 * - false_negative: anomalous images scored under the image threshold, and anomalous images with
 *   missed instances (failure-cases.ts); lowest image score first.
 * - false_positive: normal images scored at or over the image threshold, and images with predicted
 *   regions that do not touch the ground truth; highest image score first.
 * An anomalous image without a mask (labelled by its defect folder only) is reviewed at the image
 * level: a false negative when scored under the image threshold, never in the false-positive queue.
 * The threshold-independent part of each image (its map, its ground truth, its instances and their
 * scores) is read from the stored .npy maps and the masks once per evaluation and kept in memory
 * (the last few evaluations); the queues are kept per thresholds.
 */
import type Database from 'better-sqlite3'
import { UserError } from '../../common/ipc/errors'
import { REVIEW_QUEUES, type ReviewQueue, type VerdictRecord } from '../../common/types/results'
import type {
  QueueCounts,
  ReviewCase,
  ReviewCounts,
  ReviewQueueRequest,
  ReviewQueueView,
  ReviewRegion,
  VerdictRequest
} from '../../common/types/review'
import type { EvaluationThresholds } from '../../common/types/result-queries'
import { mapConcurrent } from '../datasets/concurrency'
import { readScoreMap, type ScoreMap } from '../engine/evaluation/map-folder'
import { loadGroundTruth } from '../engine/evaluation/test-split'
import { imageLabel, predictionTo256 } from '../engine/metrics/protocol'
import { EVAL_SIZE } from '../engine/metrics/types'
import { imageResult } from '../store/repositories/results.repo'
import { evaluationImages, type EvaluationImage } from '../store/repositories/review.repo'
import { countVerdicts, insertVerdict, latestVerdicts } from '../store/repositories/verdicts.repo'
import { groundTruthInstances, missedInstances, regionsOutsideTruth } from './failure-cases'
import type { ThresholdsService } from './thresholds-service'

type DB = Database.Database

/** One test image, read once: its map at the model's size, its ground truth (anomalous images only) and instances. */
export interface AnalysedImage {
  image: EvaluationImage
  label: 0 | 1
  map: ScoreMap
  /** [256*256] 0/1, null for a normal image and for an anomalous image without a mask */
  gt: Uint8Array | null
  /** whether the image has a mask file; an anomalous image without one is reviewed at the image level only */
  hasMask: boolean
  /** every ground-truth instance with its instance score */
  instances: ReviewRegion[]
}

/** A queue entry before its verdict is attached. */
export type CaseCore = Omit<ReviewCase, 'verdict'>

export interface ReviewServiceOptions {
  now?: () => Date
  /** evaluations whose images are kept in memory (default 3) */
  cacheSize?: number
}

/** Parallel mask decodes. */
const DECODE_CONCURRENCY = 4
/** Queues kept (per evaluation, queue and thresholds). */
const QUEUE_CACHE_SIZE = 16

const yieldToLoop = (): Promise<void> => new Promise((done) => setImmediate(done))

function map256Of(image: AnalysedImage): Float32Array {
  return predictionTo256(image.map.data, image.map.height, image.map.width)
}

function caseOf(image: AnalysedImage, imageError: boolean, regions: ReviewRegion[]): CaseCore {
  const { image_id, rel_path, defect_type, score, width, height } = image.image
  return {
    image_id,
    rel_path,
    defect: defect_type,
    label: image.label,
    score,
    width,
    height,
    image_error: imageError,
    regions,
    instances: image.instances.length,
    has_mask: image.hasMask
  }
}

/** The false-negative queue of analysed images at the given thresholds, lowest score first. */
export function falseNegativeCases(images: readonly AnalysedImage[], pixel: number, image: number): CaseCore[] {
  const cases: CaseCore[] = []
  for (const im of images) {
    if (im.label !== 1) continue
    const imageError = im.image.score < image
    const missed = missedInstances(im.instances, pixel)
    if (imageError || missed.length > 0) cases.push(caseOf(im, imageError, missed))
  }
  return cases.sort((a, b) => a.score - b.score || a.image_id - b.image_id)
}

/** The false-positive queue at the given thresholds, highest score first. */
export async function falsePositiveCases(images: readonly AnalysedImage[], pixel: number, image: number): Promise<CaseCore[]> {
  const cases: CaseCore[] = []
  for (let i = 0; i < images.length; i++) {
    if (i % 16 === 15) await yieldToLoop() // keep the server answering while a long queue is computed
    const im = images[i]
    if (im.label === 1 && !im.hasMask) continue // no truth to put regions outside of, and never an image-level false positive
    const imageError = im.label === 0 && im.image.score >= image
    const outside = regionsOutsideTruth(map256Of(im), im.gt, pixel)
    if (imageError || outside.length > 0) cases.push(caseOf(im, imageError, outside))
  }
  return cases.sort((a, b) => b.score - a.score || a.image_id - b.image_id)
}

export class ReviewService {
  private readonly analyses = new Map<number, Promise<AnalysedImage[]>>()
  private readonly queues = new Map<string, Promise<CaseCore[]>>()
  private readonly now: () => Date
  private readonly cacheSize: number

  constructor(
    private readonly db: DB,
    private readonly thresholds: ThresholdsService,
    options: ReviewServiceOptions = {}
  ) {
    this.now = options.now ?? (() => new Date())
    this.cacheSize = options.cacheSize ?? 3
  }

  /** review:queue: one queue at the thresholds in effect, each case with its counting verdict. */
  async queue(request: ReviewQueueRequest): Promise<ReviewQueueView> {
    const evaluation = this.thresholds.evaluation(request.evaluationId)
    const thresholds = this.thresholds.inEffect(evaluation)
    const cores = await this.cases(evaluation.id, request.queue, thresholds)
    const verdicts = new Map(latestVerdicts(this.db, evaluation.id, request.queue).map((v) => [v.image_id, v]))
    return {
      evaluation_id: evaluation.id,
      category_id: evaluation.category_id,
      queue: request.queue,
      thresholds,
      grid: EVAL_SIZE,
      cases: cores.map((c) => ({ ...c, verdict: verdicts.get(c.image_id) ?? null }))
    }
  }

  /** review:verdict: stores a verdict on an image of the evaluation; the latest per image and queue counts. */
  verdict(request: VerdictRequest): VerdictRecord {
    this.thresholds.evaluation(request.evaluationId)
    if (!imageResult(this.db, request.evaluationId, request.imageId)) {
      throw new UserError(`Image ${request.imageId} is not a test image of evaluation ${request.evaluationId}.`, 'NOT_FOUND')
    }
    const row = {
      evaluation_id: request.evaluationId,
      image_id: request.imageId,
      queue: request.queue,
      verdict: request.verdict,
      note: request.note ?? '',
      created_at: this.now().toISOString()
    }
    return { id: insertVerdict(this.db, row), ...row }
  }

  /** review:counts: each queue's size at the thresholds in effect, how many of its cases are judged, and the verdicts. */
  async counts(evaluationId: number): Promise<ReviewCounts> {
    const evaluation = this.thresholds.evaluation(evaluationId)
    const thresholds = this.thresholds.inEffect(evaluation)
    const counts = async (queue: ReviewQueue): Promise<QueueCounts> => {
      const cases = await this.cases(evaluationId, queue, thresholds)
      const judged = new Set(latestVerdicts(this.db, evaluationId, queue).map((v) => v.image_id))
      return {
        cases: cases.length,
        judged: cases.filter((c) => judged.has(c.image_id)).length,
        verdicts: countVerdicts(this.db, evaluationId, queue)
      }
    }
    const [falseNegative, falsePositive] = await Promise.all(REVIEW_QUEUES.map(counts))
    return { evaluation_id: evaluationId, thresholds, false_negative: falseNegative, false_positive: falsePositive }
  }

  /** Forgets what is kept of an evaluation (after it was deleted). */
  forget(evaluationId: number): void {
    this.analyses.delete(evaluationId)
    for (const key of [...this.queues.keys()]) if (key.startsWith(`${evaluationId}|`)) this.queues.delete(key)
  }

  private cases(evaluationId: number, queue: ReviewQueue, thresholds: EvaluationThresholds): Promise<CaseCore[]> {
    const pixel = thresholds.pixel.value
    const image = thresholds.image.value
    const key = `${evaluationId}|${queue}|${pixel}|${image}`
    let pending = this.queues.get(key)
    if (!pending) {
      pending = this.analysed(evaluationId).then((images) =>
        queue === 'false_negative' ? falseNegativeCases(images, pixel, image) : falsePositiveCases(images, pixel, image)
      )
      remember(this.queues, key, pending, QUEUE_CACHE_SIZE)
      pending.catch(() => this.queues.delete(key))
    } else {
      touch(this.queues, key, pending)
    }
    return pending
  }

  /** The evaluation's images read and analysed, once (concurrent callers share the work). */
  private analysed(evaluationId: number): Promise<AnalysedImage[]> {
    const cached = this.analyses.get(evaluationId)
    if (cached) {
      touch(this.analyses, evaluationId, cached)
      return cached
    }
    const pending = analyseEvaluation(evaluationImages(this.db, evaluationId))
    remember(this.analyses, evaluationId, pending, this.cacheSize)
    pending.catch(() => {
      this.forget(evaluationId) // a failed read (a missing map file) is tried again next time
    })
    return pending
  }
}

/** Reads every image's map and ground truth and scores its instances. */
async function analyseEvaluation(images: EvaluationImage[]): Promise<AnalysedImage[]> {
  return mapConcurrent(images, DECODE_CONCURRENCY, async (image): Promise<AnalysedImage> => {
    const map = readScoreMap(image.map_path, image.path)
    const truth = image.mask_path === null ? null : await loadGroundTruth(image.mask_path)
    // the mask's label where there is a mask (the protocol), else the folder's (image-level labels only)
    const label = truth !== null ? imageLabel(truth) : image.defect_type === 'good' ? 0 : 1
    const gt = truth !== null && label === 1 ? truth : null
    const analysed: AnalysedImage = { image, label, map, gt, hasMask: truth !== null, instances: [] }
    if (gt !== null) analysed.instances = groundTruthInstances(map256Of(analysed), gt)
    return analysed
  })
}

/** Puts an entry in an insertion-ordered map used as an LRU, dropping the oldest past `size`. */
function remember<K, V>(cache: Map<K, V>, key: K, value: V, size: number): void {
  cache.set(key, value)
  while (cache.size > size) cache.delete(cache.keys().next().value as K)
}

function touch<K, V>(cache: Map<K, V>, key: K, value: V): void {
  cache.delete(key)
  cache.set(key, value)
}
