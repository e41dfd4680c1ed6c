/**
 * TeacherNet T: the frozen ImageNet ResNet18 trunk up to layer3, always in eval mode, with
 * BatchNorm folded into each conv's bias. For a 256x256 input:
 * T1 [B, 64, 64, 64], T2 [B, 32, 32, 128], T3 [B, 16, 16, 256].
 */
import * as tf from '@tensorflow/tfjs'
import { FoldedConv, type Module, type NamedTensor } from '../nn/layers'
import { ResNetTrunk } from './resnet18'
import { loadTeacherWeights, type ModelWeights, type TeacherSource } from './weights'

/** The teacher's multi-scale features (NHWC). */
export interface TeacherFeatures {
  /** layer1 output [B, H/4, W/4, 64] */
  t1: tf.Tensor4D
  /** layer2 output [B, H/8, W/8, 128] */
  t2: tf.Tensor4D
  /** layer3 output [B, H/16, W/16, 256] */
  t3: tf.Tensor4D
}

export class TeacherNet implements Module {
  private readonly trunk: ResNetTrunk<FoldedConv>

  /** Takes ownership of `weights` (disposed with the net). */
  constructor(private readonly weights: ModelWeights) {
    this.trunk = new ResNetTrunk('', 3, (spec) => new FoldedConv(spec, weights.convFilter(spec.name), weights.convBias(spec.name)))
  }

  /** Loads the weights (default: the shared folded .npy set) and builds the net. */
  static load(source?: TeacherSource): TeacherNet {
    return new TeacherNet(loadTeacherWeights(source))
  }

  /**
   * x [B, H, W, 3] (ImageNet-normalised) -> {t1, t2, t3}. The weights are plain tensors, not
   * variables, so an optimiser never sees them and no gradient path leads into the teacher.
   */
  apply(x: tf.Tensor4D): TeacherFeatures {
    return tf.tidy(() => {
      const [t1, t2, t3] = this.trunk.apply(x, false)
      return { t1, t2, t3 }
    })
  }

  /** The frozen folded weights (`<conv>.weight` HWIO, `<conv>.bias`); nothing is trainable. */
  parameters(): NamedTensor[] {
    return this.weights.tensors()
  }

  buffers(): NamedTensor[] {
    return []
  }

  dispose(): void {
    this.weights.dispose()
  }
}
