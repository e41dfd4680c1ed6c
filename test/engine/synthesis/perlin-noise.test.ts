import { describe, expect, it } from 'vitest'
import { Random } from '../../../src/main/engine/random'
import { fade, perlinMask, randPerlin2d } from '../../../src/main/engine/synthesis/perlin-noise'
import { rotateImage } from '../../../src/main/engine/synthesis/image-ops'

/**
 * The reference rand_perlin_2d_np written out the reference's way (mgrid % 1, gradients
 * repeated d times per cell), for res dividing shape; draws its gradients from the same stream.
 */
function referencePerlin(h: number, w: number, resY: number, resX: number, rng: Random): number[][] {
  const dY = h / resY
  const dX = w / resX
  const grads: [number, number][][] = []
  for (let i = 0; i <= resY; i++) {
    grads.push([])
    for (let j = 0; j <= resX; j++) {
      const a = 2 * Math.PI * rng.next()
      grads[i].push([Math.cos(a), Math.sin(a)])
    }
  }
  const f = (t: number) => 6 * t ** 5 - 15 * t ** 4 + 10 * t ** 3
  const lerp = (x: number, y: number, t: number) => (y - x) * t + x
  const out: number[][] = []
  for (let y = 0; y < h; y++) {
    out.push([])
    for (let x = 0; x < w; x++) {
      const g0 = ((y * resY) / h) % 1
      const g1 = ((x * resX) / w) % 1
      const cy = Math.floor(y / dY)
      const cx = Math.floor(x / dX)
      const dot = (g: [number, number], s0: number, s1: number) => (g0 + s0) * g[0] + (g1 + s1) * g[1]
      const n00 = dot(grads[cy][cx], 0, 0)
      const n10 = dot(grads[cy + 1][cx], -1, 0)
      const n01 = dot(grads[cy][cx + 1], 0, -1)
      const n11 = dot(grads[cy + 1][cx + 1], -1, -1)
      out[y].push(Math.SQRT2 * lerp(lerp(n00, n10, f(g0)), lerp(n01, n11, f(g0)), f(g1)))
    }
  }
  return out
}

describe('randPerlin2d', () => {
  it('uses the quintic fade', () => {
    expect(fade(0)).toBe(0)
    expect(fade(1)).toBe(1)
    expect(fade(0.5)).toBeCloseTo(0.5, 12)
    expect(fade(0.25)).toBeCloseTo(0.25 ** 3 * (6 * 0.0625 - 15 * 0.25 + 10), 12)
  })

  it('matches the reference formulation', () => {
    for (const [h, w, ry, rx] of [
      [16, 32, 4, 8],
      [32, 32, 1, 32],
      [24, 8, 2, 1]
    ]) {
      const ours = randPerlin2d(h, w, ry, rx, new Random(11))
      const ref = referencePerlin(h, w, ry, rx, new Random(11))
      let maxDiff = 0
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) maxDiff = Math.max(maxDiff, Math.abs(ours[y * w + x] - ref[y][x]))
      expect(maxDiff).toBeLessThan(1e-6)
    }
  })

  it('is zero on lattice points and stays within [-1, 1]', () => {
    const h = 64
    const w = 64
    const noise = randPerlin2d(h, w, 4, 8, new Random(2))
    for (let y = 0; y < h; y += 16) for (let x = 0; x < w; x += 8) expect(noise[y * w + x]).toBeCloseTo(0, 6)
    for (const v of noise) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6)
    expect(Math.max(...noise)).toBeGreaterThan(0.3)
  })
})

describe('perlinMask', () => {
  it('is binary and deterministic per seed', () => {
    const a = perlinMask(new Random(4), 64, 64)
    const b = perlinMask(new Random(4), 64, 64)
    const c = perlinMask(new Random(5), 64, 64)
    expect(a.mask.every((v) => v === 0 || v === 1)).toBe(true)
    expect(Array.from(a.mask)).toEqual(Array.from(b.mask))
    expect([a.scaleY, a.scaleX, a.angle]).toEqual([b.scaleY, b.scaleX, b.angle])
    expect(Array.from(a.mask)).not.toEqual(Array.from(c.mask))
  })

  it('draws scales 2^{0..5} per axis uniformly and angles in [-90, 90]', () => {
    const rng = new Random(8)
    const n = 600
    const counts = { y: new Array(6).fill(0), x: new Array(6).fill(0) }
    const angles: number[] = []
    let empty = 0
    for (let i = 0; i < n; i++) {
      const m = perlinMask(rng, 32, 32)
      counts.y[Math.log2(m.scaleY)]++
      counts.x[Math.log2(m.scaleX)]++
      angles.push(m.angle)
      if (m.mask.every((v) => v === 0)) empty++
    }
    for (const c of [...counts.y, ...counts.x]) expect(Math.abs(c - n / 6)).toBeLessThan(45) // ~4.9 sigma
    expect(Math.min(...angles)).toBeGreaterThanOrEqual(-90)
    expect(Math.max(...angles)).toBeLessThanOrEqual(90)
    expect(Math.min(...angles)).toBeLessThan(-80)
    expect(Math.max(...angles)).toBeGreaterThan(80)
    expect(Math.abs(angles.reduce((a, b) => a + b, 0) / n)).toBeLessThan(8)
    expect(empty).toBeLessThan(n) // empty masks happen, but not always
  })

  it('is the thresholded rotated noise: > 0.5, zero where the rotation leaves the field', () => {
    const h = 48
    const w = 48
    const m = perlinMask(new Random(21), h, w)
    const rng = new Random(21)
    rng.int(0, 6)
    rng.int(0, 6)
    const noise = randPerlin2d(h, w, m.scaleY, m.scaleX, rng)
    const rotated = rotateImage(noise, h, w, 1, rng.uniform(-90, 90), 0, 'constant')
    expect(Array.from(m.mask)).toEqual(Array.from(rotated, (v) => (v > 0.5 ? 1 : 0)))
    // a field of ones rotated by 45 degrees: the corners come from outside and are 0
    const ones = rotateImage(new Float32Array(h * w).fill(1), h, w, 1, 45, 0, 'constant')
    expect(ones[0]).toBe(0)
    expect(ones[h * w - 1]).toBe(0)
    expect(ones[(h / 2) * w + w / 2]).toBeCloseTo(1, 6)
  })
})
