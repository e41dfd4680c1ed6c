/**
 * InferenceSessionRunner in this thread, on a hand-checkable stand-in model (fake-model.ts):
 * preprocessing and maps are right, batching changes nothing, the next batch is decoded during the
 * current run, errors name the file, cancelling stops early, providers fall back to CPU with a reason.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UserError } from '../../../src/common/ipc/errors'
import { benchInfer } from '../../../src/main/engine/inference/bench'
import { InlineBatchLoader, type BatchLoader } from '../../../src/main/engine/inference/batch-loader'
import { resizeBilinear, loadRgb8 } from '../../../src/main/engine/synthesis/image-ops'
import { topTMean } from '../../../src/main/engine/inference/score'
import { InferenceSessionRunner } from '../../../src/main/engine/inference/session-runner'
import type { InferenceProgress, InferenceResult } from '../../../src/main/engine/inference/types'
import { tempDirs } from '../../helpers/fixtures'
import { writeImage } from '../../helpers/images'
import { maxAbsDiff } from '../helpers'
import { expectedFakeMap, writeFakeModel } from './fake-model'

const tempDir = tempDirs()
const SIZE = 32
const GAIN = 3
let dir: string
let modelPath: string
let images: string[]
const runners: InferenceSessionRunner[] = []

async function open(batch: number, extra: Parameters<typeof InferenceSessionRunner.create>[1] = {}): Promise<InferenceSessionRunner> {
  const r = await InferenceSessionRunner.create(modelPath, { batch, intraOpNumThreads: 1, ...extra })
  runners.push(r)
  return r
}

beforeAll(async () => {
  dir = tempDir()
  modelPath = join(dir, 'fake.onnx')
  writeFakeModel(modelPath, { size: SIZE, gain: GAIN })
  // sizes and kinds vary: grey, RGBA, JPEG, BMP, smaller and larger than the input
  const specs = [
    { name: 'a.png', width: 48, height: 40, channels: 3 },
    { name: 'b.png', width: 20, height: 30, channels: 1 },
    { name: 'c.jpg', width: 64, height: 64, channels: 3 },
    { name: 'd.png', width: 33, height: 17, channels: 4 },
    { name: 'e.bmp', width: 40, height: 24, channels: 3 },
    { name: 'f.png', width: 32, height: 32, channels: 3 }
  ] as const
  images = []
  for (const [i, s] of specs.entries()) {
    const path = join(dir, 'images', s.name)
    await writeImage(path, { width: s.width, height: s.height, channels: s.channels, seed: i * 5 })
    images.push(path)
  }
})

afterAll(async () => {
  for (const r of runners) await r.dispose()
})

describe('InferenceSessionRunner', () => {
  it('reads the input size from the metadata and reports the session', async () => {
    const r = await open(8)
    expect(r.info).toMatchObject({ provider: 'cpu', fallbacks: [], inputSize: SIZE, mapSize: SIZE / 4, threads: 1, batch: 8, topT: 100 })
    expect(r.info.metadata['destseg.input_size']).toBe(String(SIZE))
  })

  it('gives the model\'s map of the preprocessed image, its 256x256 upsampling, the top-T score and the original size', async () => {
    const r = await open(4)
    const results = await r.infer(images, { originalSize: true })
    expect(results.map((x) => x.path)).toEqual(images)
    for (const [i, res] of results.entries()) {
      const expected = expectedFakeMap(await loadRgb8(images[i], SIZE, SIZE), GAIN)
      expect(res.mapSize).toBe(SIZE / 4)
      expect(res.map).toHaveLength((SIZE / 4) ** 2)
      expect(maxAbsDiff(res.map, expected)).toBeLessThan(1e-5)
      expect(maxAbsDiff(res.map256, resizeBilinear(res.map, SIZE / 4, SIZE / 4, 256, 256))).toBe(0)
      expect(res.score).toBe(topTMean(res.map256, 100))
      expect(res.mapOriginal).toHaveLength(res.width * res.height)
    }
    expect(results.map((x) => [x.width, x.height])).toEqual([
      [48, 40],
      [20, 30],
      [64, 64],
      [33, 17],
      [40, 24],
      [32, 32]
    ])
    // the images differ, and so do their scores
    expect(new Set(results.map((x) => x.score)).size).toBe(images.length)
  })

  it('batching changes nothing: batch 1, 4 (a partial last batch) and 8 agree exactly', async () => {
    const [r1, r4, r8] = await Promise.all([open(1), open(4), open(8)])
    const runs = [await r1.infer(images), await r4.infer(images), await r8.infer(images)]
    const key = (rs: InferenceResult[]) => rs.map((x) => [x.path, x.score, Array.from(x.map)])
    expect(key(runs[1])).toEqual(key(runs[0]))
    expect(key(runs[2])).toEqual(key(runs[0]))
    const scores = await r4.score(images)
    expect(scores).toEqual(runs[0].map(({ path, score, width, height }) => ({ path, score, width, height })))
  })

  it('decodes the next batch while the current one runs', async () => {
    const events: string[] = []
    const inline = new InlineBatchLoader()
    const loader: BatchLoader = {
      load: async (paths, size) => {
        events.push(`load ${paths.map((p) => images.indexOf(p)).join(',')}`)
        return inline.load(paths, size)
      },
      close: async () => void events.push('close')
    }
    const r = await InferenceSessionRunner.create(modelPath, { batch: 2, intraOpNumThreads: 1, decode: loader })
    await r.score(images, { onProgress: (p) => events.push(`done ${p.done}`) })
    expect(events).toEqual(['load 0,1', 'load 2,3', 'done 2', 'load 4,5', 'done 4', 'done 6'])
    await r.dispose()
    expect(events.at(-1)).toBe('close')
  })

  it('streams results and progress, and a bad image fails with a message naming the file', async () => {
    const r = await open(2)
    const seen: string[] = []
    const progress: InferenceProgress[] = []
    await r.score(images.slice(0, 3), { onResult: (x) => seen.push(x.path), onProgress: (p) => progress.push(p) })
    expect(seen).toEqual(images.slice(0, 3))
    expect(progress.map((p) => [p.done, p.total])).toEqual([
      [2, 3],
      [3, 3]
    ])
    expect(progress[1].imagesPerSecond).toBeGreaterThan(0)

    const missing = join(dir, 'images', 'missing.png')
    const corrupt = join(dir, 'images', 'corrupt.png')
    writeFileSync(corrupt, Buffer.from('not a png at all'))
    const err1 = await r.score([images[0], missing]).catch((e: unknown) => e)
    expect(err1).toBeInstanceOf(UserError)
    expect((err1 as UserError).code).toBe('BAD_IMAGE')
    expect((err1 as Error).message).toBe(`cannot read image ${missing}: no such file`)
    const err2 = await r.score([corrupt, images[0]]).catch((e: unknown) => e)
    expect((err2 as Error).message).toMatch(new RegExp(`^cannot read image ${corrupt}: `))
    // still usable
    expect(await r.score([images[0]])).toHaveLength(1)
  })

  it('cancelling stops before the next batch', async () => {
    const r = await open(2)
    const controller = new AbortController()
    const seen: string[] = []
    const err = await r
      .score(images, { signal: controller.signal, onResult: (x) => seen.push(x.path), onProgress: () => controller.abort() })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UserError)
    expect((err as UserError).code).toBe('CANCELLED')
    expect((err as Error).message).toBe('inference cancelled after 2 of 6 images')
    expect(seen).toEqual(images.slice(0, 2))
    await expect(r.score(images, { signal: AbortSignal.abort() })).rejects.toThrow(/cancelled after 0 of 6/)
  })

  it('falls back to CPU, saying why, when a provider cannot create the session', async () => {
    const r = await open(2, { providers: ['cuda', 'cpu'] })
    if (r.info.provider === 'cpu') {
      // CUDA's provider libraries are not in the npm package
      expect(r.info.fallbacks).toHaveLength(1)
      expect(r.info.fallbacks[0].provider).toBe('cuda')
      expect(r.info.fallbacks[0].reason.length).toBeGreaterThan(0)
    } else expect(r.info.provider).toBe('cuda')
  })

  it('bench infer times session.run per batch size', async () => {
    const r = await benchInfer({ modelPath, threads: 1, batches: [1, 2] })
    expect(r).toMatchObject({ provider: 'cpu', threads: 1, size: SIZE, weights: 'model', model: modelPath, fallbacks: [], pytorch_ms_per_image: [620, 670] })
    expect(r.runs.map((x) => x.batch)).toEqual([1, 2])
    for (const x of r.runs) {
      // the stand-in model runs in microseconds; times are rounded to 0.1 ms
      expect(x.ms_per_batch).toBeGreaterThanOrEqual(0)
      expect(x.ms_per_image).toBeLessThanOrEqual(x.ms_per_batch)
    }
  })

  it('refuses a missing or broken model with a UserError', async () => {
    await expect(InferenceSessionRunner.create(join(dir, 'nope.onnx'))).rejects.toThrow(`model not found: ${join(dir, 'nope.onnx')}`)
    const broken = join(dir, 'broken.onnx')
    writeFileSync(broken, Buffer.from('garbage'))
    await expect(InferenceSessionRunner.create(broken)).rejects.toThrow(/cannot load the model .*broken\.onnx/)
  })
})
