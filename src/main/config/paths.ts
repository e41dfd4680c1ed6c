/** Where things live on disk. Node-only; no electron imports (main passes Electron's userData in). */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** The project root: two levels above src/main/config, or the bundle's parent when built. */
export function projectRoot(): string {
  for (const candidate of [resolve(__dirname, '../../..'), resolve(__dirname, '../..'), process.cwd()]) {
    if (existsSync(join(candidate, 'package.json'))) return candidate
  }
  return process.cwd()
}

/**
 * The read-only shared folder (METHOD.md, teacher weights, textures, datasets).
 * One setting: DESTSEG_SHARED, falling back to ../shared beside the project.
 */
export function sharedDir(): string {
  return process.env.DESTSEG_SHARED ? resolve(process.env.DESTSEG_SHARED) : resolve(projectRoot(), '..', 'shared')
}

/** The default anomaly-source textures (DTD), relative to the shared folder. */
export const DEFAULT_TEXTURES = 'assets/textures/dtd'

/** Throws a message saying where shared data is expected; for tests and commands that need it. */
export function requireShared(relative: string): string {
  const path = join(sharedDir(), relative)
  if (!existsSync(path)) {
    throw new Error(
      `Shared data not found: ${path}. Put the shared folder beside the project (../shared) or set DESTSEG_SHARED to its location.`
    )
  }
  return path
}

/** The user data folder for headless use; Electron passes app.getPath('userData') instead. */
export function defaultDataDir(): string {
  if (process.env.DESTSEG_DATA_DIR) return resolve(process.env.DESTSEG_DATA_DIR)
  const base = process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share')
  return join(base, 'destseg-workstation')
}

/** The database file: DESTSEG_DB, else destseg.sqlite in the data folder. */
export function defaultDbPath(dataDir = defaultDataDir()): string {
  return process.env.DESTSEG_DB ? resolve(process.env.DESTSEG_DB) : join(dataDir, 'destseg.sqlite')
}
