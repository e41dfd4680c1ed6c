/** The Electron form of the contract, shared by main and the preload. */
import type { ImageVariant } from '../types/datasets'
import type { SerializedError } from './errors'

/** ipcMain.handle replies with this, so errors keep their name and code across the bridge. */
export type IpcReply<T> = { ok: true; result: T } | { ok: false; error: SerializedError }

/** Images are served to the renderer over a privileged custom protocol. */
export const IMAGE_SCHEME = 'destseg'

export function imageProtocolUrl(imageId: number, variant: ImageVariant): string {
  return `${IMAGE_SCHEME}://img/${imageId}/${variant}`
}
