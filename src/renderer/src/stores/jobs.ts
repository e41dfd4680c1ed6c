/** Long-running backend jobs (imports, re-scans), fed by the `jobs:onProgress` / `jobs:onState` events. */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { JobKind, JobStatus } from '@common/types/jobs'
import { api } from '@renderer/api'
import { useAppStore } from './app'

export interface JobView {
  jobId: string
  kind: JobKind
  label: string
  done: number
  total: number
  status: JobStatus
  error?: string
  /** local time of the first event seen, for ordering */
  seenAt: number
  /** a cancel was requested from this window */
  cancelRequested: boolean
}

const KEEP_FINISHED = 20

/**
 * A fresh id for a job this window starts (passed with the call), so the window follows and cancels exactly
 * that job. crypto.randomUUID exists only in secure contexts; a page served over plain HTTP to another
 * host (`serve --host`) builds the same version-4 UUID from getRandomValues.
 */
export function newJobId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = (bytes[6] & 0x0f) | 0x40
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export const useJobsStore = defineStore('jobs', () => {
  const jobs = ref<Record<string, JobView>>({})
  let unsubscribers: Array<() => void> = []
  let seen = 0

  const all = computed(() => Object.values(jobs.value).sort((a, b) => a.seenAt - b.seenAt))
  const running = computed(() => all.value.filter((j) => j.status === 'running'))

  function entry(jobId: string, kind: JobKind, label: string): JobView {
    let job = jobs.value[jobId]
    if (!job) {
      jobs.value[jobId] = { jobId, kind, label, done: 0, total: 0, status: 'running', seenAt: ++seen, cancelRequested: false }
      job = jobs.value[jobId]
      prune()
    }
    return job
  }

  function prune(): void {
    const finished = all.value.filter((j) => j.status !== 'running')
    for (const job of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) delete jobs.value[job.jobId]
  }

  /** The job with this id, once its first event has arrived; null for no id. */
  function byId(jobId: string | null): JobView | null {
    return jobId === null ? null : (jobs.value[jobId] ?? null)
  }

  async function cancel(jobId: string): Promise<boolean> {
    const job = jobs.value[jobId]
    if (job) job.cancelRequested = true
    try {
      return await api.invoke('jobs:cancel', jobId)
    } catch (err) {
      useAppStore().reportError(err, 'Cancel')
      return false
    }
  }

  function hydrate(): void {
    if (unsubscribers.length > 0) return
    unsubscribers = [
      api.on('jobs:onProgress', (p) => {
        const job = entry(p.jobId, p.kind, p.label)
        job.label = p.label
        job.done = p.done
        job.total = p.total
      }),
      api.on('jobs:onState', (s) => {
        const job = entry(s.jobId, s.kind, s.label)
        job.status = s.status
        job.error = s.error
        if (s.status === 'running') job.label = s.label
      })
    ]
  }

  function dehydrate(): void {
    for (const unsubscribe of unsubscribers) unsubscribe()
    unsubscribers = []
    jobs.value = {}
  }

  return { jobs, all, running, byId, cancel, hydrate, dehydrate }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useJobsStore, import.meta.hot))
