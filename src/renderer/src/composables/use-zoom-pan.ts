/** Zoom and pan of one image inside a viewport: pure view state, no backend. */
import { computed, ref, type ComputedRef, type Ref } from 'vue'

export interface UseZoomPan {
  /** screen pixels per image pixel */
  scale: Ref<number>
  /** image origin in viewport pixels */
  tx: Ref<number>
  ty: Ref<number>
  /** true while the view is the fitted one (it then re-fits when the viewport or image changes) */
  fitted: Ref<boolean>
  percent: ComputedRef<number>
  setViewport: (width: number, height: number) => void
  setImage: (width: number, height: number) => void
  fit: () => void
  actualSize: () => void
  /** multiplies the scale, keeping the point (x, y) of the viewport still; centre when omitted */
  zoomBy: (factor: number, x?: number, y?: number) => void
  panBy: (dx: number, dy: number) => void
  /** shows a region of the image (image pixels) with room around it, never below the fitted scale */
  zoomToRect: (x: number, y: number, width: number, height: number) => void
}

export const MIN_SCALE = 0.05
export const MAX_SCALE = 32

export function useZoomPan(): UseZoomPan {
  const scale = ref(1)
  const tx = ref(0)
  const ty = ref(0)
  const fitted = ref(true)
  const viewport = { width: 0, height: 0 }
  const image = { width: 0, height: 0 }

  const percent = computed(() => Math.round(scale.value * 100))

  function centre(): void {
    tx.value = (viewport.width - image.width * scale.value) / 2
    ty.value = (viewport.height - image.height * scale.value) / 2
  }

  function fitScale(): number {
    const margin = 16
    return Math.min((viewport.width - margin) / image.width, (viewport.height - margin) / image.height)
  }

  function ready(): boolean {
    return image.width > 0 && image.height > 0 && viewport.width > 0 && viewport.height > 0
  }

  function fit(): void {
    fitted.value = true
    if (!ready()) return
    scale.value = fitScale()
    centre()
  }

  function zoomToRect(x: number, y: number, width: number, height: number): void {
    if (!ready()) return
    // the region takes about a fifth of the view, so its surroundings stay visible; at most 4× the fitted view and 800%
    const room = 5
    const wanted = Math.min(viewport.width / (Math.max(width, 4) * room), viewport.height / (Math.max(height, 4) * room))
    const base = fitScale()
    scale.value = Math.min(8, 4 * base, Math.max(base, wanted))
    tx.value = centreOn(x + width / 2, viewport.width, image.width)
    ty.value = centreOn(y + height / 2, viewport.height, image.height)
    fitted.value = false
  }

  /** Offset that puts image coordinate `at` in the middle of the view; the whole image is centred when it fits. */
  function centreOn(at: number, view: number, size: number): number {
    return size * scale.value <= view ? (view - size * scale.value) / 2 : view / 2 - at * scale.value
  }

  function actualSize(): void {
    fitted.value = false
    scale.value = 1
    centre()
  }

  function zoomBy(factor: number, x = viewport.width / 2, y = viewport.height / 2): void {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale.value * factor))
    const applied = next / scale.value
    tx.value = x - (x - tx.value) * applied
    ty.value = y - (y - ty.value) * applied
    scale.value = next
    fitted.value = false
  }

  function panBy(dx: number, dy: number): void {
    tx.value += dx
    ty.value += dy
    fitted.value = false
  }

  function setViewport(width: number, height: number): void {
    const dx = (width - viewport.width) / 2
    const dy = (height - viewport.height) / 2
    viewport.width = width
    viewport.height = height
    if (fitted.value) fit()
    else panBy(dx, dy)
  }

  /** A new image keeps the zoom when it has the same size (comparing neighbours), else it is fitted. */
  function setImage(width: number, height: number): void {
    const same = width === image.width && height === image.height
    image.width = width
    image.height = height
    if (!same || fitted.value) fit()
  }

  return { scale, tx, ty, fitted, percent, setViewport, setImage, fit, actualSize, zoomBy, panBy, zoomToRect }
}
