/**
 * Starting the engine's worker threads, from TypeScript sources (tsx, vitest) or built JavaScript.
 * A `.ts` entry gets `--require tsx/cjs` (tsx's CommonJS hook; `--import tsx` does not reach
 * worker threads under Node 20), a `.js` one runs as it is. The process's own execArgv is not
 * passed on: tsx's ESM loader flags break `.ts` entries in workers.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { Worker, type WorkerOptions } from 'node:worker_threads'

const requireHere = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'index.js'))

/**
 * `<dir>/<name>.ts` when running from sources, else `<dir>/<name>.js` (a build that emits that entry);
 * with several folders, the first that holds one.
 */
export function workerEntry(dirs: string | readonly string[], name: string): string {
  const folders = typeof dirs === 'string' ? [dirs] : dirs
  for (const dir of folders) {
    for (const ext of ['.ts', '.js', '.cjs', '.mjs']) {
      const path = join(dir, name + ext)
      if (existsSync(path)) return path
    }
  }
  throw new Error(`worker entry '${name}' not found in ${folders.join(' or ')} (.ts, .js, .cjs or .mjs)`)
}

/** A Worker on `entry`; TypeScript entries are compiled on the fly by tsx. */
export function spawnWorker(entry: string, options: WorkerOptions = {}): Worker {
  const execArgv = entry.endsWith('.ts') ? ['--require', requireHere.resolve('tsx/cjs'), ...(options.execArgv ?? [])] : options.execArgv
  return new Worker(entry, { ...options, execArgv })
}
