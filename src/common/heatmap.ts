/**
 * Pure helpers of the heat-map overlay: bilinear upsampling of a square anomaly map (half-pixel
 * centres, as the engine's resize and PyTorch's align_corners=False), colour maps, and the outline
 * of a thresholded region as an SVG path. No DOM, so they are unit-tested in Node.
 */

/** A map as results:map serves it: size x size values, row-major. */
export interface SquareMap {
  size: number
  data: ArrayLike<number>
}

export type ColormapName = 'jet' | 'inferno' | 'viridis'
export const COLORMAPS: readonly ColormapName[] = ['jet', 'inferno', 'viridis']

/** Longest side of the grid the overlay is computed on (the canvas is stretched over the image). */
export const MAX_GRID = 512

/** Grid size for an image: its own size, scaled down so the longer side is at most `max`. */
export function overlayGrid(imageWidth: number, imageHeight: number, max = MAX_GRID): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(imageWidth, imageHeight, 1))
  return { width: Math.max(1, Math.round(imageWidth * scale)), height: Math.max(1, Math.round(imageHeight * scale)) }
}

/**
 * The map resized to width x height, bilinear with half-pixel centres: output pixel x samples the
 * source at (x + 0.5) * size / width - 0.5, clamped to the border. [height * width] row-major.
 */
export function upsampleBilinear(map: SquareMap, width: number, height: number): Float32Array {
  const { size, data } = map
  if (data.length !== size * size) throw new Error(`upsampleBilinear: ${data.length} values for ${size}x${size}`)
  const out = new Float32Array(width * height)
  const axis = (n: number): { i0: Int32Array; i1: Int32Array; f: Float32Array } => {
    const i0 = new Int32Array(n)
    const i1 = new Int32Array(n)
    const f = new Float32Array(n)
    for (let o = 0; o < n; o++) {
      const s = Math.min(size - 1, Math.max(0, ((o + 0.5) * size) / n - 0.5))
      i0[o] = Math.floor(s)
      i1[o] = Math.min(size - 1, i0[o] + 1)
      f[o] = s - i0[o]
    }
    return { i0, i1, f }
  }
  const xs = axis(width)
  const ys = axis(height)
  for (let y = 0; y < height; y++) {
    const r0 = ys.i0[y] * size
    const r1 = ys.i1[y] * size
    const fy = ys.f[y]
    for (let x = 0; x < width; x++) {
      const x0 = xs.i0[x]
      const x1 = xs.i1[x]
      const fx = xs.f[x]
      const top = data[r0 + x0] + (data[r0 + x1] - data[r0 + x0]) * fx
      const bottom = data[r1 + x0] + (data[r1 + x1] - data[r1 + x0]) * fx
      out[y * width + x] = top + (bottom - top) * fy
    }
  }
  return out
}

type Rgb = [number, number, number]

const hex = (h: string): Rgb => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)]

/** Evenly spaced stops of matplotlib's perceptual maps. */
const STOPS: Record<Exclude<ColormapName, 'jet'>, Rgb[]> = {
  inferno: ['#000004', '#1b0c41', '#4a0c6b', '#781c6d', '#a52c60', '#cf4446', '#ed6925', '#fb9b06', '#fcffa4'].map(hex),
  viridis: ['#440154', '#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'].map(hex)
}

function jet(t: number): Rgb {
  const c = (v: number): number => Math.round(255 * Math.min(1, Math.max(0, v)))
  return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))]
}

function fromStops(stops: Rgb[], t: number): Rgb {
  const s = t * (stops.length - 1)
  const i = Math.min(stops.length - 2, Math.floor(s))
  const f = s - i
  return [0, 1, 2].map((c) => Math.round(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f)) as Rgb
}

/** The colour at t in [0, 1] (clamped). */
export function colormapRgb(name: ColormapName, t: number): Rgb {
  const v = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0
  return name === 'jet' ? jet(v) : fromStops(STOPS[name], v)
}

const luts = new Map<ColormapName, Uint8Array>()

/** 256 RGB entries of a colour map. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = luts.get(name)
  if (!lut) {
    lut = new Uint8Array(256 * 3)
    for (let i = 0; i < 256; i++) lut.set(colormapRgb(name, i / 255), i * 3)
    luts.set(name, lut)
  }
  return lut
}

/** A CSS linear-gradient of the colour map, left (low) to right (high), for legends. */
export function colormapGradient(name: ColormapName, steps = 16): string {
  const stops = Array.from({ length: steps + 1 }, (_, i) => {
    const [r, g, b] = colormapRgb(name, i / steps)
    return `rgb(${r} ${g} ${b}) ${((100 * i) / steps).toFixed(1)}%`
  })
  return `linear-gradient(to right, ${stops.join(', ')})`
}

/** Fills RGBA pixels (e.g. an ImageData's data) with the coloured values, opaque; [lo, hi] spans the colour map. */
export function paintValues(values: Float32Array, rgba: Uint8ClampedArray, name: ColormapName, lo: number, hi: number): void {
  if (rgba.length !== values.length * 4) throw new Error(`paintValues: ${rgba.length / 4} pixels for ${values.length} values`)
  const lut = colormapLut(name)
  const span = hi > lo ? hi - lo : 1
  for (let i = 0; i < values.length; i++) {
    const t = (values[i] - lo) / span
    const k = t <= 0 || !Number.isFinite(t) ? 0 : t >= 1 ? 255 : Math.round(t * 255)
    rgba[i * 4] = lut[k * 3]
    rgba[i * 4 + 1] = lut[k * 3 + 1]
    rgba[i * 4 + 2] = lut[k * 3 + 2]
    rgba[i * 4 + 3] = 255
  }
}

/** Minimum and maximum of the values (0, 1 for none). */
export function valueRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v < lo) lo = v
    if (v > hi) hi = v
  }
  return lo <= hi ? [lo, hi] : [0, 1]
}

/**
 * The outline of the region {values >= threshold} on a width x height grid, as an SVG path in
 * grid units (pixel edges between inside and outside cells, joined into runs); '' when the region
 * is empty. Cells outside the grid count as outside, so a region touching the border is closed.
 */
export function regionOutline(values: ArrayLike<number>, width: number, height: number, threshold: number): string {
  if (values.length !== width * height) throw new Error(`regionOutline: ${values.length} values for ${width}x${height}`)
  const inside = new Uint8Array(width * height)
  for (let i = 0; i < inside.length; i++) inside[i] = values[i] >= threshold ? 1 : 0
  const at = (x: number, y: number): number => (x < 0 || y < 0 || x >= width || y >= height ? 0 : inside[y * width + x])
  const parts: string[] = []
  // horizontal edges: between rows y - 1 and y
  for (let y = 0; y <= height; y++) {
    let start = -1
    for (let x = 0; x <= width; x++) {
      const edge = x < width && at(x, y - 1) !== at(x, y)
      if (edge && start < 0) start = x
      else if (!edge && start >= 0) {
        parts.push(`M${start} ${y}h${x - start}`)
        start = -1
      }
    }
  }
  // vertical edges: between columns x - 1 and x
  for (let x = 0; x <= width; x++) {
    let start = -1
    for (let y = 0; y <= height; y++) {
      const edge = y < height && at(x - 1, y) !== at(x, y)
      if (edge && start < 0) start = y
      else if (!edge && start >= 0) {
        parts.push(`M${x} ${start}v${y - start}`)
        start = -1
      }
    }
  }
  return parts.join('')
}
