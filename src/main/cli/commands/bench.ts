/**
 * `destseg bench train`: times one training step of each phase (forward, backward, SGD update) on
 * the best backend that trains (or --backend webgpu|wasm|cpu|...), at 256x256 batch 4 by default:
 * one warm-up, then the median of three. Prints {"backend", "requested", "device" (the WebGPU
 * adapter's name on webgpu, else the CPU model), "fallback" (why a better or the requested backend
 * was not used, or null), "threads", "size", "batch", "student_step_ms", "seg_step_ms"}.
 *
 * `destseg bench infer`: times session.run of an exported DeSTSeg (onnxruntime-node, decoding
 * excluded) at batch 1 and batch 8: one warm-up, then the median of three. The model is --model or,
 * by default, a freshly initialised DeSTSeg (random teacher) exported at 256x256. Providers in
 * order from --provider (default env DESTSEG_PROVIDERS, else cpu), CPU last. Prints
 * {"provider", "requested", "device", "threads", "size", "weights", "model",
 *  "runs": [{"batch", "ms_per_image", "ms_per_batch"}, ...], "fallbacks", "pytorch_ms_per_image"}.
 */
import { parseArgs } from 'node:util'
import { intAtLeast, parseNumber, UsageError, userPath, type CliCommand } from './common'
import { parseProviders } from './infer'

export const benchCommand: CliCommand = {
  name: 'bench',
  summary:
    'time one training step per phase: bench train (256x256, batch 4); or session.run per image: bench infer (batch 1 and 8); warm-up + median of 3',
  usage:
    'train [--size 256] [--batch 4] [--backend webgpu|wasm|cpu|tfjs-node|tfjs-node-gpu] [--json]\n' +
    '  bench train --json prints {"backend", "requested", "device", "fallback", "threads", "size", "batch", "student_step_ms", "seg_step_ms"}\n' +
    '       destseg bench infer [--model <model.onnx | run folder>] [--provider cpu|webgpu|cuda[,...]] [--threads N] [--size 256] [--json]\n' +
    '  bench infer --json prints {"provider", "requested", "device", "threads", "size", "weights" ("random" without --model), "model",\n' +
    '  "runs": [{"batch": 1, "ms_per_image", "ms_per_batch"}, {"batch": 8, ...}], "fallbacks", "pytorch_ms_per_image": [620, 670]}',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        size: { type: 'string' },
        batch: { type: 'string' },
        backend: { type: 'string' },
        model: { type: 'string' },
        provider: { type: 'string', multiple: true },
        threads: { type: 'string' },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length !== 1 || !['train', 'infer'].includes(positionals[0])) throw new UsageError('expected: bench train or bench infer')
    if (positionals[0] === 'infer') return benchInferCommand(values)
    const size = Number(values.size ?? 256)
    const batch = Number(values.batch ?? 4)
    if (!(Number.isInteger(size) && size >= 32 && size % 32 === 0)) throw new UsageError(`--size must be a multiple of 32, got ${values.size}`)
    if (!(Number.isInteger(batch) && batch >= 1 && batch * (size / 32) ** 2 >= 2)) {
      throw new UsageError(`--batch must be a positive integer (at least 2 at size 32), got ${values.batch}`)
    }
    // loaded here, not at start-up: tfjs and the networks are only needed by this command
    const [{ benchTrainSteps }, { BACKEND_IDS }] = await Promise.all([import('../../engine/trainer/bench'), import('../../engine/backend')])
    if (values.backend !== undefined && ![...BACKEND_IDS, 'tensorflow'].includes(values.backend)) {
      throw new UsageError(`--backend must be one of ${BACKEND_IDS.join(', ')}, got ${values.backend}`)
    }
    const r = await benchTrainSteps({ size, batch, backend: values.backend ?? null, log: (m) => void process.stderr.write(`${m}\n`) })
    if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`)
    else {
      console.log(
        `${r.backend} on ${r.device} (${r.threads} thread${r.threads === 1 ? '' : 's'}), ${r.size}x${r.size}, batch ${r.batch}: ` +
          `student step ${(r.student_step_ms / 1000).toFixed(2)} s, segmentation step ${(r.seg_step_ms / 1000).toFixed(2)} s (median of 3)`
      )
    }
    return 0
  }
}

async function benchInferCommand(values: {
  size?: string
  batch?: string
  backend?: string
  model?: string
  provider?: string[]
  threads?: string
  json?: boolean
}): Promise<number> {
  if (values.batch !== undefined || values.backend !== undefined) throw new UsageError('bench infer takes no --batch or --backend (it times batch 1 and 8 on --provider)')
  const size = parseNumber(values.size, 'size', (n) => intAtLeast(32)(n) && n % 32 === 0, 'a multiple of 32')
  if (size !== undefined && values.model) throw new UsageError('--size applies to the random model only; a given model runs at its own size')
  const threads = parseNumber(values.threads, 'threads', intAtLeast(1), 'a positive integer')
  const providers = parseProviders(values.provider)
  const log = (m: string): void => void process.stderr.write(`${m}\n`)
  const { benchInfer } = await import('../../engine/inference/bench')
  const { resolveModelFile } = await import('../../engine/inference/model-file')
  const modelPath = values.model ? (await resolveModelFile(userPath(values.model), (dir) => log(`exporting ${dir} to ONNX (model.onnx)`))).file : undefined
  const r = await benchInfer({ modelPath, size, providers, threads, log })
  if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`)
  else {
    const runs = r.runs.map((x) => `batch ${x.batch}: ${x.ms_per_image} ms per image`).join(', ')
    console.log(
      `${r.provider}${r.device ? ` on ${r.device}` : ''} (${r.threads} thread${r.threads === 1 ? '' : 's'}), ${r.size}x${r.size}, ${r.weights} weights: ${runs} ` +
        `(session.run only, median of 3; PyTorch here: ${r.pytorch_ms_per_image.join('-')} ms per image)`
    )
  }
  return 0
}
