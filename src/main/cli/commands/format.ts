/** Readable text for the CLI's non-JSON output. */
import type { CategoryCounts, Rejection } from '../../../common/types/datasets'

export function formatCategory(c: CategoryCounts): string {
  const defects = c.defect_types.length ? ` (${c.defect_types.join(', ')})` : ''
  return `  ${c.name}: train/good ${c.train_good}, test/good ${c.test_good}, test/anomalous ${c.test_anomalous}${defects}, masks ${c.masks}`
}

export function formatRejected(rejected: Rejection[]): string[] {
  if (rejected.length === 0) return []
  return [`Rejected (${rejected.length}):`, ...rejected.map((r) => `  ${r.path}: ${r.reason}`)]
}
