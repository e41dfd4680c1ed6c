/** Small pure helpers for display. */
import type { CategoryCounts } from '@common/types/datasets'

/** The message of anything thrown, ApiCallError included. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  if (typeof err === 'string') return err
  return String(err)
}

const numberFormat = new Intl.NumberFormat('en-US')

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : numberFormat.format(n)
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  const pad = (v: number): string => String(v).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`
}

export interface CountTotals {
  train_good: number
  test_good: number
  test_anomalous: number
  masks: number
  images: number
}

export function totalCounts(categories: readonly CategoryCounts[]): CountTotals {
  const totals: CountTotals = { train_good: 0, test_good: 0, test_anomalous: 0, masks: 0, images: 0 }
  for (const c of categories) {
    totals.train_good += c.train_good
    totals.test_good += c.test_good
    totals.test_anomalous += c.test_anomalous
    totals.masks += c.masks
  }
  totals.images = totals.train_good + totals.test_good + totals.test_anomalous
  return totals
}

/** The last path segment, for compact labels. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean)
  return parts[parts.length - 1] ?? path
}

export { formatDuration } from '@common/format'
