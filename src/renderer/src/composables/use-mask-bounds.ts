/**
 * The bounding box of a mask overlay's painted pixels, for "zoom to defect".
 * Reads the pixels through a canvas, so it needs an image the page may read (same origin or CORS);
 * where it may not, bounds stay null and the caller hides the feature.
 */
import { ref, toValue, watch, type MaybeRefOrGetter, type Ref } from 'vue'

export interface MaskBounds {
  /** box in mask pixels */
  x: number
  y: number
  width: number
  height: number
  /** the mask's own size, to map the box onto the image */
  maskWidth: number
  maskHeight: number
}

export interface UseMaskBounds {
  bounds: Ref<MaskBounds | null>
}

/** Longest side the pixels are read at; larger masks are scaled down first. */
const MAX_SIDE = 1024

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((done, fail) => {
    const img = new Image()
    img.onload = () => done(img)
    img.onerror = () => fail(new Error(`could not load ${url}`))
    img.src = url
  })
}

/** Box of the pixels with alpha above a small threshold, or null when there are none. */
export function alphaBounds(data: Uint8ClampedArray, width: number, height: number, threshold = 16): [number, number, number, number] | null {
  let minX = width
  let minY = height
  let maxX = -1
  let maxY = -1
  for (let y = 0; y < height; y++) {
    const row = y * width * 4
    for (let x = 0; x < width; x++) {
      if (data[row + x * 4 + 3] > threshold) {
        if (x < minX) minX = x
        if (x > maxX) maxX = x
        if (y < minY) minY = y
        if (y > maxY) maxY = y
      }
    }
  }
  return maxX < 0 ? null : [minX, minY, maxX + 1, maxY + 1]
}

async function measure(url: string): Promise<MaskBounds | null> {
  const img = await loadImage(url)
  const factor = Math.min(1, MAX_SIDE / Math.max(img.naturalWidth, img.naturalHeight))
  const width = Math.max(1, Math.round(img.naturalWidth * factor))
  const height = Math.max(1, Math.round(img.naturalHeight * factor))
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const context = canvas.getContext('2d', { willReadFrequently: true })
  if (!context) return null
  context.drawImage(img, 0, 0, width, height)
  const box = alphaBounds(context.getImageData(0, 0, width, height).data, width, height)
  if (!box) return null
  const [x0, y0, x1, y1] = box.map((v) => v / factor)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0, maskWidth: img.naturalWidth, maskHeight: img.naturalHeight }
}

export function useMaskBounds(url: MaybeRefOrGetter<string | null>): UseMaskBounds {
  const bounds = ref<MaskBounds | null>(null)
  let generation = 0

  watch(
    () => toValue(url),
    async (next) => {
      const mine = ++generation
      bounds.value = null
      if (!next) return
      try {
        const measured = await measure(next)
        if (mine === generation) bounds.value = measured
      } catch {
        // unreadable (cross-origin) or failed: no zoom-to-defect for this image
      }
    },
    { immediate: true }
  )

  return { bounds }
}
