/** Texture sources: folders of texture photos the anomaly synthesiser draws from. */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ImportRequest, TextureImportOutcome, TextureSourceSummary } from '@common/types/datasets'
import { api } from '@renderer/api'
import { useAppStore } from './app'
import { newJobId, useJobsStore } from './jobs'

export interface TextureImportAttempt {
  request: ImportRequest
  outcome: TextureImportOutcome
}

export const useTexturesStore = defineStore('textures', () => {
  const app = useAppStore()
  const jobs = useJobsStore()

  const list = ref<TextureSourceSummary[]>([])
  const loaded = ref(false)
  const loading = ref(false)
  const importing = ref(false)
  const lastImport = ref<TextureImportAttempt | null>(null)
  const removingId = ref<number | null>(null)
  let cancelRequested = false
  /** id of the job this window started for the import in progress */
  const importJobId = ref<string | null>(null)

  /** The backend job behind the import in progress, for its progress bar and Cancel. */
  const importJob = computed(() => jobs.byId(importJobId.value))

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      list.value = await api.invoke('textures:list')
      loaded.value = true
    } catch (err) {
      app.reportError(err, 'Loading texture sources')
    } finally {
      loading.value = false
    }
  }

  async function importFolder(request: ImportRequest): Promise<TextureImportOutcome | null> {
    const jobId = newJobId()
    importing.value = true
    importJobId.value = jobId
    cancelRequested = false
    lastImport.value = null
    try {
      const outcome = await api.invoke('textures:import', { ...request, jobId })
      lastImport.value = { request, outcome }
      if (outcome.texture_source_id !== null) await refresh()
      return outcome
    } catch (err) {
      if (cancelRequested) app.notify('Texture import cancelled; nothing was imported.')
      else app.reportError(err, 'Texture import')
      return null
    } finally {
      importing.value = false
      importJobId.value = null
    }
  }

  async function importSkippingRejected(): Promise<TextureImportOutcome | null> {
    if (!lastImport.value) return null
    return importFolder({ ...lastImport.value.request, skipRejected: true })
  }

  async function cancelImport(): Promise<void> {
    const jobId = importJobId.value
    if (jobId === null) return
    cancelRequested = true
    await jobs.cancel(jobId)
  }

  async function remove(id: number): Promise<boolean> {
    removingId.value = id
    try {
      await api.invoke('textures:remove', id)
      list.value = list.value.filter((t) => t.id !== id)
      const outcome = lastImport.value?.outcome
      if (outcome && (outcome.texture_source_id === id || outcome.existing_texture_source_id === id)) lastImport.value = null
      return true
    } catch (err) {
      app.reportError(err, 'Remove texture source')
      return false
    } finally {
      removingId.value = null
    }
  }

  async function hydrate(): Promise<void> {
    await refresh()
  }

  function dehydrate(): void {
    list.value = []
    loaded.value = false
    lastImport.value = null
  }

  return {
    list,
    loaded,
    loading,
    importing,
    lastImport,
    importJob,
    removingId,
    refresh,
    importFolder,
    importSkippingRejected,
    cancelImport,
    remove,
    hydrate,
    dehydrate
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useTexturesStore, import.meta.hot))
