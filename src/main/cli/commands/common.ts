/** What every CLI command shares: the command shape, opening the store, output helpers. */
import type Database from 'better-sqlite3'
import { dirname, resolve } from 'node:path'
import { UserError } from '../../../common/ipc/errors'
import { defaultDbPath } from '../../config/paths'
import { DatasetService, TextureService, type Progress } from '../../datasets/dataset-service'
import { openDatabase } from '../../store/db'

export interface CliCommand {
  name: string
  /** one line for `destseg help` */
  summary: string
  /** arguments and options, e.g. "<folder> [--db <file>] [--json]" */
  usage: string
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[]): Promise<number>
}

/** Bad arguments: the CLI prints the command's usage and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The --db option, shared by commands that use the database. */
export const dbOption = { db: { type: 'string' } } as const

export interface Store {
  db: Database.Database
  datasets: DatasetService
  textures: TextureService
  close(): void
}

/** A path as the user typed it: `npm run` changes into the project, so relative paths follow INIT_CWD. */
export function userPath(path: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), path)
}

/** Opens the database (default: defaultDbPath()); caches live beside it. */
export function openStore(dbPath?: string): Store {
  const path = dbPath === undefined ? defaultDbPath() : userPath(dbPath)
  const db = openDatabase(path)
  const options = { dataDir: dirname(path) }
  return {
    db,
    datasets: new DatasetService(db, options),
    textures: new TextureService(db, options),
    close: () => db.close()
  }
}

/** Prints one JSON object on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Progress on stderr (stdout stays machine-readable): a rewritten line on a terminal, else a line every 0.5 s. */
export function stderrProgress(): Progress {
  let lastTime = 0
  let lastLabel = ''
  return ({ label, done, total }) => {
    const now = Date.now()
    const finished = total > 0 && done >= total
    if (label === lastLabel && !finished && now - lastTime < 500) return
    lastTime = now
    lastLabel = label
    const text = total > 0 ? `${label} ${done}/${total}` : label
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}${finished ? '\n' : ''}`)
    else process.stderr.write(`${text}\n`)
  }
}

/** An AbortSignal fired by Ctrl-C, so a long import stops without writing anything. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort(new UserError('Interrupted; nothing was written.', 'CANCELLED')))
  return controller.signal
}

export function parseId(value: string | undefined, what: string): number {
  const id = Number(value)
  if (!value || !Number.isInteger(id) || id <= 0)
    throw new UsageError(`expected a ${what} id, got ${value ?? 'nothing'}`)
  return id
}

/** The anomaly-source textures, relative to the shared folder, when --textures is not given. */
export { DEFAULT_TEXTURES } from '../../config/paths'

/** A numeric option: undefined when absent, a UsageError naming the rule when it breaks `check`. */
export function parseNumber(value: string | undefined, what: string, check: (n: number) => boolean, rule: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !check(n)) throw new UsageError(`--${what} must be ${rule}, got ${value}`)
  return n
}

export const intAtLeast = (min: number) => (n: number) => Number.isInteger(n) && n >= min

/** An option with a fixed set of values: undefined when absent. */
export function parseChoice<T extends string>(value: string | undefined, choices: readonly T[], what: string): T | undefined {
  if (value === undefined) return undefined
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${what} must be one of ${choices.join(', ')}, got ${value}`)
  return value as T
}
