/** DesktopApi over the loopback HTTP server: calls are POSTs, events arrive by server-sent events. */
import { API_EVENTS, type ApiArgs, type ApiChannel, type ApiEvent, type ApiEvents, type ApiResult, type DesktopApi } from '@common/ipc/contract'
import { ApiCallError, type SerializedError } from '@common/ipc/errors'
import { API_PREFIX, EVENTS_PATH, TOKEN_PARAM, imagePath, type HttpCallBody } from '@common/ipc/http'

const TOKEN_KEY = 'destseg.token'

/** The token comes in the launch URL (?token=...) and is kept for reloads of this tab. */
function readToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get(TOKEN_PARAM)
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    return fromUrl
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? ''
}

export function createHttpApi(): DesktopApi {
  const token = readToken()
  const listeners = new Map<ApiEvent, Set<(payload: never) => void>>()
  let source: EventSource | null = null

  function ensureEventSource(): void {
    if (source) return
    source = new EventSource(`${EVENTS_PATH}?${TOKEN_PARAM}=${encodeURIComponent(token)}`)
    for (const event of API_EVENTS) {
      source.addEventListener(event, (message) => {
        const payload = JSON.parse((message as MessageEvent<string>).data) as never
        for (const listener of listeners.get(event) ?? []) listener(payload)
      })
    }
  }

  return {
    async invoke<C extends ApiChannel>(channel: C, ...args: ApiArgs<C>): Promise<ApiResult<C>> {
      const body: HttpCallBody = { args }
      let response: Response
      try {
        response = await fetch(`${API_PREFIX}${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body)
        })
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err)
        throw new ApiCallError({ name: 'NetworkError', message: `The workstation server cannot be reached (${reason})` })
      }
      // A proxy or a crashed handler may answer without JSON: report the status, not a parse error.
      const reply = (await response.json().catch(() => ({}))) as { result?: ApiResult<C>; error?: SerializedError }
      if (!response.ok || reply.error) {
        throw new ApiCallError(reply.error ?? { name: 'HttpError', message: `HTTP ${response.status}` })
      }
      return reply.result as ApiResult<C>
    },
    on<E extends ApiEvent>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
      ensureEventSource()
      const set = listeners.get(event) ?? new Set()
      listeners.set(event, set)
      set.add(listener as (payload: never) => void)
      return () => set.delete(listener as (payload: never) => void)
    },
    imageUrl(imageId, variant) {
      return `${imagePath(imageId, variant)}?${TOKEN_PARAM}=${encodeURIComponent(token)}`
    }
  }
}
