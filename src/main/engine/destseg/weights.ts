/**
 * The teacher's weights: a {@link ModelWeights} accessor by fixed conv names (the torchvision
 * module paths, e.g. `layer2.0.downsample.0`), and its loaders:
 *  - the shared folded .npy set (`<name>.weight.npy` float32 OIHW, `<name>.bias.npy`), the default;
 *  - torchvision's resnet18 .pth (IMAGENET1K_V1), with BatchNorm folded here (eps 1e-5);
 *  - random weights, only when asked for explicitly (tests).
 * Folding: w' = w * gamma / sqrt(var + eps) per output channel, b' = beta - mean * gamma / sqrt(var + eps);
 * the teacher then applies conv(w', b') and ReLU where the original applies BN then ReLU.
 * Filters are stored HWIO [k, k, Cin, Cout] (tfjs), converted from PyTorch's OIHW [Cout, Cin, k, k].
 */
import { join } from 'node:path'
import type { TeacherSource } from '../../../common/types/training'
import * as tf from '@tensorflow/tfjs'
import { requireShared } from '../../config/paths'
import { readNpy, sameShape } from '../io/npy'
import { readTorchStateDict, type TorchStateDict } from '../io/torch-checkpoint'
import { kaimingNormalFanOut, parameterSeed, torchDefaultUniform } from '../nn/init'
import type { ConvSpec } from '../nn/layers'
import { resnet18Stages, stageConvSpecs, stemSpec } from './resnet18'

/** The shared folded teacher weights, relative to the shared folder. */
export const TEACHER_WEIGHTS_DIR = 'assets/teacher/resnet18-imagenet'

/** BatchNorm eps of torchvision's ResNet. */
export const BN_EPS = 1e-5

/** The teacher's convs: conv1, layer1..layer3 of ResNet18 (layer4 and fc unused), in state_dict order. */
export function teacherConvSpecs(): ConvSpec[] {
  return [stemSpec(), ...resnet18Stages('', 3).flatMap(stageConvSpecs)]
}

/** Per conv: folded filter [k, k, Cin, Cout] and bias [Cout]. */
export class ModelWeights {
  private readonly filters = new Map<string, tf.Tensor4D>()
  private readonly biases = new Map<string, tf.Tensor1D>()

  /** `source` (a path, or 'random(seed)') is named in errors. */
  constructor(readonly source: string) {}

  /** Takes ownership of the tensors. */
  set(name: string, filter: tf.Tensor4D, bias: tf.Tensor1D): void {
    this.filters.get(name)?.dispose()
    this.biases.get(name)?.dispose()
    this.filters.set(name, filter)
    this.biases.set(name, bias)
  }

  /** Filter [k, k, Cin, Cout] of the conv `name` (e.g. 'layer1.0.conv1'). */
  convFilter(name: string): tf.Tensor4D {
    const t = this.filters.get(name)
    if (!t) throw new Error(`${this.source}: no weights for '${name}.weight'`)
    return t
  }

  /** Bias [Cout] of the conv `name`. */
  convBias(name: string): tf.Tensor1D {
    const t = this.biases.get(name)
    if (!t) throw new Error(`${this.source}: no weights for '${name}.bias'`)
    return t
  }

  names(): string[] {
    return [...this.filters.keys()]
  }

  /** Frozen tensors in state_dict style: `<conv>.weight` (HWIO), `<conv>.bias`. */
  tensors(): { name: string; tensor: tf.Tensor }[] {
    return this.names().flatMap((n) => [
      { name: `${n}.weight`, tensor: this.convFilter(n) },
      { name: `${n}.bias`, tensor: this.convBias(n) }
    ])
  }

  dispose(): void {
    for (const t of [...this.filters.values(), ...this.biases.values()]) t.dispose()
    this.filters.clear()
    this.biases.clear()
  }
}

/** Where the teacher comes from. 'random' exists for tests only and must be asked for. */
export type { TeacherSource } from '../../../common/types/training'

/** Loads the teacher weights; the default is the shared folded .npy set. */
export function loadTeacherWeights(source: TeacherSource = { kind: 'npy' }): ModelWeights {
  switch (source.kind) {
    case 'npy':
      return loadFoldedNpy(source.dir ?? requireShared(TEACHER_WEIGHTS_DIR))
    case 'torchvision':
      return teacherWeightsFromStateDict(readTorchStateDict(source.path), source.path)
    case 'random':
      return randomTeacherWeights(source.seed)
  }
}

/** OIHW float32 data [Cout, Cin, k, k] -> HWIO tensor [k, k, Cin, Cout]. */
function oihwToHwio(data: Float32Array, spec: ConvSpec): tf.Tensor4D {
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(data, [spec.outChannels, spec.inChannels, spec.kernel, spec.kernel]), [2, 3, 1, 0])
  )
}

function oihwShape(spec: ConvSpec): number[] {
  return [spec.outChannels, spec.inChannels, spec.kernel, spec.kernel]
}

/** Reads `<dir>/<conv>.weight.npy` (OIHW) and `<conv>.bias.npy` for every teacher conv. */
export function loadFoldedNpy(dir: string): ModelWeights {
  const weights = new ModelWeights(dir)
  try {
    for (const spec of teacherConvSpecs()) {
      const w = readNpy(join(dir, `${spec.name}.weight.npy`), `${spec.name}.weight`, oihwShape(spec))
      const b = readNpy(join(dir, `${spec.name}.bias.npy`), `${spec.name}.bias`, [spec.outChannels])
      weights.set(spec.name, oihwToHwio(w.data, spec), tf.tensor1d(b.data))
    }
  } catch (err) {
    weights.dispose()
    throw err
  }
  return weights
}

/** BatchNorm parameters of one layer, [C] each. */
export interface BatchNormParams {
  weight: Float32Array | Float64Array
  bias: Float32Array | Float64Array
  runningMean: Float32Array | Float64Array
  runningVar: Float32Array | Float64Array
}

/**
 * Folds eval-mode BatchNorm into the preceding bias-free conv. `weight` is OIHW [Cout, Cin, k, k]
 * (any layout whose leading axis is Cout works). Computed in float64, returned as float32.
 */
export function foldBatchNorm(
  weight: Float32Array | Float64Array,
  outChannels: number,
  bn: BatchNormParams,
  eps = BN_EPS
): { weight: Float32Array; bias: Float32Array } {
  const per = weight.length / outChannels
  const w = new Float32Array(weight.length)
  const b = new Float32Array(outChannels)
  for (let o = 0; o < outChannels; o++) {
    const scale = bn.weight[o] / Math.sqrt(bn.runningVar[o] + eps)
    for (let i = 0; i < per; i++) w[o * per + i] = weight[o * per + i] * scale
    b[o] = bn.bias[o] - bn.runningMean[o] * scale
  }
  return { weight: w, bias: b }
}

/**
 * Teacher weights from a torchvision ResNet18 state_dict (`conv1.weight`, `bn1.*`,
 * `layer1.0.conv1.weight`, `layer1.0.bn1.*`, `layer2.0.downsample.{0,1}.*`, ...), BN folded.
 * `label` (the file) and the tensor name appear in every error.
 */
export function teacherWeightsFromStateDict(sd: TorchStateDict, label: string): ModelWeights {
  const get = (name: string, shape: number[]): Float32Array | Float64Array => {
    const t = sd.get(name)
    if (!t) throw new Error(`${label}: missing tensor '${name}'`)
    if (!sameShape(t.shape, shape)) {
      throw new Error(`${label}: tensor '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`)
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'float16' && t.dtype !== 'bfloat16') {
      throw new Error(`${label}: tensor '${name}' has dtype ${t.dtype}, expected a floating type`)
    }
    return t.data
  }
  const weights = new ModelWeights(label)
  try {
    for (const spec of teacherConvSpecs()) {
      const c = spec.outChannels
      const bnName = spec.norm as string
      const folded = foldBatchNorm(get(`${spec.name}.weight`, oihwShape(spec)), c, {
        weight: get(`${bnName}.weight`, [c]),
        bias: get(`${bnName}.bias`, [c]),
        runningMean: get(`${bnName}.running_mean`, [c]),
        runningVar: get(`${bnName}.running_var`, [c])
      })
      weights.set(spec.name, oihwToHwio(folded.weight, spec), tf.tensor1d(folded.bias))
    }
  } catch (err) {
    weights.dispose()
    throw err
  }
  return weights
}

/** Random teacher weights (Kaiming-normal filters, small biases); for tests, never a silent fallback. */
export function randomTeacherWeights(seed: number): ModelWeights {
  const weights = new ModelWeights(`random(${seed})`)
  for (const spec of teacherConvSpecs()) {
    const shape: [number, number, number, number] = [spec.kernel, spec.kernel, spec.inChannels, spec.outChannels]
    weights.set(
      spec.name,
      kaimingNormalFanOut(shape, parameterSeed(seed, `${spec.name}.weight`)),
      torchDefaultUniform([spec.outChannels], spec.inChannels * spec.kernel * spec.kernel, parameterSeed(seed, `${spec.name}.bias`)) as tf.Tensor1D
    )
  }
  return weights
}
