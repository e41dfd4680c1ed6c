/**
 * Phase-1 loss of the de-noising student (DeSTSeg Sec. 3.2, Eqs. 2-4; reference
 * `cosine_similarity_loss`).
 */
import * as tf from '@tensorflow/tfjs'
import { l2Normalize } from '../destseg/segmentation'

function assertSameShape(a: tf.Tensor, b: tf.Tensor, what: string): void {
  tf.util.assert(
    a.rank === b.rank && a.shape.every((d, i) => d === b.shape[i]),
    () => `${what}: shapes ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} differ`
  )
}

/**
 * The cosine distance map of one feature level, Eqs. (2)-(3):
 * X_k = norm(F_Tk) * norm(F_Sk) (norm: L2 over channels, x / (||x|| + 1e-12)),
 * D_k(i, j) = 1 - sum_c X_k(i, j)_c.
 *
 * @param teacher F_Tk, [B, H, W, C]
 * @param student F_Sk, [B, H, W, C]
 * @returns D_k, [B, H, W, 1], in [0, 2]
 */
export function cosineDistanceMap(teacher: tf.Tensor4D, student: tf.Tensor4D): tf.Tensor4D {
  assertSameShape(teacher, student, 'cosineDistanceMap')
  return tf.tidy(() => tf.sub(1, tf.sum(tf.mul(l2Normalize(teacher), l2Normalize(student)), 3, true)))
}

/**
 * L_cos, Eq. (4): the sum over levels k of the mean over pixels of D_k, summed over the batch as
 * the reference does (sum of D_k over all of [B, H_k, W_k] divided by H_k W_k; so the loss scales
 * with the batch size):
 *   L_cos = sum_k sum_b (1 / (H_k W_k)) sum_{i,j} D_k(b, i, j).
 * In phase 1 the teacher sees I_n and the student I_a; only the student gets gradients.
 *
 * @param teacher [T1, T2, T3], each [B, H_k, W_k, C_k]
 * @param student [S1, S2, S3], the same shapes
 * @returns a scalar
 */
export function cosineDistanceLoss(teacher: readonly tf.Tensor4D[], student: readonly tf.Tensor4D[]): tf.Scalar {
  tf.util.assert(
    teacher.length === student.length && teacher.length > 0,
    () => `cosineDistanceLoss: ${teacher.length} teacher and ${student.length} student levels`
  )
  return tf.tidy(() => {
    const levels = teacher.map((t, k) => {
      const [, h, w] = t.shape
      return tf.div(tf.sum(cosineDistanceMap(t, student[k])), h * w)
    })
    return tf.addN(levels) as tf.Scalar
  })
}
