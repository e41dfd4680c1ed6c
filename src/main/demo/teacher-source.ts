/**
 * Where the demo's frozen teacher (ImageNet ResNet18) comes from, in this order:
 *
 *  1. `--teacher <file>`: the user's torchvision ResNet18 checkpoint (.pth). A file named like
 *     torchvision's own (`resnet18-<hex>.pth`) must have a SHA-256 starting with that hex, the check
 *     torch.hub applies; every file must hold the teacher's tensors (conv1 .. layer3 with BatchNorm).
 *  2. `--download-teacher`: torchvision's resnet18-f37072fd.pth, downloaded into
 *     <data folder>/teacher/ and kept only when its SHA-256 is the published one.
 *  3. The shared folder's folded weights (<shared>/assets/teacher/resnet18-imagenet/*.npy).
 *  4. An earlier verified download in <data folder>/teacher/.
 *  5. The download of 2, tried when none of the above exists; without a network (or when it fails)
 *     a UserError says exactly which file to provide and where.
 */
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, statSync } from 'node:fs'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type { TeacherSource } from '../../common/types/training'

/** torchvision's ResNet18 IMAGENET1K_V1 weights, as published. */
export interface PublishedCheckpoint {
  url: string
  file: string
  /** the full SHA-256 (hex); torchvision's file name carries its first 8 digits */
  sha256: string
  bytes: number
}

/**
 * The digest is the one projects pinning this file record (46,830,571 bytes); its first 8 hex
 * digits are the `f37072fd` of torchvision's file name, which torch.hub checks on download.
 */
export const TORCHVISION_RESNET18: Readonly<PublishedCheckpoint> = {
  url: 'https://download.pytorch.org/models/resnet18-f37072fd.pth',
  file: 'resnet18-f37072fd.pth',
  sha256: 'f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec',
  bytes: 46_830_571
}

/** The shared folded teacher, relative to the shared folder (engine/destseg/weights.ts TEACHER_WEIGHTS_DIR). */
export const SHARED_TEACHER_DIR = 'assets/teacher/resnet18-imagenet'

export interface TeacherOptions {
  /** --teacher: a torchvision ResNet18 .pth of the user's */
  teacherFile?: string
  /** --download-teacher */
  download?: boolean
  /** the shared folder (sharedDir()) */
  sharedDir: string
  /** the data folder; downloads go to <dataDir>/teacher/ */
  dataDir: string
  /** default: the global fetch */
  fetch?: typeof fetch
  /** default: TORCHVISION_RESNET18 (tests pass their own) */
  checkpoint?: PublishedCheckpoint
  /** seconds to wait for the server's answer before calling the network unreachable; default 20 */
  connectTimeoutS?: number
  log?: (line: string) => void
  signal?: AbortSignal
}

export interface ResolvedTeacher {
  /** the run configuration's teacher */
  source: TeacherSource
  origin: 'file' | 'shared' | 'downloaded' | 'cached'
  /** one line for the user: what and where */
  description: string
}

/** The SHA-256 of a file, hex. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The download's place: <dataDir>/teacher/<file>. */
export function downloadedTeacherPath(dataDir: string, checkpoint: PublishedCheckpoint = TORCHVISION_RESNET18): string {
  return join(dataDir, 'teacher', checkpoint.file)
}

/** The message when no teacher can be had: every way to provide one, with the paths looked at. */
export function missingTeacherMessage(options: TeacherOptions, why: string): string {
  const checkpoint = options.checkpoint ?? TORCHVISION_RESNET18
  return [
    'No teacher weights (the frozen ImageNet ResNet18 DeSTSeg needs). Provide one of:',
    `  - the shared folder's folded weights: ${join(options.sharedDir, SHARED_TEACHER_DIR)}/ (conv1.weight.npy, ...);` +
      ' put the shared folder beside the project (../shared) or set DESTSEG_SHARED to it',
    `  - torchvision's ResNet18 checkpoint: --teacher <path>/${checkpoint.file}`,
    `  - the download of ${checkpoint.url} (${(checkpoint.bytes / 1e6).toFixed(1)} MB, SHA-256 ${checkpoint.sha256}):` +
      ` --download-teacher where a network exists, or save it yourself as ${downloadedTeacherPath(options.dataDir, checkpoint)}`,
    `(${why})`
  ].join('\n')
}

/** Finds the teacher (see the module comment); a UserError when there is none. */
export async function resolveTeacher(options: TeacherOptions): Promise<ResolvedTeacher> {
  const checkpoint = options.checkpoint ?? TORCHVISION_RESNET18
  const log = options.log ?? (() => undefined)
  if (options.teacherFile !== undefined) return userCheckpoint(options.teacherFile)

  const cached = downloadedTeacherPath(options.dataDir, checkpoint)
  const cachedOk = async (): Promise<boolean> => {
    if (!existsSync(cached)) return false
    if ((await sha256File(cached)) === checkpoint.sha256) return true
    log(`ignoring ${cached}: its SHA-256 is not the published ${checkpoint.sha256}`)
    return false
  }
  const fromCache = (): ResolvedTeacher => ({
    source: { kind: 'torchvision', path: cached },
    origin: 'cached',
    description: `torchvision ResNet18 ${cached} (SHA-256 verified)`
  })
  const download = async (): Promise<ResolvedTeacher> => {
    try {
      await downloadCheckpoint(checkpoint, cached, options)
    } catch (err) {
      if (err instanceof NetworkUnreachable) throw new UserError(missingTeacherMessage(options, err.message), 'NO_TEACHER')
      throw err
    }
    return { source: { kind: 'torchvision', path: cached }, origin: 'downloaded', description: `torchvision ResNet18 downloaded to ${cached} (SHA-256 verified)` }
  }

  if (options.download) return (await cachedOk()) ? fromCache() : download()

  const shared = join(options.sharedDir, SHARED_TEACHER_DIR)
  if (existsSync(join(shared, 'conv1.weight.npy'))) {
    return { source: { kind: 'npy', dir: shared }, origin: 'shared', description: `shared folded ResNet18 ${shared}` }
  }
  if (await cachedOk()) return fromCache()

  log(`no teacher in ${shared} or ${cached}; trying to download ${checkpoint.url}`)
  return download()
}

/** The user's --teacher file: it exists, a torchvision-style name matches its hash, it holds the teacher's tensors. */
async function userCheckpoint(path: string): Promise<ResolvedTeacher> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new UserError(`--teacher: ${path} does not exist or is not a file.`, 'NO_TEACHER')
  const named = /^resnet18-([0-9a-f]{8,64})\.pth$/.exec(basename(path))
  if (named) {
    const digest = await sha256File(path)
    if (!digest.startsWith(named[1])) {
      throw new UserError(
        `--teacher: refused ${path}: its SHA-256 ${digest} does not start with ${named[1]}, the hash in its name; the file is damaged or not torchvision's.`,
        'TEACHER_CHECKSUM'
      )
    }
  }
  // The engine's own loader: every teacher tensor by name and shape, BatchNorm folded.
  const { loadTeacherWeights } = await import('../engine/destseg/weights')
  try {
    loadTeacherWeights({ kind: 'torchvision', path }).dispose()
  } catch (err) {
    throw new UserError(`--teacher: ${path} is not a usable torchvision ResNet18 checkpoint: ${err instanceof Error ? err.message : String(err)}`, 'BAD_TEACHER')
  }
  return { source: { kind: 'torchvision', path }, origin: 'file', description: `torchvision ResNet18 ${path}` }
}

/** The download could not reach the server (as opposed to a transfer or checksum failure). */
class NetworkUnreachable extends Error {}

/**
 * Downloads `checkpoint` to `target` through `<target>.part`: the SHA-256 is computed while
 * writing and the file is renamed into place only when it is the published one; otherwise the
 * partial file is removed and a UserError refuses it.
 */
export async function downloadCheckpoint(checkpoint: PublishedCheckpoint, target: string, options: Pick<TeacherOptions, 'fetch' | 'connectTimeoutS' | 'log' | 'signal'>): Promise<void> {
  const doFetch = options.fetch ?? fetch
  const log = options.log ?? (() => undefined)
  const connect = new AbortController()
  const timer = setTimeout(() => connect.abort(new Error(`no answer within ${options.connectTimeoutS ?? 20} s`)), (options.connectTimeoutS ?? 20) * 1000)
  const signal = options.signal ? AbortSignal.any([options.signal, connect.signal]) : connect.signal
  let response: Response
  try {
    response = await doFetch(checkpoint.url, { signal })
  } catch (err) {
    options.signal?.throwIfAborted()
    const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err)
    throw new NetworkUnreachable(`the download of ${checkpoint.url} could not start: ${reason}`)
  } finally {
    clearTimeout(timer)
  }
  if (!response.ok || !response.body) {
    throw new UserError(`${checkpoint.url}: the server answered ${response.status} ${response.statusText}; nothing was saved.`, 'DOWNLOAD_FAILED')
  }

  await mkdir(join(target, '..'), { recursive: true })
  const part = `${target}.part`
  const hash = createHash('sha256')
  let bytes = 0
  let nextReport = 0.1
  const file = await open(part, 'w')
  try {
    const reader = response.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      hash.update(value)
      await file.write(value)
      bytes += value.byteLength
      if (bytes / checkpoint.bytes >= nextReport) {
        log(`downloading ${checkpoint.file}: ${(bytes / 1e6).toFixed(1)} of ${(checkpoint.bytes / 1e6).toFixed(1)} MB`)
        nextReport = Math.floor((bytes / checkpoint.bytes) * 10 + 1) / 10
      }
    }
  } catch (err) {
    await file.close()
    await rm(part, { force: true })
    throw new UserError(`${checkpoint.url}: the download broke off after ${bytes} bytes (${err instanceof Error ? err.message : String(err)}); nothing was saved.`, 'DOWNLOAD_FAILED')
  }
  await file.close()
  const digest = hash.digest('hex')
  if (digest !== checkpoint.sha256) {
    await rm(part, { force: true })
    throw new UserError(
      `${checkpoint.url}: refused the download (${bytes} bytes): its SHA-256 ${digest} is not the published ${checkpoint.sha256}; nothing was saved.`,
      'TEACHER_CHECKSUM'
    )
  }
  await rename(part, target)
  log(`downloaded ${target} (${bytes} bytes, SHA-256 verified)`)
}
