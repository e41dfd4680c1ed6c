/**
 * A binary mask being edited at full resolution, with undo and redo: the mask editor's model, no DOM.
 *
 * Pixels are width * height bytes, 0 or 1. Every edit (a brush stroke, a polygon, a flood fill,
 * clear, replacing the whole mask) is one undo step, stored as the bytes of the rectangle it
 * changed before and after, so a small stroke on a large image costs little memory.
 */

/** A rectangle of pixels: [x, x + width) x [y, y + height). */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export interface Point {
  x: number
  y: number
}

interface Step {
  rect: Rect
  before: Uint8Array
  after: Uint8Array
  what: string
}

/** Undo steps kept (the issue asks for at least 50). */
export const UNDO_LIMIT = 100

function union(a: Rect | null, b: Rect): Rect {
  if (!a) return b
  const x = Math.min(a.x, b.x)
  const y = Math.min(a.y, b.y)
  return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y }
}

export class MaskDocument {
  readonly pixels: Uint8Array
  private undoStack: Step[] = []
  private redoStack: Step[] = []
  /** while an edit is open: the mask as it was, and the rectangle touched so far */
  private open: { before: Uint8Array; rect: Rect | null; what: string } | null = null
  /** raised by every change, undo and redo included (the editor compares it with the saved one) */
  revision = 0

  constructor(
    readonly width: number,
    readonly height: number,
    pixels?: Uint8Array
  ) {
    if (pixels && pixels.length !== width * height) throw new Error(`mask has ${pixels.length} pixels, expected ${width * height}`)
    this.pixels = pixels ? pixels.slice() : new Uint8Array(width * height)
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0
  }

  get undoDepth(): number {
    return this.undoStack.length
  }

  get full(): Rect {
    return { x: 0, y: 0, width: this.width, height: this.height }
  }

  /** Starts one undo step (a brush stroke); every paint until end() belongs to it. */
  begin(what: string): void {
    if (this.open) this.end()
    this.open = { before: this.pixels.slice(), rect: null, what }
  }

  /** Ends the open step; returns the rectangle it changed (null when nothing changed). */
  end(): Rect | null {
    const open = this.open
    this.open = null
    if (!open || !open.rect) return null
    const before = this.crop(open.before, open.rect)
    const after = this.crop(this.pixels, open.rect)
    if (before.every((v, i) => v === after[i])) return null
    this.push({ rect: open.rect, before, after, what: open.what })
    return open.rect
  }

  /** A disc of radius r (pixels) centred on (cx, cy) set to value; returns the rectangle touched. */
  disc(cx: number, cy: number, r: number, value: 0 | 1): Rect | null {
    const rr = Math.max(0.5, r)
    const x0 = Math.max(0, Math.floor(cx - rr))
    const x1 = Math.min(this.width - 1, Math.ceil(cx + rr))
    const y0 = Math.max(0, Math.floor(cy - rr))
    const y1 = Math.min(this.height - 1, Math.ceil(cy + rr))
    if (x0 > x1 || y0 > y1) return null
    const r2 = rr * rr
    for (let y = y0; y <= y1; y++) {
      const dy = y + 0.5 - cy
      for (let x = x0; x <= x1; x++) {
        const dx = x + 0.5 - cx
        if (dx * dx + dy * dy <= r2) this.pixels[y * this.width + x] = value
      }
    }
    return this.touch({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 })
  }

  /** Discs along the segment from a to b (a brush or eraser stroke); returns the rectangle touched. */
  line(a: Point, b: Point, r: number, value: 0 | 1): Rect | null {
    const length = Math.hypot(b.x - a.x, b.y - a.y)
    const steps = Math.max(1, Math.ceil(length / Math.max(0.5, r / 2)))
    let rect: Rect | null = null
    for (let i = 0; i <= steps; i++) {
      const t = i / steps
      const touched = this.disc(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, r, value)
      if (touched) rect = union(rect, touched)
    }
    return rect
  }

  /** Fills a polygon (even-odd, pixel centres inside) with value, as one step. */
  polygon(points: readonly Point[], value: 0 | 1): Rect | null {
    if (points.length < 3) return null
    this.begin('polygon')
    const ys = points.map((p) => p.y)
    const y0 = Math.max(0, Math.floor(Math.min(...ys)))
    const y1 = Math.min(this.height - 1, Math.ceil(Math.max(...ys)))
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5
      const xs: number[] = []
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const p = points[i]
        const q = points[j]
        if (p.y > cy !== q.y > cy) xs.push(p.x + ((cy - p.y) / (q.y - p.y)) * (q.x - p.x))
      }
      xs.sort((a, b) => a - b)
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil(xs[k] - 0.5))
        const to = Math.min(this.width - 1, Math.floor(xs[k + 1] - 0.5))
        if (from > to) continue
        this.pixels.fill(value, y * this.width + from, y * this.width + to + 1)
        this.touch({ x: from, y, width: to - from + 1, height: 1 })
      }
    }
    return this.end()
  }

  /**
   * Flood fill from (x, y): the 4-connected region of pixels equal to the one clicked becomes
   * `value` (filling a closed outline, or erasing one blob); one step.
   */
  floodFill(x: number, y: number, value: 0 | 1): Rect | null {
    const sx = Math.floor(x)
    const sy = Math.floor(y)
    if (sx < 0 || sy < 0 || sx >= this.width || sy >= this.height) return null
    const w = this.width
    const from = this.pixels[sy * w + sx]
    if (from === value) return null
    this.begin('fill')
    let x0 = sx
    let x1 = sx
    let y0 = sy
    let y1 = sy
    const stack: number[] = [sy * w + sx]
    this.pixels[sy * w + sx] = value
    while (stack.length > 0) {
      const i = stack.pop()!
      const px = i % w
      const py = (i - px) / w
      if (px < x0) x0 = px
      if (px > x1) x1 = px
      if (py < y0) y0 = py
      if (py > y1) y1 = py
      if (px > 0 && this.pixels[i - 1] === from) (this.pixels[i - 1] = value), stack.push(i - 1)
      if (px < w - 1 && this.pixels[i + 1] === from) (this.pixels[i + 1] = value), stack.push(i + 1)
      if (py > 0 && this.pixels[i - w] === from) (this.pixels[i - w] = value), stack.push(i - w)
      if (py < this.height - 1 && this.pixels[i + w] === from) (this.pixels[i + w] = value), stack.push(i + w)
    }
    this.touch({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 })
    return this.end()
  }

  /** Every pixel 0; one step. */
  clear(): Rect | null {
    return this.replace(new Uint8Array(this.width * this.height), 'clear')
  }

  /** The whole mask replaced (seeded from the prediction, or a version loaded); one step. */
  replace(pixels: Uint8Array, what = 'replace'): Rect | null {
    if (pixels.length !== this.pixels.length) throw new Error('replacement mask has the wrong size')
    this.begin(what)
    for (let i = 0; i < pixels.length; i++) this.pixels[i] = pixels[i] ? 1 : 0
    this.touch(this.full)
    return this.end()
  }

  /** Undoes the last step; returns the rectangle to redraw (null when there was none). */
  undo(): Rect | null {
    if (this.open) this.end()
    const step = this.undoStack.pop()
    if (!step) return null
    this.paste(step.before, step.rect)
    this.redoStack.push(step)
    this.revision++
    return step.rect
  }

  redo(): Rect | null {
    if (this.open) this.end()
    const step = this.redoStack.pop()
    if (!step) return null
    this.paste(step.after, step.rect)
    this.undoStack.push(step)
    this.revision++
    return step.rect
  }

  /** What the next undo and redo would undo and redo, for tooltips. */
  get nextUndo(): string | null {
    return this.undoStack.at(-1)?.what ?? null
  }

  get nextRedo(): string | null {
    return this.redoStack.at(-1)?.what ?? null
  }

  private touch(rect: Rect): Rect {
    if (this.open) this.open.rect = union(this.open.rect, rect)
    return rect
  }

  private push(step: Step): void {
    this.undoStack.push(step)
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift()
    this.redoStack = []
    this.revision++
  }

  private crop(source: Uint8Array, rect: Rect): Uint8Array {
    const out = new Uint8Array(rect.width * rect.height)
    for (let r = 0; r < rect.height; r++) {
      const at = (rect.y + r) * this.width + rect.x
      out.set(source.subarray(at, at + rect.width), r * rect.width)
    }
    return out
  }

  private paste(bytes: Uint8Array, rect: Rect): void {
    for (let r = 0; r < rect.height; r++) {
      this.pixels.set(bytes.subarray(r * rect.width, (r + 1) * rect.width), (rect.y + r) * this.width + rect.x)
    }
  }
}

/** Paints a rectangle of the mask into RGBA bytes (rect-sized): `colour` where 1, transparent where 0. */
export function paintMaskRect(doc: MaskDocument, rect: Rect, rgba: Uint8ClampedArray, colour: readonly [number, number, number]): void {
  const [r, g, b] = colour
  for (let y = 0, o = 0; y < rect.height; y++) {
    const row = (rect.y + y) * doc.width + rect.x
    for (let x = 0; x < rect.width; x++, o += 4) {
      const on = doc.pixels[row + x] !== 0
      rgba[o] = r
      rgba[o + 1] = g
      rgba[o + 2] = b
      rgba[o + 3] = on ? 255 : 0
    }
  }
}
