/**
 * Area under the ROC curve, exact with ties: a group of equal scores is one threshold step and
 * contributes its trapezoid (half credit for tied positive/negative pairs), as sklearn's
 * roc_auc_score does.
 */
import type { RocCurve } from './types'

/**
 * Accumulates the ROC area from cumulative (tp, fp) counts after each tie group, visited from the
 * highest threshold down. Integer arithmetic in doubles: exact while 2 * P * N < 2^53.
 */
export class RocArea {
  private twiceArea = 0
  private prevTp = 0
  private prevFp = 0

  /** Adds the step to cumulative counts tp (positives >= threshold) and fp (negatives >= threshold). */
  add(tp: number, fp: number): void {
    this.twiceArea += (fp - this.prevFp) * (tp + this.prevTp)
    this.prevTp = tp
    this.prevFp = fp
  }

  /** The area, given the totals; NaN when either class is empty. */
  value(positives: number, negatives: number): number {
    return positives > 0 && negatives > 0 ? this.twiceArea / (2 * positives * negatives) : Number.NaN
  }
}

/** Cumulative counts after each distinct score, highest first: columns of equal length. */
export interface TieSteps {
  threshold: number[]
  tp: number[]
  fp: number[]
  positives: number
  negatives: number
}

/** Groups a small set of scores (labels 0/1) into tie steps, highest score first (comparator sort: for thousands, not millions). */
export function tieSteps(scores: ArrayLike<number>, labels: ArrayLike<number>): TieSteps {
  const n = scores.length
  if (labels.length !== n) throw new Error(`tieSteps: ${labels.length} labels for ${n} scores`)
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a])
  const steps: TieSteps = { threshold: [], tp: [], fp: [], positives: 0, negatives: 0 }
  let tp = 0
  let fp = 0
  for (let i = 0; i < n; ) {
    const s = scores[order[i]]
    if (Number.isNaN(s)) throw new Error('tieSteps: NaN score')
    while (i < n && scores[order[i]] === s) {
      if (labels[order[i]]) tp++
      else fp++
      i++
    }
    steps.threshold.push(s)
    steps.tp.push(tp)
    steps.fp.push(fp)
  }
  steps.positives = tp
  steps.negatives = fp
  return steps
}

/** ROC AUC of tie steps; NaN when one class is missing. */
export function rocAucOfSteps(steps: TieSteps): number {
  const area = new RocArea()
  for (let i = 0; i < steps.tp.length; i++) area.add(steps.tp[i], steps.fp[i])
  return area.value(steps.positives, steps.negatives)
}

/** ROC AUC of a small labelled score set; NaN when one class is missing. */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  return rocAucOfSteps(tieSteps(scores, labels))
}

/** The ROC points of tie steps (one per distinct score), starting from (0, 0) at no threshold; null when one class is missing. */
export function rocCurveOf(steps: TieSteps): RocCurve | null {
  if (steps.positives === 0 || steps.negatives === 0) return null
  return {
    fpr: steps.fp.map((fp) => fp / steps.negatives),
    tpr: steps.tp.map((tp) => tp / steps.positives),
    threshold: steps.threshold.slice()
  }
}
