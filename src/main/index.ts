/** Electron main: opens the store, serves the API contract over IPC and images over destseg://. */
import { app, BrowserWindow, dialog, net, protocol } from 'electron'
import { pathToFileURL } from 'node:url'
import { IMAGE_SCHEME } from '../common/ipc/electron'
import { defaultDbPath } from './config/paths'
import { forwardEvents, registerIpc } from './ipc/register'
import { createServices } from './services/api'
import { asId, asVariant } from './services/validate'
import { openDatabase } from './store/db'
import { createMainWindow, rendererUrl } from './window'

protocol.registerSchemesAsPrivileged([
  { scheme: IMAGE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
])

async function start(): Promise<void> {
  await app.whenReady()
  const dataDir = process.env.DESTSEG_DATA_DIR ?? app.getPath('userData')
  const dbPath = defaultDbPath(dataDir)
  const db = openDatabase(dbPath)
  const services = createServices({
    db,
    dbPath,
    dataDir,
    version: app.getVersion(),
    transport: 'electron',
    pickFolder: async () => {
      const window = BrowserWindow.getFocusedWindow()
      const options = { properties: ['openDirectory' as const] }
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options)
      return result.canceled ? null : (result.filePaths[0] ?? null)
    }
  })

  protocol.handle(IMAGE_SCHEME, async (request) => {
    const match = /^\/(\d+)\/(\w+)$/.exec(new URL(request.url).pathname)
    if (!match) return new Response('Not found', { status: 404 })
    try {
      const file = await services.imageFile(asId(Number(match[1])), asVariant(match[2]))
      return net.fetch(pathToFileURL(file.path).href)
    } catch (err) {
      return new Response(err instanceof Error ? err.message : 'Error', { status: 404 })
    }
  })
  registerIpc(services.handlers, rendererUrl())

  const open = (): void => {
    const window = createMainWindow()
    const stop = forwardEvents(services.events, window)
    window.on('closed', stop)
  }
  open()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open()
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  // A training run checkpoints before the app goes (it is resumable on the next start).
  let closed = false
  app.on('before-quit', (event) => {
    if (closed) return
    event.preventDefault()
    closed = true
    void services
      .close()
      .catch((err: unknown) => console.error('closing the services failed:', err))
      .finally(() => {
        db.close()
        app.quit()
      })
  })
}

void start()
