/** Phase-2 L1 loss of the segmentation network (DeSTSeg Sec. 3.3, Eq. 6; reference `l1_loss`). */
import * as tf from '@tensorflow/tfjs'

/**
 * L_l1 = (1 / N) sum |M - Y|, Eq. (6). The segmentation loss is L_seg = L_focal + L_l1, Eq. (7).
 *
 * @param probs Y, anomaly probabilities, any shape (phase 2: [B, 64, 64, 1])
 * @param target M, the same shape, 0/1
 * @returns the mean over every element, a scalar
 */
export function l1Loss(probs: tf.Tensor, target: tf.Tensor): tf.Scalar {
  tf.util.assert(
    probs.rank === target.rank && probs.shape.every((d, i) => d === target.shape[i]),
    () => `l1Loss: shapes ${JSON.stringify(probs.shape)} and ${JSON.stringify(target.shape)} differ`
  )
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(probs, tf.cast(target, 'float32')))) as tf.Scalar)
}
