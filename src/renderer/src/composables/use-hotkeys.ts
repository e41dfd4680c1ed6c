/** Window key bindings for as long as the calling component is mounted; typing in a field is left alone. */
import { onBeforeUnmount, onMounted } from 'vue'

export type HotkeyMap = Record<string, (event: KeyboardEvent) => void>

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)
}

/** Keys are `KeyboardEvent.key` values ('ArrowLeft', 'Escape', 'm', '+'). */
export function useHotkeys(bindings: HotkeyMap, enabled: () => boolean = () => true): void {
  function onKeydown(event: KeyboardEvent): void {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return
    if (!enabled() || isTyping(event.target)) return
    const handler = bindings[event.key]
    if (!handler) return
    event.preventDefault()
    handler(event)
  }
  onMounted(() => window.addEventListener('keydown', onKeydown))
  onBeforeUnmount(() => window.removeEventListener('keydown', onKeydown))
}
