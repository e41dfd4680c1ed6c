/**
 * The mask the viewer shows once labels were edited: the current mask version as a red overlay
 * image (an object URL drawn from labels:mask), its bounding box, and whether it replaces the
 * imported mask at all (only when a version was saved in the workstation).
 */
import { ref, toValue, watch, onBeforeUnmount, type MaybeRefOrGetter, type Ref } from 'vue'
import { decodeMaskRle } from '@common/labels/mask-rle'
import type { MaskBBox } from '@common/types/datasets'
import { useLabelsStore } from '@renderer/stores/labels'

export interface UseCurrentMask {
  /** true when the current mask is a version saved in the workstation (else the imported one is shown) */
  edited: Ref<boolean>
  /** the overlay's URL; null when the current version is "no mask" */
  url: Ref<string | null>
  bbox: Ref<MaskBBox | null>
}

/** Same colour as the imported mask's overlay (image-cache MASK_COLOUR). */
const COLOUR = [255, 40, 40, 160] as const

async function overlayUrl(width: number, height: number, pixels: Uint8Array): Promise<string | null> {
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const ctx = canvas.getContext('2d')
  if (!ctx) return null
  const image = ctx.createImageData(width, height)
  for (let i = 0, o = 0; i < pixels.length; i++, o += 4) if (pixels[i]) image.data.set(COLOUR, o)
  ctx.putImageData(image, 0, 0)
  const blob = await new Promise<Blob | null>((done) => canvas.toBlob(done, 'image/png'))
  return blob ? URL.createObjectURL(blob) : null
}

/** Follows `imageId` while `enabled` (the viewer shows it); loads again each time it becomes enabled (the editor closed). */
export function useCurrentMask(imageId: MaybeRefOrGetter<number>, enabled: MaybeRefOrGetter<boolean>): UseCurrentMask {
  const labels = useLabelsStore()
  const edited = ref(false)
  const url = ref<string | null>(null)
  const bbox = ref<MaskBBox | null>(null)
  let generation = 0

  function setUrl(next: string | null): void {
    if (url.value) URL.revokeObjectURL(url.value)
    url.value = next
  }

  async function load(id: number): Promise<void> {
    const mine = ++generation
    await labels.load(id, false)
    const label = labels.label
    if (mine !== generation || !label || label.image_id !== id) return
    edited.value = label.mask.version > 0
    bbox.value = label.mask.bbox
    if (!edited.value || label.mask.path === null) return setUrl(null)
    const rle = await labels.mask(id).catch(() => null)
    if (mine !== generation) return
    setUrl(rle ? await overlayUrl(rle.width, rle.height, decodeMaskRle(rle)) : null)
  }

  watch(
    () => [toValue(imageId), toValue(enabled)] as const,
    ([id, on]) => {
      if (on) void load(id)
    },
    { immediate: true }
  )
  onBeforeUnmount(() => setUrl(null))

  return { edited, url, bbox }
}
