/**
 * Winograd convolution F(m x m, 3x3) for stride-1 3x3 convolutions on wasm (any dilation and
 * padding): the forward pass, and the filter gradient. (The input gradient of a stride-1 conv is a
 * stride-1 conv with the flipped filter, so it comes here through Conv2D.) A 3x3 conv costs 9
 * multiply-adds per output pixel and channel pair; Winograd computes an m x m output tile from an
 * a x a input tile (a = m + 2) with a*a elementwise products in a transformed space, i.e. a*a/m^2
 * instead of 9: F(2x2, 3x3) 4 (2.25x fewer), F(4x4, 3x3) 2.25 (4x fewer). The products become a*a
 * independent matMuls over the channels (wasm's XNNPACK GEMM path); the transforms are small fixed
 * linear maps, run as JS loops over the wasm heap in float64, generated and unrolled from the
 * matrices below (new Function), because loops over coefficient arrays run about 3x slower in V8.
 *
 * 1-D, Toom-Cook points {0, 1, -1, inf} (m = 2) and {0, 1, -1, 2, -2, inf} (m = 4):
 * forward          Y  = A^T [ (G g G^T) . (B^T d B) ] A
 * filter gradient  dW = G^T [ (A z A^T) . (B^T d B) ] G, summed over tiles (z: the m x m tile of dy):
 *                  the transpose of the forward identity, sharing its input transform.
 * Dilation d: output pixels a + d*k (a = 0..d-1) form d*d independent sub-grids, each an ordinary
 * 3x3 conv of the input pixels at the same spacing (the space-to-batch identity), so a tile is m
 * outputs d apart on one sub-grid and reads input pixels d apart. Tiles are processed in groups
 * that keep the a*a transformed blocks under the chunk size (memory, and matMul efficiency).
 */
import * as tf from '@tensorflow/tfjs'
import type { WasmOps } from './wasm-ops'

type Info = tf.TensorInfo
type F32s = Float32Array[]

/** A Winograd scheme F(m x m, 3 x 3). */
interface Scheme {
  m: number
  /** Input tile size m + 2. */
  a: number
  /** a x a */
  BT: number[][]
  /** a x 3 */
  G: number[][]
  /** m x a */
  AT: number[][]
}

const SCHEMES: Record<2 | 4, Scheme> = {
  2: {
    m: 2,
    a: 4,
    BT: [
      [1, 0, -1, 0],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, 1, 0, -1]
    ],
    G: [
      [1, 0, 0],
      [1 / 2, 1 / 2, 1 / 2],
      [1 / 2, -1 / 2, 1 / 2],
      [0, 0, 1]
    ],
    AT: [
      [1, 1, 1, 0],
      [0, 1, -1, -1]
    ]
  },
  4: {
    m: 4,
    a: 6,
    BT: [
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1]
    ],
    G: [
      [1 / 4, 0, 0],
      [-1 / 6, -1 / 6, -1 / 6],
      [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6],
      [1 / 24, -1 / 12, 1 / 6],
      [0, 0, 1]
    ],
    AT: [
      [1, 1, 1, 1, 1, 0],
      [0, 1, -1, 2, -2, 0],
      [0, 1, 1, 4, 4, 0],
      [0, 1, -1, 8, -8, 1]
    ]
  }
}

/**
 * When convolutions take the Winograd path, and which tile ('auto': see {@link winogradPlan}).
 * Measured on this project's shapes (wasm, one core): F(4x4) runs the segmentation net's 3x3 convs
 * 2.4-3.2x faster than XNNPACK's direct conv, F(2x2) 1.6-2x; with 64 channels or fewer, or maps of
 * 8x8 and below, the transforms and small GEMMs cost more than they save.
 */
export const winogradOptions: {
  enabled: boolean
  tile: 'auto' | 2 | 4
  /** Apply the cost model of winogradPlan (tests turn it off to force small shapes through). */
  costModel: boolean
  minTiles: number
  minChannels: number
  minMaxChannels: number
} = {
  enabled: true,
  tile: 'auto',
  costModel: true,
  minTiles: 32,
  /** Both channel counts at least this... */
  minChannels: 64,
  /** ...and the larger one at least this. */
  minMaxChannels: 128
}

/** Default for the largest group of transformed tiles (a*a blocks together) built at once. */
export const WINOGRAD_CHUNK_BYTES = 32 * 1024 * 1024
let chunkBytes = WINOGRAD_CHUNK_BYTES

/** Changes that size (tests use a small one to exercise several groups); returns the old one. */
export function setWinogradChunkBytes(bytes: number): number {
  const old = chunkBytes
  chunkBytes = bytes
  return old
}

// ---------------------------------------------------------------------------------------------
// Code generation of the unrolled transforms.

function term(c: number, name: string): string {
  if (c === 1) return `+ ${name}`
  if (c === -1) return `- ${name}`
  return c < 0 ? `- ${-c} * ${name}` : `+ ${c} * ${name}`
}

/** sum_k coeffs[k] * names[k] as JS source, zero terms dropped. */
function lin(coeffs: number[], names: string[]): string {
  const parts = coeffs.map((c, k) => (c === 0 ? '' : term(c, names[k]))).filter((p) => p !== '')
  if (parts.length === 0) return '0'
  const s = parts.join(' ')
  return s.startsWith('+ ') ? s.slice(2) : `-${s.slice(2)}`
}

/**
 * Source computing out = L D R^T for a matrix D of names (L: p x q, D: q x r, R: s x r): declares
 * the intermediate rows as consts named `${tag}_i_j` and returns the p x s output expressions.
 */
function sandwich(L: number[][], D: string[][], R: number[][], tag: string): { code: string; out: string[][] } {
  const lines: string[] = []
  const mid = L.map((row, i) =>
    D[0].map((_, j) => {
      const name = `${tag}_${i}_${j}`
      lines.push(`const ${name} = ${lin(row, D.map((r) => r[j]))};`)
      return name
    })
  )
  const out = mid.map((mrow) => R.map((rrow) => lin(rrow, mrow)))
  return { code: lines.join('\n'), out }
}

const transpose = (m: number[][]): number[][] => m[0].map((_, j) => m.map((r) => r[j]))
const names = (p: string, rows: number, cols: number): string[][] =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => `${p}${i * cols + j}`))
const locals = (p: string, arr: string, n: number): string => Array.from({ length: n }, (_, i) => `const ${p}${i} = ${arr}[${i}];`).join('\n')

/** The generated transforms of one scheme. */
interface Transforms {
  /** u_xi[o + k] = (B^T d B)_xi, d[q] = src[off[q] + k], k < c. */
  inputTile: (src: Float32Array, off: Int32Array, c: number, u: F32s, o: number) => void
  /** v_xi[i] = (G g G^T)_xi with g[uv] = w[uv * n + i], i < n. */
  filter: (w: Float32Array, n: number, v: F32s) => void
  /** y[p[q] + k] = (A^T M A)_q, M_xi = mv_xi[base + k], k < co; only q = (i, j) with i < nr, j < nc. */
  outputTile: (mv: F32s, y: Float32Array, base: number, p: Int32Array, co: number, nr: number, nc: number) => void
  /** vt_xi[k * count + t] = (A z A^T)_xi, z[q] = dyT[k * plane + offs[t * m*m + q]] (0 where offs < 0). */
  gradTiles: (dyT: Float32Array, plane: number, co: number, offs: Int32Array, count: number, vt: F32s) => void
  /** dW = G^T M G, M_xi = mt_xi[k * ci + c] -> out[uv * ci*co + c * co + k]. */
  filterGradOut: (mt: F32s, out: Float32Array, ci: number, co: number) => void
}

const transforms = new Map<number, Transforms>()

function generate(s: Scheme): Transforms {
  const { m, a, BT, G, AT } = s
  const aa = a * a
  const A = transpose(AT) // a x m
  const GT = transpose(G) // 3 x a

  const inp = sandwich(BT, names('d', a, a), BT, 's')
  const inputTile = new Function(
    'src',
    'off',
    'c',
    'u',
    'o',
    `${locals('o', 'off', aa)}\n${locals('u', 'u', aa)}
for (let k = 0; k < c; k++) {
${Array.from({ length: aa }, (_, q) => `const d${q} = src[o${q} + k];`).join('\n')}
${inp.code}
const i = o + k;
${inp.out.flatMap((row, i) => row.map((e, j) => `u${i * a + j}[i] = ${e};`)).join('\n')}
}`
  )

  const fil = sandwich(G, names('g', 3, 3), G, 't')
  const filter = new Function(
    'w',
    'n',
    'v',
    `${locals('v', 'v', aa)}
for (let i = 0; i < n; i++) {
${Array.from({ length: 9 }, (_, q) => `const g${q} = w[${q} * n + i];`).join('\n')}
${fil.code}
${fil.out.flatMap((row, i) => row.map((e, j) => `v${i * a + j}[i] = ${e};`)).join('\n')}
}`
  )

  const out = sandwich(AT, names('m', a, a), AT, 'r')
  const loads = Array.from({ length: aa }, (_, q) => `const m${q} = mv${q}[b + k];`).join('\n')
  const stores = (guarded: boolean): string =>
    out.out.flatMap((row, i) => row.map((e, j) => (guarded ? `if (${i} < nr && ${j} < nc) ` : '') + `y[p${i * m + j} + k] = ${e};`)).join('\n')
  const outputTile = new Function(
    'mv',
    'y',
    'b',
    'p',
    'co',
    'nr',
    'nc',
    `${locals('mv', 'mv', aa)}\n${locals('p', 'p', m * m)}
if (nr === ${m} && nc === ${m}) {
for (let k = 0; k < co; k++) {
${loads}
${out.code}
${stores(false)}
}
} else {
for (let k = 0; k < co; k++) {
${loads}
${out.code}
${stores(true)}
}
}`
  )

  const gr = sandwich(A, names('z', m, m), A, 'h')
  const gradTiles = new Function(
    'dyT',
    'plane',
    'co',
    'offs',
    'count',
    'vt',
    `${locals('v', 'vt', aa)}
for (let k = 0; k < co; k++) {
const base = k * plane;
const row = k * count;
for (let t = 0; t < count; t++) {
const q = t * ${m * m};
${Array.from({ length: m * m }, (_, q) => `const f${q} = offs[q + ${q}]; const z${q} = f${q} < 0 ? 0 : dyT[base + f${q}];`).join('\n')}
${gr.code}
const i = row + t;
${gr.out.flatMap((r, i) => r.map((e, j) => `v${i * a + j}[i] = ${e};`)).join('\n')}
}
}`
  )

  const dw = sandwich(GT, names('m', a, a), GT, 'e')
  const filterGradOut = new Function(
    'mt',
    'out',
    'ci',
    'co',
    `${locals('mt', 'mt', aa)}
const n = ci * co;
for (let k = 0; k < co; k++) {
for (let c = 0; c < ci; c++) {
const i = k * ci + c;
${Array.from({ length: aa }, (_, q) => `const m${q} = mt${q}[i];`).join('\n')}
${dw.code}
const o = c * co + k;
${dw.out.flatMap((row, i) => row.map((e, j) => `out[${i * 3 + j} * n + o] = ${e};`)).join('\n')}
}
}`
  )
  return { inputTile, filter, outputTile, gradTiles, filterGradOut } as unknown as Transforms
}

function transformsOf(s: Scheme): Transforms {
  let t = transforms.get(s.m)
  if (!t) {
    t = generate(s)
    transforms.set(s.m, t)
  }
  return t
}

// ---------------------------------------------------------------------------------------------
// Tiles.

/** Output coordinates 0..size-1 grouped into runs of up to m outputs d apart, per sub-grid. */
function axisTiles(size: number, d: number, m: number): { start: Int32Array; count: Uint8Array } {
  const start: number[] = []
  const count: number[] = []
  for (let a = 0; a < Math.min(d, size); a++) {
    const sub = Math.ceil((size - a) / d)
    for (let k = 0; k < sub; k += m) {
      start.push(a + d * k)
      count.push(Math.min(m, sub - k))
    }
  }
  return { start: Int32Array.from(start), count: Uint8Array.from(count) }
}

export interface WinogradGeometry {
  /** Output tile size (F(2x2) or F(4x4)). */
  tile: 2 | 4
  /** Output height and width. */
  ho: number
  wo: number
  dilation: number
  padTop: number
  padLeft: number
}

interface Tiles {
  n: number
  b: Int32Array
  /** First output row / column. */
  or: Int32Array
  oc: Int32Array
  /** Outputs the tile has along rows / columns (1..m). */
  nr: Uint8Array
  nc: Uint8Array
}

function enumerateTiles(batch: number, g: WinogradGeometry, m: number): Tiles {
  const rows = axisTiles(g.ho, g.dilation, m)
  const cols = axisTiles(g.wo, g.dilation, m)
  const n = batch * rows.start.length * cols.start.length
  const t: Tiles = { n, b: new Int32Array(n), or: new Int32Array(n), oc: new Int32Array(n), nr: new Uint8Array(n), nc: new Uint8Array(n) }
  let k = 0
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows.start.length; i++) {
      for (let j = 0; j < cols.start.length; j++) {
        t.b[k] = b
        t.or[k] = rows.start[i]
        t.oc[k] = cols.start[j]
        t.nr[k] = rows.count[i]
        t.nc[k] = cols.count[j]
        k++
      }
    }
  }
  return t
}

function tileCount(batch: number, outH: number, outW: number, d: number, m: number): number {
  return batch * axisTiles(outH, d, m).start.length * axisTiles(outW, d, m).start.length
}

/**
 * The Winograd tile (2 or 4) for a conv, or 0 for XNNPACK's direct conv. A cost model in units of
 * one multiply-add per channel pair: direct 9 per output pixel; Winograd a*a per tile, plus about 40
 * tiles' worth for the filter transform, times 1.5 for transforms and smaller GEMMs. Between the two
 * tiles the one with fewer products wins, F(4x4) only by a 15% margin (its transforms cost more);
 * dilated convs leave partial tiles on each sub-grid, which this counts.
 */
export function winogradPlan(
  kh: number,
  kw: number,
  strideH: number,
  strideW: number,
  dilationH: number,
  dilationW: number,
  ci: number,
  co: number,
  batch: number,
  outH: number,
  outW: number
): 0 | 2 | 4 {
  const o = winogradOptions
  if (!o.enabled || kh !== 3 || kw !== 3 || strideH !== 1 || strideW !== 1 || dilationH !== dilationW) return 0
  if (Math.min(ci, co) < o.minChannels || Math.max(ci, co) < o.minMaxChannels) return 0
  const cost = (m: 2 | 4): { m: 2 | 4; tiles: number; cost: number } => {
    const tiles = tileCount(batch, outH, outW, dilationH, m)
    return { m, tiles, cost: (m + 2) ** 2 * (tiles + 40) * 1.5 }
  }
  const options = o.tile === 'auto' ? [cost(4), cost(2)] : [cost(o.tile)]
  const best = options.length === 2 && options[0].cost * 1.15 >= options[1].cost ? options[1] : options[0]
  if (best.tiles < o.minTiles || (o.costModel && best.cost >= 9 * batch * outH * outW)) return 0
  return best.m
}

/** Whether {@link winogradPlan} picks Winograd for a conv. */
export function winogradApplies(...args: Parameters<typeof winogradPlan>): boolean {
  return winogradPlan(...args) !== 0
}

/**
 * Input transform of tiles first..first+count-1 from NHWC x into u (a*a blocks [count, c]).
 * Output o reads input o - pad + d*j (j = 0..2), so a tile's a input rows are or - pad + d*i.
 * Pixels outside x read as zero: such tiles are first copied into a zero-padded scratch.
 */
function transformInput(
  tr: Transforms,
  s: Scheme,
  x: Float32Array,
  shape: readonly number[],
  g: WinogradGeometry,
  tiles: Tiles,
  first: number,
  count: number,
  u: F32s
): void {
  const [, h, w, c] = shape
  const a = s.a
  const d = g.dilation
  const off = new Int32Array(a * a)
  const scratch = new Float32Array(a * a * c)
  const scratchOff = Int32Array.from({ length: a * a }, (_, q) => q * c)
  for (let t = 0; t < count; t++) {
    const ti = first + t
    const b = tiles.b[ti]
    const r0 = tiles.or[ti] - g.padTop
    const c0 = tiles.oc[ti] - g.padLeft
    let interior = true
    for (let i = 0; i < a; i++) {
      const r = r0 + d * i
      for (let j = 0; j < a; j++) {
        const cc = c0 + d * j
        if (r < 0 || r >= h || cc < 0 || cc >= w) {
          off[a * i + j] = -1
          interior = false
        } else off[a * i + j] = ((b * h + r) * w + cc) * c
      }
    }
    if (interior) {
      tr.inputTile(x, off, c, u, t * c)
    } else {
      for (let q = 0; q < a * a; q++) {
        if (off[q] < 0) scratch.fill(0, q * c, (q + 1) * c)
        else scratch.set(x.subarray(off[q], off[q] + c), q * c)
      }
      tr.inputTile(scratch, scratchOff, c, u, t * c)
    }
  }
}

/**
 * y = conv(x, w), stride 1, dilation g.dilation, explicit padding: x [B, H, W, Ci], w [3, 3, Ci, Co]
 * -> [B, Ho, Wo, Co] (tracked by `ops`).
 */
export function winogradConv2d(ops: WasmOps, x: Info, w: Info, g: WinogradGeometry): Info {
  const s = SCHEMES[g.tile]
  const tr = transformsOf(s)
  const { m, a } = s
  const aa = a * a
  const [b, , , ci] = x.shape
  const co = w.shape[3]
  const d = g.dilation
  const tiles = enumerateTiles(b, g, m)

  const vs = Array.from({ length: aa }, () => ops.alloc([1, ci, co]))
  tr.filter(ops.f32(w), ci * co, vs.map((v) => ops.f32(v)))
  const y = ops.alloc([b, g.ho, g.wo, co])
  const chunk = Math.max(1, Math.floor(chunkBytes / (aa * 4 * Math.max(ci, co))))
  const p = new Int32Array(m * m)
  for (let first = 0; first < tiles.n; first += chunk) {
    const count = Math.min(chunk, tiles.n - first)
    const us = Array.from({ length: aa }, () => ops.alloc([1, count, ci]))
    transformInput(tr, s, ops.f32(x), x.shape, g, tiles, first, count, us.map((u) => ops.f32(u)))
    const ms = us.map((u, xi) => {
      const mm = ops.matMul(u, vs[xi]) // [1, count, Co]
      ops.free(u)
      return mm
    })
    const mv = ms.map((mm) => ops.f32(mm))
    const yv = ops.f32(y)
    for (let t = 0; t < count; t++) {
      const ti = first + t
      const p00 = (tiles.b[ti] * g.ho + tiles.or[ti]) * g.wo + tiles.oc[ti]
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) p[i * m + j] = (p00 + d * (i * g.wo + j)) * co
      tr.outputTile(mv, yv, t * co, p, co, tiles.nr[ti], tiles.nc[ti])
    }
    for (const mm of ms) ops.free(mm)
  }
  for (const v of vs) ops.free(v)
  return y
}

/**
 * dL/dw of y = conv(x, w) (3x3, stride 1, dilation g.dilation): x [B, H, W, Ci], dy [B, Ho, Wo, Co]
 * -> [3, 3, Ci, Co] (tracked by `ops`). Per tile group and xi: M^T_xi [Co, Ci] += V^T_xi [Co, T] U_xi [T, Ci]
 * (V^T from dy made channels-first once), then dW = G^T M G.
 */
export function winogradFilterGradient(ops: WasmOps, x: Info, dy: Info, g: WinogradGeometry): Info {
  const s = SCHEMES[g.tile]
  const tr = transformsOf(s)
  const { m, a } = s
  const aa = a * a
  const [b, , , ci] = x.shape
  const co = dy.shape[3]
  const d = g.dilation
  const tiles = enumerateTiles(b, g, m)
  const dyT = ops.transpose(dy, [3, 0, 1, 2]) // [Co, B, Ho, Wo]
  const plane = b * g.ho * g.wo
  const chunk = Math.max(1, Math.floor(chunkBytes / (aa * 4 * (ci + co))))
  let acc: F32s | undefined // a*a x [Co * Ci] when there is more than one group
  let last: Info[] = []
  for (let first = 0; first < tiles.n; first += chunk) {
    const count = Math.min(chunk, tiles.n - first)
    const us = Array.from({ length: aa }, () => ops.alloc([1, count, ci]))
    const vts = Array.from({ length: aa }, () => ops.alloc([1, co, count]))
    transformInput(tr, s, ops.f32(x), x.shape, g, tiles, first, count, us.map((u) => ops.f32(u)))
    // Per tile: plane offsets of its m x m dy pixels, -1 where the output does not exist.
    const offs = new Int32Array(count * m * m)
    for (let t = 0; t < count; t++) {
      const ti = first + t
      const p00 = (tiles.b[ti] * g.ho + tiles.or[ti]) * g.wo + tiles.oc[ti]
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) offs[t * m * m + i * m + j] = i < tiles.nr[ti] && j < tiles.nc[ti] ? p00 + d * (i * g.wo + j) : -1
      }
    }
    tr.gradTiles(ops.f32(dyT), plane, co, offs, count, vts.map((v) => ops.f32(v)))
    for (const mm of last) ops.free(mm)
    last = us.map((u, xi) => {
      const mm = ops.matMul(vts[xi], u) // [1, Co, Ci]
      ops.free(u)
      ops.free(vts[xi])
      return mm
    })
    if (first + count < tiles.n || acc) {
      acc ??= Array.from({ length: aa }, () => new Float32Array(co * ci))
      last.forEach((mm, xi) => {
        const mv = ops.f32(mm)
        const av = acc![xi]
        for (let i = 0; i < av.length; i++) av[i] += mv[i]
      })
    }
  }
  ops.free(dyT)
  const dw = ops.alloc([3, 3, ci, co])
  tr.filterGradOut(acc ?? last.map((mm) => ops.f32(mm)), ops.f32(dw), ci, co)
  for (const mm of last) ops.free(mm)
  return dw
}

/** Test hook: the generated transforms' source, for reading. */
export function winogradSource(tile: 2 | 4): string[] {
  const t = transformsOf(SCHEMES[tile])
  return Object.values(t).map((f) => String(f))
}
