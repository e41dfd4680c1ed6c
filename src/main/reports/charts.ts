/**
 * The report's charts as SVG strings, drawn from the report model: the instance-recall /
 * pixel-precision curve with the IAP@k operating point, the image and pixel ROC curves, and the
 * image-score histograms (normal vs anomalous) with the image threshold. The HTML report inlines
 * them; the PDF draws the same SVG as vectors (svg-to-pdfkit). Plain SVG only (presentation
 * attributes, no CSS, no external references) so both renderers draw it alike.
 */
import type { ReportCurves, ReportHistogram } from '../../common/types/reports'
import { formatMetric } from './format'

export interface Chart {
  title: string
  svg: string
  width: number
  height: number
}

export const CHART_WIDTH = 166
export const CHART_HEIGHT = 150
const PAD = { left: 32, right: 14, top: 22, bottom: 28 }
const FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="7"'
const COLOURS = { normal: '#3b7dd8', anomalous: '#d8473b', pixel: '#e08a1e', axis: '#555555', grid: '#dddddd', point: '#111111' }

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const n = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '0')

/** A plot area mapping data [x0, x1] x [y0, y1] onto the chart. */
class Frame {
  readonly parts: string[] = []
  private readonly w = CHART_WIDTH - PAD.left - PAD.right
  private readonly h = CHART_HEIGHT - PAD.top - PAD.bottom

  constructor(
    private readonly x0: number,
    private readonly x1: number,
    private readonly y0: number,
    private readonly y1: number
  ) {}

  x(v: number): number {
    return PAD.left + ((v - this.x0) / (this.x1 - this.x0 || 1)) * this.w
  }

  y(v: number): number {
    return PAD.top + this.h - ((v - this.y0) / (this.y1 - this.y0 || 1)) * this.h
  }

  text(x: number, y: number, text: string, anchor: 'start' | 'middle' | 'end' = 'start', extra = ''): void {
    this.parts.push(`<text x="${n(x)}" y="${n(y)}" ${FONT} text-anchor="${anchor}" fill="#222222"${extra}>${escapeXml(text)}</text>`)
  }

  /** Frame, grid lines and tick labels; axis titles. */
  axes(xTicks: number[], yTicks: number[], xLabel: string, yLabel: string, format: (v: number) => string, yFormat = format): void {
    const left = PAD.left
    const right = CHART_WIDTH - PAD.right
    const top = PAD.top
    const bottom = CHART_HEIGHT - PAD.bottom
    for (const t of yTicks) {
      this.parts.push(`<line x1="${n(left)}" y1="${n(this.y(t))}" x2="${n(right)}" y2="${n(this.y(t))}" stroke="${COLOURS.grid}" stroke-width="0.5"/>`)
      this.text(left - 3, this.y(t) + 3, yFormat(t), 'end')
    }
    for (const t of xTicks) {
      this.parts.push(`<line x1="${n(this.x(t))}" y1="${n(top)}" x2="${n(this.x(t))}" y2="${n(bottom)}" stroke="${COLOURS.grid}" stroke-width="0.5"/>`)
      this.text(this.x(t), bottom + 10, format(t), 'middle')
    }
    this.parts.push(`<rect x="${n(left)}" y="${n(top)}" width="${n(right - left)}" height="${n(bottom - top)}" fill="none" stroke="${COLOURS.axis}" stroke-width="0.8"/>`)
    this.text((left + right) / 2, CHART_HEIGHT - 5, xLabel, 'middle')
    this.parts.push(
      `<text x="0" y="0" ${FONT} text-anchor="middle" fill="#222222" transform="translate(7 ${n((top + bottom) / 2)}) rotate(-90)">${escapeXml(yLabel)}</text>`
    )
  }

  polyline(xs: readonly number[], ys: readonly number[], colour: string, width = 1.2): void {
    if (xs.length === 0) return
    const points = xs.map((x, i) => `${n(this.x(x))},${n(this.y(ys[i]))}`).join(' ')
    this.parts.push(`<polyline points="${points}" fill="none" stroke="${colour}" stroke-width="${width}" stroke-linejoin="round"/>`)
  }

  /** Colour keys in the title row, right-aligned. */
  legend(entries: Array<{ label: string; colour: string }>): void {
    const widths = entries.map((e) => 14 + e.label.length * 3.6)
    let x = CHART_WIDTH - PAD.right - widths.reduce((a, b) => a + b, 0)
    const y = PAD.top - 6
    entries.forEach((e, i) => {
      this.parts.push(`<rect x="${n(x)}" y="${n(y - 5)}" width="7" height="5" fill="${e.colour}"/>`)
      this.text(x + 9, y, e.label)
      x += widths[i]
    })
  }

  svg(title: string): string {
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}">`,
      `<rect x="0" y="0" width="${CHART_WIDTH}" height="${CHART_HEIGHT}" fill="#ffffff"/>`,
      `<text x="4" y="10" font-family="Helvetica, Arial, sans-serif" font-weight="bold" font-size="8" fill="#111111">${escapeXml(title)}</text>`,
      ...this.parts,
      '</svg>'
    ].join('\n')
  }
}

const UNIT_TICKS = [0, 0.25, 0.5, 0.75, 1]
const tick = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(2))

/** Instance recall (x) against pixel precision (y), the IAP curve, with the IAP@k operating point marked. */
export function instanceCurveChart(curves: ReportCurves, k: number): Chart {
  const title = 'Instance recall / precision'
  const frame = new Frame(0, 1, 0, 1)
  frame.axes(UNIT_TICKS, UNIT_TICKS, 'instance recall', 'pixel precision', tick)
  const { recall, precision } = curves.instance
  const order = recall.map((_, i) => i).sort((a, b) => recall[a] - recall[b])
  frame.polyline(
    order.map((i) => recall[i]),
    order.map((i) => precision[i]),
    COLOURS.normal
  )
  const op = curves.operating_point
  const at = `IAP@${Math.round(k * 100)}`
  if (op === null) {
    frame.text(frame.x(0.5), frame.y(0.5), 'no pixel metrics', 'middle')
    return { title, svg: frame.svg(title), width: CHART_WIDTH, height: CHART_HEIGHT }
  }
  frame.parts.push(`<circle cx="${n(frame.x(op.recall))}" cy="${n(frame.y(op.precision))}" r="3" fill="${COLOURS.anomalous}" stroke="${COLOURS.point}" stroke-width="0.6"/>`)
  const right = op.recall > 0.6
  frame.text(frame.x(op.recall) + (right ? -6 : 6), frame.y(op.precision) - 6, `${at} ${formatMetric(op.precision)} at ${formatMetric(op.threshold)}`, right ? 'end' : 'start')
  return { title, svg: frame.svg(title), width: CHART_WIDTH, height: CHART_HEIGHT }
}

/** The image ROC (when both labels occur) and the pooled pixel ROC, with the chance diagonal. */
export function rocChart(curves: ReportCurves): Chart {
  const title = 'ROC curves'
  const frame = new Frame(0, 1, 0, 1)
  frame.axes(UNIT_TICKS, UNIT_TICKS, 'false positive rate', 'true positive rate', tick)
  frame.parts.push(`<line x1="${n(frame.x(0))}" y1="${n(frame.y(0))}" x2="${n(frame.x(1))}" y2="${n(frame.y(1))}" stroke="#999999" stroke-width="0.6" stroke-dasharray="3 2"/>`)
  frame.polyline(curves.pixel_roc.fpr, curves.pixel_roc.tpr, COLOURS.pixel)
  const legend = [{ label: 'pixel', colour: COLOURS.pixel }]
  if (curves.image_roc) {
    frame.polyline(curves.image_roc.fpr, curves.image_roc.tpr, COLOURS.normal)
    legend.unshift({ label: 'image', colour: COLOURS.normal })
  }
  frame.legend(legend)
  return { title, svg: frame.svg(title), width: CHART_WIDTH, height: CHART_HEIGHT }
}

/** Image-score histograms of normal and anomalous test images on shared bins, with the image threshold. */
export function histogramChart(histogram: ReportHistogram, imageThreshold: number): Chart {
  const title = 'Image scores'
  const { edges, normal, anomalous } = histogram
  const lo = edges[0]
  const hi = edges[edges.length - 1]
  const top = Math.max(1, ...normal, ...anomalous)
  const frame = new Frame(lo, hi, 0, top)
  const yTicks = top <= 4 ? Array.from({ length: top + 1 }, (_, i) => i) : [0, Math.round(top / 2), top]
  // enough decimals that the three score ticks differ
  const decimals = Math.min(8, Math.max(2, Math.ceil(-Math.log10(hi - lo)) + 1))
  frame.axes([lo, (lo + hi) / 2, hi], yTicks, 'image score', 'images', (v) => v.toFixed(decimals), String)
  const bars = (counts: number[], colour: string): void => {
    counts.forEach((c, i) => {
      if (c === 0) return
      const x = frame.x(edges[i])
      const w = Math.max(0.5, frame.x(edges[i + 1]) - x)
      frame.parts.push(`<rect x="${n(x)}" y="${n(frame.y(c))}" width="${n(w)}" height="${n(frame.y(0) - frame.y(c))}" fill="${colour}" fill-opacity="0.55" stroke="${colour}" stroke-width="0.4"/>`)
    })
  }
  bars(normal, COLOURS.normal)
  bars(anomalous, COLOURS.anomalous)
  const tx = frame.x(imageThreshold)
  frame.parts.push(`<line x1="${n(tx)}" y1="${n(frame.y(top))}" x2="${n(tx)}" y2="${n(frame.y(0))}" stroke="${COLOURS.point}" stroke-width="1" stroke-dasharray="4 2"/>`)
  const right = imageThreshold > (lo + hi) / 2
  frame.text(tx + (right ? -3 : 3), frame.y(top) + 8, `threshold ${formatMetric(imageThreshold)}`, right ? 'end' : 'start')
  frame.legend([
    { label: 'normal', colour: COLOURS.normal },
    { label: 'anomalous', colour: COLOURS.anomalous }
  ])
  return { title, svg: frame.svg(title), width: CHART_WIDTH, height: CHART_HEIGHT }
}
