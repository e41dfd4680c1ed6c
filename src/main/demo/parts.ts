/**
 * The demo's procedural parts: a machined washer (a brushed-metal ring) on a dark table, and the
 * two defects drawn on it. Pure TypeScript over byte buffers, seeded, no I/O.
 *
 * Images are RGB [H, W, 3] uint8 (row-major, interleaved), masks [H, W] uint8 0/255. A defect is
 * drawn by first deciding its mask and then changing exactly the pixels of that mask (each by a
 * visible amount), so the mask is the ground truth to the pixel: `image != clean` iff `mask == 255`.
 */
import { Random } from '../engine/random'
import { randPerlin2d } from '../engine/synthesis/perlin-noise'

/** An RGB image [size, size, 3] and the metal ring's interior [size, size] (1: inside, away from the edges). */
export interface Part {
  size: number
  image: Uint8Array
  /** 1 where a defect may be drawn: metal, at least 2 px from either edge of the ring */
  surface: Uint8Array
  /** the ring's centre and radii, in pixels */
  cx: number
  cy: number
  outer: number
  inner: number
}

export type DefectKind = 'scratch' | 'stain'
export const DEFECT_KINDS: readonly DefectKind[] = ['scratch', 'stain']

const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v))
const smoothstep = (e0: number, e1: number, x: number): number => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)))
  return t * t * (3 - 2 * t)
}

/**
 * A washer on a table: centre, radii, brightness, lighting and the metal's grain vary with `rng`.
 * The ring's edges are anti-aliased; its surface has concentric machining marks, low-frequency
 * Perlin shading and fine grain.
 */
export function renderPart(rng: Random, size: number): Part {
  const cx = size / 2 + rng.uniform(-0.03, 0.03) * size
  const cy = size / 2 + rng.uniform(-0.03, 0.03) * size
  const outer = size * rng.uniform(0.37, 0.4)
  const inner = size * rng.uniform(0.14, 0.17)
  const brightness = rng.uniform(0.92, 1.06)
  const tint = [rng.uniform(-6, 6), rng.uniform(-4, 4), rng.uniform(-2, 8)]
  const light = rng.uniform(0, 2 * Math.PI)
  const ringPeriod = rng.uniform(2.2, 3.4) * (size / 128)
  const ringPhase = rng.uniform(0, 2 * Math.PI)
  const shade = randPerlin2d(size, size, 4, 4, rng)
  const tableShade = randPerlin2d(size, size, 2, 2, rng)
  const lx = Math.cos(light)
  const ly = Math.sin(light)

  const image = new Uint8Array(size * size * 3)
  const surface = new Uint8Array(size * size)
  const margin = 2 * (size / 128)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x
      const dx = x + 0.5 - cx
      const dy = y + 0.5 - cy
      const r = Math.hypot(dx, dy)
      // coverage of the ring: 1 inside, 0 outside, a one-pixel ramp at both edges
      const coverage = smoothstep(outer + 0.5, outer - 0.5, r) * smoothstep(inner - 0.5, inner + 0.5, r)
      if (r < outer - margin && r > inner + margin) surface[i] = 1
      const table = 44 + 10 * tableShade[i] + (rng.next() - 0.5) * 6
      const tableRgb = [table - 3, table - 1, table + 4]
      // the ring's bevel: darker towards both edges; light from one side
      const bevel = 0.82 + 0.18 * Math.sin(Math.PI * Math.min(1, Math.max(0, (r - inner) / (outer - inner))))
      const lit = 1 + 0.12 * ((dx * lx + dy * ly) / outer)
      const machining = 7 * Math.sin((2 * Math.PI * r) / ringPeriod + ringPhase)
      const metal = (168 + machining + 14 * shade[i] + (rng.next() - 0.5) * 10) * brightness * bevel * lit
      for (let c = 0; c < 3; c++) {
        const m = metal + tint[c]
        image[i * 3 + c] = clampByte(coverage * m + (1 - coverage) * tableRgb[c])
      }
    }
  }
  return { size, image, surface, cx, cy, outer, inner }
}

/** A point on the metal surface, uniformly by area of the ring's interior. */
function surfacePoint(rng: Random, part: Part): { x: number; y: number } {
  const lo = part.inner + 4
  const hi = part.outer - 4
  const r = Math.sqrt(rng.uniform(lo * lo, hi * hi))
  const a = rng.uniform(0, 2 * Math.PI)
  return { x: part.cx + r * Math.cos(a), y: part.cy + r * Math.sin(a) }
}

/** Changes `image` by `paint` inside `mask`; `paint` must move every channel value it is given (checked). */
function applyMask(image: Uint8Array, mask: Uint8Array, paint: (i: number, rgb: number[]) => number[]): void {
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue
    const before = [image[i * 3], image[i * 3 + 1], image[i * 3 + 2]]
    const after = paint(i, before).map(clampByte)
    // The mask is exact only if every masked pixel changes: push a channel that did not move.
    if (after.every((v, c) => v === before[c])) after[0] = before[0] > 127 ? before[0] - 40 : before[0] + 40
    image[i * 3] = after[0]
    image[i * 3 + 1] = after[1]
    image[i * 3 + 2] = after[2]
  }
}

const MIN_DEFECT_PIXELS = 12

/**
 * A scratch: a slightly curved groove 2-3 px wide (at 128 px) across the metal, darker with a bright
 * rim on one side. Returns its mask (0/255); `part.image` is changed exactly there.
 */
export function drawScratch(rng: Random, part: Part): Uint8Array {
  const { size } = part
  const scale = size / 128
  for (let attempt = 0; ; attempt++) {
    const mask = new Uint8Array(size * size)
    const a = surfacePoint(rng, part)
    const angle = rng.uniform(0, 2 * Math.PI)
    const length = rng.uniform(0.28, 0.5) * size
    const b = { x: a.x + length * Math.cos(angle), y: a.y + length * Math.sin(angle) }
    const bend = rng.uniform(-0.15, 0.15) * length
    const ctrl = { x: (a.x + b.x) / 2 - bend * Math.sin(angle), y: (a.y + b.y) / 2 + bend * Math.cos(angle) }
    const half = (rng.next() < 0.5 ? 1 : 1.5) * scale
    const steps = Math.ceil(length * 4)
    for (let s = 0; s <= steps; s++) {
      const t = s / steps
      const px = (1 - t) * (1 - t) * a.x + 2 * (1 - t) * t * ctrl.x + t * t * b.x
      const py = (1 - t) * (1 - t) * a.y + 2 * (1 - t) * t * ctrl.y + t * t * b.y
      for (let y = Math.floor(py - half - 1); y <= Math.ceil(py + half + 1); y++) {
        for (let x = Math.floor(px - half - 1); x <= Math.ceil(px + half + 1); x++) {
          if (x < 0 || y < 0 || x >= size || y >= size) continue
          const i = y * size + x
          if (part.surface[i] && Math.hypot(x + 0.5 - px, y + 0.5 - py) <= half) mask[i] = 255
        }
      }
    }
    if (count(mask) >= MIN_DEFECT_PIXELS || attempt >= 20) {
      const depth = rng.uniform(0.45, 0.6)
      applyMask(part.image, mask, (_, rgb) => rgb.map((v) => v * depth + (rng.next() - 0.5) * 8))
      return mask
    }
  }
}

/**
 * A stain: an irregular blob (radius 4-9 px at 128 px, its outline modulated by two harmonics),
 * blended towards a rust or oil colour. Returns its mask (0/255); `part.image` is changed exactly there.
 */
export function drawStain(rng: Random, part: Part): Uint8Array {
  const { size } = part
  const scale = size / 128
  const colours = [
    [128, 74, 38], // rust
    [52, 44, 36], // oil
    [150, 120, 60] // residue
  ]
  for (let attempt = 0; ; attempt++) {
    const mask = new Uint8Array(size * size)
    const c = surfacePoint(rng, part)
    const r0 = rng.uniform(4, 9) * scale
    const h1 = { k: rng.int(2, 5), amp: rng.uniform(0.1, 0.3), phase: rng.uniform(0, 2 * Math.PI) }
    const h2 = { k: rng.int(5, 9), amp: rng.uniform(0.05, 0.12), phase: rng.uniform(0, 2 * Math.PI) }
    const stretch = rng.uniform(0.7, 1.3)
    const extent = Math.ceil(r0 * 1.6 * Math.max(stretch, 1 / stretch)) + 1
    for (let y = Math.floor(c.y - extent); y <= Math.ceil(c.y + extent); y++) {
      for (let x = Math.floor(c.x - extent); x <= Math.ceil(c.x + extent); x++) {
        if (x < 0 || y < 0 || x >= size || y >= size) continue
        const dx = (x + 0.5 - c.x) * stretch
        const dy = (y + 0.5 - c.y) / stretch
        const theta = Math.atan2(dy, dx)
        const radius = r0 * (1 + h1.amp * Math.sin(h1.k * theta + h1.phase) + h2.amp * Math.sin(h2.k * theta + h2.phase))
        const i = y * size + x
        if (part.surface[i] && Math.hypot(dx, dy) <= radius) mask[i] = 255
      }
    }
    if (count(mask) >= MIN_DEFECT_PIXELS || attempt >= 20) {
      const colour = rng.pick(colours)
      const alpha = rng.uniform(0.55, 0.8)
      applyMask(part.image, mask, (_, rgb) => rgb.map((v, ch) => v * (1 - alpha) + colour[ch] * alpha + (rng.next() - 0.5) * 10))
      return mask
    }
  }
}

export function drawDefect(kind: DefectKind, rng: Random, part: Part): Uint8Array {
  return kind === 'scratch' ? drawScratch(rng, part) : drawStain(rng, part)
}

function count(mask: Uint8Array): number {
  let n = 0
  for (const v of mask) if (v) n++
  return n
}

export type TextureKind = 'grain' | 'stripes' | 'checker' | 'spots' | 'marble'
export const TEXTURE_KINDS: readonly TextureKind[] = ['grain', 'stripes', 'checker', 'spots', 'marble']

/**
 * An anomaly-source texture (the role DTD plays in training): RGB [size, size, 3] of one kind,
 * in two random colours.
 */
export function renderTexture(rng: Random, kind: TextureKind, size: number): Uint8Array {
  const c0 = [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]
  const c1 = [rng.int(0, 256), rng.int(0, 256), rng.int(0, 256)]
  const noise = randPerlin2d(size, size, 8, 8, rng)
  const period = rng.uniform(6, 20)
  const angle = rng.uniform(0, Math.PI)
  const spots = Array.from({ length: 24 }, () => ({ x: rng.uniform(0, size), y: rng.uniform(0, size), r: rng.uniform(2, 8) }))
  const out = new Uint8Array(size * size * 3)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x
      const u = x * Math.cos(angle) + y * Math.sin(angle)
      const v = -x * Math.sin(angle) + y * Math.cos(angle)
      let t: number
      switch (kind) {
        case 'grain':
          t = 0.5 + 0.5 * noise[i] + (rng.next() - 0.5) * 0.4
          break
        case 'stripes':
          t = 0.5 + 0.5 * Math.sin((2 * Math.PI * u) / period + 2 * noise[i])
          break
        case 'checker':
          t = (Math.floor(u / period) + Math.floor(v / period)) % 2 === 0 ? 0.15 : 0.85
          break
        case 'spots':
          t = spots.some((s) => Math.hypot(x - s.x, y - s.y) < s.r) ? 1 : 0.1 + 0.1 * noise[i]
          break
        case 'marble':
          t = 0.5 + 0.5 * Math.sin((2 * Math.PI * u) / (period * 3) + 6 * noise[i])
          break
      }
      for (let c = 0; c < 3; c++) out[i * 3 + c] = clampByte(c0[c] * (1 - t) + c1[c] * t)
    }
  }
  return out
}
