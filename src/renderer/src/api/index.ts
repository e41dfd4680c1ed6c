/** The renderer's one way to the backend: the preload bridge in Electron, HTTP in a browser. */
import type { DesktopApi } from '@common/ipc/contract'
import { createHttpApi } from './http-client'

export const api: DesktopApi = window.api ?? createHttpApi()
