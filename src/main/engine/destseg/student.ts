/**
 * StudentNet S: the de-noising student. Encoder S_E is a full, randomly initialised ResNet18 trunk
 * (conv1 .. layer4) with trainable BatchNorm; decoder S_D mirrors it with stages of two BasicBlocks:
 * D4 512->512 on x4, bilinear (half-pixel) up to x3's size, D3 512->256, up to x2's, D2 256->128,
 * up to x1's, D1 128->64. For a 256x256 input: S1 [B, 64, 64, 64], S2 [B, 32, 32, 128], S3 [B, 16, 16, 256].
 * Init (reference code): every conv Kaiming-normal (fan_out, ReLU), BN weight 1 and bias 0; the
 * encoder, built by timm 0.6.12, also zeroes the last BN weight of each BasicBlock (zero_init_last).
 */
import * as tf from '@tensorflow/tfjs'
import { ConvBn, type Module, type NamedTensor } from '../nn/layers'
import { ResNetTrunk, Stage, type StageSpec, upsampleBilinear } from './resnet18'

/** The student's decoder outputs, matching the teacher's T1..T3 (NHWC). */
export interface StudentFeatures {
  /** D1 [B, H/4, W/4, 64] */
  s1: tf.Tensor4D
  /** D2 [B, H/8, W/8, 128] */
  s2: tf.Tensor4D
  /** D3 [B, H/16, W/16, 256] */
  s3: tf.Tensor4D
}

export interface StudentOptions {
  /** Seeds every parameter's initialiser. */
  seed: number
  /** Zero the encoder blocks' bn2 weight, as timm does (default true, the reference behaviour). */
  zeroInitLastBn?: boolean
}

/** D4, D3, D2, D1, applied in that order. */
export const DECODER_STAGES: readonly StageSpec[] = [
  { name: 'decoder_layer4', inChannels: 512, outChannels: 512, stride: 1, blocks: 2 },
  { name: 'decoder_layer3', inChannels: 512, outChannels: 256, stride: 1, blocks: 2 },
  { name: 'decoder_layer2', inChannels: 256, outChannels: 128, stride: 1, blocks: 2 },
  { name: 'decoder_layer1', inChannels: 128, outChannels: 64, stride: 1, blocks: 2 }
]

export class StudentNet implements Module {
  /** S_E: conv1, bn1, layer1..layer4 under the `encoder.` prefix. */
  readonly encoder: ResNetTrunk<ConvBn>
  /** S_D: D4, D3, D2, D1. */
  readonly decoder: Stage<ConvBn>[]

  constructor(options: StudentOptions) {
    const { seed } = options
    const zeroLast = options.zeroInitLastBn ?? true
    this.encoder = new ResNetTrunk(
      'encoder.',
      4,
      (spec, role) => new ConvBn(spec, { seed, init: 'kaiming-normal-fan-out', gamma: zeroLast && role === 'conv2' ? 0 : 1 })
    )
    this.decoder = DECODER_STAGES.map((s) => new Stage(s, (spec) => new ConvBn(spec, { seed, init: 'kaiming-normal-fan-out' })))
  }

  /** x [B, H, W, 3] (ImageNet-normalised; H, W multiples of 32) -> {s1, s2, s3}. */
  apply(x: tf.Tensor4D, training: boolean): StudentFeatures {
    return tf.tidy(() => {
      const [x1, x2, x3, x4] = this.encoder.apply(x, training) // 64@H/4, 128@H/8, 256@H/16, 512@H/32
      const [d4, d3, d2, d1] = this.decoder
      const b4 = d4.apply(x4, training) // [B, H/32, W/32, 512]
      const b3 = d3.apply(upsampleBilinear(b4, [x3.shape[1], x3.shape[2]]), training) // [B, H/16, W/16, 256]
      const b2 = d2.apply(upsampleBilinear(b3, [x2.shape[1], x2.shape[2]]), training) // [B, H/8, W/8, 128]
      const b1 = d1.apply(upsampleBilinear(b2, [x1.shape[1], x1.shape[2]]), training) // [B, H/4, W/4, 64]
      return { s1: b1, s2: b2, s3: b3 }
    })
  }

  encoderParameters(): NamedTensor[] {
    return this.encoder.units().flatMap((u) => u.parameters())
  }

  decoderParameters(): NamedTensor[] {
    return this.decoder.flatMap((s) => s.units()).flatMap((u) => u.parameters())
  }

  /** S_E then S_D parameters (all trainable tf.Variables). */
  parameters(): NamedTensor[] {
    return [...this.encoderParameters(), ...this.decoderParameters()]
  }

  buffers(): NamedTensor[] {
    return [...this.encoder.units(), ...this.decoder.flatMap((s) => s.units())].flatMap((u) => u.buffers())
  }

  dispose(): void {
    for (const u of [...this.encoder.units(), ...this.decoder.flatMap((s) => s.units())]) u.dispose()
  }
}
