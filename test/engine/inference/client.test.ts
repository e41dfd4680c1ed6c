/**
 * InferenceClient (worker thread + decoding thread) on the small stand-in model: the same numbers
 * as the in-thread runner, results streamed in order, errors naming the file, cancelling, closing.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/common/ipc/errors'
import { InferenceClient } from '../../../src/main/engine/inference/client'
import { InferenceSessionRunner } from '../../../src/main/engine/inference/session-runner'
import type { InferenceProgress, InferenceResult } from '../../../src/main/engine/inference/types'
import { tempDirs } from '../../helpers/fixtures'
import { writeImage } from '../../helpers/images'
import { writeFakeModel } from './fake-model'

const tempDir = tempDirs()
let dir: string
let modelPath: string
let images: string[]
let client: InferenceClient

beforeAll(async () => {
  dir = tempDir()
  modelPath = join(dir, 'fake.onnx')
  writeFakeModel(modelPath, { size: 64, gain: 2 })
  images = []
  for (let i = 0; i < 5; i++) {
    const path = join(dir, `img${i}.png`)
    await writeImage(path, { width: 30 + 7 * i, height: 50 - 3 * i, seed: i })
    images.push(path)
  }
  client = await InferenceClient.open(modelPath, { batch: 2, intraOpNumThreads: 1 })
}, 60_000)

afterAll(async () => {
  await client?.close()
})

describe('InferenceClient', () => {
  it('gives what the in-thread runner gives, streamed in order with progress', async () => {
    expect(client.info).toMatchObject({ provider: 'cpu', inputSize: 64, mapSize: 16, batch: 2, threads: 1 })
    const streamed: string[] = []
    const progress: InferenceProgress[] = []
    const results = await client.infer(images, { originalSize: true, onResult: (r) => streamed.push(r.path), onProgress: (p) => progress.push(p) })
    expect(streamed).toEqual(images)
    expect(progress.map((p) => p.done)).toEqual([2, 4, 5])
    const runner = await InferenceSessionRunner.create(modelPath, { batch: 3, intraOpNumThreads: 1 })
    try {
      const local = await runner.infer(images, { originalSize: true })
      const key = (rs: InferenceResult[]) =>
        rs.map((r) => [r.path, r.score, r.width, r.height, Array.from(r.map), Array.from(r.map256), Array.from(r.mapOriginal!)])
      expect(key(results)).toEqual(key(local))
    } finally {
      await runner.dispose()
    }
    for (const r of results) expect(r.mapOriginal).toHaveLength(r.width * r.height)
  })

  it('rejects with a UserError naming a bad file, and stays usable', async () => {
    const missing = join(dir, 'gone.png')
    const err = await client.score([images[0], images[1], images[2], missing]).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('BAD_IMAGE')
    expect((err as UserError).message).toBe(`cannot read image ${missing}: no such file`)
    expect(await client.score([images[1]])).toHaveLength(1)
  })

  it('cancels through an AbortSignal between batches', async () => {
    const controller = new AbortController()
    const seen: string[] = []
    const paths = Array.from({ length: 12 }, () => images).flat() // 60 images, 30 batches
    const err = await client
      .score(paths, { signal: controller.signal, onResult: (r) => seen.push(r.path), onProgress: () => controller.abort() })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('CANCELLED')
    expect((err as Error).message).toBe(`inference cancelled after ${seen.length} of 60 images`)
    // the worker hears the cancel between batches, a batch or a few after the first (messages take time)
    expect(seen.length).toBeGreaterThanOrEqual(2)
    expect(seen.length).toBeLessThan(30)
    expect(seen.length % 2).toBe(0)
    expect(seen).toEqual(paths.slice(0, seen.length))
    await expect(client.score(images, { signal: AbortSignal.abort() })).rejects.toThrow(/cancelled after 0 of 5/)
    expect(await client.score(images.slice(0, 1))).toHaveLength(1)
  })

  it('fails to open a missing model with a UserError, and refuses requests once closed', async () => {
    await expect(InferenceClient.open(join(dir, 'none.onnx'))).rejects.toThrow(`model not found: ${join(dir, 'none.onnx')}`)
    const other = await InferenceClient.open(modelPath, { intraOpNumThreads: 1, decode: 'inline' })
    const pending = other.score(images).catch((e: unknown) => e)
    await other.close()
    expect(String(await pending)).toMatch(/cancelled|closed/)
    await expect(other.score(images)).rejects.toThrow(/closed/)
  }, 30_000)
})
