/** Exposes exactly the API contract to the sandboxed renderer: named channels only, nothing else. */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { isApiChannel, isApiEvent, type DesktopApi } from '../common/ipc/contract'
import { imageProtocolUrl, type IpcReply } from '../common/ipc/electron'
import { ApiCallError } from '../common/ipc/errors'

const api: DesktopApi = {
  async invoke(channel, ...args) {
    if (!isApiChannel(channel)) throw new Error(`Unknown API channel: ${String(channel)}`)
    const reply = (await ipcRenderer.invoke(channel, ...args)) as IpcReply<never>
    if (!reply.ok) throw new ApiCallError(reply.error)
    return reply.result
  },
  on(event, listener) {
    if (!isApiEvent(event)) throw new Error(`Unknown API event: ${String(event)}`)
    const wrapped = (_e: IpcRendererEvent, payload: unknown): void => listener(payload as never)
    ipcRenderer.on(event, wrapped)
    return () => {
      ipcRenderer.removeListener(event, wrapped)
    }
  },
  imageUrl: imageProtocolUrl
}

contextBridge.exposeInMainWorld('api', api)
