/**
 * The report's layout as a list of blocks (title, headings, key-value lists, tables, charts,
 * failure cases), built once from the model; html.ts and pdf.ts only draw blocks, so both show the
 * same sections in the same order with the same text (numbers formatted by format.ts).
 */
import type { ReportCase, ReportModel, ReportQueue, ReportThumbnails } from '../../common/types/reports'
import type { AppliedThreshold } from '../../common/types/result-queries'
import type { VerdictKind } from '../../common/types/results'
import { histogramChart, instanceCurveChart, rocChart, type Chart } from './charts'
import { formatDuration, formatMetric, formatPercent, formatTime } from './format'

export type Align = 'left' | 'right'

export type ReportBlock =
  | { type: 'title'; text: string; subtitle: string }
  | { type: 'heading'; text: string }
  | { type: 'paragraph'; text: string }
  | { type: 'keyvalue'; rows: Array<[string, string]> }
  | { type: 'table'; columns: string[]; align: Align[]; rows: string[][]; metrics?: boolean }
  | { type: 'charts'; charts: Chart[] }
  | { type: 'cases'; title: string; summary: string; cases: CaseBlock[] }

export interface CaseBlock {
  /** rel_path and defect */
  caption: string
  lines: string[]
  thumbnails: ReportThumbnails | null
}

export const VERDICT_LABELS: Record<VerdictKind, string> = {
  true_defect: 'true defect',
  false_alarm: 'false alarm',
  ambiguous_gt: 'ambiguous ground truth',
  skip: 'skipped'
}

const QUEUE_TITLES = { false_negative: 'False negatives (missed defects)', false_positive: 'False positives (false alarms)' }

/** A configuration value as text ('—' where an older config.json lacks it). */
const v = (value: unknown): string => (value === undefined || value === null ? '—' : String(value))

function thresholdText(t: AppliedThreshold): string {
  return `${formatMetric(t.value)} (${t.source === 'saved' ? 'saved' : 'default'})`
}

function caseBlock(queue: ReportQueue, c: ReportCase): CaseBlock {
  const why =
    queue.queue === 'false_negative'
      ? [c.image_error ? 'image score under the image threshold' : '', c.regions ? `${c.regions} missed instance${c.regions === 1 ? '' : 's'}` : '']
      : [c.image_error ? 'normal image at or over the image threshold' : '', c.regions ? `${c.regions} region${c.regions === 1 ? '' : 's'} outside the ground truth` : '']
  return {
    caption: c.rel_path,
    lines: [
      `${c.defect_type} · score ${formatMetric(c.score)}`,
      why.filter(Boolean).join('; '),
      `verdict: ${c.verdict ? VERDICT_LABELS[c.verdict] : 'not reviewed'}${c.verdict_note ? ` (${c.verdict_note})` : ''}`,
      ...(c.thumbnail_error ? [`no thumbnails: ${c.thumbnail_error}`] : [])
    ],
    thumbnails: c.thumbnails
  }
}

/** Every block of the report, in order. */
export function reportBlocks(model: ReportModel): ReportBlock[] {
  const { dataset: d, run, evaluation: e, thresholds, confusion: cm } = model
  const blocks: ReportBlock[] = []
  blocks.push({
    type: 'title',
    text: model.title,
    subtitle: `${d.dataset_name} / ${d.category_name} · evaluation ${e.id} · generated ${formatTime(model.generated_at)} · DeSTSeg Workstation ${model.app_version}`
  })

  blocks.push({ type: 'heading', text: 'Metrics' })
  blocks.push({
    type: 'table',
    columns: ['Metric', 'Value'],
    align: ['left', 'right'],
    rows: model.metrics.map((m) => [m.label, formatMetric(m.value)]),
    metrics: true
  })
  blocks.push({
    type: 'paragraph',
    text:
      `${e.images} test images (${e.anomalous_images} anomalous), ${e.instances} defect instances; image score = mean of the top ${e.top_t} map values; ` +
      'metrics by the METHOD.md protocol (256x256 grid, 8-connected instances).' +
      (e.pixel_metrics_reason ? ` No pixel metrics: ${e.pixel_metrics_reason}` : '')
  })

  blocks.push({ type: 'heading', text: 'Run, backend and timings' })
  const config = run?.config
  blocks.push({
    type: 'keyvalue',
    rows: [
      ['Run', run ? `${run.id} · ${run.name} (${run.status})` : 'none (a model evaluated outside a run)'],
      ['Preset', run ? run.preset : '—'],
      ['Backend', run?.backend ?? '—'],
      ['Training time', formatDuration(run?.train_seconds)],
      ['Started / finished', run ? `${formatTime(run.started_at)} / ${formatTime(run.finished_at)}` : '—'],
      ['Evaluated', formatTime(e.created_at)],
      ['Inference + metrics', e.ms_per_image === null ? '—' : `${e.ms_per_image.toFixed(1)} ms per image`],
      ['Model', e.model_path],
      ...(config
        ? ([
            ['Input size / batch', `${config.student_size && config.student_size !== config.size ? `${config.student_size} px (phase 1), ` : ''}${v(config.size)} px / ${v(config.batch)}`],
            ['Steps (student + segmentation)', `${v(config.student_steps)} + ${v(config.segmentation_steps)}`],
            ['Learning rates (student, res, head)', `${v(config.lr_student)}, ${v(config.lr_res)}, ${v(config.lr_head)}${config.lr_decay ? `; phase 2's last ${Math.round(config.lr_decay * 100)} % decays linearly` : ''}`],
            ['Momentum / weight decay', `${v(config.momentum)} / ${v(config.weight_decay)}`],
            ['Seed / opacity / augmentation / texture colour', `${v(config.seed)} / ${v(config.opacity)} / ${v(config.augmentation)} / ${v(config.texture_colour ?? 'as_is')}`],
            ['Textures', v(config.textures)]
          ] as Array<[string, string]>)
        : [])
    ]
  })

  blocks.push({ type: 'heading', text: 'Curves and score histograms' })
  blocks.push({
    type: 'charts',
    charts: [instanceCurveChart(model.curves, e.k), rocChart(model.curves), histogramChart(model.histogram, thresholds.applied.image.value)]
  })

  blocks.push({ type: 'heading', text: 'Thresholds' })
  blocks.push({
    type: 'keyvalue',
    rows: [
      ['Pixel threshold', thresholdText(thresholds.applied.pixel)],
      ['Image threshold', thresholdText(thresholds.applied.image)],
      ['Pixel rule', thresholds.applied.pixel.rule],
      ['Image rule', thresholds.applied.image.rule]
    ]
  })
  blocks.push(
    thresholds.history.length === 0
      ? { type: 'paragraph', text: 'History: no threshold saved for this category; the defaults apply.' }
      : {
          type: 'table',
          columns: ['Saved', 'Kind', 'Value', 'Evaluation', 'Note'],
          align: ['left', 'left', 'right', 'right', 'left'],
          rows: thresholds.history.map((t) => [formatTime(t.created_at), t.kind, formatMetric(t.value), t.evaluation_id === null ? '—' : String(t.evaluation_id), t.note])
        }
  )

  blocks.push({ type: 'heading', text: `Confusion at the image threshold ${formatMetric(thresholds.applied.image.value)}` })
  blocks.push({
    type: 'table',
    columns: ['', 'Predicted anomalous', 'Predicted normal'],
    align: ['left', 'right', 'right'],
    rows: [
      ['Anomalous', `${cm.tp} (TP)`, `${cm.fn} (FN)`],
      ['Normal', `${cm.fp} (FP)`, `${cm.tn} (TN)`]
    ]
  })
  blocks.push({ type: 'paragraph', text: `Precision ${formatMetric(cm.precision)}, recall ${formatMetric(cm.recall)}, F1 ${formatMetric(cm.f1)}.` })

  blocks.push({ type: 'heading', text: 'Dataset' })
  blocks.push({
    type: 'keyvalue',
    rows: [
      ['Dataset', `${d.dataset_name} (${d.layout})`],
      ['Category', `${d.category_name} · ${d.root}`],
      ['Images', `train/good ${d.train_good}, test/good ${d.test_good}, test/anomalous ${d.test_anomalous}, masks ${d.masks}`]
    ]
  })
  blocks.push({
    type: 'table',
    columns: ['Test defect type', 'Images', 'Masks'],
    align: ['left', 'right', 'right'],
    rows: d.test_by_defect.map((t) => [t.defect_type, String(t.images), String(t.masks)])
  })

  if (model.kind === 'category') {
    blocks.push({ type: 'heading', text: `Runs of ${d.category_name}` })
    blocks.push(
      model.category_runs.length === 0
        ? { type: 'paragraph', text: 'No runs (the evaluations come from models made elsewhere).' }
        : {
            type: 'table',
            columns: ['Run', 'Preset', 'Status', 'Trained', 'Image AUROC', 'Pixel AUROC', 'Pixel AP', 'IAP', 'AUPRO'],
            align: ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
            rows: model.category_runs.map((r) => [
              `${r.run.id} · ${r.run.name}`,
              r.run.preset,
              r.run.status,
              formatDuration(r.run.train_seconds),
              formatMetric(r.metrics?.image_auroc),
              formatMetric(r.metrics?.pixel_auroc),
              formatMetric(r.metrics?.pixel_ap),
              formatMetric(r.metrics?.iap),
              formatMetric(r.metrics?.aupro)
            ])
          }
    )
  }

  blocks.push({ type: 'heading', text: 'Failure cases at the thresholds in force' })
  for (const queue of model.failure_cases) {
    const shown = queue.cases.length < queue.total ? ` (the first ${queue.cases.length} shown)` : ''
    const judged = queue.total === 0 ? '' : `, ${queue.judged} reviewed (${formatPercent(queue.judged / queue.total)})`
    blocks.push({
      type: 'cases',
      title: QUEUE_TITLES[queue.queue],
      summary: `${queue.total} image${queue.total === 1 ? '' : 's'}${judged}${shown}. Thumbnails: image, heat map (jet, 0 to 1), ground truth.`,
      cases: queue.cases.map((c) => caseBlock(queue, c))
    })
  }
  return blocks
}
