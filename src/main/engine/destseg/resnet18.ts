/**
 * ResNet18 pieces shared by TeacherNet, StudentNet and SegmentationNet, NHWC.
 * The architecture is data: {@link StageSpec} tables expand into {@link ConvSpec}s whose names are
 * the torchvision/timm state_dict module paths (`layer2.0.downsample.0`, bn `layer2.0.downsample.1`).
 * Blocks are built over a {@link ConvUnit} factory, so the same code runs the frozen, BN-folded
 * teacher and the trainable conv+BN student.
 */
import * as tf from '@tensorflow/tfjs'
import type { ConvSpec, ConvUnit } from '../nn/layers'
import { resizeBilinear } from '../nn/resize'

/** A stage of BasicBlocks (torchvision's `layerN`, or a decoder / segmentation stage). */
export interface StageSpec {
  /** Module path, e.g. 'layer1', 'encoder.layer3', 'decoder_layer2', 'res'. */
  readonly name: string
  readonly inChannels: number
  readonly outChannels: number
  /** Stride of the first block (2 halves the resolution). */
  readonly stride: number
  readonly blocks: number
}

/** One BasicBlock's convs: conv1 3x3/stride, conv2 3x3, and the 1x1 conv+BN shortcut if needed. */
export interface BlockSpec {
  readonly name: string
  readonly conv1: ConvSpec
  readonly conv2: ConvSpec
  readonly downsample?: ConvSpec
}

/** ResNet18 stages after the stem: 64, 128 (/2), 256 (/2), 512 (/2), two BasicBlocks each. */
export function resnet18Stages(prefix = '', count = 4): StageSpec[] {
  const widths = [64, 128, 256, 512]
  return widths.slice(0, count).map((c, i) => ({
    name: `${prefix}layer${i + 1}`,
    inChannels: i === 0 ? 64 : widths[i - 1],
    outChannels: c,
    stride: i === 0 ? 1 : 2,
    blocks: 2
  }))
}

/** The stem conv: 7x7/2, pad 3, 3 -> 64, followed by bn1 (then ReLU and a 3x3/2 max-pool). */
export function stemSpec(prefix = ''): ConvSpec {
  return { name: `${prefix}conv1`, norm: `${prefix}bn1`, kernel: 7, inChannels: 3, outChannels: 64, stride: 2, padding: 3 }
}

/** Expands a stage into its blocks (make_layer in the reference code). */
export function blockSpecs(stage: StageSpec): BlockSpec[] {
  const blocks: BlockSpec[] = []
  for (let b = 0; b < stage.blocks; b++) {
    const name = `${stage.name}.${b}`
    const cin = b === 0 ? stage.inChannels : stage.outChannels
    const stride = b === 0 ? stage.stride : 1
    const c = stage.outChannels
    blocks.push({
      name,
      conv1: { name: `${name}.conv1`, norm: `${name}.bn1`, kernel: 3, inChannels: cin, outChannels: c, stride, padding: 1 },
      conv2: { name: `${name}.conv2`, norm: `${name}.bn2`, kernel: 3, inChannels: c, outChannels: c, stride: 1, padding: 1 },
      downsample:
        stride !== 1 || cin !== c
          ? { name: `${name}.downsample.0`, norm: `${name}.downsample.1`, kernel: 1, inChannels: cin, outChannels: c, stride, padding: 0 }
          : undefined
    })
  }
  return blocks
}

/** Every conv of a stage, in state_dict order. */
export function stageConvSpecs(stage: StageSpec): ConvSpec[] {
  return blockSpecs(stage).flatMap((b) => (b.downsample ? [b.conv1, b.conv2, b.downsample] : [b.conv1, b.conv2]))
}

/** Builds a conv unit for a spec; `role` tells which place in a block it takes. */
export type ConvUnitFactory<U extends ConvUnit> = (spec: ConvSpec, role: 'stem' | 'conv1' | 'conv2' | 'downsample') => U

/** out = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)). */
export class BasicBlock<U extends ConvUnit> {
  readonly conv1: U
  readonly conv2: U
  readonly downsample?: U

  constructor(
    readonly spec: BlockSpec,
    make: ConvUnitFactory<U>
  ) {
    this.conv1 = make(spec.conv1, 'conv1')
    this.conv2 = make(spec.conv2, 'conv2')
    if (spec.downsample) this.downsample = make(spec.downsample, 'downsample')
  }

  /** x [B, H, W, Cin] -> [B, H/stride, W/stride, Cout] */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => {
      const out = this.conv2.apply(tf.relu(this.conv1.apply(x, training)) as tf.Tensor4D, training)
      const identity = this.downsample ? this.downsample.apply(x, training) : x
      return tf.relu(tf.add(out, identity)) as tf.Tensor4D
    })
  }

  units(): U[] {
    return this.downsample ? [this.conv1, this.conv2, this.downsample] : [this.conv1, this.conv2]
  }
}

/** A sequence of BasicBlocks. */
export class Stage<U extends ConvUnit> {
  readonly blocks: BasicBlock<U>[]

  constructor(
    readonly spec: StageSpec,
    make: ConvUnitFactory<U>
  ) {
    this.blocks = blockSpecs(spec).map((b) => new BasicBlock(b, make))
  }

  /** x [B, H, W, Cin] -> [B, H/stride, W/stride, Cout] */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D {
    return tf.tidy(() => this.blocks.reduce((h, block) => block.apply(h, training), x))
  }

  units(): U[] {
    return this.blocks.flatMap((b) => b.units())
  }
}

/**
 * The ResNet trunk: stem (conv1, bn1, ReLU, max-pool 3x3/2 pad 1) then the stages.
 * Returns each stage's output: for 256x256 input, [64@64x64, 128@32x32, 256@16x16, 512@8x8].
 */
export class ResNetTrunk<U extends ConvUnit> {
  readonly stem: U
  readonly stages: Stage<U>[]

  constructor(prefix: string, stageCount: number, make: ConvUnitFactory<U>) {
    this.stem = make(stemSpec(prefix), 'stem')
    this.stages = resnet18Stages(prefix, stageCount).map((s) => new Stage(s, make))
  }

  /** x [B, H, W, 3] -> per stage [B, H/4, W/4, 64], [B, H/8, W/8, 128], ... */
  apply(x: tf.Tensor4D, training: boolean): tf.Tensor4D[] {
    return tf.tidy(() => {
      tf.util.assert(x.rank === 4 && x.shape[3] === 3, () => `expected [B, H, W, 3] input, got ${JSON.stringify(x.shape)}`)
      // ReLU output is >= 0, so max-pool's implicit padding behaves like PyTorch's -inf padding.
      let h = tf.maxPool(tf.relu(this.stem.apply(x, training)) as tf.Tensor4D, 3, 2, 1) // [B, H/4, W/4, 64]
      const outs: tf.Tensor4D[] = []
      for (const stage of this.stages) {
        h = stage.apply(h, training)
        outs.push(h)
      }
      return outs
    })
  }

  units(): U[] {
    return [this.stem, ...this.stages.flatMap((s) => s.units())]
  }
}

/**
 * Bilinear resize with half-pixel centres (PyTorch align_corners=False), differentiable.
 * [B, h, w, C] -> [B, H, W, C]
 */
export function upsampleBilinear(x: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
  return resizeBilinear(x, size)
}
