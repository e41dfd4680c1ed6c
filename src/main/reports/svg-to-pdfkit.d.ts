/** svg-to-pdfkit ships no types: the part of its API the reports use. */
declare module 'svg-to-pdfkit' {
  interface SvgToPdfOptions {
    /** treat SVG units as points (else 1px = 0.75pt) */
    assumePt?: boolean
    width?: number
    height?: number
    preserveAspectRatio?: string
    /** the pdfkit font name for a family, bold and italic */
    fontCallback?: (family: string, bold: boolean, italic: boolean, options: { fauxBold?: boolean; fauxItalic?: boolean }) => string
    warningCallback?: (message: string) => void
  }
  export default function SVGtoPDF(doc: PDFKit.PDFDocument, svg: string, x?: number, y?: number, options?: SvgToPdfOptions): void
}
