/** Folder helpers for scanning: resolving the root, listing files, reading and hashing. */
import { createHash } from 'node:crypto'
import { readdir, readFile, realpath, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { UserError } from '../../common/ipc/errors'

export async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null))?.isDirectory() ?? false
}

/** The folder's real absolute path (symlinks resolved), or a UserError when it is missing. */
export async function resolveFolder(folder: string): Promise<string> {
  const path = resolve(folder)
  const info = await stat(path).catch(() => null)
  if (!info) throw new UserError(`Folder not found: ${path}`, 'NOT_FOUND')
  if (!info.isDirectory()) throw new UserError(`Not a folder: ${path}`, 'NOT_A_FOLDER')
  return realpath(path)
}

/**
 * Files below `dir`, as sorted paths relative to it with '/' separators.
 * Hidden entries (".DS_Store", "._x.png", ".git") are skipped; symlinked files are followed, symlinked folders are not.
 */
export async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const files: string[] = []
  for (const entry of await readdir(join(dir, rel), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue
    const relPath = rel ? `${rel}/${entry.name}` : entry.name
    if (entry.isDirectory()) files.push(...(await listFiles(dir, relPath)))
    else if (
      entry.isFile() ||
      (entry.isSymbolicLink() && (await stat(join(dir, relPath)).catch(() => null))?.isFile())
    ) {
      files.push(relPath)
    }
  }
  return files.sort()
}

/** Names of the visible subfolders of `dir`, sorted. */
export async function listDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort()
}

export interface FileBytes {
  data: Buffer
  size_bytes: number
  mtime_ms: number
  /** sha256 of the bytes, hex */
  content_hash: string
}

export async function readFileBytes(path: string): Promise<FileBytes> {
  const [info, data] = await Promise.all([stat(path), readFile(path)])
  return {
    data,
    size_bytes: data.length,
    mtime_ms: info.mtimeMs,
    content_hash: createHash('sha256').update(data).digest('hex')
  }
}
