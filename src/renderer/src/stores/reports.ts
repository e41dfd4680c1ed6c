/**
 * Reports: what can be reported on (runs with an evaluation, categories with an evaluation, from
 * the stored evaluations), the chosen target, its HTML preview, and exports in the four formats.
 */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ReportFile, ReportFormat, ReportTarget } from '@common/types/reports'
import type { EvaluationListItem } from '@common/types/result-queries'
import { api } from '@renderer/api'
import { useAppStore } from './app'

export interface ReportRunOption {
  run_id: number
  label: string
}

export interface ReportCategoryOption {
  category_id: number
  label: string
}

/** A report file's bytes (the API sends them base64). */
export function reportBytes(file: ReportFile): Uint8Array<ArrayBuffer> {
  const text = atob(file.data_base64)
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i)
  return bytes
}

export const useReportsStore = defineStore('reports', () => {
  const app = useAppStore()

  const evaluations = ref<EvaluationListItem[]>([])
  const loading = ref(false)
  const target = ref<ReportTarget | null>(null)
  /** the HTML report of the target, shown in a sandboxed iframe */
  const previewHtml = ref<string | null>(null)
  const previewing = ref(false)
  /** the format being exported, null when none */
  const exporting = ref<ReportFormat | null>(null)

  /** Runs with at least one evaluation, newest first. */
  const runs = computed<ReportRunOption[]>(() => {
    const seen = new Map<number, ReportRunOption>()
    for (const e of evaluations.value) {
      if (e.run_id === null || seen.has(e.run_id)) continue
      seen.set(e.run_id, { run_id: e.run_id, label: `run ${e.run_id} · ${e.run_name ?? ''} · ${e.dataset_name} / ${e.category_name}` })
    }
    return [...seen.values()].sort((a, b) => b.run_id - a.run_id)
  })

  /** Categories with at least one evaluation, by name. */
  const categories = computed<ReportCategoryOption[]>(() => {
    const seen = new Map<number, ReportCategoryOption>()
    for (const e of evaluations.value) {
      if (!seen.has(e.category_id)) seen.set(e.category_id, { category_id: e.category_id, label: `${e.dataset_name} / ${e.category_name}` })
    }
    return [...seen.values()].sort((a, b) => a.label.localeCompare(b.label))
  })

  async function load(): Promise<void> {
    loading.value = true
    try {
      evaluations.value = await api.invoke('results:evaluations')
    } catch (err) {
      app.reportError(err, 'Loading evaluations')
    } finally {
      loading.value = false
    }
  }

  /** Chooses what to report on and loads its preview. */
  let choice = 0

  async function choose(next: ReportTarget | null): Promise<void> {
    const mine = ++choice
    target.value = next
    previewHtml.value = null
    if (!next) return
    previewing.value = true
    try {
      const file = await api.invoke('reports:export', { target: { ...next }, format: 'html' })
      // a later choice wins over this one's late answer
      if (mine === choice) previewHtml.value = new TextDecoder().decode(reportBytes(file))
    } catch (err) {
      if (mine === choice) app.reportError(err, 'Making the report')
    } finally {
      if (mine === choice) previewing.value = false
    }
  }

  /** The target's report in a format; null when it failed (the error is reported). */
  async function exportReport(format: ReportFormat): Promise<ReportFile | null> {
    if (!target.value) return null
    exporting.value = format
    try {
      return await api.invoke('reports:export', { target: target.value, format })
    } catch (err) {
      app.reportError(err, `Exporting the ${format.toUpperCase()} report`)
      return null
    } finally {
      exporting.value = null
    }
  }

  return { evaluations, loading, target, previewHtml, previewing, exporting, runs, categories, load, choose, exportReport }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useReportsStore, import.meta.hot))
