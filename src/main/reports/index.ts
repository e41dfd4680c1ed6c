/**
 * Report export (issue 6): a run's latest evaluation, or a category's latest evaluation with the
 * category's runs, as a PDF (pdfkit), a self-contained HTML file, or the per-image results as CSV
 * or JSON. The same function serves the API (reports:export) and the CLI (`destseg report`).
 */
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type Database from 'better-sqlite3'
import type { ReportFormat, ReportModel, ReportTarget } from '../../common/types/reports'
import { gatherReport, type GatherOptions } from './gather'
import { renderHtml } from './html'
import { renderPdf } from './pdf'
import { renderCsv, renderJson } from './rows'
import { addThumbnails } from './thumbnails'
import { slug } from './format'

export type { ReportFormat, ReportTarget } from '../../common/types/reports'
export { formatMetric } from './format'
export { gatherReport } from './gather'

export interface RenderedReport {
  filename: string
  mime: string
  data: Buffer
}

export const REPORT_MIME: Record<ReportFormat, string> = {
  pdf: 'application/pdf',
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json'
}

/** e.g. report-magnetic-tile-run-3.pdf, report-magnetic-tile-category-eval-7.html */
export function reportFilename(model: ReportModel, format: ReportFormat): string {
  const what = model.kind === 'run' && model.run ? `run-${model.run.id}` : `category-eval-${model.evaluation.id}`
  return `report-${slug(model.dataset.category_name)}-${what}.${format}`
}

/** Renders a report; UserErrors for an unknown run or category and for one without an evaluation. */
export async function renderReport(
  db: Database.Database,
  target: ReportTarget,
  format: ReportFormat,
  options: GatherOptions = {}
): Promise<RenderedReport> {
  const model = await gatherReport(db, target, options)
  let data: Buffer
  if (format === 'csv') data = Buffer.from(renderCsv(model), 'utf8')
  else if (format === 'json') data = Buffer.from(renderJson(model), 'utf8')
  else {
    await addThumbnails(db, model)
    data = format === 'pdf' ? await renderPdf(model) : Buffer.from(renderHtml(model), 'utf8')
  }
  return { filename: reportFilename(model, format), mime: REPORT_MIME[format], data }
}

/** Renders a report and writes it to `outPath` (through a temporary file, so it is never half-written). */
export async function writeReportFile(
  db: Database.Database,
  target: ReportTarget,
  format: ReportFormat,
  outPath: string,
  options: GatherOptions = {}
): Promise<void> {
  const { data } = await renderReport(db, target, format, options)
  await mkdir(dirname(outPath), { recursive: true })
  const temporary = `${outPath}.${process.pid}.tmp`
  await writeFile(temporary, data)
  await rename(temporary, outPath)
}
