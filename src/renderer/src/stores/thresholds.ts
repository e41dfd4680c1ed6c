/**
 * Per-category thresholds: the view of one category against one of its evaluations (curves, image
 * scores, saved and default values, history), the draft values the sliders move (everything on the
 * page is computed from them client-side), saving and reverting.
 */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiCallError } from '@common/ipc/errors'
import type { ThresholdKind, ThresholdRecord } from '@common/types/results'
import type { ThresholdsQuery, ThresholdsView } from '@common/types/review'
import { api } from '@renderer/api'
import { useAppStore } from './app'

export const useThresholdsStore = defineStore('thresholds', () => {
  const app = useAppStore()

  const view = ref<ThresholdsView | null>(null)
  const loading = ref(false)
  const saving = ref(false)
  /** why there is no view (no evaluation yet, ...); null when there is one or while loading */
  const emptyReason = ref<string | null>(null)
  /** the values the sliders hold; saved only on save() */
  const draft = ref<Record<ThresholdKind, number>>({ pixel: 0, image: 0 })

  const inEffect = computed(() => (view.value ? { pixel: view.value.in_effect.pixel.value, image: view.value.in_effect.image.value } : null))
  /** the kinds whose draft differs from what is in effect */
  const changed = computed<ThresholdKind[]>(() => {
    const current = inEffect.value
    if (!current) return []
    return (['pixel', 'image'] as const).filter((k) => draft.value[k] !== current[k])
  })

  function resetDraft(): void {
    if (inEffect.value) draft.value = { ...inEffect.value }
  }

  /** Loads a category's view (its newest evaluation unless one is given; the newest of any category when neither is). */
  async function load(query: ThresholdsQuery): Promise<void> {
    loading.value = true
    try {
      view.value = await api.invoke('thresholds:get', query)
      emptyReason.value = null
      resetDraft()
    } catch (err) {
      view.value = null
      if (err instanceof ApiCallError && err.error.code === 'NO_EVALUATION') emptyReason.value = err.message
      else {
        emptyReason.value = err instanceof Error ? err.message : String(err)
        app.reportError(err, 'Loading thresholds')
      }
    } finally {
      loading.value = false
    }
  }

  function setDraft(kind: ThresholdKind, value: number): void {
    if (Number.isFinite(value)) draft.value = { ...draft.value, [kind]: value }
  }

  /** Saves every changed kind with the note; the view is loaded again. True when something was saved. */
  async function save(note: string): Promise<boolean> {
    const v = view.value
    if (!v || changed.value.length === 0) return false
    saving.value = true
    try {
      for (const kind of changed.value) {
        await api.invoke('thresholds:save', { categoryId: v.category_id, evaluationId: v.evaluation.id, kind, value: draft.value[kind], note })
      }
      await load({ categoryId: v.category_id, evaluationId: v.evaluation.id })
      return true
    } catch (err) {
      app.reportError(err, 'Saving thresholds')
      return false
    } finally {
      saving.value = false
    }
  }

  /** Saves an earlier value again, as a new row (the history keeps both). */
  async function revert(record: ThresholdRecord, note: string): Promise<boolean> {
    const v = view.value
    if (!v) return false
    saving.value = true
    const other: ThresholdKind = record.kind === 'pixel' ? 'image' : 'pixel'
    const otherDraft = draft.value[other]
    try {
      await api.invoke('thresholds:save', { categoryId: v.category_id, evaluationId: v.evaluation.id, kind: record.kind, value: record.value, note })
      await load({ categoryId: v.category_id, evaluationId: v.evaluation.id })
      setDraft(other, otherDraft) // an unsaved change of the other kind stays
      return true
    } catch (err) {
      app.reportError(err, 'Reverting the threshold')
      return false
    } finally {
      saving.value = false
    }
  }

  function dehydrate(): void {
    view.value = null
    emptyReason.value = null
  }

  return { view, loading, saving, emptyReason, draft, inEffect, changed, load, setDraft, resetDraft, save, revert, dehydrate }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useThresholdsStore, import.meta.hot))
