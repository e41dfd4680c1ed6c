/** Inspections: a trained category's model on folders of new images; the running one, the list, results and maps. */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiCallError } from '@common/ipc/errors'
import type {
  InspectionCreateRequest,
  InspectionMap,
  InspectionResult,
  InspectionSummary,
  InspectionVerdictFilter
} from '@common/types/inspections'
import { api } from '@renderer/api'
import { useAppStore } from './app'
import { newJobId, useJobsStore } from './jobs'

const PAGE = 60
const MAP_CACHE = 16

export type ResultFilter = InspectionVerdictFilter | 'all'

export interface InspectionResultTile extends InspectionResult {
  thumbUrl: string
}

export const useInspectionsStore = defineStore('inspections', () => {
  const app = useAppStore()
  const jobs = useJobsStore()

  const list = ref<InspectionSummary[]>([])
  const loaded = ref(false)
  /** the inspection this window started and is waiting for */
  const starting = ref<{ jobId: string; categoryId: number; folder: string } | null>(null)
  const selectedId = ref<number | null>(null)
  const filter = ref<ResultFilter>('all')
  const order = ref<'desc' | 'asc'>('desc')
  const results = ref<InspectionResultTile[]>([])
  const total = ref(0)
  const loadingResults = ref(false)
  const busyId = ref<number | null>(null)
  const maps = new Map<number, InspectionMap>()
  /** bumps whenever a results query starts, so a late answer of an older query is dropped */
  let query = 0

  const selected = computed(() => list.value.find((i) => i.id === selectedId.value) ?? null)
  const job = computed(() => jobs.byId(starting.value?.jobId ?? null))
  const hasMore = computed(() => results.value.length < total.value)

  /** Loads the inspections of a category (newest first) and keeps the selection when it is still there. */
  async function refresh(categoryId: number): Promise<void> {
    try {
      list.value = await api.invoke('inspections:list', categoryId)
      loaded.value = true
      if (selectedId.value !== null && !list.value.some((i) => i.id === selectedId.value)) selectedId.value = null
      if (selectedId.value === null) {
        const done = list.value.find((i) => i.status === 'done')
        if (done) await select(done.id)
      }
    } catch (err) {
      app.reportError(err, 'Loading inspections')
    }
  }

  /** Starts an inspection and waits for it; progress comes through the jobs store. */
  async function start(request: Omit<InspectionCreateRequest, 'jobId'>): Promise<InspectionSummary | null> {
    const jobId = newJobId()
    starting.value = { jobId, categoryId: request.categoryId, folder: request.folder }
    try {
      const done = await api.invoke('inspections:create', { ...request, jobId })
      upsert(done)
      await select(done.id)
      app.notify(`Inspected ${done.images} image${done.images === 1 ? '' : 's'}: ${done.failed} failed, ${done.passed} passed.`)
      return done
    } catch (err) {
      if (err instanceof ApiCallError && err.error.code === 'CANCELLED') app.notify('Inspection cancelled.')
      else app.reportError(err, 'Inspection')
      await refresh(request.categoryId)
      return null
    } finally {
      starting.value = null
    }
  }

  async function cancel(): Promise<void> {
    if (starting.value) await jobs.cancel(starting.value.jobId)
  }

  function upsert(inspection: InspectionSummary): void {
    const index = list.value.findIndex((i) => i.id === inspection.id)
    if (index >= 0) list.value[index] = inspection
    else list.value = [inspection, ...list.value].sort((a, b) => b.id - a.id)
  }

  /** Shows an inspection's results from the first page. */
  async function select(id: number): Promise<void> {
    selectedId.value = id
    await loadResults(true)
  }

  async function setFilter(value: ResultFilter): Promise<void> {
    filter.value = value
    await loadResults(true)
  }

  async function setOrder(value: 'desc' | 'asc'): Promise<void> {
    order.value = value
    await loadResults(true)
  }

  /** The first page again (reset) or the next one. */
  async function loadResults(reset = false): Promise<void> {
    const inspectionId = selectedId.value
    const mine = ++query
    if (reset) {
      results.value = []
      total.value = 0
    }
    if (inspectionId === null) return
    loadingResults.value = true
    try {
      const page = await api.invoke('inspections:results', {
        inspectionId,
        verdict: filter.value === 'all' ? undefined : filter.value,
        order: order.value,
        offset: results.value.length,
        limit: PAGE
      })
      if (mine !== query) return
      total.value = page.total
      results.value = [...results.value, ...page.results.map((r) => ({ ...r, thumbUrl: api.imageUrl(r.id, 'inspection_thumb') }))]
    } catch (err) {
      if (mine === query) app.reportError(err, 'Loading inspection results')
    } finally {
      if (mine === query) loadingResults.value = false
    }
  }

  /** A result's anomaly map (a few kept). */
  async function loadMap(resultId: number): Promise<InspectionMap | null> {
    const cached = maps.get(resultId)
    if (cached) return cached
    try {
      const map = await api.invoke('inspections:map', resultId)
      if (maps.size >= MAP_CACHE) maps.delete(maps.keys().next().value as number)
      maps.set(resultId, map)
      return map
    } catch (err) {
      app.reportError(err, 'Loading the anomaly map')
      return null
    }
  }

  function fullUrl(resultId: number): string {
    return api.imageUrl(resultId, 'inspection_full')
  }

  async function remove(id: number): Promise<boolean> {
    busyId.value = id
    try {
      await api.invoke('inspections:remove', id)
      list.value = list.value.filter((i) => i.id !== id)
      if (selectedId.value === id) {
        selectedId.value = null
        results.value = []
        total.value = 0
      }
      return true
    } catch (err) {
      app.reportError(err, 'Delete inspection')
      return false
    } finally {
      busyId.value = null
    }
  }

  function dehydrate(): void {
    list.value = []
    loaded.value = false
    selectedId.value = null
    results.value = []
    total.value = 0
    maps.clear()
  }

  return {
    list,
    loaded,
    starting,
    job,
    selectedId,
    selected,
    filter,
    order,
    results,
    total,
    hasMore,
    loadingResults,
    busyId,
    refresh,
    start,
    cancel,
    select,
    setFilter,
    setOrder,
    loadResults,
    loadMap,
    fullUrl,
    remove,
    dehydrate
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useInspectionsStore, import.meta.hot))
