/**
 * How reports print numbers: the one place metric values become text, so the PDF, the HTML and the
 * tests agree (a metric is its stored number with 4 decimals, e.g. 0.8031).
 */

/** A metric, threshold or score as reports print it: 4 decimals; 'n/a' when there is none. */
export function formatMetric(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(4)
}

/** A share in [0, 1] as a percentage with one decimal. */
export function formatPercent(value: number): string {
  return Number.isFinite(value) ? `${(100 * value).toFixed(1)}%` : 'n/a'
}

export { formatDuration } from '../../common/format'

/** An ISO time as "2026-01-01 12:00:00 UTC" (reports are read elsewhere: no local time zone); '—' when unknown. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** A file-name-safe slug of a name. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'report'
}
