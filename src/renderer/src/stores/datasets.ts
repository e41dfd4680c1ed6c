/** Datasets: the list, importing (with its outcome), re-scanning and removing. */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { DatasetSummary, ImportOutcome, ImportRequest, RescanOutcome } from '@common/types/datasets'
import { api } from '@renderer/api'
import { useAppStore } from './app'
import { newJobId, useJobsStore } from './jobs'

export interface ImportAttempt {
  request: ImportRequest
  outcome: ImportOutcome
}

export const useDatasetsStore = defineStore('datasets', () => {
  const app = useAppStore()
  const jobs = useJobsStore()

  const list = ref<DatasetSummary[]>([])
  const loaded = ref(false)
  const loading = ref(false)

  const importing = ref(false)
  const lastImport = ref<ImportAttempt | null>(null)
  const rescanningId = ref<number | null>(null)
  const lastRescan = ref<RescanOutcome | null>(null)
  const removingId = ref<number | null>(null)
  let cancelRequested = false
  /** ids of the jobs this window started for the import and the re-scan in progress */
  const importJobId = ref<string | null>(null)
  const rescanJobId = ref<string | null>(null)

  /** The backend job behind the import or re-scan in progress, for its progress bar and Cancel. */
  const importJob = computed(() => jobs.byId(importJobId.value))
  const rescanJob = computed(() => jobs.byId(rescanJobId.value))

  function byId(id: number): DatasetSummary | undefined {
    return list.value.find((d) => d.id === id)
  }

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      list.value = await api.invoke('datasets:list')
      loaded.value = true
    } catch (err) {
      app.reportError(err, 'Loading datasets')
    } finally {
      loading.value = false
    }
  }

  /** Fetches one dataset and keeps the list entry current. */
  async function load(id: number): Promise<DatasetSummary | null> {
    try {
      const dataset = await api.invoke('datasets:get', id)
      const index = list.value.findIndex((d) => d.id === id)
      if (index >= 0) list.value[index] = dataset
      else list.value.push(dataset)
      return dataset
    } catch (err) {
      app.reportError(err, `Loading dataset ${id}`)
      return null
    }
  }

  async function importFolder(request: ImportRequest): Promise<ImportOutcome | null> {
    const jobId = newJobId()
    importing.value = true
    importJobId.value = jobId
    cancelRequested = false
    lastImport.value = null
    lastRescan.value = null
    try {
      const outcome = await api.invoke('datasets:import', { ...request, jobId })
      lastImport.value = { request, outcome }
      if (outcome.dataset_id !== null) await refresh()
      return outcome
    } catch (err) {
      if (cancelRequested) app.notify('Import cancelled; nothing was imported.')
      else app.reportError(err, 'Import')
      return null
    } finally {
      importing.value = false
      importJobId.value = null
    }
  }

  /** Repeats the last import, skipping the files it rejected. */
  async function importSkippingRejected(): Promise<ImportOutcome | null> {
    if (!lastImport.value) return null
    return importFolder({ ...lastImport.value.request, skipRejected: true })
  }

  async function cancelImport(): Promise<void> {
    const jobId = importJobId.value
    if (jobId === null) return
    cancelRequested = true
    await jobs.cancel(jobId)
  }

  async function rescan(id: number): Promise<RescanOutcome | null> {
    const jobId = newJobId()
    rescanningId.value = id
    rescanJobId.value = jobId
    cancelRequested = false
    lastRescan.value = null
    try {
      const outcome = await api.invoke('datasets:rescan', id, jobId)
      lastRescan.value = outcome
      if (lastImport.value?.outcome.existing_dataset_id === id) lastImport.value = null
      await refresh()
      return outcome
    } catch (err) {
      if (cancelRequested) app.notify('Re-scan cancelled; the dataset is unchanged.')
      else app.reportError(err, 'Re-scan')
      return null
    } finally {
      rescanningId.value = null
      rescanJobId.value = null
    }
  }

  async function cancelRescan(): Promise<void> {
    const jobId = rescanJobId.value
    if (jobId === null) return
    cancelRequested = true
    await jobs.cancel(jobId)
  }

  async function remove(id: number): Promise<boolean> {
    removingId.value = id
    try {
      await api.invoke('datasets:remove', id)
      list.value = list.value.filter((d) => d.id !== id)
      const outcome = lastImport.value?.outcome
      if (outcome && (outcome.dataset_id === id || outcome.existing_dataset_id === id)) lastImport.value = null
      if (lastRescan.value?.dataset_id === id) lastRescan.value = null
      return true
    } catch (err) {
      app.reportError(err, 'Delete')
      return false
    } finally {
      removingId.value = null
    }
  }

  function clearOutcomes(): void {
    lastImport.value = null
    lastRescan.value = null
  }

  async function hydrate(): Promise<void> {
    await refresh()
  }

  function dehydrate(): void {
    list.value = []
    loaded.value = false
    clearOutcomes()
  }

  return {
    list,
    loaded,
    loading,
    importing,
    lastImport,
    importJob,
    rescanningId,
    lastRescan,
    rescanJob,
    removingId,
    byId,
    refresh,
    load,
    importFolder,
    importSkippingRejected,
    cancelImport,
    rescan,
    cancelRescan,
    remove,
    clearOutcomes,
    hydrate,
    dehydrate
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useDatasetsStore, import.meta.hot))
