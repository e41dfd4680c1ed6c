/**
 * Phase-2 focal loss of the segmentation network (DeSTSeg Sec. 3.3, Eq. 5; reference `focal_loss`
 * with gamma 4, no alpha, mean reduction).
 */
import * as tf from '@tensorflow/tfjs'

/**
 * L_focal = -(1 / N) sum (1 - p_t)^gamma log(p_t), with p_t = M Y + (1 - M)(1 - Y), Eq. (5).
 * Computed as the reference does, BCE(Y, M) (1 - p_t)^gamma, which is Eq. (5) for binary M.
 * Y is clamped to [eps, 1 - eps] before the logarithms (the reference's BCE clamps log at -100
 * instead; both only matter for saturated predictions).
 *
 * @param probs Y, anomaly probabilities in (0, 1), any shape (phase 2: [B, 64, 64, 1])
 * @param target M, the same shape, 0/1 (the mask resized to the output size, then >= 0.5)
 * @param gamma focusing parameter, default 4
 * @param eps clamp margin, default 1e-6
 * @returns the mean over every element, a scalar
 */
export function focalLoss(probs: tf.Tensor, target: tf.Tensor, gamma = 4, eps = 1e-6): tf.Scalar {
  tf.util.assert(
    probs.rank === target.rank && probs.shape.every((d, i) => d === target.shape[i]),
    () => `focalLoss: shapes ${JSON.stringify(probs.shape)} and ${JSON.stringify(target.shape)} differ`
  )
  return tf.tidy(() => {
    const y = tf.clipByValue(probs, eps, 1 - eps)
    const m = tf.cast(target, 'float32')
    const notM = tf.sub(1, m)
    const notY = tf.sub(1, y)
    const bce = tf.neg(tf.add(tf.mul(m, tf.log(y)), tf.mul(notM, tf.log(notY))))
    const pt = tf.add(tf.mul(m, y), tf.mul(notM, notY))
    return tf.mean(tf.mul(bce, tf.pow(tf.sub(1, pt), gamma))) as tf.Scalar
  })
}
