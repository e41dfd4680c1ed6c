/**
 * Conv weights as ONNX wants them for inference: OIHW filters with eval-mode BatchNorm folded in,
 * and a bias. The teacher's are folded already (weights.ts); the student's and the segmentation
 * net's ConvBn units are folded here from their running statistics, with foldBatchNorm.
 */
import type * as tf from '@tensorflow/tfjs'
import type { TeacherNet } from '../destseg/teacher'
import { foldBatchNorm } from '../destseg/weights'
import type { ConvBn, ConvSpec } from '../nn/layers'

/** One conv for inference: weight [Cout, Cin, k, k] (OIHW), bias [Cout]. */
export interface FoldedConvWeights {
  weight: Float32Array
  bias: Float32Array
}

/** The folded weights of a conv, looked up by its spec (its state_dict module path). */
export type ConvWeightLookup = (spec: ConvSpec) => FoldedConvWeights

const values = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array

/** HWIO [k, k, Cin, Cout] -> OIHW [Cout, Cin, k, k]. */
export function hwioToOihw(hwio: Float32Array, spec: ConvSpec): Float32Array {
  const { kernel: k, inChannels: cin, outChannels: cout } = spec
  if (hwio.length !== k * k * cin * cout) throw new Error(`${spec.name}: ${hwio.length} filter values, expected ${k}x${k}x${cin}x${cout}`)
  const out = new Float32Array(hwio.length)
  for (let h = 0; h < k; h++) {
    for (let w = 0; w < k; w++) {
      for (let i = 0; i < cin; i++) {
        const src = ((h * k + w) * cin + i) * cout
        for (let o = 0; o < cout; o++) out[((o * cin + i) * k + h) * k + w] = hwio[src + o]
      }
    }
  }
  return out
}

/** A trainable conv (+ BN with running stats) folded for inference. */
export function foldConvBn(unit: ConvBn): FoldedConvWeights {
  const { spec, conv, bn } = unit
  const weight = hwioToOihw(values(conv.weight), spec)
  const bias = conv.bias ? values(conv.bias).slice() : new Float32Array(spec.outChannels)
  if (!bn) return { weight, bias }
  // bn(conv(x) + c) = bn'(conv(x)) with running mean - c: a conv bias (none in DeSTSeg) folds in too
  const mean = Float32Array.from(values(bn.runningMean), (m, o) => m - bias[o])
  return foldBatchNorm(weight, spec.outChannels, { weight: values(bn.gamma), bias: values(bn.beta), runningMean: mean, runningVar: values(bn.runningVar) }, bn.eps)
}

/** Lookup over ConvBn units by spec name (every unit of a net: `net.units()` or the like). */
export function convBnLookup(units: readonly ConvBn[], label: string): ConvWeightLookup {
  const byName = new Map(units.map((u) => [u.spec.name, u]))
  return (spec) => {
    const unit = byName.get(spec.name)
    if (!unit) throw new Error(`${label}: no conv '${spec.name}'`)
    return foldConvBn(unit)
  }
}

/** Lookup over the teacher's folded `<conv>.weight` (HWIO) and `<conv>.bias` tensors. */
export function teacherLookup(teacher: TeacherNet): ConvWeightLookup {
  const byName = new Map(teacher.parameters().map((p) => [p.name, p.tensor]))
  return (spec) => {
    const w = byName.get(`${spec.name}.weight`)
    const b = byName.get(`${spec.name}.bias`)
    if (!w || !b) throw new Error(`teacher: no weights for '${spec.name}'`)
    return { weight: hwioToOihw(values(w), spec), bias: values(b).slice() }
  }
}
