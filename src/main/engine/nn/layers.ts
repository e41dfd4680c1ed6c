/**
 * The layers the DeSTSeg networks are made of, NHWC: a trainable Conv2d (HWIO filter), BatchNorm2d
 * with PyTorch semantics, their pairing ConvBn, and a frozen FoldedConv (conv with a bias that has
 * BatchNorm folded in, for the teacher). Parameter names follow the PyTorch state_dict keys of the
 * reference code (e.g. `encoder.layer1.0.bn1.running_mean`), so checkpoints map one to one.
 */
import * as tf from '@tensorflow/tfjs'
import { batchNormTraining } from '../kernels/batch-norm'
import { dilatedConv2d } from './dilated-conv'
import { kaimingNormalFanOut, parameterSeed, torchDefaultUniform } from './init'

/** A named tensor a model owns. `trainable` ones are tf.Variables an optimiser updates. */
export interface NamedTensor {
  readonly name: string
  readonly tensor: tf.Tensor
}
export interface NamedVariable extends NamedTensor {
  readonly tensor: tf.Variable
}

/** What every network in the engine offers. */
export interface Module {
  /** Learnable parameters, like PyTorch's named_parameters() (BN weight and bias included). */
  parameters(): NamedTensor[]
  /** Non-learnable state, like PyTorch's named_buffers() minus num_batches_tracked (BN running stats). */
  buffers(): NamedTensor[]
  dispose(): void
}

/** Total element count of some named tensors, e.g. parameterCount(model.parameters()). */
export function parameterCount(tensors: readonly NamedTensor[]): number {
  return tensors.reduce((n, p) => n + p.tensor.size, 0)
}

/** One conv layer's geometry. `name` is the PyTorch module path (weights are `${name}.weight`). */
export interface ConvSpec {
  readonly name: string
  readonly kernel: number
  readonly inChannels: number
  readonly outChannels: number
  readonly stride: number
  readonly padding: number
  readonly dilation?: number
  /** The BatchNorm that follows it (its module path); absent for a plain conv. */
  readonly norm?: string
  /** Has its own bias (only the segmentation net's last 1x1 conv). */
  readonly bias?: boolean
}

/** How a trainable conv's weights are drawn. */
export type ConvInit = 'kaiming-normal-fan-out' | 'torch-default'

/** A conv unit as the residual blocks see it: conv (+ norm), no activation. */
export interface ConvUnit {
  readonly spec: ConvSpec
  /** x [B, H, W, Cin] -> [B, H', W', Cout] */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D
}

/** Output size of a conv along one axis, as PyTorch computes it. */
export function convOutputSize(size: number, spec: ConvSpec): number {
  const d = spec.dilation ?? 1
  return Math.floor((size + 2 * spec.padding - d * (spec.kernel - 1) - 1) / spec.stride) + 1
}

function convForward(x: tf.Tensor4D, w: tf.Tensor4D, spec: ConvSpec): tf.Tensor4D {
  const d = spec.dilation ?? 1
  if (d > 1) {
    tf.util.assert(spec.stride === 1, () => `${spec.name}: dilated convolutions must have stride 1`)
    return dilatedConv2d(x, w, d, spec.padding)
  }
  return tf.conv2d(x, w, spec.stride, spec.padding)
}

/** Trainable conv: weight [k, k, Cin, Cout] (HWIO), optional bias [Cout]. */
export class Conv2d {
  readonly weight: tf.Variable<tf.Rank.R4>
  readonly bias?: tf.Variable<tf.Rank.R1>

  constructor(
    readonly spec: ConvSpec,
    seed: number,
    init: ConvInit
  ) {
    const shape: [number, number, number, number] = [spec.kernel, spec.kernel, spec.inChannels, spec.outChannels]
    const fanIn = spec.inChannels * spec.kernel * spec.kernel
    const wSeed = parameterSeed(seed, `${spec.name}.weight`)
    this.weight = tf.tidy(() =>
      tf.variable(init === 'torch-default' ? (torchDefaultUniform(shape, fanIn, wSeed) as tf.Tensor4D) : kaimingNormalFanOut(shape, wSeed))
    )
    if (spec.bias) {
      const bSeed = parameterSeed(seed, `${spec.name}.bias`)
      this.bias = tf.tidy(() => tf.variable(torchDefaultUniform([spec.outChannels], fanIn, bSeed) as tf.Tensor1D))
    }
  }

  /** x [B, H, W, Cin] -> [B, H', W', Cout] */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = convForward(x, this.weight, this.spec)
      return this.bias ? tf.add(y, this.bias) : y
    })
  }

  parameters(): NamedVariable[] {
    const out: NamedVariable[] = [{ name: `${this.spec.name}.weight`, tensor: this.weight }]
    if (this.bias) out.push({ name: `${this.spec.name}.bias`, tensor: this.bias })
    return out
  }

  dispose(): void {
    this.weight.dispose()
    this.bias?.dispose()
  }
}

/**
 * BatchNorm2d over the channel axis of [B, H, W, C], PyTorch semantics: eps 1e-5, momentum 0.1.
 * Training: normalise with the batch mean and biased variance, and update the running stats
 * (running_var takes the unbiased variance). Eval: use the running stats.
 */
export class BatchNorm2d {
  readonly gamma: tf.Variable<tf.Rank.R1>
  readonly beta: tf.Variable<tf.Rank.R1>
  readonly runningMean: tf.Variable<tf.Rank.R1>
  readonly runningVar: tf.Variable<tf.Rank.R1>

  constructor(
    readonly name: string,
    readonly channels: number,
    readonly eps = 1e-5,
    readonly momentum = 0.1,
    gammaInit = 1
  ) {
    this.gamma = tf.variable(tf.fill([channels], gammaInit) as tf.Tensor1D)
    this.beta = tf.variable(tf.zeros([channels]) as tf.Tensor1D)
    this.runningMean = tf.variable(tf.zeros([channels]) as tf.Tensor1D, false)
    this.runningVar = tf.variable(tf.ones([channels]) as tf.Tensor1D, false)
  }

  /** x [B, H, W, C] -> [B, H, W, C] */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    tf.util.assert(x.shape[3] === this.channels, () => `${this.name}: expected ${this.channels} channels, got ${x.shape[3]}`)
    return tf.tidy(() => {
      if (!training) {
        const scale = tf.mul(this.gamma, tf.rsqrt(tf.add(this.runningVar, this.eps))) // [C]
        const shift = tf.sub(this.beta, tf.mul(this.runningMean, scale)) // [C]
        return tf.add(tf.mul(x, scale), shift)
      }
      const n = x.shape[0] * x.shape[1] * x.shape[2]
      // One tape node with a hand-written gradient (../kernels/batch-norm.ts): saves x and the
      // statistics only, where the op-by-op form kept about five activation-sized tensors.
      return batchNormTraining(x, this.gamma, this.beta, this.eps, (mean, variance) => {
        // Running-stat updates (mean and biased variance of the batch): assign() is not recorded on the gradient tape.
        tf.tidy(() => {
          const m = this.momentum
          const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance
          this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)))
          this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(unbiased, m)))
        })
      }) as tf.Tensor4D
    })
  }

  parameters(): NamedVariable[] {
    return [
      { name: `${this.name}.weight`, tensor: this.gamma },
      { name: `${this.name}.bias`, tensor: this.beta }
    ]
  }

  buffers(): NamedVariable[] {
    return [
      { name: `${this.name}.running_mean`, tensor: this.runningMean },
      { name: `${this.name}.running_var`, tensor: this.runningVar }
    ]
  }

  dispose(): void {
    for (const v of [this.gamma, this.beta, this.runningMean, this.runningVar]) v.dispose()
  }
}

/** Options for building trainable conv units. */
export interface ConvBnOptions {
  readonly seed: number
  readonly init: ConvInit
  /** Initial BN weight (gamma) for this unit; 1 unless a zero-init-last-BN rule says 0. */
  readonly gamma?: number
}

/** Trainable conv followed by BatchNorm2d (when spec.norm is set); no activation. */
export class ConvBn implements ConvUnit, Module {
  readonly conv: Conv2d
  readonly bn?: BatchNorm2d

  constructor(
    readonly spec: ConvSpec,
    options: ConvBnOptions
  ) {
    this.conv = new Conv2d(spec, options.seed, options.init)
    if (spec.norm) this.bn = new BatchNorm2d(spec.norm, spec.outChannels, 1e-5, 0.1, options.gamma ?? 1)
  }

  /** x [B, H, W, Cin] -> [B, H', W', Cout] */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const y = this.conv.apply(x)
      return this.bn ? this.bn.apply(y, training) : y
    })
  }

  parameters(): NamedTensor[] {
    return [...this.conv.parameters(), ...(this.bn?.parameters() ?? [])]
  }

  buffers(): NamedTensor[] {
    return this.bn?.buffers() ?? []
  }

  dispose(): void {
    this.conv.dispose()
    this.bn?.dispose()
  }
}

/** Frozen conv with BatchNorm folded into weight [k, k, Cin, Cout] (HWIO) and bias [Cout]. */
export class FoldedConv implements ConvUnit {
  constructor(
    readonly spec: ConvSpec,
    readonly weight: tf.Tensor4D,
    readonly bias: tf.Tensor1D
  ) {
    const expected = [spec.kernel, spec.kernel, spec.inChannels, spec.outChannels]
    tf.util.assert(
      weight.shape.every((d, i) => d === expected[i]) && bias.shape[0] === spec.outChannels,
      () => `${spec.name}: weight ${JSON.stringify(weight.shape)} / bias ${JSON.stringify(bias.shape)} do not fit ${JSON.stringify(expected)}`
    )
  }

  /** x [B, H, W, Cin] -> [B, H', W', Cout]; `training` is ignored (always eval). */
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.fused.conv2d({ x, filter: this.weight, strides: this.spec.stride, pad: this.spec.padding, bias: this.bias })
  }
}
