/** App-wide state: what the backend says about itself, and the notices shown in the banner. */
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { AppInfo } from '@common/types/app'
import { api } from '@renderer/api'
import { errorMessage } from '@renderer/utils/format'

export type NoticeKind = 'error' | 'info'

export interface Notice {
  id: number
  kind: NoticeKind
  message: string
  /** how many times the same message was reported in a row */
  repeat: number
}

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null)
  const notices = ref<Notice[]>([])
  let nextNoticeId = 1

  const canPickFolder = computed(() => info.value?.canPickFolder ?? false)

  function push(kind: NoticeKind, message: string): void {
    const last = notices.value[notices.value.length - 1]
    if (last && last.kind === kind && last.message === message) {
      last.repeat += 1
      return
    }
    notices.value.push({ id: nextNoticeId++, kind, message, repeat: 1 })
    if (notices.value.length > 5) notices.value.splice(0, notices.value.length - 5)
  }

  /** Shows an error from an api call (ApiCallError carries the backend's message). */
  function reportError(err: unknown, context?: string): void {
    const message = errorMessage(err)
    push('error', context ? `${context}: ${message}` : message)
  }

  function notify(message: string): void {
    push('info', message)
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id)
  }

  function dismissAll(): void {
    notices.value = []
  }

  /** The native folder dialog (Electron only); null when cancelled or unavailable. */
  async function pickFolder(): Promise<string | null> {
    try {
      return await api.invoke('app:pickFolder')
    } catch (err) {
      reportError(err, 'Folder dialog')
      return null
    }
  }

  async function hydrate(): Promise<void> {
    try {
      info.value = await api.invoke('app:info')
    } catch (err) {
      reportError(err, 'Could not reach the backend')
    }
  }

  function dehydrate(): void {
    info.value = null
    notices.value = []
  }

  return { info, notices, canPickFolder, reportError, notify, dismiss, dismissAll, pickFolder, hydrate, dehydrate }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useAppStore, import.meta.hot))
