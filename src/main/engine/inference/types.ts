/**
 * Plain types of the inference service (structured-clone safe: they cross the worker boundary).
 *
 * Maps are row-major float32 anomaly probabilities in [0, 1]:
 *  - `map`          [S/4, S/4]  the network's output for an S x S input (64 x 64 for a 256 run)
 *  - `map256`       [256, 256]  `map` upsampled (bilinear, half-pixel, no antialias); the score's source
 *  - `mapOriginal`  [height, width]  `map` upsampled to the image's own size, on demand
 */

/** Execution providers onnxruntime-node knows; CPU is always the last resort. */
export const PROVIDER_NAMES = ['cpu', 'webgpu', 'cuda', 'tensorrt', 'dml', 'coreml'] as const
export type ProviderName = (typeof PROVIDER_NAMES)[number]

/** The side of the map the image score is taken from (METHOD.md: the 256x256 map). */
export const SCORE_MAP_SIZE = 256
/** METHOD.md: image score = mean of the top T = 100 values of the 256x256 map. */
export const DEFAULT_TOP_T = 100
export const DEFAULT_BATCH = 8

/** How an inference session is made. */
export interface InferenceSessionOptions {
  /** tried in order; the first that creates the session is used, else CPU (with the reasons); default env DESTSEG_PROVIDERS, else ['cpu'] */
  providers?: readonly ProviderName[]
  /** onnxruntime intra-op threads; default: all cores (os.availableParallelism()) */
  intraOpNumThreads?: number
  /** images per session.run; default 8 */
  batch?: number
  /** the image score is the mean of the top T values of the 256x256 map; default 100 */
  topT?: number
  /** the input side S, for a model that declares neither a static H x W nor `destseg.input_size` */
  inputSize?: number
}

/** A provider that was tried and could not create the session. */
export interface ProviderFallback {
  provider: ProviderName
  reason: string
}

/** What a session turned out to be. */
export interface SessionInfo {
  modelPath: string
  /** the provider the session runs on */
  provider: ProviderName
  /** providers tried before it, with why each failed */
  fallbacks: ProviderFallback[]
  /** what it computes on, where known: the GPU's name (WebGPU adapter, CUDA device) or the CPU model */
  device?: string
  /** S: the model's input is N x 3 x S x S */
  inputSize: number
  /** S / 4: the output map's side */
  mapSize: number
  threads: number
  batch: number
  topT: number
  /** the model's metadata_props (`destseg.*` keys from the exporter) */
  metadata: Record<string, string>
}

/** One image's score and size (what `score` returns). */
export interface InferenceScore {
  path: string
  /** mean of the top T values of map256 */
  score: number
  /** the image's own size */
  width: number
  height: number
}

/** One image's score and maps (what `infer` returns). */
export interface InferenceResult extends InferenceScore {
  /** [mapSize, mapSize] */
  map: Float32Array
  mapSize: number
  /** [256, 256] */
  map256: Float32Array
  /** [height, width]; only when asked for (`originalSize: true`) */
  mapOriginal?: Float32Array
}

export interface InferenceProgress {
  done: number
  total: number
  /** images per second since the request started (decoding included) */
  imagesPerSecond: number
  elapsedMs: number
}

/** What a request over many images returns per image. */
export type InferenceOutput = 'maps' | 'scores'

/** The part of a request that crosses to the worker. */
export interface InferenceRequest {
  paths: string[]
  /** 'maps' (default): InferenceResult; 'scores': InferenceScore only (nothing large is kept or sent) */
  output: InferenceOutput
  /** also upsample each map to its image's own size */
  originalSize: boolean
}
