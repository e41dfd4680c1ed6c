/**
 * `destseg bench infer`: session.run time of an exported DeSTSeg per image, decoding excluded, for
 * batch 1 and batch 8: one warm-up run, then the median of three. The model is a given .onnx or,
 * by default, a freshly initialised DeSTSeg (random teacher; the weights' values do not change the
 * time) exported at 256x256 to a temporary file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Random } from '../random'
import { providerOrder } from './providers'
import { InferenceSessionRunner } from './session-runner'
import type { ProviderFallback, ProviderName } from './types'

/** Timed repetitions after the warm-up. */
export const BENCH_REPEATS = 3
export const BENCH_BATCHES: readonly number[] = [1, 8]
/** METHOD.md: PyTorch 1.13, 2 threads, 256x256, teacher + student + segmentation, on these 2-core machines. */
export const PYTORCH_MS_PER_IMAGE: readonly [number, number] = [620, 670]

export interface BenchInferOptions {
  /** an exported model; default: a fresh random-weight DeSTSeg exported at `size` */
  modelPath?: string
  /** only for the fresh model (a given one runs at its own input size); default 256 */
  size?: number
  providers?: readonly ProviderName[]
  /** intra-op threads; default all cores */
  threads?: number
  /** default [1, 8] */
  batches?: readonly number[]
  log?: (message: string) => void
}

export interface BenchInferRun {
  batch: number
  /** median session.run time divided by the batch */
  ms_per_image: number
  /** median session.run time */
  ms_per_batch: number
}

/** What `destseg bench infer --json` prints. */
export interface BenchInferResult {
  provider: ProviderName
  /** the providers asked for, in order (CPU is always tried last) */
  requested: ProviderName[]
  /** what the session ran on, where known: the GPU's name (WebGPU adapter, CUDA device) or the CPU model; else null */
  device: string | null
  threads: number
  size: number
  /** 'random': a freshly initialised DeSTSeg (random teacher); 'model': the given file's */
  weights: 'random' | 'model'
  model: string | null
  runs: BenchInferRun[]
  /** providers asked for that could not create the session */
  fallbacks: ProviderFallback[]
  /** for comparison: PyTorch on this machine type (METHOD.md), ms per image */
  pytorch_ms_per_image: readonly [number, number]
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/** Writes a freshly initialised DeSTSeg (random teacher, seed 1) as ONNX at `size`; returns the file. */
export async function exportRandomDeSTSeg(file: string, size: number): Promise<string> {
  // loaded here: tfjs and the networks are only needed to build the model
  const [{ DeSTSeg }, { TeacherNet }, { StudentNet }, { SegmentationNet }, { exportModelToOnnx }] = await Promise.all([
    import('../destseg/destseg-model'),
    import('../destseg/teacher'),
    import('../destseg/student'),
    import('../destseg/segmentation'),
    import('../exporter')
  ])
  const model = new DeSTSeg(TeacherNet.load({ kind: 'random', seed: 1 }), new StudentNet({ seed: 1 }), new SegmentationNet({ seed: 1 }))
  try {
    writeFileSync(file, exportModelToOnnx(model, { inputSize: size, runId: 'bench-random', configSha256: '' }))
  } finally {
    model.dispose()
  }
  return file
}

export async function benchInfer(options: BenchInferOptions = {}): Promise<BenchInferResult> {
  const log = options.log ?? (() => undefined)
  const batches = options.batches ?? BENCH_BATCHES
  const size = options.size ?? 256
  if (!(Number.isInteger(size) && size >= 32 && size % 32 === 0)) throw new Error(`size must be a multiple of 32, got ${size}`)
  let tmp: string | undefined
  let modelPath = options.modelPath
  if (!modelPath) {
    tmp = mkdtempSync(join(tmpdir(), 'destseg-bench-'))
    log(`exporting a freshly initialised DeSTSeg (random weights) at ${size}x${size}`)
    modelPath = await exportRandomDeSTSeg(join(tmp, 'model.onnx'), size)
  }
  try {
    const runner = await InferenceSessionRunner.create(modelPath, {
      providers: options.providers,
      intraOpNumThreads: options.threads,
      inputSize: options.modelPath ? undefined : size
    })
    try {
      const { inputSize: s, provider, threads, fallbacks, device } = runner.info
      for (const f of fallbacks) log(`execution provider '${f.provider}' unavailable (${f.reason}); using '${provider}'`)
      const random = new Random(7)
      const runs: BenchInferRun[] = []
      for (const batch of batches) {
        const input = Float32Array.from({ length: batch * 3 * s * s }, () => random.next() * 4 - 2) // [batch, 3, S, S]
        const times: number[] = []
        for (let i = 0; i <= BENCH_REPEATS; i++) {
          const t0 = performance.now()
          await runner.run(input, batch)
          const ms = performance.now() - t0
          log(`batch ${batch} run ${i === 0 ? '(warm-up)' : i}: ${ms.toFixed(0)} ms`)
          if (i > 0) times.push(ms)
        }
        const ms = median(times)
        runs.push({ batch, ms_per_image: round1(ms / batch), ms_per_batch: round1(ms) })
      }
      return {
        provider,
        requested: providerOrder(options.providers),
        device: device ?? null,
        threads,
        size: s,
        weights: options.modelPath ? 'model' : 'random',
        model: options.modelPath ?? null,
        runs,
        fallbacks,
        pytorch_ms_per_image: PYTORCH_MS_PER_IMAGE
      }
    } finally {
      await runner.dispose()
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true })
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10
