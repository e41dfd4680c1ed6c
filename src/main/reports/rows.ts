/**
 * The per-image exports: CSV (RFC 4180, one row per test image, a header first) and JSON (the
 * evaluation, its metrics and thresholds, and the same rows). Rows are the model's images, highest
 * score first; scores are full precision.
 */
import type { ReportImageRow, ReportModel } from '../../common/types/reports'

/** CSV columns in order; the first seven are the ones every consumer may rely on. */
export const CSV_COLUMNS = [
  'path',
  'split',
  'defect_type',
  'label',
  'score',
  'predicted',
  'verdict',
  'image_id',
  'rel_path',
  'has_mask',
  'rank',
  'queues',
  'verdict_note'
] as const satisfies ReadonlyArray<keyof ReportImageRow>

function csvCell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(';') : value === null || value === undefined ? '' : typeof value === 'boolean' ? (value ? '1' : '0') : String(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function renderCsv(model: ReportModel): string {
  const lines = [CSV_COLUMNS.join(',')]
  for (const row of model.images) lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** What the JSON export holds. */
export interface ReportJson {
  kind: ReportModel['kind']
  title: string
  generated_at: string
  run_id: number | null
  evaluation_id: number
  dataset: { id: number; name: string; category_id: number; category: string }
  metrics: Record<string, number | null>
  thresholds: { pixel: number; image: number; pixel_source: string; image_source: string }
  images: ReportImageRow[]
}

export function reportJson(model: ReportModel): ReportJson {
  const { dataset: d, thresholds } = model
  return {
    kind: model.kind,
    title: model.title,
    generated_at: model.generated_at,
    run_id: model.run?.id ?? model.evaluation.run_id,
    evaluation_id: model.evaluation.id,
    dataset: { id: d.dataset_id, name: d.dataset_name, category_id: d.category_id, category: d.category_name },
    metrics: Object.fromEntries(model.metrics.map((m) => [m.key, m.value])),
    thresholds: {
      pixel: thresholds.applied.pixel.value,
      image: thresholds.applied.image.value,
      pixel_source: thresholds.applied.pixel.source,
      image_source: thresholds.applied.image.source
    },
    images: model.images
  }
}

export function renderJson(model: ReportModel): string {
  return `${JSON.stringify(reportJson(model), null, 2)}\n`
}
