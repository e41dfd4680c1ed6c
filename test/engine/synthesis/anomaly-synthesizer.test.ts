import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, describe, expect, it } from 'vitest'
import { Random } from '../../../src/main/engine/random'
import {
  AnomalySynthesizer,
  augmentNormal,
  blendAnomaly,
  BETA_MAX,
  downsampleMask,
  FILL_VALUE,
  greyTexture,
  isGreyImage,
  sampleBeta,
  type TextureLoader
} from '../../../src/main/engine/synthesis/anomaly-synthesizer'
import { loadRgb8, resizeBilinear, rotateImage, type FloatImage } from '../../../src/main/engine/synthesis/image-ops'

const S = 32

/** A deterministic RGB float image [h, w, 3]. */
function image(h: number, w: number, seed = 0): FloatImage {
  const data = new Float32Array(h * w * 3)
  for (let i = 0; i < data.length; i++) data[i] = ((i * 37 + seed * 101) % 251) / 255
  return { data, height: h, width: w, channels: 3 }
}

/** A loader that makes textures from the path's length, counting calls. */
function fakeLoader(calls: string[] = [], delay = () => 0): TextureLoader {
  return async (path, h, w) => {
    calls.push(path)
    await new Promise((r) => setTimeout(r, delay()))
    const data = new Uint8Array(h * w * 3)
    for (let i = 0; i < data.length; i++) data[i] = (i * 13 + path.length * 29) % 256
    return { data, height: h, width: w }
  }
}

const TEXTURES = ['a', 'bb', 'ccc', 'dddd']

describe('blendAnomaly (Eq. 1)', () => {
  it('computes I_n (1 - M) + (1 - beta) A M + beta I_n M exactly', () => {
    const normal = Float32Array.from([0.2, 0.4, 0.6, 0.1, 0.3, 0.5])
    const texture = Uint8Array.from([255, 0, 51, 10, 20, 30])
    const mask = Float32Array.from([1, 0])
    const beta = 0.25
    const out = blendAnomaly(normal, texture, mask, beta)
    // masked pixel: 0.25 I_n + 0.75 A; unmasked: I_n
    const expected = [0.25 * 0.2 + 0.75 * 1, 0.25 * 0.4 + 0, 0.25 * 0.6 + 0.75 * 0.2]
    for (let c = 0; c < 3; c++) expect(out[c]).toBeCloseTo(expected[c], 6)
    expect(Array.from(out.slice(3))).toEqual(Array.from(normal.slice(3)))
    // the formula term by term in float32
    for (let i = 0; i < 3; i++) {
      const n = normal[i]
      const a = texture[i] * (1 / 255)
      expect(out[i]).toBe(Math.fround(n * (1 - 1) + (1 - beta) * a * 1 + beta * n * 1))
    }
    // float textures are used as they are
    const f = blendAnomaly(normal, Float32Array.from(texture, (v) => v / 255), mask, 0)
    expect(f[0]).toBeCloseTo(1, 6)
  })
})

describe('sampleBeta', () => {
  it('keeps the texture opacity in (0.2, 1] (reference) or (0.15, 1] (paper)', () => {
    for (const [mode, lowest] of [
      ['reference', 0.2],
      ['paper', 0.15]
    ] as const) {
      const rng = new Random(3)
      const opacities = Array.from({ length: 4000 }, () => 1 - sampleBeta(rng, mode))
      expect(Math.min(...opacities)).toBeGreaterThan(lowest)
      expect(Math.min(...opacities)).toBeLessThan(lowest + 0.01)
      expect(Math.max(...opacities)).toBeLessThanOrEqual(1)
      expect(Math.max(...opacities)).toBeGreaterThan(0.99)
      const mean = opacities.reduce((a, b) => a + b, 0) / opacities.length
      expect(mean).toBeCloseTo(1 - BETA_MAX[mode] / 2, 1)
    }
  })
})

describe('augmentNormal', () => {
  const flat = (h: number, w: number, v: number) => new Float32Array(h * w * 3).fill(v)

  it("'none' leaves the image as it is and draws nothing", () => {
    const img = image(8, 8).data
    const rng = new Random(1)
    const out = augmentNormal(img, 8, 8, 'none', rng)
    expect(out.image).toBe(img)
    expect(rng.getState()).toEqual(new Random(1).getState())
  })

  it("'rotate' keeps the size, rotates within 5 degrees and fills corners with 114/255", () => {
    const rng = new Random(2)
    for (let k = 0; k < 20; k++) {
      const out = augmentNormal(flat(40, 40, 0.3), 40, 40, 'rotate', rng)
      expect(out.image.length).toBe(40 * 40 * 3)
      expect(Math.abs(out.rotation)).toBeLessThanOrEqual(5)
      expect(out.quarterTurn).toBe(0)
      const centre = (20 * 40 + 20) * 3
      expect(out.image[centre]).toBeCloseTo(0.3, 6)
      if (Math.abs(out.rotation) > 2) expect(out.image[0]).toBeCloseTo(FILL_VALUE, 6) // top-left corner
    }
  })

  it("'rotate90' draws all quarter turns; a quarter turn of a square image is exact", () => {
    const rng = new Random(3)
    const turns = new Set<number>()
    for (let k = 0; k < 40; k++) turns.add(augmentNormal(flat(8, 8, 0.5), 8, 8, 'rotate90', rng).quarterTurn)
    expect([...turns].sort((a, b) => a - b)).toEqual([0, 90, 180, 270])
    // 90 degrees counter-clockwise (PIL): out[y][x] = in[x][W-1-y]
    const src = image(6, 6).data
    const out = rotateImage(src, 6, 6, 3, 90, FILL_VALUE, 'pil')
    for (let y = 0; y < 6; y++)
      for (let x = 0; x < 6; x++)
        for (let c = 0; c < 3; c++) expect(out[(y * 6 + x) * 3 + c]).toBe(src[(x * 6 + (5 - y)) * 3 + c])
    // on a non-square image the turned content leaves fill bands: 4 x 8 (H x W), 90 degrees about
    // (3.5, 1.5): out[y][x] = in[x - 2][5 - y] where that exists
    const w8 = image(4, 8).data
    for (const border of ['pil', 'constant'] as const) {
      const wide = rotateImage(w8, 4, 8, 3, 90, FILL_VALUE, border)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 8; x++) {
          const inside = x - 2 >= 0 && x - 2 < 4
          const want = inside ? w8[((x - 2) * 8 + 5 - y) * 3] : FILL_VALUE
          expect(wide[(y * 8 + x) * 3]).toBeCloseTo(want, 6)
        }
    }
    // and bilinear sampling agrees with the quarter-turn shortcut just off 90 degrees
    const near = rotateImage(src, 6, 6, 3, 90 + 1e-9, FILL_VALUE, 'pil')
    for (let i = 0; i < near.length; i++) expect(near[i]).toBeCloseTo(out[i], 5)
  })
})

describe('resizeBilinear / downsampleMask', () => {
  it('samples at half-pixel centres like F.interpolate(align_corners=False)', () => {
    // 2x2 -> 4x4: source positions 0 (clamped from -0.25), 0.25, 0.75, 1 (upper neighbour clamped)
    const up = resizeBilinear(Float32Array.from([0, 1, 2, 3]), 2, 2, 4, 4)
    expect(Array.from(up.slice(0, 4))).toEqual([0, 0.25, 0.75, 1])
    expect(up[5]).toBeCloseTo(0.25 * 2 + 0.25, 6) // (y 0.25, x 0.25)
    expect(Array.from(up.slice(12, 16))).toEqual([2, 2.25, 2.75, 3])
  })

  it('binarises the 64x64 target at >= 0.5', () => {
    // 8 -> 2: each output averages the inner 2x2 of its 4x4 block (rows/cols 1-2 and 5-6)
    const m = new Float32Array(64)
    m[1 * 8 + 1] = 1 // block (0, 0): 1 of 4 inner pixels -> 0.25 -> 0
    m[1 * 8 + 5] = m[2 * 8 + 5] = 1 // block (0, 1): 2 of 4 -> 0.5 -> 1
    m[5 * 8 + 0] = m[6 * 8 + 3] = m[4 * 8 + 1] = 1 // block (1, 0): outside the inner 2x2 -> 0
    m[5 * 8 + 5] = m[5 * 8 + 6] = m[6 * 8 + 5] = 1 // block (1, 1): 3 of 4 -> 1
    expect(Array.from(downsampleMask(m, 8, 8, 2, 2))).toEqual([0, 1, 0, 1])
    // 256 -> 64 default
    const big = new Float32Array(256 * 256)
    for (let y = 0; y < 128; y++) for (let x = 0; x < 256; x++) big[y * 256 + x] = 1
    const small = downsampleMask(big, 256, 256)
    expect(small.length).toBe(64 * 64)
    expect(small.reduce((a, b) => a + b, 0)).toBe(32 * 64)
  })
})

describe('AnomalySynthesizer', () => {
  const make = (seed: number, extra: Partial<ConstructorParameters<typeof AnomalySynthesizer>[0]> = {}) =>
    new AnomalySynthesizer({ size: S, textures: TEXTURES, seed, loadTexture: fakeLoader(), augmentation: 'rotate90', ...extra })

  it('is deterministic per seed, also with concurrent calls and uneven texture loads', async () => {
    const normals = [0, 1, 2, 3, 4, 5].map((k) => image(S, S, k))
    const sequential = make(9)
    const a = []
    for (const n of normals) a.push(await sequential.synthesize(n))
    const jitter = new Random(0)
    const concurrent = make(9, { loadTexture: fakeLoader([], () => jitter.int(0, 5)) })
    const b = await Promise.all(normals.map((n) => concurrent.synthesize(n)))
    for (let i = 0; i < normals.length; i++) {
      expect(b[i].draw).toEqual(a[i].draw)
      expect(Array.from(b[i].anomalous)).toEqual(Array.from(a[i].anomalous))
      expect(Array.from(b[i].mask)).toEqual(Array.from(a[i].mask))
    }
    const other = await make(10).synthesize(normals[0])
    expect(Array.from(other.anomalous)).not.toEqual(Array.from(a[0].anomalous))
  })

  it('gives (I_n, I_a, M) at the input size: binary M, I_a = I_n outside M, Eq. 1 inside', async () => {
    const synth = make(4, { augmentation: 'none' })
    let masked = 0
    for (let k = 0; k < 8; k++) {
      const normal = image(S, S, k)
      const s = await synth.synthesize(normal)
      expect(s.normal.length).toBe(S * S * 3)
      expect(s.anomalous.length).toBe(S * S * 3)
      expect(s.mask.length).toBe(S * S)
      expect(s.mask.every((v) => v === 0 || v === 1)).toBe(true)
      expect(Array.from(s.normal)).toEqual(Array.from(normal.data)) // 'none': the input
      expect(s.normal).not.toBe(normal.data)
      const texture = (await fakeLoader()(s.texture, S, S)).data
      expect(Array.from(s.anomalous)).toEqual(Array.from(blendAnomaly(s.normal, texture, s.mask, s.draw.beta)))
      let changedOutside = 0
      for (let p = 0; p < S * S; p++) {
        if (s.mask[p] === 1) masked++
        else for (let c = 0; c < 3; c++) if (s.anomalous[p * 3 + c] !== s.normal[p * 3 + c]) changedOutside++
      }
      expect(changedOutside).toBe(0)
      expect(s.draw.beta).toBeGreaterThanOrEqual(0)
      expect(s.draw.beta).toBeLessThan(0.8)
    }
    expect(masked).toBeGreaterThan(0)
  })

  it('expands grey images to RGB and checks the size', async () => {
    const synth = make(1, { augmentation: 'none' })
    const grey: FloatImage = { data: new Float32Array(S * S).fill(0.4), height: S, width: S, channels: 1 }
    const s = await synth.synthesize(grey)
    expect(s.normal.length).toBe(S * S * 3)
    expect(s.normal.every((v) => Math.abs(v - 0.4) < 1e-7)).toBe(true)
    await expect(synth.synthesize(image(S, S + 1))).rejects.toThrow(/works at 32x32/)
  })

  it("'match' turns the texture grey (ITU-R 601 luma) on grey images only, with the same draws", async () => {
    const grey: FloatImage = { data: new Float32Array(S * S).map((_, i) => (i % 17) / 16), height: S, width: S, channels: 1 }
    const asIs = await make(6, { augmentation: 'none' }).synthesize(grey)
    const match = await make(6, { augmentation: 'none', textureColour: 'match' }).synthesize(grey)
    expect(match.draw).toEqual(asIs.draw)
    expect(isGreyImage(asIs.anomalous)).toBe(false)
    expect(isGreyImage(match.anomalous)).toBe(true)
    const texture = (await fakeLoader()(match.texture, S, S)).data
    expect(Array.from(match.anomalous)).toEqual(Array.from(blendAnomaly(match.normal, greyTexture(texture), match.mask, match.draw.beta)))
    expect(Array.from(greyTexture(new Uint8Array([255, 0, 0, 0, 255, 0])))).toEqual([0.299, 0.299, 0.299, 0.587, 0.587, 0.587].map(Math.fround))

    // a colour image keeps the texture's colours
    const colour = image(S, S, 3)
    const a = await make(7, { augmentation: 'none' }).synthesize(colour)
    const b = await make(7, { augmentation: 'none', textureColour: 'match' }).synthesize(colour)
    expect(Array.from(b.anomalous)).toEqual(Array.from(a.anomalous))
  })

  it("draws beta per opacity mode ('paper' up to 0.85)", async () => {
    const synth = make(2, { opacity: 'paper', augmentation: 'none' })
    const betas = []
    for (let k = 0; k < 60; k++) betas.push(synth.synthesizeWithTexture(image(S, S), new Uint8Array(S * S * 3)).draw.beta)
    expect(Math.max(...betas)).toBeLessThan(0.85)
    expect(Math.max(...betas)).toBeGreaterThan(0.7)
  })

  it('caches decoded textures within a byte bound', async () => {
    const calls: string[] = []
    const bytes = S * S * 3
    const synth = make(5, { loadTexture: fakeLoader(calls), textureCacheBytes: 2 * bytes })
    for (let k = 0; k < 30; k++) await synth.synthesize(image(S, S))
    expect(synth.cacheSize).toBeLessThanOrEqual(2 * bytes)
    expect(calls.length).toBeGreaterThan(4) // evictions forced reloads
    const roomy = make(5, { loadTexture: fakeLoader((calls.length = 0, calls)) })
    for (let k = 0; k < 30; k++) await roomy.synthesize(image(S, S))
    expect(new Set(calls).size).toBe(calls.length) // each texture loaded once
    expect(roomy.cacheSize).toBe(calls.length * bytes)
  })

  describe('with texture files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'destseg-synth-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('decodes, expands grey to RGB and resizes to the input size', async () => {
      const path = join(dir, 'grey.png')
      await sharp(Buffer.alloc(20 * 10, 200), { raw: { width: 20, height: 10, channels: 1 } }).png().toFile(path)
      const texture = await loadRgb8(path, S, S)
      expect(texture.data.length).toBe(S * S * 3)
      expect(texture.data.every((v) => v === 200)).toBe(true)
      const synth = new AnomalySynthesizer({ size: S, textures: [path], seed: 0 })
      const s = await synth.synthesize(image(S, S))
      expect(s.texture).toBe(path)
      const bad = new AnomalySynthesizer({ size: S, textures: [join(dir, 'missing.png')], seed: 0 })
      await expect(bad.synthesize(image(S, S))).rejects.toThrow(/cannot load texture .*missing\.png/)
    })
  })
})
