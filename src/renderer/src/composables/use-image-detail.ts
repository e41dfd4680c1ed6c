/** One image for the viewer: its detail, the URLs of its variants, and a prefetch of its neighbours. */
import { computed, ref, toValue, watch, type ComputedRef, type MaybeRefOrGetter, type Ref } from 'vue'
import type { ImageDetail } from '@common/types/datasets'
import { api } from '@renderer/api'
import { useAppStore } from '@renderer/stores/app'
import { errorMessage } from '@renderer/utils/format'

export interface UseImageDetail {
  detail: Ref<ImageDetail | null>
  fullUrl: ComputedRef<string | null>
  maskUrl: ComputedRef<string | null>
  loading: Ref<boolean>
  error: Ref<string | null>
  /** fetches the detail again (after a relabel: its badge and neighbours follow the current labels) */
  reload: () => Promise<void>
}

/** Keeps the browser's image cache warm for ←/→. */
function prefetch(url: string): void {
  const img = new Image()
  img.decoding = 'async'
  img.src = url
}

export function useImageDetail(imageId: MaybeRefOrGetter<number>): UseImageDetail {
  const app = useAppStore()
  const detail = ref<ImageDetail | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  let generation = 0

  const fullUrl = computed(() => (detail.value ? api.imageUrl(detail.value.id, 'full') : null))
  const maskUrl = computed(() => (detail.value?.has_mask ? api.imageUrl(detail.value.id, 'mask') : null))

  async function load(id: number): Promise<void> {
    const mine = ++generation
    loading.value = true
    error.value = null
    try {
      const next = await api.invoke('datasets:image', id)
      if (mine !== generation) return
      detail.value = next
      for (const neighbour of [next.next_id, next.prev_id]) {
        if (neighbour !== null) prefetch(api.imageUrl(neighbour, 'full'))
      }
    } catch (err) {
      if (mine !== generation) return
      error.value = errorMessage(err)
      app.reportError(err, `Loading image ${id}`)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  watch(() => toValue(imageId), (id) => void load(id), { immediate: true })

  return { detail, fullUrl, maskUrl, loading, error, reload: () => load(toValue(imageId)) }
}
