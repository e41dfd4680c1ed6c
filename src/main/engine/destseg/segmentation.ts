/**
 * SegmentationNet: predicts the anomaly probability map from teacher/student feature agreement.
 * Input X = concat over k of upsample_to(T1 size)( -norm(Tk) * norm(Sk) ): 64 + 128 + 256 = 448 channels
 * (norm: L2 over channels, x / (||x|| + 1e-12) as in the reference code).
 * res: two BasicBlocks 448->256 (1x1 conv+BN shortcut on the first), Kaiming-normal fan_out init.
 * head (PyTorch default init, as in the reference code):
 *   ASPP(256->256): [global-average-pool -> 1x1 conv+BN+ReLU -> upsample back; 3x3 conv+BN+ReLU at
 *   dilation 6, 12, 18] -> concat 1024 -> 3x3 conv+BN+ReLU 256; 3x3 conv+BN+ReLU 256; 1x1 conv -> 1
 *   (with bias); sigmoid.
 * For a 256x256 image: X [B, 64, 64, 448] -> [B, 64, 64, 1].
 */
import * as tf from '@tensorflow/tfjs'
import { ConvBn, type ConvSpec, type Module, type NamedTensor } from '../nn/layers'
import { Stage, upsampleBilinear } from './resnet18'
import type { StudentFeatures } from './student'
import type { TeacherFeatures } from './teacher'

/** Channels of X: 64 + 128 + 256. */
export const SEGMENTATION_IN_CHANNELS = 448
/** ASPP dilation rates. */
export const ASPP_RATES = [6, 12, 18] as const

/** L2-normalise over channels: x / (sqrt(sum_c x^2) + eps). [B, H, W, C] -> [B, H, W, C] */
export function l2Normalize(x: tf.Tensor4D, eps = 1e-12): tf.Tensor4D {
  return tf.tidy(() => tf.div(x, tf.add(tf.sqrt(tf.sum(tf.square(x), 3, true)), eps)))
}

/**
 * X = concat_k upsample( -norm(Tk) * norm(Sk) ) at T1's resolution.
 * t1/s1 [B, h, w, 64], t2/s2 [B, h/2, w/2, 128], t3/s3 [B, h/4, w/4, 256] -> [B, h, w, 448].
 */
export function segmentationInput(t: TeacherFeatures, s: StudentFeatures): tf.Tensor4D {
  return tf.tidy(() => {
    const size: [number, number] = [t.t1.shape[1], t.t1.shape[2]]
    const parts = ([[t.t1, s.s1], [t.t2, s.s2], [t.t3, s.s3]] as const).map(([tk, sk]) => {
      tf.util.assert(
        tk.shape.every((d, i) => d === sk.shape[i]),
        () => `teacher ${JSON.stringify(tk.shape)} and student ${JSON.stringify(sk.shape)} features differ`
      )
      return upsampleBilinear(tf.neg(tf.mul(l2Normalize(tk), l2Normalize(sk))) as tf.Tensor4D, size)
    })
    return tf.concat(parts, 3) // [B, h, w, 448]
  })
}

export interface SegmentationOptions {
  seed: number
}

const ASPP = 'head.0'

function convBnRelu(name: string, norm: string, cin: number, kernel: number, dilation = 1): ConvSpec {
  return { name, norm, kernel, inChannels: cin, outChannels: 256, stride: 1, padding: kernel === 3 ? dilation : 0, dilation }
}

export class SegmentationNet implements Module {
  /** Two BasicBlocks 448 -> 256 (`res.*`). */
  readonly res: Stage<ConvBn>
  /** ASPP branch 0: global-average-pool, 1x1 conv+BN+ReLU. */
  readonly asppPool: ConvBn
  /** ASPP branches 1..3: 3x3 conv+BN+ReLU at dilation 6, 12, 18. */
  readonly asppAtrous: ConvBn[]
  /** ASPP fusion: 3x3 conv+BN+ReLU, 1024 -> 256. */
  readonly asppFusion: ConvBn
  /** 3x3 conv+BN+ReLU 256 -> 256 (`head.1`, `head.2`). */
  readonly headConv: ConvBn
  /** 1x1 conv 256 -> 1 with bias (`head.4`). */
  readonly classifier: ConvBn

  constructor(options: SegmentationOptions) {
    const { seed } = options
    this.res = new Stage(
      { name: 'res', inChannels: SEGMENTATION_IN_CHANNELS, outChannels: 256, stride: 1, blocks: 2 },
      (spec) => new ConvBn(spec, { seed, init: 'kaiming-normal-fan-out' })
    )
    const head = (spec: ConvSpec): ConvBn => new ConvBn(spec, { seed, init: 'torch-default' })
    const branch = `${ASPP}.aspp_feature_extractors`
    this.asppPool = head(convBnRelu(`${branch}.0.1.conv`, `${branch}.0.1.norm`, 256, 1))
    this.asppAtrous = ASPP_RATES.map((rate, i) => head(convBnRelu(`${branch}.${i + 1}.conv`, `${branch}.${i + 1}.norm`, 256, 3, rate)))
    this.asppFusion = head(convBnRelu(`${ASPP}.aspp_fusion_layer.conv`, `${ASPP}.aspp_fusion_layer.norm`, 256 * (1 + ASPP_RATES.length), 3))
    this.headConv = head(convBnRelu('head.1', 'head.2', 256, 3))
    this.classifier = head({ name: 'head.4', kernel: 1, inChannels: 256, outChannels: 1, stride: 1, padding: 0, bias: true })
  }

  /** X [B, h, w, 448] -> anomaly probability [B, h, w, 1]. */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      tf.util.assert(x.shape[3] === SEGMENTATION_IN_CHANNELS, () => `expected ${SEGMENTATION_IN_CHANNELS} channels, got ${x.shape[3]}`)
      const size: [number, number] = [x.shape[1], x.shape[2]]
      const r = this.res.apply(x, training) // [B, h, w, 256]
      const pooled = tf.mean(r, [1, 2], true) as tf.Tensor4D // [B, 1, 1, 256]
      const branches = [
        upsampleBilinear(tf.relu(this.asppPool.apply(pooled, training)), size), // [B, h, w, 256]
        ...this.asppAtrous.map((b) => tf.relu(b.apply(r, training))) // 3 x [B, h, w, 256]
      ]
      const fused = tf.relu(this.asppFusion.apply(tf.concat(branches, 3), training)) // [B, h, w, 1024] -> [B, h, w, 256]
      const h = tf.relu(this.headConv.apply(fused, training)) // [B, h, w, 256]
      return tf.sigmoid(this.classifier.apply(h, training)) // [B, h, w, 1]
    })
  }

  /** The residual blocks' parameters (lr 0.1 in the reference's phase 2). */
  residualParameters(): NamedTensor[] {
    return this.res.units().flatMap((u) => u.parameters())
  }

  /** ASPP and the rest of the head (lr 0.01 in the reference's phase 2). */
  headParameters(): NamedTensor[] {
    return this.headUnits().flatMap((u) => u.parameters())
  }

  parameters(): NamedTensor[] {
    return [...this.residualParameters(), ...this.headParameters()]
  }

  buffers(): NamedTensor[] {
    return [...this.res.units(), ...this.headUnits()].flatMap((u) => u.buffers())
  }

  dispose(): void {
    for (const u of [...this.res.units(), ...this.headUnits()]) u.dispose()
  }

  private headUnits(): ConvBn[] {
    return [this.asppPool, ...this.asppAtrous, this.asppFusion, this.headConv, this.classifier]
  }
}
