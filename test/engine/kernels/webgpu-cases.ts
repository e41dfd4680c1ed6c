/**
 * The computations the webgpu backend is checked on against the cpu backend (no vitest here, so
 * scripts/bench-gpu.sh runs the same checks on the GPU machine through scripts/bench-gpu-check.ts):
 * gradients of stride-1 and stride-2 convolutions (Conv2DBackpropFilter/Input), the dilated
 * convolutions of ASPP, training-mode BatchNorm, bilinear resizing, max pooling, and every
 * parameter gradient of the phase-1 and phase-2 losses at 32x32.
 *
 * BatchNorm runs in eval mode in the two network cases: in training mode at 32x32 and batch 2 the
 * deepest BNs normalise over 2 to 8 values and the gradients are so ill-conditioned that cpu and
 * wasm differ by 0.9 (scaled) too; training-mode BN has a case of its own.
 */
import * as tf from '@tensorflow/tfjs'
import { selectBackend } from '../../../src/main/engine/backend'
import { upsampleBilinear } from '../../../src/main/engine/destseg/resnet18'
import { segmentationInput, SegmentationNet } from '../../../src/main/engine/destseg/segmentation'
import { StudentNet } from '../../../src/main/engine/destseg/student'
import { TeacherNet } from '../../../src/main/engine/destseg/teacher'
import { batchNormTraining } from '../../../src/main/engine/kernels/batch-norm'
import { cosineDistanceLoss } from '../../../src/main/engine/losses/cosine-distance'
import { focalLoss } from '../../../src/main/engine/losses/focal'
import { l1Loss } from '../../../src/main/engine/losses/l1'
import { dilatedConv2d } from '../../../src/main/engine/nn/dilated-conv'
import { resizeBilinear } from '../../../src/main/engine/nn/resize'
import { FOCAL_GAMMA } from '../../../src/main/engine/trainer/phases'
import { scaledMaxDiff } from './compare'

/** Tolerance on max |diff| / max(1, max |cpu|): float32 with different summation orders. */
export const WEBGPU_TOLERANCE = 2e-3

/** Float32 values from a fixed LCG in [-0.5, 0.5), so both backends see identical inputs. */
function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 32 - 0.5
  }
  return out
}

const input = (shape: number[], seed: number): tf.Tensor => tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed), shape)

function conv(stride: 1 | 2): () => tf.Tensor[] {
  return () => {
    const x = input([2, 12, 12, 5], 1) as tf.Tensor4D
    const w = input([3, 3, 5, 7], 2) as tf.Tensor4D
    const dy = input([2, 12 / stride, 12 / stride, 7], 3)
    return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, 'same'), dy)))([x, w])
  }
}

function dilated(d: number): () => tf.Tensor[] {
  return () => {
    const x = input([1, 14, 14, 4], 4) as tf.Tensor4D
    const w = input([3, 3, 4, 6], 5) as tf.Tensor4D
    const dy = input([1, 14, 14, 6], 6)
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(dilatedConv2d(a as tf.Tensor4D, b as tf.Tensor4D, d, d), dy))
    return [dilatedConv2d(x, w, d, d), ...tf.grads(f)([x, w])]
  }
}

function batchNorm(): tf.Tensor[] {
  const x = input([2, 6, 6, 8], 7)
  const gamma = tf.add(input([8], 8), 1) as tf.Tensor1D
  const beta = input([8], 9) as tf.Tensor1D
  const dy = input([2, 6, 6, 8], 10)
  return tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5), dy)))([x, gamma, beta])
}

function resize(): tf.Tensor[] {
  const x = input([2, 5, 7, 3], 11) as tf.Tensor4D
  const up = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(upsampleBilinear(a as tf.Tensor4D, [10, 14]), input([2, 10, 14, 3], 12))))([x])
  const any = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(resizeBilinear(a as tf.Tensor4D, [9, 4]), input([2, 9, 4, 3], 13))))([x])
  return [...up, ...any]
}

function maxPool(): tf.Tensor[] {
  const x = input([2, 8, 8, 3], 14) as tf.Tensor4D
  return tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 'same'), input([2, 4, 4, 3], 15))))([x])
}

function phase1(): tf.Tensor[] {
  const teacher = TeacherNet.load({ kind: 'random', seed: 1 })
  const student = new StudentNet({ seed: 1 })
  try {
    const normal = input([2, 32, 32, 3], 20) as tf.Tensor4D
    const anomalous = input([2, 32, 32, 3], 21) as tf.Tensor4D
    const t = teacher.apply(normal)
    const vars = student.parameters().map((p) => p.tensor as tf.Variable)
    const { value, grads } = tf.variableGrads(() => {
      const s = student.apply(anomalous, false)
      return cosineDistanceLoss([t.t1, t.t2, t.t3], [s.s1, s.s2, s.s3])
    }, vars)
    return [value, ...vars.map((v) => grads[v.name])]
  } finally {
    teacher.dispose()
    student.dispose()
  }
}

function phase2(): tf.Tensor[] {
  const teacher = TeacherNet.load({ kind: 'random', seed: 1 })
  const student = new StudentNet({ seed: 1 })
  const seg = new SegmentationNet({ seed: 1 })
  try {
    const anomalous = input([2, 32, 32, 3], 22) as tf.Tensor4D
    const mask = tf.cast(tf.greater(input([2, 8, 8, 1], 23), 0.3), 'float32') as tf.Tensor4D
    const x = segmentationInput(teacher.apply(anomalous), student.apply(anomalous, false))
    const vars = seg.parameters().map((p) => p.tensor as tf.Variable)
    const { value, grads } = tf.variableGrads(() => {
      const y = seg.apply(x, false)
      return tf.add(focalLoss(y, mask, FOCAL_GAMMA), l1Loss(y, mask)) as tf.Scalar
    }, vars)
    return [value, ...vars.map((v) => grads[v.name])]
  } finally {
    teacher.dispose()
    student.dispose()
    seg.dispose()
  }
}

/** Case name -> a computation whose outputs (values and gradients) are compared. */
export const WEBGPU_CASES: Readonly<Record<string, () => tf.Tensor[]>> = {
  'conv2d/s1': conv(1),
  'conv2d/s2': conv(2),
  'dilated/d2': dilated(2),
  'dilated/d6': dilated(6),
  batchnorm: batchNorm,
  resize,
  maxpool: maxPool,
  phase1,
  phase2
}

/** `fn`'s outputs as arrays on `backend`, read asynchronously (webgpu has no sync read in Node). */
export async function runOn(backend: 'cpu' | 'webgpu', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  if (backend === 'cpu') await selectBackend('cpu')
  else if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not initialise`)
  await tf.ready()
  const outs = tf.tidy(fn)
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>))
  tf.dispose(outs)
  return values.map((v) => Float32Array.from(v))
}

/** The worst scaled difference over every output of case `name`, webgpu against cpu. */
export async function compareCase(name: string): Promise<number> {
  const fn = WEBGPU_CASES[name]
  const gpu = await runOn('webgpu', fn)
  const cpu = await runOn('cpu', fn)
  if (gpu.length !== cpu.length) throw new Error(`${name}: ${gpu.length} outputs on webgpu, ${cpu.length} on cpu`)
  return Math.max(...cpu.map((c, i) => scaledMaxDiff(gpu[i], c)))
}
