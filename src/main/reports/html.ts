/**
 * The HTML report: one self-contained file (inline CSS, inline SVG charts, thumbnails as data:
 * URIs; no script and no external request), drawn from the same blocks as the PDF.
 */
import type { ReportModel } from '../../common/types/reports'
import { escapeXml } from './charts'
import { reportBlocks, type CaseBlock, type ReportBlock } from './layout'

const esc = escapeXml

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; color: #1d232c; margin: 0; background: #f4f6f8; }
main { max-width: 900px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
.subtitle { color: #5f6b7a; font-size: 12px; margin: 0 0 12px; }
h2 { font-size: 15px; margin: 22px 0 8px; padding-bottom: 3px; border-bottom: 1px solid #d5dbe2; }
h3 { font-size: 13px; margin: 14px 0 4px; }
p { font-size: 12px; margin: 6px 0; }
table { border-collapse: collapse; font-size: 12px; margin: 4px 0; }
th, td { padding: 3px 10px 3px 0; border-bottom: 1px solid #eceff3; vertical-align: top; }
th { text-align: left; color: #5f6b7a; font-weight: 600; }
td.right, th.right { text-align: right; }
table.metrics td.right { font-variant-numeric: tabular-nums; font-weight: 600; }
table.kv th { width: 230px; }
.charts { display: flex; flex-wrap: wrap; gap: 8px; }
.charts svg { border: 1px solid #eceff3; width: 280px; height: auto; }
.case { display: flex; gap: 10px; align-items: flex-start; padding: 6px 0; border-bottom: 1px solid #eceff3; font-size: 12px; }
.case img { width: 96px; height: 96px; object-fit: contain; background: #000; }
.case .thumbs { display: flex; gap: 4px; flex: none; }
.case .empty { width: 96px; height: 96px; background: #eceff3; color: #8d99a8; font-size: 10px; display: flex; align-items: center; justify-content: center; }
.case .caption { font-weight: 600; }
`

const cls = (align: string): string => (align === 'right' ? ' class="right"' : '')

function thumbs(c: CaseBlock): string {
  const img = (b64: string | null | undefined, alt: string): string =>
    b64 ? `<img alt="${esc(alt)}" src="data:image/png;base64,${b64}">` : `<div class="empty">${esc(alt === 'ground truth' ? 'no mask' : 'unavailable')}</div>`
  const t = c.thumbnails
  return `<div class="thumbs">${img(t?.image, 'image')}${img(t?.overlay, 'heat map')}${img(t?.truth, 'ground truth')}</div>`
}

function block(b: ReportBlock): string {
  switch (b.type) {
    case 'title':
      return `<h1>${esc(b.text)}</h1><p class="subtitle">${esc(b.subtitle)}</p>`
    case 'heading':
      return `<h2>${esc(b.text)}</h2>`
    case 'paragraph':
      return `<p>${esc(b.text)}</p>`
    case 'keyvalue':
      return `<table class="kv">${b.rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`
    case 'table': {
      const head = `<tr>${b.columns.map((c, i) => `<th${cls(b.align[i])}>${esc(c)}</th>`).join('')}</tr>`
      const rows = b.rows.map((r) => `<tr>${r.map((v, i) => `<td${cls(b.align[i])}>${esc(v)}</td>`).join('')}</tr>`).join('')
      return `<table${b.metrics ? ' class="metrics"' : ''}>${head}${rows}</table>`
    }
    case 'charts':
      return `<div class="charts">${b.charts.map((c) => c.svg.replace(/^<svg /, `<svg role="img" aria-label="${esc(c.title)}" `)).join('')}</div>`
    case 'cases': {
      const cases = b.cases
        .map((c) => `<div class="case">${thumbs(c)}<div><div class="caption">${esc(c.caption)}</div>${c.lines.filter(Boolean).map((l) => `<div>${esc(l)}</div>`).join('')}</div></div>`)
        .join('')
      return `<h3>${esc(b.title)}</h3><p>${esc(b.summary)}</p>${cases}`
    }
  }
}

/** The report as one HTML document. */
export function renderHtml(model: ReportModel): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${esc(model.title)}</title>`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<style>${CSS}</style>`,
    '</head><body><main>',
    ...reportBlocks(model).map(block),
    '</main></body></html>',
    ''
  ].join('\n')
}
