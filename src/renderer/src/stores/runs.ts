/** Training runs: the list and queue, creating, cancelling, resuming and deleting, live progress. */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ACTIVE_RUN_STATUSES, type RunBackend, type RunCreateRequest, type RunPresets, type RunSummary } from '@common/types/runs'
import type { TrainProgress } from '@common/types/training'
import { api } from '@renderer/api'
import { useAppStore } from './app'

export const useRunsStore = defineStore('runs', () => {
  const app = useAppStore()

  const list = ref<RunSummary[]>([])
  const loaded = ref(false)
  const presets = ref<RunPresets | null>(null)
  const backend = ref<RunBackend | null>(null)
  const backendLoading = ref(false)
  const creating = ref(false)
  /** the run a cancel, resume or delete is in flight for */
  const busyId = ref<number | null>(null)
  /** every step's progress of the runs whose curves are shown, by run id */
  const histories = ref<Record<number, TrainProgress[]>>({})
  let unsubscribers: Array<() => void> = []

  /** The run being worked on (training, exporting or evaluating), if any. */
  const active = computed(() => list.value.find((r) => ACTIVE_RUN_STATUSES.includes(r.status)) ?? null)
  const queued = computed(() =>
    list.value.filter((r) => r.status === 'queued').sort((a, b) => (a.queue_position ?? 0) - (b.queue_position ?? 0))
  )

  function byId(id: number): RunSummary | undefined {
    return list.value.find((r) => r.id === id)
  }

  /** Puts a run in the list (newest first), replacing an older copy. */
  function upsert(run: RunSummary): void {
    const index = list.value.findIndex((r) => r.id === run.id)
    if (index >= 0) list.value[index] = run
    else list.value = [run, ...list.value].sort((a, b) => b.id - a.id)
    // A new start of the queue changes every queued run's place: fetch them again.
    if (run.status === 'training' && list.value.some((r) => r.status === 'queued')) void refresh()
  }

  async function refresh(): Promise<void> {
    try {
      list.value = await api.invoke('runs:list')
      loaded.value = true
    } catch (err) {
      app.reportError(err, 'Loading runs')
    }
  }

  async function loadPresets(): Promise<void> {
    if (presets.value) return
    try {
      presets.value = await api.invoke('runs:presets')
    } catch (err) {
      app.reportError(err, 'Loading presets')
    }
  }

  /** Asks which backend training uses (starts the training worker the first time). */
  async function loadBackend(): Promise<void> {
    backendLoading.value = true
    try {
      backend.value = await api.invoke('runs:backend')
    } catch (err) {
      app.reportError(err, 'Checking the training backend')
    } finally {
      backendLoading.value = false
    }
  }

  /** Loads a run's progress so far, for its loss curves; later steps arrive as events. */
  async function loadHistory(id: number): Promise<void> {
    try {
      histories.value[id] = await api.invoke('runs:history', id)
    } catch (err) {
      app.reportError(err, `Loading the progress of run ${id}`)
    }
  }

  async function create(request: RunCreateRequest): Promise<RunSummary | null> {
    creating.value = true
    try {
      const run = await api.invoke('runs:create', request)
      upsert(run)
      histories.value[run.id] = []
      return run
    } catch (err) {
      app.reportError(err, 'Start run')
      return null
    } finally {
      creating.value = false
    }
  }

  async function act(id: number, what: string, call: () => Promise<RunSummary | void>): Promise<boolean> {
    busyId.value = id
    try {
      const run = await call()
      if (run) upsert(run)
      return true
    } catch (err) {
      app.reportError(err, what)
      return false
    } finally {
      busyId.value = null
    }
  }

  const cancel = (id: number): Promise<boolean> => act(id, 'Cancel run', () => api.invoke('runs:cancel', id))

  async function resume(id: number): Promise<boolean> {
    const ok = await act(id, 'Resume run', () => api.invoke('runs:resume', id))
    if (ok) await loadHistory(id)
    return ok
  }

  async function remove(id: number): Promise<boolean> {
    const ok = await act(id, 'Delete run', () => api.invoke('runs:remove', id))
    if (ok) {
      list.value = list.value.filter((r) => r.id !== id)
      delete histories.value[id]
    }
    return ok
  }

  async function hydrate(): Promise<void> {
    if (unsubscribers.length === 0) {
      unsubscribers = [
        api.on('runs:onState', (run) => upsert(run)),
        api.on('runs:onProgress', ({ run_id, progress }) => {
          const run = byId(run_id)
          if (run) run.last_progress = progress
          const history = histories.value[run_id]
          if (history && history[history.length - 1]?.global_step !== progress.global_step) history.push(progress)
        })
      ]
    }
    await refresh()
  }

  function dehydrate(): void {
    for (const unsubscribe of unsubscribers) unsubscribe()
    unsubscribers = []
    list.value = []
    loaded.value = false
    histories.value = {}
  }

  return {
    list,
    loaded,
    presets,
    backend,
    backendLoading,
    creating,
    busyId,
    histories,
    active,
    queued,
    byId,
    refresh,
    loadPresets,
    loadBackend,
    loadHistory,
    create,
    cancel,
    resume,
    remove,
    hydrate,
    dehydrate
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useRunsStore, import.meta.hot))
