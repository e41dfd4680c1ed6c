/**
 * `npm run serve`: the workstation headless, in any browser. Binds 127.0.0.1 unless --host widens it.
 * Prints one JSON line on stdout once listening: {"url", "port", "token", "db"}.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultDataDir, defaultDbPath, projectRoot } from '../config/paths'
import { startHttpServer } from '../server/http-server'
import { createServices } from '../services/api'
import { openDatabase } from '../store/db'
import { version } from '../../../package.json'

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '5180' },
      db: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) {
    process.stderr.write('usage: npm run serve -- [--host 127.0.0.1] [--port 5180|0] [--db <file>] [--data-dir <dir>]\n')
    return
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0..65535, got ${values.port}`)
  const dataDir = values['data-dir'] ?? defaultDataDir()
  const dbPath = values.db ?? defaultDbPath(dataDir)
  const db = openDatabase(dbPath)
  const services = createServices({ db, dbPath, dataDir, version, transport: 'http' })
  const running = await startHttpServer({
    handlers: services.handlers,
    events: services.events,
    imageFile: (id, variant) => services.imageFile(id, variant),
    staticDir: join(projectRoot(), 'out', 'renderer'),
    host: values.host,
    port
  })
  process.stdout.write(JSON.stringify({ url: running.url, port: running.port, token: running.token, db: dbPath }) + '\n')
  if (!['127.0.0.1', 'localhost', '::1'].includes(values.host ?? '')) {
    process.stderr.write(`warning: listening on ${values.host}; anyone who can reach it and has the token can use the API\n`)
  }
  process.stderr.write(`DeSTSeg Workstation: open ${running.url}\n`)

  let stopping = false
  const shutdown = (): void => {
    if (stopping) process.exit(130) // a second Ctrl-C: do not wait for the checkpoint
    stopping = true
    // A training run writes a checkpoint first; it is resumable on the next start.
    void Promise.all([services.close(), running.close()])
      .catch((err: unknown) => process.stderr.write(`serve: ${err instanceof Error ? err.message : String(err)}\n`))
      .finally(() => {
        db.close()
        process.exit(0)
      })
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
}

main().catch((err: unknown) => {
  process.stderr.write(`serve: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
