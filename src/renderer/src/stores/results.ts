/**
 * Evaluation results: the stored evaluations, the one open (report, thresholds in force), its test
 * images as a filtered gallery sorted by score, the selected image and its anomaly map.
 */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { ImageVariant } from '@common/types/datasets'
import type { EvaluationDetail, EvaluationListItem, ResultImageRow, ResultMap, ResultSort } from '@common/types/result-queries'
import { api } from '@renderer/api'
import { useAppStore } from './app'

export interface ResultFilters {
  defectType: string | null
  /** true label */
  label: 0 | 1 | null
  /** predicted label at the image threshold in force */
  predicted: 0 | 1 | null
  sort: ResultSort
}

/** A category that has evaluations, for the picker. */
export interface EvaluatedCategory {
  category_id: number
  dataset_name: string
  category_name: string
  evaluations: EvaluationListItem[]
}

const PAGE_SIZE = 60
const MAP_CACHE_SIZE = 64
const NO_FILTERS: ResultFilters = { defectType: null, label: null, predicted: null, sort: 'score_desc' }

export const useResultsStore = defineStore('results', () => {
  const app = useAppStore()

  const evaluations = ref<EvaluationListItem[]>([])
  const loaded = ref(false)
  const detail = shallowRef<EvaluationDetail | null>(null)
  const detailLoading = ref(false)
  const filters = ref<ResultFilters>({ ...NO_FILTERS })
  const images = ref<ResultImageRow[]>([])
  const total = ref(0)
  const imagesLoading = ref(false)
  const selectedId = ref<number | null>(null)
  /** the selected image's map (null while loading) */
  const map = shallowRef<ResultMap | null>(null)
  const mapCache = new Map<string, ResultMap>()
  /** bumps whenever the gallery query changes, so answers to an older one are dropped */
  let generation = 0
  let unsubscribe: (() => void) | null = null

  const categories = computed<EvaluatedCategory[]>(() => {
    const byCategory = new Map<number, EvaluatedCategory>()
    for (const e of evaluations.value) {
      let entry = byCategory.get(e.category_id)
      if (!entry) {
        entry = { category_id: e.category_id, dataset_name: e.dataset_name, category_name: e.category_name, evaluations: [] }
        byCategory.set(e.category_id, entry)
      }
      entry.evaluations.push(e) // newest first, as listed
    }
    return [...byCategory.values()]
  })
  const selected = computed(() => images.value.find((im) => im.id === selectedId.value) ?? null)
  const hasMore = computed(() => images.value.length < total.value)

  /** Where the renderer loads an image of a result from (thumbnail, full image, mask overlay). */
  function imageUrl(imageId: number, variant: ImageVariant): string {
    return api.imageUrl(imageId, variant)
  }

  function evaluationsOf(categoryId: number): EvaluationListItem[] {
    return evaluations.value.filter((e) => e.category_id === categoryId)
  }

  async function refreshEvaluations(): Promise<void> {
    try {
      evaluations.value = await api.invoke('results:evaluations')
      loaded.value = true
    } catch (err) {
      app.reportError(err, 'Loading evaluations')
    }
  }

  /**
   * Opens an evaluation: its report and thresholds, then the first gallery page (filters kept where
   * they still apply). `force` reloads the one already open (thresholds may have been saved since).
   */
  async function open(evaluationId: number, force = false): Promise<void> {
    const same = detail.value?.evaluation.id === evaluationId
    if (same && !force) return
    detailLoading.value = true
    try {
      const next = await api.invoke('results:evaluation', evaluationId)
      detail.value = next
      if (filters.value.defectType !== null && !next.defect_types.includes(filters.value.defectType)) filters.value.defectType = null
      const keep = same ? selectedId.value : null
      selectedId.value = keep
      if (!same) map.value = null
      await reloadImages()
    } catch (err) {
      app.reportError(err, `Opening evaluation ${evaluationId}`)
    } finally {
      detailLoading.value = false
    }
  }

  async function fetchImages(offset: number): Promise<void> {
    const evaluation = detail.value?.evaluation
    if (!evaluation) return
    const mine = generation
    const f = filters.value
    imagesLoading.value = true
    try {
      const page = await api.invoke('results:images', {
        evaluationId: evaluation.id,
        defectType: f.defectType ?? undefined,
        label: f.label ?? undefined,
        predicted: f.predicted ?? undefined,
        sort: f.sort,
        offset,
        limit: PAGE_SIZE
      })
      if (mine !== generation) return
      images.value = offset === 0 ? page.images : [...images.value, ...page.images]
      total.value = page.total
    } catch (err) {
      if (mine === generation) app.reportError(err, 'Loading results')
    } finally {
      if (mine === generation) imagesLoading.value = false
    }
  }

  async function reloadImages(): Promise<void> {
    generation++
    images.value = []
    total.value = 0
    await fetchImages(0)
  }

  async function loadMore(): Promise<void> {
    if (!imagesLoading.value && hasMore.value) await fetchImages(images.value.length)
  }

  async function setFilters(patch: Partial<ResultFilters>): Promise<void> {
    filters.value = { ...filters.value, ...patch }
    await reloadImages()
  }

  /** One image's map of an evaluation (cached); null when it cannot be loaded (the error is reported). */
  async function loadMap(evaluationId: number, imageId: number): Promise<ResultMap | null> {
    const key = `${evaluationId}/${imageId}`
    const cached = mapCache.get(key)
    if (cached) return cached
    try {
      const loadedMap = await api.invoke('results:map', evaluationId, imageId)
      mapCache.set(key, loadedMap)
      if (mapCache.size > MAP_CACHE_SIZE) mapCache.delete(mapCache.keys().next().value as string)
      return loadedMap
    } catch (err) {
      app.reportError(err, `Loading the map of image ${imageId}`)
      return null
    }
  }

  async function select(imageId: number | null): Promise<void> {
    selectedId.value = imageId
    const evaluation = detail.value?.evaluation
    if (imageId === null || !evaluation) {
      map.value = null
      return
    }
    if (map.value?.image_id !== imageId || map.value.evaluation_id !== evaluation.id) map.value = null
    const loadedMap = await loadMap(evaluation.id, imageId)
    if (selectedId.value === imageId && detail.value?.evaluation.id === evaluation.id) map.value = loadedMap
  }

  /** Selects the image `step` places from the selected one in the gallery (loading more when needed). */
  async function step(by: number): Promise<void> {
    const index = images.value.findIndex((im) => im.id === selectedId.value)
    const next = index + by
    if (next >= images.value.length && hasMore.value) await loadMore()
    const target = images.value[Math.max(0, Math.min(images.value.length - 1, next))]
    if (target && target.id !== selectedId.value) await select(target.id)
  }

  async function hydrate(): Promise<void> {
    // A run that has just finished has a new evaluation.
    unsubscribe ??= api.on('runs:onState', (run) => {
      if (run.status === 'done') void refreshEvaluations()
    })
    await refreshEvaluations()
  }

  function dehydrate(): void {
    unsubscribe?.()
    unsubscribe = null
    evaluations.value = []
    loaded.value = false
    detail.value = null
    images.value = []
    total.value = 0
    selectedId.value = null
    map.value = null
    mapCache.clear()
    filters.value = { ...NO_FILTERS }
  }

  return {
    evaluations,
    loaded,
    detail,
    detailLoading,
    filters,
    images,
    total,
    imagesLoading,
    selectedId,
    map,
    categories,
    selected,
    hasMore,
    imageUrl,
    evaluationsOf,
    refreshEvaluations,
    open,
    reloadImages,
    loadMore,
    setFilters,
    loadMap,
    select,
    step,
    hydrate,
    dehydrate
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useResultsStore, import.meta.hot))
