/**
 * Where the demo's teacher comes from: the shared folded weights, a user's .pth, a verified
 * download; and the message that says what to provide when there is none. No real network: every
 * download goes through a fake fetch.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UserError } from '../../src/common/ipc/errors'
import {
  downloadedTeacherPath,
  resolveTeacher,
  SHARED_TEACHER_DIR,
  TORCHVISION_RESNET18,
  type PublishedCheckpoint
} from '../../src/main/demo/teacher-source'
import { tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()
const offline = (): Promise<Response> => Promise.reject(new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND download.pytorch.org') }))
const serving = (bytes: Uint8Array): typeof fetch => (async () => new Response(bytes)) as unknown as typeof fetch

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(err).toBeInstanceOf(UserError)
  return err as UserError
}

describe('demo teacher', () => {
  it('the published checkpoint: torchvision URL, and a SHA-256 that starts with the hash in its name', () => {
    expect(TORCHVISION_RESNET18.url).toBe('https://download.pytorch.org/models/resnet18-f37072fd.pth')
    expect(TORCHVISION_RESNET18.sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(TORCHVISION_RESNET18.sha256.startsWith('f37072fd')).toBe(true)
  })

  it('without any source or network, stops with a message naming each way to provide one', async () => {
    const shared = tempDir()
    const dataDir = tempDir()
    const err = await rejection(resolveTeacher({ sharedDir: shared, dataDir, fetch: offline }))
    expect(err.code).toBe('NO_TEACHER')
    expect(err.message).toContain(join(shared, SHARED_TEACHER_DIR))
    expect(err.message).toContain('DESTSEG_SHARED')
    expect(err.message).toContain('--teacher')
    expect(err.message).toContain('--download-teacher')
    expect(err.message).toContain(TORCHVISION_RESNET18.url)
    expect(err.message).toContain(TORCHVISION_RESNET18.sha256)
    expect(err.message).toContain(downloadedTeacherPath(dataDir))
    expect(err.message).toContain('ENOTFOUND')
    expect(existsSync(join(dataDir, 'teacher'))).toBe(false)
  })

  it('uses the shared folded weights when they exist, without touching the network', async () => {
    const shared = tempDir()
    mkdirSync(join(shared, SHARED_TEACHER_DIR), { recursive: true })
    writeFileSync(join(shared, SHARED_TEACHER_DIR, 'conv1.weight.npy'), '')
    const never = (() => {
      throw new Error('no download expected')
    }) as unknown as typeof fetch
    const teacher = await resolveTeacher({ sharedDir: shared, dataDir: tempDir(), fetch: never })
    expect(teacher).toMatchObject({ origin: 'shared', source: { kind: 'npy', dir: join(shared, SHARED_TEACHER_DIR) } })
  })

  it('asked to download without a network, says what to provide instead', async () => {
    const err = await rejection(resolveTeacher({ sharedDir: tempDir(), dataDir: tempDir(), download: true, fetch: offline }))
    expect(err.code).toBe('NO_TEACHER')
    expect(err.message).toMatch(/could not start: getaddrinfo ENOTFOUND/)
  })

  it('refuses a download whose SHA-256 is not the published one, and keeps nothing', async () => {
    const dataDir = tempDir()
    const err = await rejection(
      resolveTeacher({ sharedDir: tempDir(), dataDir, download: true, fetch: serving(new TextEncoder().encode('not the weights')) })
    )
    expect(err.code).toBe('TEACHER_CHECKSUM')
    expect(err.message).toMatch(/refused the download .* is not the published f37072fd/)
    expect(readdirSync(join(dataDir, 'teacher'))).toEqual([])
  })

  it('keeps a verified download and reuses it afterwards', async () => {
    const bytes = new TextEncoder().encode('pretend checkpoint bytes')
    const checkpoint: PublishedCheckpoint = {
      url: 'https://example.invalid/resnet18-test.pth',
      file: 'resnet18-test.pth',
      sha256: sha256(bytes),
      bytes: bytes.length
    }
    const dataDir = tempDir()
    const shared = tempDir()
    const first = await resolveTeacher({ sharedDir: shared, dataDir, checkpoint, fetch: serving(bytes) })
    expect(first).toMatchObject({ origin: 'downloaded', source: { kind: 'torchvision', path: downloadedTeacherPath(dataDir, checkpoint) } })
    expect(readdirSync(join(dataDir, 'teacher'))).toEqual(['resnet18-test.pth'])
    const again = await resolveTeacher({ sharedDir: shared, dataDir, checkpoint, fetch: offline })
    expect(again.origin).toBe('cached')
  })

  it('refuses a --teacher file whose name carries a hash its contents do not have', async () => {
    const dir = tempDir()
    const fake = join(dir, 'resnet18-f37072fd.pth')
    writeFileSync(fake, 'damaged')
    const err = await rejection(resolveTeacher({ teacherFile: fake, sharedDir: tempDir(), dataDir: tempDir(), fetch: offline }))
    expect(err.code).toBe('TEACHER_CHECKSUM')
    expect(err.message).toContain(`refused ${fake}`)

    const missing = await rejection(resolveTeacher({ teacherFile: join(dir, 'nope.pth'), sharedDir: tempDir(), dataDir: tempDir() }))
    expect(missing.message).toMatch(/does not exist/)
    const notTorch = join(dir, 'weights.pth')
    writeFileSync(notTorch, 'not a zip')
    const bad = await rejection(resolveTeacher({ teacherFile: notTorch, sharedDir: tempDir(), dataDir: tempDir() }))
    expect(bad.code).toBe('BAD_TEACHER')
    expect(bad.message).toMatch(/not a usable torchvision ResNet18 checkpoint/)
    // A real torch checkpoint, but not a ResNet18: the engine's loader names the first wrong tensor.
    const other = await rejection(resolveTeacher({ teacherFile: join(__dirname, '../fixtures/engine/tiny-state-dict.pth'), sharedDir: tempDir(), dataDir: tempDir() }))
    expect(other.code).toBe('BAD_TEACHER')
    expect(other.message).toMatch(/tensor 'conv1\.weight' has shape \[4, 3, 3, 3\], expected \[64, 3, 7, 7\]/)
  })
})
