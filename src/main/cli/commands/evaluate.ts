/**
 * `destseg evaluate`: a model (an .onnx file, or a run folder whose model.onnx is exported when
 * missing) on a category folder's test split, scored by the METHOD.md protocol. Prints
 * {"image_auroc", "pixel_auroc", "pixel_ap", "iap", "iap90", "iap90_threshold", "aupro", "images",
 * "instances", "ms_per_image", "pixel_metrics_reason", "images_per_metric", "unmasked_images", "warnings",
 * "provider", "threads"}; ms_per_image covers decoding, inference and metrics. Defect images without
 * masks count for image AUROC only; with none masked the pixel metrics are null with the reason.
 * With --db every image's score is stored and its map written (.npy, the layout `evaluate-maps`
 * reads) under --maps-out, by default <db folder>/evaluations/<time>.
 */
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { evaluateModel } from '../../engine/evaluation/evaluate-model'
import { resolveModelFile } from '../../engine/inference/model-file'
import { describeFallbacks } from '../../engine/inference/providers'
import { storeEvaluation } from '../../services/evaluations'
import { dbOption, intAtLeast, interruptSignal, openStore, parseNumber, printJson, UsageError, userPath, type CliCommand } from './common'
import { metricsLines, metricsSummary, parseProtocolOptions, protocolOptions } from './metrics-output'
import { parseProviders } from './infer'

export const evaluateCommand: CliCommand = {
  name: 'evaluate',
  summary: 'run a model on a category test split: image AUROC, pixel AUROC/AP, IAP, IAP@k, AUPRO; --db stores scores and maps',
  usage:
    '--model <model.onnx | run folder> --dataset <category folder> [--db <file>] [--maps-out <folder>] [--k 0.9] [--top-t 100] ' +
    '[--batch 8] [--provider cpu|webgpu|cuda[,...]] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        model: { type: 'string' },
        dataset: { type: 'string' },
        ...dbOption,
        'maps-out': { type: 'string' },
        ...protocolOptions,
        batch: { type: 'string' },
        provider: { type: 'string', multiple: true },
        json: { type: 'boolean' }
      }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    if (!values.model) throw new UsageError('--model is required')
    if (!values.dataset) throw new UsageError('--dataset is required')
    const { k, topT } = parseProtocolOptions(values)
    const batch = parseNumber(values.batch, 'batch', intAtLeast(1), 'a positive integer')
    const log = (m: string): void => void process.stderr.write(`${m}\n`)
    const dataset = userPath(values.dataset)
    const store = values.db !== undefined ? openStore(values.db) : null
    try {
      const model = await resolveModelFile(userPath(values.model), (dir) => log(`exporting ${dir} to ONNX (model.onnx)`))
      const mapsDir =
        values['maps-out'] !== undefined
          ? userPath(values['maps-out'])
          : store
            ? join(dirname(store.db.name), 'evaluations', new Date().toISOString().replace(/[:.]/g, '-'))
            : undefined
      const evaluation = await evaluateModel(model.file, dataset, {
        k,
        topT,
        mapsDir,
        inference: { providers: parseProviders(values.provider), batch },
        signal: interruptSignal(),
        onProgress: (p) => log(`inference ${p.done}/${p.total} (${p.imagesPerSecond.toFixed(2)} img/s)`)
      })
      const evaluationId = store
        ? await storeEvaluation(store.db, store.datasets, { categoryDir: dataset, modelPath: model.file, mapsDir: mapsDir as string, runId: null, evaluation })
        : null
      const { report, timing } = evaluation
      const summary = {
        ...metricsSummary(report, timing.ms_per_image),
        provider: evaluation.provider,
        threads: evaluation.threads,
        ...(evaluationId !== null ? { evaluation_id: evaluationId, maps_dir: mapsDir } : {})
      }
      if (values.json) printJson(summary)
      else {
        const where = `  ${evaluation.provider}, ${evaluation.threads} threads, ${timing.ms_per_image.toFixed(1)} ms per image`
        console.log([...metricsLines(report), where + (evaluationId !== null ? `; stored as evaluation ${evaluationId}, maps in ${mapsDir}` : '')].join('\n'))
      }
      for (const line of describeFallbacks(evaluation.fallbacks, evaluation.provider)) log(line)
      return 0
    } finally {
      store?.close()
    }
  }
}
