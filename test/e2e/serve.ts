/**
 * Starts the headless server (src/main/cli/serve.ts) on a free port with a throw-away database and
 * data folder, and waits for the one JSON line it prints once listening.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { RunSummary } from '../../src/common/types/runs'

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..')

/** The read-only shared folder: DESTSEG_SHARED, else ../shared beside the project. */
export function sharedDir(): string {
  return process.env.DESTSEG_SHARED ? resolve(process.env.DESTSEG_SHARED) : resolve(repoRoot, '..', 'shared')
}

/** A path inside the shared folder, or an error that says where it is expected. */
export function requireShared(relative: string): string {
  const path = join(sharedDir(), relative)
  if (!existsSync(path)) {
    throw new Error(
      `Shared data not found: ${path}. Put the shared folder beside the project (../shared) or set DESTSEG_SHARED to its location.`
    )
  }
  return path
}

export interface ServerHandle {
  /** the launch URL, token included */
  url: string
  /** http://127.0.0.1:PORT */
  origin: string
  port: number
  token: string
  dataDir: string
  /** what the server wrote to stderr so far */
  log: () => string
  stop: () => Promise<void>
}

interface ServeLine {
  url: string
  port: number
  token: string
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      done(true)
    })
  })
}

export async function startServer(options: { timeoutMs?: number } = {}): Promise<ServerHandle> {
  const script = join(repoRoot, 'src/main/cli/serve.ts')
  if (!existsSync(script)) throw new Error(`The headless server ${script} does not exist yet.`)
  if (!existsSync(join(repoRoot, 'out/renderer/index.html'))) {
    throw new Error('out/renderer/index.html is missing: run `npx electron-vite build` first (npm run test:e2e does).')
  }

  const dataDir = await mkdtemp(join(tmpdir(), 'destseg-e2e-'))
  // The same as `npx tsx src/main/cli/serve.ts …`, in one process (no npx/tsx wrappers to clean up).
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--port', '0', '--db', join(dataDir, 'db.sqlite'), '--data-dir', dataDir],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DESTSEG_SHARED: sharedDir() } }
  )
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
    if (process.env.DESTSEG_E2E_VERBOSE) process.stderr.write(`[serve] ${chunk}`)
  })

  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      if (!(await waitForExit(child, 5000))) {
        child.kill('SIGKILL')
        await waitForExit(child, 5000)
      }
    }
    await rm(dataDir, { recursive: true, force: true })
  }

  const timeoutMs = options.timeoutMs ?? 90_000
  try {
    const line = await new Promise<ServeLine>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`serve.ts printed no URL within ${timeoutMs} ms.\n${stderr}`)), timeoutMs)
      const lines = createInterface({ input: child.stdout! })
      lines.on('line', (text) => {
        try {
          const parsed = JSON.parse(text) as Partial<ServeLine>
          if (typeof parsed.url === 'string' && typeof parsed.token === 'string' && typeof parsed.port === 'number') {
            clearTimeout(timer)
            done(parsed as ServeLine)
          }
        } catch {
          // not the JSON line; keep reading
        }
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        fail(new Error(`serve.ts exited (${signal ?? code}) before listening.\n${stderr}`))
      })
      child.once('error', (err) => {
        clearTimeout(timer)
        fail(err)
      })
    })
    return {
      url: line.url,
      origin: new URL(line.url).origin,
      port: line.port,
      token: line.token,
      dataDir,
      log: () => stderr,
      stop
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/**
 * One API call over HTTP with the launch token; errors carry the channel (and, on a connection
 * failure, the server's log). A read-only call is tried again once on a reset connection: a server
 * busy for seconds (two cores shared with training, export and inference) can close an idle
 * keep-alive socket just as the next request goes out on it.
 */
export async function apiCall<T>(server: ServerHandle, channel: string, ...args: unknown[]): Promise<T> {
  const post = (): Promise<Response> =>
    fetch(`${server.origin}/api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ args })
    })
  const readOnly = !['datasets:import', 'runs:create'].includes(channel)
  const response = await post()
    .catch((err: unknown) => (readOnly ? new Promise<Response>((r) => setTimeout(() => r(post()), 500)) : Promise.reject(err)))
    .catch((err: unknown) => {
      throw new Error(`${channel}: ${String(err)}; server log:\n${server.log()}`)
    })
  const reply = (await response.json()) as { result?: T; error?: { message: string } }
  if (reply.error) throw new Error(`${channel}: ${reply.error.message}`)
  return reply.result as T
}

/**
 * A `tiny` run of a category through the API, followed to its end (the step after training exports
 * and evaluates it, within 280 s); returns the run as it ended.
 */
export async function trainTinyRun(server: ServerHandle, categoryId: number): Promise<RunSummary> {
  const run = await apiCall<RunSummary>(server, 'runs:create', { categoryId, preset: 'tiny' })
  const deadline = Date.now() + 280_000
  let state = run
  while (state.status !== 'done' && state.status !== 'failed' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000))
    state = await apiCall<RunSummary>(server, 'runs:get', run.id)
  }
  return state
}
