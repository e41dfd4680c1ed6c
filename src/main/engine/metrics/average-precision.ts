/**
 * Average precision, step-wise and exact (no interpolation, no binning), as sklearn's
 * average_precision_score: AP = sum over thresholds of (R_n - R_{n-1}) * P_n, where a group of
 * tied scores is one threshold.
 */

/** Accumulates AP from cumulative (tp, fp) counts after each tie group, visited from the highest threshold down. */
export class AveragePrecisionSum {
  private sum = 0
  private prevTp = 0

  /** Adds the step to cumulative counts tp (positives >= threshold) and fp (negatives >= threshold). */
  add(tp: number, fp: number): void {
    if (tp === this.prevTp) return // recall unchanged: no area
    this.sum += ((tp - this.prevTp) * tp) / (tp + fp)
    this.prevTp = tp
  }

  /** The average precision given the number of positives; NaN when there are none. */
  value(positives: number): number {
    return positives > 0 ? this.sum / positives : Number.NaN
  }
}
