/**
 * `destseg infer`: anomaly scores of images with an exported DeSTSeg model, in a worker thread
 * (engine/inference). `--model` is an .onnx file or a training run folder (its model.onnx,
 * exported on the fly when missing). Folders are walked for images.
 * With --json: one line {"path", "score"} per image as it is scored, then a summary line
 * {"images", "ms_per_image", "seconds", "provider", "threads", "batch", "top_t", "model"} (no "path").
 * Ctrl-C stops before the next batch (exit 130).
 */
import { stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { UserError } from '../../../common/ipc/errors'
import { listImageFiles } from '../../engine/data/files'
import { PROVIDER_NAMES, type ProviderName } from '../../engine/inference/types'
import { intAtLeast, parseNumber, UsageError, userPath, type CliCommand } from './common'

/** `--provider cuda --provider cpu` or `--provider cuda,webgpu,cpu`: the order to try them in. */
export function parseProviders(values: readonly string[] | undefined): ProviderName[] | undefined {
  if (!values || values.length === 0) return undefined
  const names = values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)
  for (const n of names) {
    if (!(PROVIDER_NAMES as readonly string[]).includes(n)) throw new UsageError(`--provider must be one of ${PROVIDER_NAMES.join(', ')}, got ${n}`)
  }
  return names as ProviderName[]
}

/** The images named: files as they are, folders walked (sorted); none found is an error. */
export async function collectImages(args: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const arg of args) {
    const path = userPath(arg)
    const info = await stat(path).catch(() => null)
    if (!info) throw new UserError(`no such file or folder: ${path}`, 'NOT_FOUND')
    if (info.isDirectory()) {
      const images = await listImageFiles(path)
      if (images.length === 0) throw new UserError(`no images in ${path}`, 'NO_IMAGES')
      out.push(...images)
    } else out.push(path)
  }
  return out
}

export const inferCommand: CliCommand = {
  name: 'infer',
  summary: 'score images with an exported model (or a run folder, exported on the fly); --json: a line per image, then a summary',
  usage:
    '--model <model.onnx | run folder> <image or folder>... [--batch 8] [--top-t 100] [--provider cpu|webgpu|cuda[,...]] ' +
    '[--threads N] [--json]\n' +
    '  --json prints one line {"path", "score"} per image, in order, then a summary line\n' +
    '  {"images", "ms_per_image", "seconds", "provider", "threads", "batch", "top_t", "model"}.\n' +
    '  The score is the mean of the top T values of the 256x256 anomaly map. Providers are tried in order; CPU is the fallback.',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        batch: { type: 'string' },
        'top-t': { type: 'string' },
        provider: { type: 'string', multiple: true },
        threads: { type: 'string' },
        json: { type: 'boolean' }
      }
    })
    if (!values.model) throw new UsageError('--model is required')
    if (positionals.length === 0) throw new UsageError('name at least one image or folder')
    const batch = parseNumber(values.batch, 'batch', intAtLeast(1), 'a positive integer')
    const topT = parseNumber(values['top-t'], 'top-t', intAtLeast(1), 'a positive integer')
    const threads = parseNumber(values.threads, 'threads', intAtLeast(1), 'a positive integer')
    const providers = parseProviders(values.provider)
    const json = values.json ?? false
    const log = (m: string): void => void process.stderr.write(`${m}\n`)

    const images = await collectImages(positionals)
    // loaded here, not at start-up: onnxruntime (and, for a run folder without model.onnx, the exporter)
    const [{ InferenceClient }, { resolveModelFile }, { describeFallbacks }] = await Promise.all([
      import('../../engine/inference/client'),
      import('../../engine/inference/model-file'),
      import('../../engine/inference/providers')
    ])
    const model = await resolveModelFile(userPath(values.model), (dir) => log(`exporting ${dir} to ONNX (model.onnx)`))
    const client = await InferenceClient.open(model.file, { batch, topT, providers, intraOpNumThreads: threads })
    const controller = new AbortController()
    const onSigint = (): void => {
      if (!controller.signal.aborted) {
        log('Cancelling after the current batch (Ctrl-C again to quit at once)')
        controller.abort()
      } else process.exit(130)
    }
    process.on('SIGINT', onSigint)
    try {
      const { info } = client
      for (const line of describeFallbacks(info.fallbacks, info.provider)) log(line)
      if (!json) console.log(`scoring ${images.length} image${images.length === 1 ? '' : 's'} with ${model.file} (${info.provider}, ${info.threads} threads, batch ${info.batch})`)
      const t0 = performance.now()
      let lastProgress = 0
      const results = await client
        .score(images, {
          signal: controller.signal,
          onResult: (r) => {
            if (json) process.stdout.write(`${JSON.stringify({ path: r.path, score: r.score })}\n`)
            else console.log(`${r.score.toFixed(4)}  ${r.path}`)
          },
          onProgress: (p) => {
            if (p.done < p.total && performance.now() - lastProgress < 2000) return
            lastProgress = performance.now()
            log(`${p.done}/${p.total} images, ${p.imagesPerSecond.toFixed(2)} images/s`)
          }
        })
        .catch((err: unknown) => {
          if (err instanceof UserError && err.code === 'CANCELLED') return null
          throw err
        })
      if (results === null) {
        log('cancelled')
        return 130
      }
      const seconds = (performance.now() - t0) / 1000
      const summary = {
        images: results.length,
        ms_per_image: Math.round((seconds * 1000 * 10) / results.length) / 10,
        seconds: Math.round(seconds * 100) / 100,
        provider: info.provider,
        threads: info.threads,
        batch: info.batch,
        top_t: info.topT,
        model: model.file
      }
      if (json) process.stdout.write(`${JSON.stringify(summary)}\n`)
      else console.log(`${summary.images} images in ${summary.seconds} s (${summary.ms_per_image} ms per image, decoding included)`)
      return 0
    } finally {
      process.off('SIGINT', onSigint)
      await client.close()
    }
  }
}
