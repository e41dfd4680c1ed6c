/**
 * The PDF report, made with pdfkit in the main process (Electron and headless alike, so the layout
 * is the same everywhere): A4, the blocks of layout.ts in order, real text (Helvetica; pdftotext
 * extracts it), the charts drawn as vectors from the same SVG as the HTML report (svg-to-pdfkit),
 * thumbnails embedded as PNG, and page numbers.
 */
import PDFDocument from 'pdfkit'
import SVGtoPDF from 'svg-to-pdfkit'
import type { ReportModel } from '../../common/types/reports'
import { reportBlocks, type Align, type CaseBlock, type ReportBlock } from './layout'

type Doc = PDFKit.PDFDocument

const MARGIN = 40
const FONT = 'Helvetica'
const BOLD = 'Helvetica-Bold'
const GREY = '#5f6b7a'
const RULE = '#d5dbe2'
const THUMB = 64
const CELL_PAD = 8

class PdfWriter {
  constructor(private readonly doc: Doc) {}

  private get left(): number {
    return this.doc.page.margins.left
  }

  private get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right
  }

  private get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom
  }

  /** Starts a new page unless `height` more points fit on this one. */
  private ensure(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage()
  }

  block(b: ReportBlock): void {
    const doc = this.doc
    switch (b.type) {
      case 'title':
        doc.font(BOLD).fontSize(17).fillColor('#111111').text(b.text, this.left, doc.y, { width: this.width })
        doc.moveDown(0.2)
        doc.font(FONT).fontSize(8.5).fillColor(GREY).text(b.subtitle, { width: this.width })
        doc.moveDown(0.6)
        return
      case 'heading':
        this.ensure(60)
        doc.moveDown(0.6)
        doc.font(BOLD).fontSize(12).fillColor('#111111').text(b.text, this.left, doc.y, { width: this.width })
        doc
          .moveTo(this.left, doc.y + 1)
          .lineTo(this.left + this.width, doc.y + 1)
          .lineWidth(0.6)
          .strokeColor(RULE)
          .stroke()
        doc.moveDown(0.4)
        return
      case 'paragraph':
        doc.font(FONT).fontSize(8.5).fillColor('#222222')
        this.ensure(doc.heightOfString(b.text, { width: this.width }))
        doc.text(b.text, this.left, doc.y, { width: this.width })
        doc.moveDown(0.3)
        return
      case 'keyvalue':
        this.table(
          null,
          ['left', 'left'],
          b.rows.map(([k, v]) => [k, v]),
          [170, this.width - 170],
          true
        )
        return
      case 'table':
        this.table(b.columns, b.align, b.rows, null, false, b.metrics)
        return
      case 'charts':
        this.charts(b.charts)
        return
      case 'cases':
        this.cases(b.title, b.summary, b.cases)
        return
    }
  }

  /** Column widths from the content, shrunk to the page width when needed (wide columns give most). */
  private columnWidths(columns: string[] | null, rows: string[][]): number[] {
    const doc = this.doc
    const count = columns?.length ?? rows[0]?.length ?? 0
    const widths = new Array<number>(count).fill(20)
    for (let i = 0; i < count; i++) {
      if (columns) widths[i] = Math.max(widths[i], doc.font(BOLD).fontSize(8.5).widthOfString(columns[i]) + CELL_PAD)
      doc.font(FONT).fontSize(8.5)
      for (const r of rows) widths[i] = Math.max(widths[i], doc.widthOfString(r[i] ?? '') + CELL_PAD)
    }
    const total = widths.reduce((a, b) => a + b, 0)
    if (total <= this.width) return widths
    // Shrink columns wider than the fair share towards it until the row fits.
    const fair = this.width / count
    const narrow = widths.filter((w) => w <= fair).reduce((a, b) => a + b, 0)
    const wide = total - narrow
    const room = this.width - narrow
    return widths.map((w) => (w <= fair ? w : Math.max(24, (w / wide) * room)))
  }

  private table(columns: string[] | null, align: Align[], rows: string[][], fixed: number[] | null, keyValue: boolean, bold = false): void {
    const doc = this.doc
    const widths = fixed ?? this.columnWidths(columns, rows)
    const draw = (cells: string[], header: boolean): void => {
      doc.fontSize(8.5)
      const heights = cells.map((c, i) => {
        doc.font(header || (keyValue && i === 0) || (bold && i === 1) ? BOLD : FONT)
        return doc.heightOfString(c || ' ', { width: widths[i] - CELL_PAD })
      })
      const height = Math.max(...heights) + 4
      this.ensure(height)
      const y = doc.y
      let x = this.left
      cells.forEach((c, i) => {
        const strong = header || (bold && i === 1)
        doc.font(strong ? BOLD : FONT).fillColor(header || (keyValue && i === 0) ? GREY : '#1d232c')
        doc.text(c, x, y + 2, { width: widths[i] - CELL_PAD, align: align[i] === 'right' ? 'right' : 'left' })
        x += widths[i]
      })
      const lineY = y + height
      doc
        .moveTo(this.left, lineY)
        .lineTo(this.left + Math.min(this.width, widths.reduce((a, b) => a + b, 0)), lineY)
        .lineWidth(0.4)
        .strokeColor(header ? RULE : '#eceff3')
        .stroke()
      doc.x = this.left
      doc.y = lineY + 1
    }
    if (columns) {
      this.ensure(36) // keep the header with the first row
      draw(columns, true)
    }
    for (const r of rows) draw(r, false)
    doc.moveDown(0.3)
  }

  private charts(charts: Array<{ svg: string; width: number; height: number }>): void {
    const doc = this.doc
    const gap = 8
    let x = this.left
    let rowTop = doc.y
    let rowHeight = 0
    for (const chart of charts) {
      if (x > this.left && x + chart.width > this.left + this.width) {
        x = this.left
        doc.y = rowTop + rowHeight + gap
        rowHeight = 0
      }
      if (x === this.left) {
        this.ensure(chart.height)
        rowTop = doc.y
      }
      SVGtoPDF(doc, chart.svg, x, rowTop, {
        assumePt: true,
        width: chart.width,
        height: chart.height,
        fontCallback: (_family: string, boldFont: boolean) => (boldFont ? BOLD : FONT)
      })
      x += chart.width + gap
      rowHeight = Math.max(rowHeight, chart.height)
    }
    doc.x = this.left
    doc.y = rowTop + rowHeight + gap
  }

  private cases(title: string, summary: string, cases: CaseBlock[]): void {
    const doc = this.doc
    this.ensure(40 + (cases.length ? THUMB : 0))
    doc.font(BOLD).fontSize(10).fillColor('#111111').text(title, this.left, doc.y, { width: this.width })
    doc.font(FONT).fontSize(8.5).fillColor('#222222').text(summary, { width: this.width })
    doc.moveDown(0.3)
    for (const c of cases) {
      this.ensure(THUMB + 6)
      const y = doc.y
      const kinds: Array<[string | null | undefined, string]> = [
        [c.thumbnails?.image, 'unavailable'],
        [c.thumbnails?.overlay, 'unavailable'],
        [c.thumbnails?.truth, 'no mask']
      ]
      kinds.forEach(([b64, empty], i) => {
        const x = this.left + i * (THUMB + 4)
        doc.rect(x, y, THUMB, THUMB).fillColor('#eceff3').fill()
        if (b64) doc.image(Buffer.from(b64, 'base64'), x, y, { fit: [THUMB, THUMB], align: 'center', valign: 'center' })
        else doc.font(FONT).fontSize(7).fillColor(GREY).text(empty, x, y + THUMB / 2 - 4, { width: THUMB, align: 'center' })
      })
      const textX = this.left + 3 * (THUMB + 4) + 8
      const textWidth = this.left + this.width - textX
      doc.font(BOLD).fontSize(8.5).fillColor('#111111').text(c.caption, textX, y + 2, { width: textWidth })
      doc.font(FONT).fillColor('#222222')
      for (const line of c.lines.filter(Boolean)) doc.text(line, textX, doc.y, { width: textWidth })
      doc.x = this.left
      doc.y = Math.max(doc.y, y + THUMB) + 6
    }
  }

  /** "page i of n" at the foot of every page. */
  pageNumbers(title: string): void {
    const doc = this.doc
    const range = doc.bufferedPageRange()
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i)
      const bottom = doc.page.margins.bottom
      doc.page.margins.bottom = 0
      doc
        .font(FONT)
        .fontSize(7)
        .fillColor(GREY)
        .text(`${title} · page ${i + 1} of ${range.count}`, this.left, doc.page.height - MARGIN / 2 - 6, { width: this.width, align: 'center', lineBreak: false })
      doc.page.margins.bottom = bottom
    }
  }
}

/** The report as a PDF file. */
export function renderPdf(model: ReportModel): Promise<Buffer> {
  const created = new Date(model.generated_at)
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: { Title: model.title, Creator: `DeSTSeg Workstation ${model.app_version}`, Producer: 'pdfkit', CreationDate: created, ModDate: created }
  })
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = []
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
    try {
      const writer = new PdfWriter(doc)
      for (const b of reportBlocks(model)) writer.block(b)
      writer.pageNumbers(model.title)
      doc.end()
    } catch (err) {
      reject(err)
    }
  })
}
