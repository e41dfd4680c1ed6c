/**
 * One optimisation step of each DeSTSeg training phase (METHOD.md, "Training"; reference train.py).
 *  - Phase 1, {@link studentStep}: the teacher (always eval) sees I_n, the student in training mode
 *    sees I_a; L_cos (Eq. 4) over the three levels; SGD on the student's encoder and decoder.
 *  - Phase 2, {@link segmentationStep}: teacher and student (eval mode, outside the gradient tape,
 *    so frozen and detached) both see I_a; the segmentation net in training mode predicts Y from
 *    X = concat_k upsample(-norm(T_k) * norm(S_k)); L_seg = L_focal(gamma 4) + L_l1 (Eq. 7)
 *    against M at the output size; SGD on the segmentation net (res and head groups).
 * Each step queues its work inside tf.tidy, leaves no tensors behind and resolves with the loss values,
 * read asynchronously (a GPU backend runs queued work later, and Node has no synchronous read of GPU data).
 */
import * as tf from '@tensorflow/tfjs'
import { segmentationInput, type SegmentationNet } from '../destseg/segmentation'
import type { StudentNet } from '../destseg/student'
import type { TeacherNet } from '../destseg/teacher'
import { cosineDistanceLoss } from '../losses/cosine-distance'
import { focalLoss } from '../losses/focal'
import { l1Loss } from '../losses/l1'
import { Sgd, type SgdOptions } from '../optim/sgd'
import type { TrainBatch } from '../data/batch-producer'

/** The three networks of a run. */
export interface DeSTSegNets {
  teacher: TeacherNet
  student: StudentNet
  segmentation: SegmentationNet
}

/** The focusing parameter of the focal loss (reference: 4). */
export const FOCAL_GAMMA = 4

/** The phase-1 optimiser: one group over S_E and S_D. */
export function studentOptimizer(student: StudentNet, lr: number, options: SgdOptions): Sgd {
  return new Sgd([{ name: 'student', lr, params: student.parameters() }], options)
}

/** The phase-2 optimiser: 'res' (residual blocks) and 'head' (ASPP and the rest) groups. */
export function segmentationOptimizer(seg: SegmentationNet, lrRes: number, lrHead: number, options: SgdOptions): Sgd {
  return new Sgd(
    [
      { name: 'res', lr: lrRes, params: seg.residualParameters() },
      { name: 'head', lr: lrHead, params: seg.headParameters() }
    ],
    options
  )
}

/**
 * Phase 1. normal I_n and anomalous I_a: [B, H, W, 3], ImageNet-normalised.
 * @returns L_cos of the batch (summed over the batch, as the reference does)
 */
export async function studentStep(
  nets: Pick<DeSTSegNets, 'teacher' | 'student'>,
  optimizer: Sgd,
  normal: tf.Tensor4D,
  anomalous: tf.Tensor4D
): Promise<{ cosine: number }> {
  const loss = tf.tidy(() => {
    const t = nets.teacher.apply(normal) // T1..T3 of I_n
    const { value, grads } = tf.variableGrads(() => {
      const s = nets.student.apply(anomalous, true) // S1..S3 of I_a, BN in training mode
      return cosineDistanceLoss([t.t1, t.t2, t.t3], [s.s1, s.s2, s.s3])
    }, optimizer.variables())
    optimizer.step(grads)
    return value
  })
  const [cosine] = await readScalars([loss])
  return { cosine }
}

/**
 * Phase 2. anomalous I_a [B, H, W, 3] (ImageNet-normalised); mask M [B, H/4, W/4, 1] of 0/1 (the
 * synthetic mask resized bilinearly to the output size and binarised at 0.5, see downsampleMask).
 * @returns L_focal and L_l1 (means over every pixel of the batch)
 */
export async function segmentationStep(
  nets: DeSTSegNets,
  optimizer: Sgd,
  anomalous: tf.Tensor4D,
  mask: tf.Tensor4D
): Promise<{ focal: number; l1: number }> {
  const losses = tf.tidy(() => {
    // Outside variableGrads: nothing here is on the tape, so no gradient reaches T or S.
    const x = segmentationInput(nets.teacher.apply(anomalous), nets.student.apply(anomalous, false)) // [B, H/4, W/4, 448]
    tf.util.assert(
      x.shape[1] === mask.shape[1] && x.shape[2] === mask.shape[2],
      () => `mask ${JSON.stringify(mask.shape)} does not match the segmentation output ${JSON.stringify(x.shape.slice(0, 3))}`
    )
    let kept: tf.Scalar[] = []
    const { grads } = tf.variableGrads(() => {
      const y = nets.segmentation.apply(x, true) // [B, H/4, W/4, 1]
      const lf = focalLoss(y, mask, FOCAL_GAMMA)
      const ll = l1Loss(y, mask)
      kept = [tf.keep(lf), tf.keep(ll)]
      return tf.add(lf, ll) as tf.Scalar
    }, optimizer.variables())
    optimizer.step(grads)
    return kept
  })
  const [focal, l1] = await readScalars(losses)
  return { focal, l1 }
}

/** The values of scalars (read asynchronously), which are then disposed. */
async function readScalars(scalars: tf.Tensor[]): Promise<number[]> {
  try {
    return (await Promise.all(scalars.map((t) => t.data()))).map((v) => Number(v[0]))
  } finally {
    tf.dispose(scalars)
  }
}

/** The tensors of a TrainBatch: normal, anomalous [B, H, W, 3] and mask [B, H/4, W/4, 1]. Dispose them. */
export function batchTensors(batch: TrainBatch): { normal: tf.Tensor4D; anomalous: tf.Tensor4D; mask: tf.Tensor4D } {
  const { batch: b, size, maskSize } = batch
  return {
    normal: tf.tensor4d(batch.normal, [b, size, size, 3]),
    anomalous: tf.tensor4d(batch.anomalous, [b, size, size, 3]),
    mask: tf.tensor4d(batch.mask, [b, maskSize, maskSize, 1])
  }
}
