/** The review verdicts with their keys (one keystroke each) and what they mean. */
import type { VerdictKind } from '@common/types/results'

export interface VerdictOption {
  kind: VerdictKind
  label: string
  /** KeyboardEvent.key values that give it (digit first, shown in the UI) */
  keys: readonly string[]
  hint: string
}

export const VERDICT_OPTIONS: readonly VerdictOption[] = [
  { kind: 'true_defect', label: 'True defect', keys: ['1', 't', 'T'], hint: 'there is a real defect here' },
  { kind: 'false_alarm', label: 'False alarm', keys: ['2', 'f', 'F'], hint: 'nothing is wrong here' },
  { kind: 'ambiguous_gt', label: 'Ambiguous ground truth', keys: ['3', 'a', 'A'], hint: 'the mask is unclear or wrong' },
  { kind: 'skip', label: 'Skip', keys: ['4', 's', 'S'], hint: 'decide later' }
]

export function verdictLabel(kind: VerdictKind): string {
  return VERDICT_OPTIONS.find((o) => o.kind === kind)?.label ?? kind
}
