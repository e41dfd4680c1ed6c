/** Pages through `datasets:images` for the grid: the first page on every query change, more on demand. */
import { computed, ref, toValue, watch, type ComputedRef, type MaybeRefOrGetter, type Ref } from 'vue'
import type { ImageQuery, ImageRow } from '@common/types/datasets'
import { api } from '@renderer/api'
import { useAppStore } from '@renderer/stores/app'
import { errorMessage } from '@renderer/utils/format'

export interface ImageTileData extends ImageRow {
  thumbUrl: string
}

export type ImageFilter = Omit<ImageQuery, 'offset' | 'limit'>

export interface UseImagePage {
  images: Ref<ImageTileData[]>
  total: Ref<number>
  loading: Ref<boolean>
  error: Ref<string | null>
  hasMore: ComputedRef<boolean>
  loadMore: () => Promise<void>
  reload: () => Promise<void>
}

export function useImagePage(filter: MaybeRefOrGetter<ImageFilter | null>, pageSize = 120): UseImagePage {
  const app = useAppStore()
  const images = ref<ImageTileData[]>([])
  const total = ref(0)
  const loading = ref(false)
  const error = ref<string | null>(null)
  /** bumps on every reload so answers to an older query are dropped */
  let generation = 0

  const hasMore = computed(() => images.value.length < total.value)

  async function fetchPage(offset: number): Promise<void> {
    const query = toValue(filter)
    if (!query) return
    const mine = generation
    loading.value = true
    error.value = null
    try {
      const page = await api.invoke('datasets:images', { ...query, offset, limit: pageSize })
      if (mine !== generation) return
      const rows = page.images.map((row) => ({ ...row, thumbUrl: api.imageUrl(row.id, 'thumb') }))
      images.value = offset === 0 ? rows : [...images.value, ...rows]
      total.value = page.total
    } catch (err) {
      if (mine !== generation) return
      error.value = errorMessage(err)
      app.reportError(err, 'Loading images')
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  async function reload(): Promise<void> {
    generation++
    images.value = []
    total.value = 0
    await fetchPage(0)
  }

  async function loadMore(): Promise<void> {
    if (loading.value || !hasMore.value || error.value) return
    await fetchPage(images.value.length)
  }

  watch(() => JSON.stringify(toValue(filter)), () => void reload(), { immediate: true })

  return { images, total, loading, error, hasMore, loadMore, reload }
}
