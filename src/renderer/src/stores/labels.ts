/**
 * Labels (labels:*): the open image's current label and mask with its versions, the heat-map guide
 * of the latest evaluation that scored the image, saving, restoring and relabelling, review
 * feedback, "labels changed since this run", and the MVTec AD export.
 */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import type { FeedbackVerdict, ImageLabel, LabelExportOutcome, LabelReevaluation, LabelsStatus, MaskRle } from '@common/types/labels'
import type { Split } from '@common/types/datasets'
import type { EvaluationListItem } from '@common/types/result-queries'
import { api } from '@renderer/api'
import type { SquareMap } from '@common/heatmap'
import { useAppStore } from './app'
import { newJobId } from './jobs'

/** The heat map an engineer labels against: the image's map in an evaluation, and the pixel threshold in force. */
export interface LabelGuide {
  evaluationId: number
  map: SquareMap
  threshold: number
  /** for people: which run the map comes from */
  title: string
}

/** How many of the newest evaluations are looked through for one that scored the image. */
const GUIDE_SEARCH = 5

export const useLabelsStore = defineStore('labels', () => {
  const app = useAppStore()

  const label = ref<ImageLabel | null>(null)
  const guide = ref<LabelGuide | null>(null)
  const loading = ref(false)
  const saving = ref(false)
  const exporting = ref<{ jobId: string } | null>(null)
  let generation = 0

  /**
   * Loads an image's label; with `withGuide`, the heat map of the newest evaluation that has it
   * follows (not awaited: the editor opens without waiting for it).
   */
  async function load(imageId: number, withGuide = true): Promise<void> {
    const mine = ++generation
    loading.value = true
    try {
      const next = await api.invoke('labels:get', imageId)
      if (mine !== generation) return
      label.value = next
      if (withGuide) {
        guide.value = null
        void findGuide(next.category_id, imageId).then((found) => {
          if (mine === generation) guide.value = found
        })
      }
    } catch (err) {
      if (mine === generation) app.reportError(err, `Loading the labels of image ${imageId}`)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function findGuide(categoryId: number, imageId: number): Promise<LabelGuide | null> {
    let evaluations: EvaluationListItem[]
    try {
      evaluations = await api.invoke('results:evaluations', { categoryId })
    } catch {
      return null
    }
    for (const evaluation of evaluations.slice(0, GUIDE_SEARCH)) {
      try {
        const map = await api.invoke('results:map', evaluation.id, imageId)
        const detail = await api.invoke('results:evaluation', evaluation.id)
        return {
          evaluationId: evaluation.id,
          map: { size: map.size, data: map.data },
          threshold: detail.thresholds.pixel.value,
          title: `${evaluation.run_name ?? 'evaluation'} #${evaluation.id}`
        }
      } catch {
        // the image is not in that evaluation (a train image, or added later): try an older one
      }
    }
    return null
  }

  /** A version of the mask (default the current one); null without one. */
  async function mask(imageId: number, version?: number): Promise<MaskRle | null> {
    return api.invoke('labels:mask', imageId, version)
  }

  /** Wraps a change: sets `saving`, replaces the label with the answer, reports errors; true on success. */
  async function change(what: string, call: () => Promise<ImageLabel>): Promise<boolean> {
    saving.value = true
    try {
      label.value = await call()
      return true
    } catch (err) {
      app.reportError(err, what)
      return false
    } finally {
      saving.value = false
    }
  }

  const saveMask = (imageId: number, rle: MaskRle | null, note: string): Promise<boolean> =>
    change('Saving the mask', () => api.invoke('labels:saveMask', { imageId, mask: rle, note }))

  const restore = (imageId: number, version: number): Promise<boolean> =>
    change(`Restoring mask version ${version}`, () => api.invoke('labels:restoreMask', { imageId, version }))

  const relabel = (imageId: number, defectType: string, split?: Split, note = ''): Promise<boolean> =>
    change('Changing the label', () => api.invoke('labels:relabel', { imageId, defectType, split, note }))

  const feedback = (imageId: number, verdict: FeedbackVerdict, defectType?: string, note = ''): Promise<boolean> =>
    change(verdict === 'false_alarm' ? 'Sending the image to the training set' : 'Adding the image to the test set', () =>
      api.invoke('labels:feedback', { imageId, verdict, defectType, note })
    )

  /** Whether a category's labels changed since an evaluation; null on error (reported). */
  async function status(categoryId: number, evaluationId?: number): Promise<LabelsStatus | null> {
    try {
      return await api.invoke('labels:status', categoryId, evaluationId)
    } catch (err) {
      app.reportError(err, 'Checking for label changes')
      return null
    }
  }

  /** Exports a dataset in MVTec AD layout (a job: its progress is in the jobs store); null on error. */
  async function exportDataset(datasetId: number, folder: string, categoryId?: number): Promise<LabelExportOutcome | null> {
    const jobId = newJobId()
    exporting.value = { jobId }
    try {
      const outcome = await api.invoke('labels:export', { datasetId, categoryId, folder, jobId })
      app.notify(outcome.message)
      return outcome
    } catch (err) {
      app.reportError(err, 'Exporting the dataset')
      return null
    } finally {
      exporting.value = null
    }
  }

  /** Scores an evaluation's maps again against the current labels (a new evaluation); null on error. */
  async function reevaluate(evaluationId: number): Promise<LabelReevaluation | null> {
    saving.value = true
    try {
      const outcome = await api.invoke('labels:reevaluate', evaluationId)
      app.notify(outcome.message)
      return outcome
    } catch (err) {
      app.reportError(err, 'Scoring again with the current labels')
      return null
    } finally {
      saving.value = false
    }
  }

  function dehydrate(): void {
    label.value = null
    guide.value = null
  }

  return { label, guide, loading, saving, exporting, load, mask, saveMask, restore, relabel, feedback, status, exportDataset, reevaluate, dehydrate }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useLabelsStore, import.meta.hot))
