/**
 * Failure-case review of one evaluation: its false-negative and false-positive queues at the
 * thresholds in effect, the case being looked at (with its anomaly map), verdicts and their counts.
 */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { EvaluationListItem, ResultMap } from '@common/types/result-queries'
import type { ReviewQueue, VerdictKind } from '@common/types/results'
import type { ReviewCase, ReviewCounts, ReviewQueueView } from '@common/types/review'
import { api } from '@renderer/api'
import { useAppStore } from './app'

/** Maps kept for stepping back and forth. */
const MAP_CACHE = 24

export const useReviewStore = defineStore('review', () => {
  const app = useAppStore()

  /** every stored evaluation, newest first (the pickers) */
  const allEvaluations = ref<EvaluationListItem[]>([])
  const evaluation = ref<EvaluationListItem | null>(null)
  const queue = ref<ReviewQueue>('false_negative')
  const views = ref<Partial<Record<ReviewQueue, ReviewQueueView>>>({})
  const counts = ref<ReviewCounts | null>(null)
  const index = ref(0)
  const loading = ref(false)
  const judging = ref(false)
  /** why nothing is shown (no evaluation yet, ...) */
  const emptyReason = ref<string | null>(null)
  const map = ref<ResultMap | null>(null)
  const mapCache = new Map<string, ResultMap>()

  const categories = computed(() => {
    const seen = new Map<number, { id: number; label: string }>()
    for (const e of allEvaluations.value) {
      if (!seen.has(e.category_id)) seen.set(e.category_id, { id: e.category_id, label: `${e.dataset_name} / ${e.category_name}` })
    }
    return [...seen.values()].sort((a, b) => a.label.localeCompare(b.label))
  })
  const evaluations = computed(() => allEvaluations.value.filter((e) => e.category_id === evaluation.value?.category_id))
  const view = computed(() => views.value[queue.value] ?? null)
  const cases = computed<ReviewCase[]>(() => view.value?.cases ?? [])
  const current = computed<ReviewCase | null>(() => cases.value[index.value] ?? null)

  /** Opens an evaluation (the newest of the category, or of all, when not given) and loads both queues. */
  async function open(categoryId: number | null, evaluationId: number | null, startQueue: ReviewQueue): Promise<void> {
    loading.value = true
    try {
      allEvaluations.value = await api.invoke('results:evaluations')
      const pool = categoryId === null ? allEvaluations.value : allEvaluations.value.filter((e) => e.category_id === categoryId)
      const picked = evaluationId === null ? pool[0] : pool.find((e) => e.id === evaluationId)
      if (!picked) {
        evaluation.value = null
        views.value = {}
        counts.value = null
        emptyReason.value =
          evaluationId !== null
            ? `Evaluation ${evaluationId} does not exist${categoryId !== null ? ` in this category` : ''}.`
            : 'No evaluation yet: train a run first; its test results are reviewed here.'
        return
      }
      const changedEvaluation = evaluation.value?.id !== picked.id
      evaluation.value = picked
      queue.value = startQueue
      emptyReason.value = null
      await reload()
      if (changedEvaluation) index.value = firstOpenCase()
    } catch (err) {
      app.reportError(err, 'Loading the review')
    } finally {
      loading.value = false
    }
  }

  /** Loads both queues and the counts again (thresholds may have changed). */
  async function reload(): Promise<void> {
    const id = evaluation.value?.id
    if (id === undefined) return
    const [fn, fp, c] = await Promise.all([
      api.invoke('review:queue', { evaluationId: id, queue: 'false_negative' }),
      api.invoke('review:queue', { evaluationId: id, queue: 'false_positive' }),
      api.invoke('review:counts', id)
    ])
    views.value = { false_negative: fn, false_positive: fp }
    counts.value = c
    index.value = Math.min(index.value, Math.max(0, cases.value.length - 1))
  }

  /** The first case without a verdict (0 when all are judged). */
  function firstOpenCase(): number {
    const i = cases.value.findIndex((c) => c.verdict === null)
    return i < 0 ? 0 : i
  }

  function setQueue(next: ReviewQueue): void {
    if (next === queue.value) return
    queue.value = next
    index.value = firstOpenCase()
  }

  function select(i: number): void {
    if (i >= 0 && i < cases.value.length) index.value = i
  }

  /** Stores a verdict on the current case and moves to the next case without one (else the next). */
  async function judge(verdict: VerdictKind, note: string): Promise<boolean> {
    const c = current.value
    const e = evaluation.value
    if (!c || !e || judging.value) return false
    judging.value = true
    try {
      const record = await api.invoke('review:verdict', { evaluationId: e.id, imageId: c.image_id, queue: queue.value, verdict, note })
      c.verdict = record
      counts.value = await api.invoke('review:counts', e.id)
      const from = index.value
      const open = cases.value.findIndex((other, i) => i > from && other.verdict === null)
      index.value = open >= 0 ? open : Math.min(from + 1, cases.value.length - 1)
      return true
    } catch (err) {
      app.reportError(err, 'Saving the verdict')
      return false
    } finally {
      judging.value = false
    }
  }

  /** Loads the current case's map (kept for a while). */
  async function loadMap(): Promise<void> {
    const c = current.value
    const e = evaluation.value
    if (!c || !e) {
      map.value = null
      return
    }
    const key = `${e.id}:${c.image_id}`
    const cached = mapCache.get(key)
    if (cached) {
      map.value = cached
      return
    }
    map.value = null
    try {
      const loaded = await api.invoke('results:map', e.id, c.image_id)
      mapCache.set(key, loaded)
      if (mapCache.size > MAP_CACHE) mapCache.delete(mapCache.keys().next().value as string)
      if (current.value?.image_id === c.image_id) map.value = loaded
    } catch (err) {
      app.reportError(err, `Loading the map of ${c.rel_path}`)
    }
  }

  function imageUrl(c: ReviewCase): string {
    return api.imageUrl(c.image_id, 'full')
  }

  function maskUrl(c: ReviewCase): string | null {
    return c.label === 1 ? api.imageUrl(c.image_id, 'mask') : null
  }

  function dehydrate(): void {
    allEvaluations.value = []
    evaluation.value = null
    views.value = {}
    counts.value = null
    map.value = null
    mapCache.clear()
  }

  return {
    allEvaluations,
    evaluation,
    queue,
    views,
    counts,
    index,
    loading,
    judging,
    emptyReason,
    map,
    categories,
    evaluations,
    view,
    cases,
    current,
    open,
    reload,
    setQueue,
    select,
    judge,
    loadMap,
    imageUrl,
    maskUrl,
    dehydrate
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useReviewStore, import.meta.hot))
