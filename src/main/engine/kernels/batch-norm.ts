/**
 * Training-mode batch normalisation over the last (channel) axis with a hand-written gradient.
 *
 * Written as ops (moments, sub, mul, add), tfjs's autodiff records about eight nodes per BatchNorm,
 * keeps about five activation-sized tensors alive for the backward pass and reduces over [B, H, W]
 * with wasm's Sum (which transposes the whole tensor first). Here the whole BN is one tape node
 * (tf.customGrad) that saves x, gamma and the batch statistics only:
 *   forward   mean, variance (biased) of x per channel; y = batchNorm(x, mean, variance, beta, gamma)
 *             (the FusedBatchNorm kernel, one pass);
 *   backward  dbeta = sum dy, dgamma = sum dy * xhat, dx = gamma * inv * (dy - dbeta/N - xhat * dgamma/N)
 *             with xhat = (x - mean) * inv, inv = 1 / sqrt(variance + eps).
 * On wasm the statistics and the backward run as two kernels registered by installWasmTrainingKernels
 * (DestsegBatchNormStats, DestsegBatchNormGrad): JS loops over the wasm heap with float64 channel
 * accumulators, two passes for the backward. Elsewhere the same formulas run as tfjs ops.
 */
import * as tf from '@tensorflow/tfjs'
import type { WasmBackendLike } from './wasm-ops'

export const BN_STATS_KERNEL = 'DestsegBatchNormStats'
export const BN_GRAD_KERNEL = 'DestsegBatchNormGrad'

type Info = tf.TensorInfo

/** Per-channel sums of (x - shift) and its square, float64, for x viewed as [rows, C]. */
function channelStats(xs: Float32Array, c: number): { mean: Float64Array; variance: Float64Array } {
  const rows = xs.length / c
  const shift = Float64Array.from(xs.subarray(0, c)) // a sample per channel: keeps the sums small
  const s = new Float64Array(c)
  const q = new Float64Array(c)
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    for (let k = 0; k < c; k++) {
      const d = xs[base + k] - shift[k]
      s[k] += d
      q[k] += d * d
    }
  }
  const mean = new Float64Array(c)
  const variance = new Float64Array(c)
  for (let k = 0; k < c; k++) {
    const m = s[k] / rows
    mean[k] = shift[k] + m
    variance[k] = Math.max(0, q[k] / rows - m * m)
  }
  return { mean, variance }
}

/** x [..., C] -> [mean [C], variance [C]] (biased), on the wasm heap. */
const bnStatsKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const b = backend as WasmBackendLike
  const { x } = inputs as { x: Info }
  const c = x.shape[x.shape.length - 1]
  const { mean, variance } = channelStats(b.typedArrayFromHeap(x) as Float32Array, c)
  const m = b.makeOutput([c], 'float32')
  const v = b.makeOutput([c], 'float32')
  ;(b.typedArrayFromHeap(m) as Float32Array).set(mean)
  ;(b.typedArrayFromHeap(v) as Float32Array).set(variance)
  return [m, v]
}

/** {x, dy, mean, variance, gamma} -> [dx, dgamma, dbeta], on the wasm heap. */
const bnGradKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as WasmBackendLike
  const { x, dy, mean, variance, gamma } = inputs as { x: Info; dy: Info; mean: Info; variance: Info; gamma: Info }
  const eps = (attrs as { varianceEpsilon: number }).varianceEpsilon
  const c = x.shape[x.shape.length - 1]
  const dx = b.makeOutput([...x.shape], 'float32')
  const dgamma = b.makeOutput([c], 'float32')
  const dbeta = b.makeOutput([c], 'float32')
  // Views after the last allocation.
  const xs = b.typedArrayFromHeap(x) as Float32Array
  const dys = b.typedArrayFromHeap(dy) as Float32Array
  const ms = b.typedArrayFromHeap(mean) as Float32Array
  const vs = b.typedArrayFromHeap(variance) as Float32Array
  const gs = b.typedArrayFromHeap(gamma) as Float32Array
  const rows = xs.length / c
  const sdy = new Float64Array(c)
  const sdyx = new Float64Array(c)
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    for (let k = 0; k < c; k++) {
      const g = dys[base + k]
      sdy[k] += g
      sdyx[k] += g * (xs[base + k] - ms[k])
    }
  }
  // dx = a*dy + e*x + f per channel.
  const a = new Float32Array(c)
  const e = new Float32Array(c)
  const f = new Float32Array(c)
  const dg = b.typedArrayFromHeap(dgamma) as Float32Array
  const db = b.typedArrayFromHeap(dbeta) as Float32Array
  for (let k = 0; k < c; k++) {
    const inv = 1 / Math.sqrt(vs[k] + eps)
    const ak = gs[k] * inv
    const ek = (-ak * inv * inv * sdyx[k]) / rows
    a[k] = ak
    e[k] = ek
    f[k] = (-ak * sdy[k]) / rows - ek * ms[k]
    dg[k] = inv * sdyx[k]
    db[k] = sdy[k]
  }
  const out = b.typedArrayFromHeap(dx) as Float32Array
  for (let r = 0, base = 0; r < rows; r++, base += c) {
    for (let k = 0; k < c; k++) {
      const i = base + k
      out[i] = a[k] * dys[i] + e[k] * xs[i] + f[k]
    }
  }
  return [dx, dgamma, dbeta]
}

/** The wasm kernels installWasmTrainingKernels registers for this file. */
export const BN_KERNELS: Record<string, tf.KernelFunc> = {
  [BN_STATS_KERNEL]: bnStatsKernel,
  [BN_GRAD_KERNEL]: bnGradKernel
}

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined
}

/** Per-channel mean and biased variance of x over every axis but the last. */
function moments(x: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  if (hasKernel(BN_STATS_KERNEL)) return tf.engine().runKernel(BN_STATS_KERNEL, { x }, {}) as unknown as [tf.Tensor1D, tf.Tensor1D]
  const axes = x.shape.slice(0, -1).map((_, i) => i)
  const { mean, variance } = tf.moments(x, axes)
  return [mean as tf.Tensor1D, variance as tf.Tensor1D]
}

function backward(x: tf.Tensor, dy: tf.Tensor, mean: tf.Tensor1D, variance: tf.Tensor1D, gamma: tf.Tensor1D, eps: number): tf.Tensor[] {
  if (hasKernel(BN_GRAD_KERNEL)) {
    return tf.engine().runKernel(BN_GRAD_KERNEL, { x, dy, mean, variance, gamma }, { varianceEpsilon: eps }) as unknown as tf.Tensor[]
  }
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i)
    const n = x.size / x.shape[x.shape.length - 1]
    const inv = tf.rsqrt(tf.add(variance, eps))
    const xhat = tf.mul(tf.sub(x, mean), inv)
    const dbeta = tf.sum(dy, axes)
    const dgamma = tf.sum(tf.mul(dy, xhat), axes)
    const dx = tf.mul(tf.mul(gamma, inv), tf.sub(tf.sub(dy, tf.div(dbeta, n)), tf.mul(xhat, tf.div(dgamma, n))))
    return [dx, dgamma, dbeta]
  })
}

/**
 * y = gamma * (x - mean) / sqrt(variance + eps) + beta with the batch statistics of x (biased
 * variance) over every axis but the last; one tape node. `onStats` receives those statistics during
 * the forward pass (for running averages; do not keep them beyond the current tidy).
 * x [..., C], gamma [C], beta [C] -> [..., C]
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
  onStats?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void
): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, g, bt] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D]
    const save = args[3] as tf.GradSaveFunc
    const [mean, variance] = moments(xi)
    onStats?.(mean, variance)
    save([xi, g, mean, variance])
    return {
      value: tf.batchNorm(xi, mean, variance, bt, g, eps),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sm, sv] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D]
        return backward(sx, dy, sm, sv, sg, eps)
      }
    }
  })
  return op(x, gamma, beta)
}
