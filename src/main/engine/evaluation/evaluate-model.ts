/**
 * Evaluates an ONNX model on a category folder's test split (the engine behind `destseg evaluate`
 * and the runs' post-training step): inference in the worker (engine/inference), the protocol's
 * metrics (engine/metrics) and, optionally, each image's map written as <mapsDir>/<defect>/<stem>.npy,
 * the layout `evaluate-maps` reads, so any stored evaluation can be recomputed from its maps.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { UserError } from '../../../common/ipc/errors'
import { InferenceClient, type InferenceClientOptions, type InferenceProgress, type ProviderFallback, type ProviderName } from '../inference'
import { encodeNpy } from '../io/npy'
import { evaluateCategory } from '../metrics/evaluate-category'
import type { EvalOptions, EvalSample, MetricsReport } from '../metrics/types'
import { mapPathOf } from './map-folder'
import { checkTestImages, listTestImages, loadTruths, sampleOf, type TestImage } from './test-split'

export interface ModelEvaluationOptions extends EvalOptions {
  /** inference session options (providers, threads, batch) */
  inference?: Omit<InferenceClientOptions, 'topT'>
  /** where to write each image's map (.npy at the model's output size); none when absent */
  mapsDir?: string
  onProgress?: (progress: InferenceProgress) => void
  signal?: AbortSignal
  /**
   * The test images to evaluate, in place of listing the category folder (e.g. labels and masks from
   * the database); each with its path, defect folder, stem (names its map), label and mask or null.
   */
  tests?: TestImage[]
}

/** One test image's outcome. */
export interface ModelImageResult extends TestImage {
  score: number
  /** the map file under mapsDir, when one was written */
  mapPath: string | null
}

export interface ModelEvaluation {
  report: MetricsReport
  images: ModelImageResult[]
  provider: ProviderName
  /** providers that could not create the session, with why */
  fallbacks: ProviderFallback[]
  threads: number
  /** wall-clock: inference (decoding included), metrics, total; and total per image */
  timing: { inference_ms: number; metrics_ms: number; total_ms: number; ms_per_image: number }
}

/**
 * Runs `modelPath` on every test image of `categoryDir` (or on `options.tests`) and computes the
 * METHOD.md metrics; anomalous images without a mask count for the image metrics only.
 */
export async function evaluateModel(modelPath: string, categoryDir: string, options: ModelEvaluationOptions = {}): Promise<ModelEvaluation> {
  const started = performance.now()
  const tests = options.tests ? checkTestImages(options.tests) : await listTestImages(categoryDir)
  const truthsPending = loadTruths(tests) // masks decode while the model runs
  truthsPending.catch(() => undefined)
  const client = await InferenceClient.open(modelPath, { ...options.inference, topT: options.topT })
  const info = client.info
  const maps: Float32Array[] = new Array<Float32Array>(tests.length)
  const images: ModelImageResult[] = new Array<ModelImageResult>(tests.length)
  try {
    let next = 0
    await client.infer(
      tests.map((t) => t.path),
      {
        signal: options.signal,
        onProgress: options.onProgress,
        onResult: (r) => {
          const i = next++
          const test = tests[i]
          if (r.path !== test.path) throw new UserError(`inference returned ${r.path} where ${test.path} was expected`, 'INTERNAL')
          maps[i] = r.map256
          let mapPath: string | null = null
          if (options.mapsDir) {
            mapPath = mapPathOf(options.mapsDir, test)
            mkdirSync(dirname(mapPath), { recursive: true })
            writeFileSync(`${mapPath}.tmp`, encodeNpy(r.map, [r.mapSize, r.mapSize]))
            renameSync(`${mapPath}.tmp`, mapPath)
          }
          images[i] = { ...test, score: r.score, mapPath }
        }
      }
    )
  } finally {
    await client.close()
  }
  const inferred = performance.now()
  const truths = await truthsPending
  const samples: EvalSample[] = tests.map((t, i) => sampleOf(t, truths[i], maps[i]))
  const report = evaluateCategory(samples, options)
  const done = performance.now()
  return {
    report,
    images,
    provider: info.provider,
    fallbacks: info.fallbacks,
    threads: info.threads,
    timing: { inference_ms: inferred - started, metrics_ms: done - inferred, total_ms: done - started, ms_per_image: (done - started) / tests.length }
  }
}
