/**
 * Convolution gradients for the wasm backend, built from kernels wasm runs fast (XNNPACK Conv2D,
 * BatchMatMul without transposes, Transpose, PadV2, StridedSlice, Concat).
 *
 * Filter gradient, dw[u, v, ci, co] = sum over b, i, j of xpad[b, i*s + u*d, j*s + v*d, ci] dy[b, i, j, co]:
 * x is transposed once to channels-first [Ci, B, Hp, Wp] (zero-padded); each kernel tap is a strided
 * slice of it, [Ci, B, Ho, Wo] = [Ci, N], and dw for the tap is that times dy [N, Co]: a plain
 * matMul (no transposed operand; XNNPACK's fully-connected path, which packs dy once and reuses it for
 * every tap because it caches on dy's id). Taps are grouped so that a group's rows [T*Ci, N] stay
 * under {@link FILTER_GRAD_CHUNK_BYTES}; the rows come out in HWIO order, so the result needs no
 * transpose. This never builds the whole im2col matrix (600 MB for the 1024->256 3x3 fusion conv at
 * 64x64 batch 4), and strides and dilations are just slice strides and tap offsets.
 *
 * Input gradient: stride 1 is a conv of dy with the spatially flipped, channel-swapped filter and
 * padding k-1-p (cropped where that is negative). Stride s > 1 is split into its s*s output phases
 * (polyphase): input rows e = t + p with e mod s = r only receive taps u = r + s*m, so each phase is a
 * stride-1 conv of dy with the sub-filter w[r::s] (flipped); the phases are interleaved with two
 * concats and cropped. That costs exactly the forward's FLOPs, where convolving the zero-dilated dy
 * would cost s*s times as much (3x3 stride 2: 4x), and phases with no taps (1x1 stride 2) are zeros.
 */
import * as tf from '@tensorflow/tfjs'
import { WasmOps, sizeOf, type ExplicitPad, type WasmBackendLike } from './wasm-ops'
import { winogradConv2d, winogradFilterGradient, winogradPlan, type WinogradGeometry } from './winograd'

type Info = tf.TensorInfo

/** Default for the largest [taps*Ci, N] block the filter gradient builds at once. */
export const FILTER_GRAD_CHUNK_BYTES = 64 * 1024 * 1024
let filterGradChunkBytes = FILTER_GRAD_CHUNK_BYTES

/** Changes that block size (tests use a small one to exercise several groups); returns the old one. */
export function setFilterGradChunkBytes(bytes: number): number {
  const old = filterGradChunkBytes
  filterGradChunkBytes = bytes
  return old
}

export interface ConvGeometry {
  kh: number
  kw: number
  strideH: number
  strideW: number
  dilationH: number
  dilationW: number
  padTop: number
  padLeft: number
}

/**
 * dL/dw of y = conv(x, w), NHWC / HWIO. x [B, H, W, Ci], dy [B, Ho, Wo, Co] -> [kh, kw, Ci, Co]
 * (tracked by `ops`; the caller keeps it).
 *
 * x is made channels-first once, [Ci, B, H, W] (wasm Transpose, rank 4). Tap (u, v) reads rows
 * i*sh + u*dh - padTop and columns j*sw + v*dw - padLeft of every (ci, b) plane, zeros outside:
 * a strided gather written in JS straight into the tap's row block of the group's [T*Ci, N]
 * matrix. (wasm's StridedSlice costs about 150 ns per element with strides 2, and its rank-5/6
 * Transpose about 100 ns; this gather is a few ns per element and needs no padded copy.)
 */
export function conv2dFilterGradient(ops: WasmOps, x: Info, dy: Info, g: ConvGeometry): Info {
  const [b, h, w, ci] = x.shape
  const [, ho, wo, co] = dy.shape
  const n = b * ho * wo
  const xt = ops.transpose(x, [3, 0, 1, 2]) // [Ci, B, H, W]
  const dy3 = ops.reshape(dy, [1, n, co]) // [1, N, Co]

  const taps: [number, number][] = []
  for (let u = 0; u < g.kh; u++) for (let v = 0; v < g.kw; v++) taps.push([u, v])
  const perChunk = Math.max(1, Math.min(taps.length, Math.floor(filterGradChunkBytes / (ci * n * 4))))
  const parts: Info[] = []
  for (let t0 = 0; t0 < taps.length; t0 += perChunk) {
    const group = taps.slice(t0, t0 + perChunk)
    const a3 = ops.alloc([1, group.length * ci, n])
    const src = ops.f32(xt) // views after the last allocation
    const dst = ops.f32(a3)
    group.forEach(([u, v], t) => {
      gatherTap(src, ci * b, h, w, u * g.dilationH - g.padTop, v * g.dilationW - g.padLeft, g.strideH, g.strideW, ho, wo, dst, t * ci * n)
    })
    const part = ops.matMul(a3, dy3) // [1, T*Ci, Co]
    ops.free(a3)
    parts.push(ops.reshape(part, [group.length * ci, co]))
    ops.free(part)
  }
  ops.free(xt)
  const all = parts.length === 1 ? parts[0] : ops.concat(parts, 0) // [kh*kw*Ci, Co], rows in (u, v, ci) order
  return ops.reshape(all, [g.kh, g.kw, ci, co])
}

/**
 * dst[off + (p*ho + i)*wo + j] = src[p, r0 + i*sh, c0 + j*sw] over planes p of [planes, h, w],
 * zero where the row or column falls outside the plane.
 */
function gatherTap(
  src: Float32Array,
  planes: number,
  h: number,
  w: number,
  r0: number,
  c0: number,
  sh: number,
  sw: number,
  ho: number,
  wo: number,
  dst: Float32Array,
  off: number
): void {
  // Valid output columns: 0 <= c0 + j*sw < w.
  const jLo = c0 >= 0 ? 0 : Math.ceil(-c0 / sw)
  const jHi = Math.min(wo, c0 >= w ? 0 : Math.floor((w - 1 - c0) / sw) + 1)
  const plane = h * w
  let d = off
  for (let p = 0; p < planes; p++) {
    const pBase = p * plane
    for (let i = 0; i < ho; i++) {
      const r = r0 + i * sh
      if (r < 0 || r >= h || jHi <= jLo) {
        dst.fill(0, d, d + wo)
        d += wo
        continue
      }
      if (jLo > 0) dst.fill(0, d, d + jLo)
      const s = pBase + r * w + c0
      if (sw === 1) {
        if (jHi - jLo >= 16) dst.set(src.subarray(s + jLo, s + jHi), d + jLo)
        else for (let j = jLo; j < jHi; j++) dst[d + j] = src[s + j]
      } else {
        for (let j = jLo; j < jHi; j++) dst[d + j] = src[s + j * sw]
      }
      if (jHi < wo) dst.fill(0, d + jHi, d + wo)
      d += wo
    }
  }
}

/**
 * out[a, b, o, i] = w[rows[a], cols[b], i, o]: selected taps of a HWIO filter, channel-swapped.
 * w [kh, kw, Ci, Co] -> [rows.length, cols.length, Co, Ci]
 */
function gatherSwappedTaps(ops: WasmOps, w: Info, rows: number[], cols: number[]): Info {
  const [kh, kw, ci, co] = w.shape
  const swapped = ops.transpose(w, [0, 1, 3, 2]) // [kh, kw, Co, Ci]
  const identity = rows.length === kh && cols.length === kw && rows.every((r, i) => r === i) && cols.every((c, i) => c === i)
  if (identity) return swapped
  const out = ops.alloc([rows.length, cols.length, co, ci])
  const tap = ci * co
  const src = ops.f32(swapped) // views after the last allocation
  const dst = ops.f32(out)
  for (let a = 0; a < rows.length; a++) {
    for (let c = 0; c < cols.length; c++) {
      const s = (rows[a] * kw + cols[c]) * tap
      dst.set(src.subarray(s, s + tap), (a * cols.length + c) * tap)
    }
  }
  ops.free(swapped)
  return out
}

/** Descending tap indices r + s*(kr-1), ..., r + s, r: a phase's sub-filter, flipped. */
function phaseTaps(k: number, s: number, r: number): number[] {
  const taps: number[] = []
  for (let u = r; u < k; u += s) taps.push(u)
  return taps.reverse()
}

/** Stride-1 conv with possibly negative explicit padding (negative = crop the output). */
function convSignedPad(ops: WasmOps, x: Info, f: Info, top: number, bottom: number, left: number, right: number, outH: number, outW: number): Info {
  const pad: ExplicitPad = [
    [0, 0],
    [Math.max(0, top), Math.max(0, bottom)],
    [Math.max(0, left), Math.max(0, right)],
    [0, 0]
  ]
  const y = ops.conv2d(x, f, [1, 1], pad)
  const cropTop = Math.max(0, -top)
  const cropLeft = Math.max(0, -left)
  if (cropTop === 0 && cropLeft === 0 && y.shape[1] === outH && y.shape[2] === outW) return y
  const cropped = ops.slice(y, [0, cropTop, cropLeft, 0], [y.shape[0], outH, outW, y.shape[3]])
  ops.free(y)
  return cropped
}

/**
 * dL/dx of y = conv(x, w) (dilation 1), NHWC / HWIO. dy [B, Ho, Wo, Co], w [kh, kw, Ci, Co]
 * -> [B, H, W, Ci] (tracked by `ops`; the caller keeps it).
 */
export function conv2dInputGradient(ops: WasmOps, dy: Info, w: Info, inShape: readonly number[], g: ConvGeometry): Info {
  if (g.dilationH !== 1 || g.dilationW !== 1) throw new Error('conv2dInputGradient: dilation must be 1')
  const [b, h, wd, ci] = inShape
  const [, ho, wo] = dy.shape
  const { kh, kw, strideH: sh, strideW: sw, padTop: pt, padLeft: pl } = g

  if (sh === 1 && sw === 1) {
    const f = gatherSwappedTaps(ops, w, phaseTaps(kh, 1, 0), phaseTaps(kw, 1, 0)) // flipped, [kh, kw, Co, Ci]
    const top = kh - 1 - pt
    const left = kw - 1 - pl
    const dx = convSignedPad(ops, dy, f, top, h - ho + kh - 1 - top, left, wd - wo + kw - 1 - left, h, wd)
    ops.free(f)
    return dx
  }

  // Polyphase: rows e = t + pt of the padded input, phase r = e mod s, q = floor(e / s) in [0, Q).
  const qh = Math.ceil((h + pt) / sh)
  const qw = Math.ceil((wd + pl) / sw)
  let zeros: Info | undefined
  const phaseRows: Info[] = []
  for (let rh = 0; rh < sh; rh++) {
    const rowTaps = phaseTaps(kh, sh, rh)
    const cols: Info[] = []
    for (let rw = 0; rw < sw; rw++) {
      const colTaps = phaseTaps(kw, sw, rw)
      if (rowTaps.length === 0 || colTaps.length === 0) {
        zeros ??= ops.zeros([b, qh, 1, qw, 1, ci])
        cols.push(zeros)
        continue
      }
      const f = gatherSwappedTaps(ops, w, rowTaps, colTaps) // [krh, krw, Co, Ci]
      // Full correlation with the flipped sub-filter: left pad kr - 1, right pad Q - Ho.
      const out = convSignedPad(ops, dy, f, rowTaps.length - 1, qh - ho, colTaps.length - 1, qw - wo, qh, qw) // [B, Qh, Qw, Ci]
      ops.free(f)
      cols.push(ops.reshape(out, [b, qh, 1, qw, 1, ci]))
      ops.free(out)
    }
    const row = cols.length === 1 ? cols[0] : ops.concat(cols, 4) // [B, Qh, 1, Qw, sw, Ci]
    if (cols.length > 1) for (const c of cols) if (c !== zeros) ops.free(c)
    phaseRows.push(row)
  }
  if (zeros) ops.free(zeros)
  const all = phaseRows.length === 1 ? phaseRows[0] : ops.concat(phaseRows, 2) // [B, Qh, sh, Qw, sw, Ci]
  if (phaseRows.length > 1) for (const r of phaseRows) ops.free(r)
  const interleaved = ops.reshape(all, [b, qh * sh, qw * sw, ci])
  ops.free(all)
  const dx = ops.slice(interleaved, [0, pt, pl, 0], [b, h, wd, ci])
  ops.free(interleaved)
  return dx
}

function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    kh: info.filterHeight,
    kw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left
  }
}

/** tfjs's conv info for an NHWC input shape and an HWIO filter shape. */
function convInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: tf.Conv2DAttrs['strides'],
  dilations: tf.Conv2DAttrs['dilations'],
  pad: tf.Conv2DAttrs['pad'],
  dimRoundingMode: tf.Conv2DAttrs['dimRoundingMode']
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast'
  )
}

/** The Winograd geometry of a conv when Winograd pays off for it, else null. */
function winogradGeometry(info: tf.backend_util.Conv2DInfo, g = geometry(info)): WinogradGeometry | null {
  const tile = winogradPlan(g.kh, g.kw, g.strideH, g.strideW, g.dilationH, g.dilationW, info.inChannels, info.outChannels, info.batchSize, info.outHeight, info.outWidth)
  if (tile === 0) return null
  return { tile, ho: info.outHeight, wo: info.outWidth, dilation: g.dilationH, padTop: g.padTop, padLeft: g.padLeft }
}

function isChannelsLast(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast'
}

/** Runs `body` with a fresh WasmOps, keeps what it returns, frees everything else. */
export function withOps(backend: unknown, body: (ops: WasmOps) => Info): Info {
  const ops = new WasmOps(backend as WasmBackendLike)
  try {
    return ops.keep(body(ops))
  } finally {
    ops.dispose()
  }
}

/**
 * Conv2DBackpropFilter for wasm (the backend has none). Beyond tfjs's attrs it honours an optional
 * `dilations` attr (tfjs's own Conv2D gradient never passes one; nn/dilated-conv.ts does).
 */
export const conv2DBackpropFilterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: Info; dy: Info }
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs
  const dilations = (attrs as { dilations?: number | [number, number] }).dilations ?? 1
  if (!isChannelsLast(dataFormat)) throw new Error(`wasm Conv2DBackpropFilter supports NHWC only, got ${dataFormat}`)
  const info = convInfo(x.shape, filterShape, strides, dilations, pad, dimRoundingMode)
  const g = geometry(info)
  const wg = winogradGeometry(info, g)
  if (wg) return withOps(backend, (ops) => winogradFilterGradient(ops, x, dy, wg))
  return withOps(backend, (ops) => conv2dFilterGradient(ops, x, dy, g))
}

/**
 * Conv2D for wasm: 3x3 stride-1 convolutions large enough to pay off go to Winograd F(2x2, 3x3)
 * (winograd.ts; about 2.25x fewer multiply-adds), everything else to the backend's XNNPACK kernel.
 */
export function conv2DKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter } = args.inputs as { x: Info; filter: Info }
    const { strides, pad, dataFormat, dilations, dimRoundingMode } = args.attrs as unknown as tf.Conv2DAttrs
    if (!isChannelsLast(dataFormat)) return fallback(args)
    const wg = winogradGeometry(convInfo(x.shape, filter.shape, strides, dilations, pad, dimRoundingMode))
    if (!wg) return fallback(args)
    return withOps(args.backend, (ops) => winogradConv2d(ops, x, filter, wg))
  }
}

/** Conv2DBackpropInput for wasm, replacing the backend's direct loop; NCHW goes to `fallback`. */
export function conv2DBackpropInputKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: Info; filter: Info }
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } = args.attrs as unknown as tf.Conv2DBackpropInputAttrs
    if (!isChannelsLast(dataFormat)) return fallback(args)
    const info = convInfo(inputShape, filter.shape, strides, 1, pad, dimRoundingMode)
    if (sizeOf(inputShape) === 0) return (args.backend as WasmBackendLike).makeOutput([...inputShape], 'float32')
    return withOps(args.backend, (ops) => conv2dInputGradient(ops, dy, filter, inputShape, geometry(info)))
  }
}

/**
 * FusedConv2D for wasm (the teacher's BN-folded convs): the Winograd path of {@link conv2DKernel}
 * plus the bias and a ReLU when there is one; other activations and shapes go to XNNPACK.
 */
export function fusedConv2DKernel(fallback: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as { x: Info; filter: Info; bias?: Info; preluActivationWeights?: Info }
    const { strides, pad, dataFormat, dilations, dimRoundingMode, activation } = args.attrs as unknown as tf.FusedConv2DAttrs
    if (!isChannelsLast(dataFormat) || preluActivationWeights || !(activation === 'linear' || activation === 'relu' || activation === undefined)) {
      return fallback(args)
    }
    const wg = winogradGeometry(convInfo(x.shape, filter.shape, strides, dilations, pad, dimRoundingMode))
    if (!wg) return fallback(args)
    return withOps(args.backend, (ops) => {
      let y = winogradConv2d(ops, x, filter, wg)
      if (bias) {
        const yb = ops.run('Add', { a: y, b: bias })
        ops.free(y)
        y = yb
      }
      if (activation === 'relu') {
        const yr = ops.run('Relu', { x: y })
        ops.free(y)
        y = yr
      }
      return y
    })
  }
}
