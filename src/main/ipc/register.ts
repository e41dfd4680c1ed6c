/** Serves the API contract over ipcMain: known channels only, from our own renderer only. */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { API_CHANNELS, API_EVENTS, type ApiHandlers } from '../../common/ipc/contract'
import type { IpcReply } from '../../common/ipc/electron'
import { serializeError } from '../../common/ipc/errors'
import type { ApiEventBus } from '../services/events'

function fromOurRenderer(event: IpcMainInvokeEvent, rendererUrl: string): boolean {
  const frame = event.senderFrame
  return frame !== null && frame.parent === null && frame.url.startsWith(rendererUrl)
}

export function registerIpc(handlers: ApiHandlers, rendererUrl: string): void {
  for (const channel of API_CHANNELS) {
    ipcMain.handle(channel, async (event, ...args: unknown[]): Promise<IpcReply<unknown>> => {
      if (!fromOurRenderer(event, rendererUrl)) {
        return { ok: false, error: { name: 'Forbidden', message: 'IPC from an unknown frame' } }
      }
      try {
        const handler = handlers[channel] as (...a: unknown[]) => unknown
        return { ok: true, result: await handler(...args) }
      } catch (err) {
        return { ok: false, error: serializeError(err) }
      }
    })
  }
}

/** Forwards every API event to the window; returns the unsubscribe. */
export function forwardEvents(events: ApiEventBus, window: BrowserWindow): () => void {
  const offs = API_EVENTS.map((name) =>
    events.on(name, (payload) => {
      if (!window.isDestroyed()) window.webContents.send(name, payload)
    })
  )
  return () => offs.forEach((off) => off())
}
