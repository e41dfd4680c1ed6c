/** Thinning a monotone curve to a few hundred points for display, while it is being walked. */

/** Columns of a thinned curve: x, y and the threshold of each kept point. */
export interface CurveColumns {
  x: number[]
  y: number[]
  threshold: number[]
}

/**
 * Keeps a point once it is at least `totalLength / maxPoints` away (|dx| + |dy|) from the last kept
 * one, plus the first and the last point offered, so a curve of path length `totalLength` ends with
 * at most about maxPoints + 2 points however many thresholds it had.
 */
export class CurveThinner {
  private readonly step: number
  private readonly out: CurveColumns = { x: [], y: [], threshold: [] }
  private lastX = Number.NaN
  private lastY = Number.NaN
  private pendingX = Number.NaN
  private pendingY = Number.NaN
  private pendingT = Number.NaN
  private pending = false

  constructor(maxPoints: number, totalLength: number) {
    this.step = totalLength / Math.max(1, maxPoints)
  }

  /** Offers the next point of the curve. */
  offer(x: number, y: number, threshold: number): void {
    if (this.out.x.length === 0 || Math.abs(x - this.lastX) + Math.abs(y - this.lastY) >= this.step) {
      this.out.x.push(x)
      this.out.y.push(y)
      this.out.threshold.push(threshold)
      this.lastX = x
      this.lastY = y
      this.pending = false
    } else {
      this.pendingX = x
      this.pendingY = y
      this.pendingT = threshold
      this.pending = true
    }
  }

  /** The kept points, the last offered one included. */
  finish(): CurveColumns {
    if (this.pending) {
      this.out.x.push(this.pendingX)
      this.out.y.push(this.pendingY)
      this.out.threshold.push(this.pendingT)
      this.pending = false
    }
    return this.out
  }
}

/** At most about `maxPoints` evenly spaced indices of 0..n-1, first and last included, ascending. */
export function evenIndices(n: number, maxPoints: number): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i)
  const out: number[] = []
  for (let j = 0; j < maxPoints; j++) {
    const i = Math.round((j * (n - 1)) / (maxPoints - 1))
    if (out.length === 0 || out[out.length - 1] !== i) out.push(i)
  }
  return out
}
