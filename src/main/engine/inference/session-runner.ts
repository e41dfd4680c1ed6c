/**
 * InferenceSessionRunner: one onnxruntime-node session over an exported DeSTSeg model, created
 * once and reused, run on batches of images in the calling thread. The inference worker
 * (worker.ts) uses it with a decoding thread; bench and tests use it directly.
 *
 * Pipeline per request: batch k+1 is being decoded while batch k is in session.run (really in
 * parallel only with the 'worker' decode thread: onnxruntime-node's run blocks this thread's
 * event loop), then each image's output is upsampled and scored.
 *
 *   const runner = await InferenceSessionRunner.create('model.onnx', { batch: 8 })
 *   const results = await runner.infer(paths, { onProgress, signal })
 *   await runner.dispose()
 */
import * as ort from 'onnxruntime-node'
import { UserError } from '../../../common/ipc/errors'
import { readOnnxMetadata } from '../exporter/onnx-proto'
import { createBatchLoader, type BatchLoader, type DecodeThread } from './batch-loader'
import { imageResult, mapOf } from './postprocess'
import { createSession } from './providers'
import {
  DEFAULT_BATCH,
  DEFAULT_TOP_T,
  type InferenceProgress,
  type InferenceRequest,
  type InferenceResult,
  type InferenceScore,
  type InferenceSessionOptions,
  type SessionInfo
} from './types'

export interface RunnerOptions extends InferenceSessionOptions {
  /** where images are decoded: 'inline' (this thread, default), 'worker' (a decoding thread) or a loader of one's own (closed with the runner) */
  decode?: DecodeThread | BatchLoader
}

export interface InferHandlers<R> {
  /** each image's result, in input order, as soon as its batch is done */
  onResult?: (result: R) => void
  onProgress?: (progress: InferenceProgress) => void
  /** aborting stops before the next batch; the request then rejects with a UserError (CANCELLED) */
  signal?: AbortSignal
  /** also upsample every map to its image's own size */
  originalSize?: boolean
}

const positiveInt = (v: number, what: string): number => {
  if (!(Number.isInteger(v) && v >= 1)) throw new UserError(`${what} must be a positive integer, got ${v}`, 'BAD_CONFIG')
  return v
}

/** The tensor metadata's shape, when it is a tensor. */
function shapeOf(meta: ort.InferenceSession.ValueMetadata | undefined): readonly (number | string)[] | undefined {
  return meta && meta.isTensor ? meta.shape : undefined
}

/**
 * S for an N x 3 x S x S input: the declared static H x W, else metadata `destseg.input_size`,
 * else the caller's; they must agree where several are known.
 */
export function resolveInputSize(shape: readonly (number | string)[] | undefined, metadata: Record<string, string>, given?: number): number {
  const where: [string, number][] = []
  if (shape && shape.length === 4) {
    const [, c, h, w] = shape
    if (typeof c === 'number' && c !== 3) throw new UserError(`the model's input has ${c} channels; a DeSTSeg model takes 3 (RGB)`, 'BAD_MODEL')
    if (typeof h === 'number' && typeof w === 'number') {
      if (h !== w) throw new UserError(`the model's input is ${h}x${w}; expected a square input`, 'BAD_MODEL')
      where.push(['the model input shape', h])
    }
  } else if (shape) throw new UserError(`the model's input has rank ${shape.length}; expected N x 3 x H x W`, 'BAD_MODEL')
  const meta = metadata['destseg.input_size']
  if (meta !== undefined) where.push(['metadata destseg.input_size', Number(meta)])
  if (given !== undefined) where.push(['the inputSize option', given])
  if (where.length === 0) throw new UserError('the model does not say its input size (no static H x W, no destseg.input_size); pass inputSize', 'BAD_MODEL')
  const [first, size] = where[0]
  for (const [other, s] of where.slice(1)) {
    if (s !== size) throw new UserError(`input size mismatch: ${first} says ${size}, ${other} says ${s}`, 'BAD_MODEL')
  }
  if (!(Number.isInteger(size) && size >= 4 && size % 4 === 0)) throw new UserError(`bad input size ${size} (${first}); expected a multiple of 4`, 'BAD_MODEL')
  return size
}

export class InferenceSessionRunner {
  private disposed = false

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: SessionInfo,
    private readonly loader: BatchLoader,
    private readonly inputName: string,
    private readonly outputName: string,
    /** a fixed batch dimension in the model (partial batches are then padded), else null */
    private readonly staticBatch: number | null
  ) {}

  /** Loads the model (`.onnx`) on the first provider that works (see providers.ts). */
  static async create(modelPath: string, options: RunnerOptions = {}): Promise<InferenceSessionRunner> {
    const batch = positiveInt(options.batch ?? DEFAULT_BATCH, 'batch')
    const topT = positiveInt(options.topT ?? DEFAULT_TOP_T, 'top-T')
    if (options.intraOpNumThreads !== undefined) positiveInt(options.intraOpNumThreads, 'threads')
    const created = await createSession(modelPath, options.providers, options.intraOpNumThreads)
    const { session } = created
    try {
      const inputName = session.inputNames.includes('image') ? 'image' : session.inputNames[0]
      const outputName = session.outputNames.includes('anomaly_map') ? 'anomaly_map' : session.outputNames[0]
      if (!inputName || !outputName) throw new UserError(`${modelPath} has no input or no output`, 'BAD_MODEL')
      const metadata = readOnnxMetadata(modelPath)
      const inputShape = shapeOf(session.inputMetadata.find((m) => m.name === inputName))
      const inputSize = resolveInputSize(inputShape, metadata, options.inputSize)
      const staticBatch = typeof inputShape?.[0] === 'number' && inputShape[0] > 0 ? inputShape[0] : null
      const info: SessionInfo = {
        modelPath,
        provider: created.provider,
        fallbacks: created.fallbacks,
        ...(created.device !== undefined ? { device: created.device } : {}),
        inputSize,
        mapSize: inputSize / 4,
        threads: created.threads,
        batch: staticBatch ?? batch,
        topT,
        metadata
      }
      const loader = typeof options.decode === 'object' ? options.decode : createBatchLoader(options.decode ?? 'inline')
      return new InferenceSessionRunner(session, info, loader, inputName, outputName, staticBatch)
    } catch (err) {
      await session.release()
      throw err
    }
  }

  /**
   * One session.run: [count, 3, S, S] normalised input -> [count, 1, m, m] maps (m = S/4, or
   * whatever the model gives). Returns the maps and m.
   */
  async run(input: Float32Array, count: number): Promise<{ maps: Float32Array; mapSize: number }> {
    if (this.disposed) throw new Error('the inference session is closed')
    const s = this.info.inputSize
    const per = 3 * s * s
    if (input.length !== count * per) throw new Error(`run: ${input.length} values for ${count} x 3 x ${s} x ${s}`)
    let n = count
    if (this.staticBatch !== null && count !== this.staticBatch) {
      if (count > this.staticBatch) throw new Error(`run: the model takes batches of exactly ${this.staticBatch}`)
      const padded = new Float32Array(this.staticBatch * per) // [n, 3, S, S], zeros after `count`
      padded.set(input)
      input = padded
      n = this.staticBatch
    }
    const feeds = { [this.inputName]: new ort.Tensor('float32', input, [n, 3, s, s]) }
    const out = (await this.session.run(feeds))[this.outputName]
    const dims = out.dims
    if (out.type !== 'float32' || dims.length !== 4 || dims[0] !== n || dims[1] !== 1 || dims[2] !== dims[3]) {
      throw new Error(`the model's output '${this.outputName}' is ${out.type} [${dims.join(', ')}]; expected float32 [${n}, 1, m, m]`)
    }
    return { maps: out.data as Float32Array, mapSize: dims[2] }
  }

  /** Scores and maps of `paths`, in order (see InferHandlers). */
  infer(paths: readonly string[], handlers: InferHandlers<InferenceResult> = {}): Promise<InferenceResult[]> {
    const { onResult, ...rest } = handlers
    const request: InferenceRequest = { paths: [...paths], output: 'maps', originalSize: handlers.originalSize ?? false }
    return this.process(request, { ...rest, onResult: onResult && ((r) => onResult(r as InferenceResult)) }) as Promise<InferenceResult[]>
  }

  /** Scores only (no maps kept), in order. */
  score(paths: readonly string[], handlers: Omit<InferHandlers<InferenceScore>, 'originalSize'> = {}): Promise<InferenceScore[]> {
    return this.process({ paths: [...paths], output: 'scores', originalSize: false }, handlers)
  }

  /** A request as the worker receives it. */
  async process(request: InferenceRequest, handlers: InferHandlers<InferenceResult | InferenceScore> = {}): Promise<(InferenceResult | InferenceScore)[]> {
    const { paths, output, originalSize } = request
    const { signal, onResult, onProgress } = handlers
    const { batch, inputSize, topT } = this.info
    const started = performance.now()
    const all: (InferenceResult | InferenceScore)[] = []
    const chunks: string[][] = []
    for (let i = 0; i < paths.length; i += batch) chunks.push(paths.slice(i, i + batch))
    const cancelled = (): UserError => new UserError(`inference cancelled after ${all.length} of ${paths.length} images`, 'CANCELLED')
    if (signal?.aborted) throw cancelled()
    let next = chunks.length > 0 ? this.loader.load(chunks[0], inputSize) : undefined
    try {
      for (let k = 0; k < chunks.length; k++) {
        const current = await next!
        // decode the next batch while this one runs
        next = k + 1 < chunks.length ? this.loader.load(chunks[k + 1], inputSize) : undefined
        if (signal?.aborted) throw cancelled()
        const { maps, mapSize } = await this.run(current.input, current.count)
        const results = chunks[k].map((path, i) =>
          imageResult({ path, map: mapOf(maps, i, mapSize), mapSize, ...current.originals[i] }, topT, output, originalSize)
        )
        for (const r of results) {
          all.push(r)
          onResult?.(r)
        }
        const elapsedMs = performance.now() - started
        onProgress?.({ done: all.length, total: paths.length, imagesPerSecond: all.length / (elapsedMs / 1000), elapsedMs })
      }
    } finally {
      next?.catch(() => undefined) // a batch decoded ahead of a failure or a cancel is dropped
    }
    return all
  }

  /** Releases the session and the decoding thread. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    await this.loader.close()
    await this.session.release()
  }
}
