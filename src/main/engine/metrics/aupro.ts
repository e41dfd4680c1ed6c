/**
 * AUPRO: the area under the per-region-overlap (PRO) curve up to a false-positive rate of 0.3,
 * divided by 0.3, as in the MVTec AD evaluation code (pro_curve_util.compute_pro + trapezoid):
 * every distinct score is a threshold; at each, FPR = normal pixels >= t / all normal pixels and
 * PRO = mean over ground-truth regions (8-connected components, all images pooled) of the fraction
 * of the region's pixels >= t. The curve runs from (0, 0) through one point per threshold
 * (highest first); the last segment is cut at the limit by linear interpolation.
 */

/** The integration limit of the standard AUPRO. */
export const AUPRO_FPR_LIMIT = 0.3

/** Accumulates the PRO area from cumulative counts after each tie group, visited from the highest threshold down. */
export class ProArea {
  private area = 0
  private prevFpr = 0
  private prevPro = 0
  private done = false

  /**
   * @param negatives normal pixels, pooled
   * @param regions ground-truth regions, pooled
   */
  constructor(
    private readonly negatives: number,
    private readonly regions: number,
    private readonly limit = AUPRO_FPR_LIMIT
  ) {}

  /** Adds a point: fp = normal pixels >= t, overlap = sum over regions of the fraction of its pixels >= t. */
  add(fp: number, overlap: number): void {
    if (this.done) return
    const fpr = Math.min(fp / this.negatives, 1)
    const pro = Math.min(overlap / this.regions, 1)
    if (fpr <= this.limit) {
      this.area += 0.5 * (pro + this.prevPro) * (fpr - this.prevFpr)
      this.prevFpr = fpr
      this.prevPro = pro
      return
    }
    if (this.prevFpr < this.limit) {
      const proAtLimit = this.prevPro + ((pro - this.prevPro) * (this.limit - this.prevFpr)) / (fpr - this.prevFpr)
      this.area += 0.5 * (proAtLimit + this.prevPro) * (this.limit - this.prevFpr)
    }
    this.done = true
  }

  /** The normalised area (0..1). Without a point past the limit, the curve is closed at (1, 1) as MVTec's is. */
  value(): number {
    if (!this.done) this.add(this.negatives, this.regions)
    return this.area / this.limit
  }
}
