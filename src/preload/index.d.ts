import type { DesktopApi } from '../common/ipc/contract'

declare global {
  interface Window {
    /** Present in Electron (the preload bridge); absent in a browser, where the HTTP client is used. */
    api?: DesktopApi
  }
}

export {}
