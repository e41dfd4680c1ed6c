/**
 * Recomputes the segmentation net's BatchNorm running statistics for its final weights, as
 * torch.optim.swa_utils.update_bn does: reset, then forward `batches` phase-2 batches (synthetic
 * anomalies, I_a) in training mode with a cumulative average, so each running mean and variance is
 * the plain mean of the per-batch statistics. Nothing is learnt. Needed after weight averaging
 * (weight-average.ts), whose mean belongs to no running statistics of its own; on its own it
 * replaces the last steps' exponential average (momentum 0.1: about ten batches) by many batches.
 */
import * as tf from '@tensorflow/tfjs'
import type { TrainBatch } from '../data/batch-producer'
import { segmentationInput } from '../destseg/segmentation'
import type { DeSTSegNets } from './phases'

/**
 * Forwards every batch `next(k)` gives (k = 0 .. batches-1) through teacher, student and the
 * segmentation net in training mode and leaves the mean of their BN statistics as the running
 * ones. `shouldStop` is asked before each batch; when it says so, false is returned and the
 * statistics are partial (the trainer then keeps its checkpoint from before).
 */
export async function updateBatchNorm(
  nets: DeSTSegNets,
  batches: number,
  next: (k: number) => Promise<TrainBatch>,
  shouldStop: () => boolean = () => false
): Promise<boolean> {
  const norms = nets.segmentation.batchNorms()
  const momenta = norms.map((bn) => bn.momentum)
  try {
    for (let k = 0; k < batches; k++) {
      const batch = await next(k)
      if (shouldStop()) return false
      for (const bn of norms) bn.momentum = 1 / (k + 1) // k = 0 takes the batch's statistics as they are
      tf.tidy(() => {
        const anomalous = tf.tensor4d(batch.anomalous, [batch.batch, batch.size, batch.size, 3]) // I_a [B, H, W, 3]
        const x = segmentationInput(nets.teacher.apply(anomalous), nets.student.apply(anomalous, false)) // [B, H/4, W/4, 448]
        nets.segmentation.apply(x, true) // updates the running statistics; the map is not needed
      })
      await Promise.all(norms.map((bn) => bn.runningVar.data())) // a GPU backend runs the queued work now
    }
    return true
  } finally {
    norms.forEach((bn, i) => (bn.momentum = momenta[i]))
  }
}
