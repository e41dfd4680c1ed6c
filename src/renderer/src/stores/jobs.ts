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

  /** The newest running job of one of these kinds, if any. */
  function latestRunning(kinds: readonly JobKind[]): JobView | null {
    const matches = running.value.filter((j) => kinds.includes(j.kind))
    return matches[matches.length - 1] ?? null
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

  return { jobs, all, running, latestRunning, cancel, hydrate, dehydrate }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useJobsStore, import.meta.hot))
