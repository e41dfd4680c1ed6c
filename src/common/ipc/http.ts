/** The HTTP form of the contract, shared by the loopback server and the browser client. */
import type { ImageVariant } from '../types/datasets'

export const TOKEN_PARAM = 'token'
export const TOKEN_COOKIE = 'destseg_token'
export const API_PREFIX = '/api/'
export const EVENTS_PATH = '/api/events'

/** POST `${API_PREFIX}${channel}` with this body; the reply is `{ result }` or `{ error }`. */
export interface HttpCallBody {
  args: unknown[]
}

export function imagePath(imageId: number, variant: ImageVariant): string {
  return `/img/${imageId}/${variant}`
}
