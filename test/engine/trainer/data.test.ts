/** The training data pipeline: batches are a function of the step, whichever thread makes them. */
import { beforeAll, describe, expect, it } from 'vitest'
import { requireShared } from '../../../src/main/config/paths'
import { BatchProducer, type BatchSpec } from '../../../src/main/engine/data/batch-producer'
import { InlineBatchSource, WorkerBatchSource } from '../../../src/main/engine/data/batch-source'
import { textureImages, trainingImages } from '../../../src/main/engine/data/files'
import { IMAGENET_MEAN, IMAGENET_STD, normalizeImageNetInPlace } from '../../../src/main/engine/data/normalize'

let spec: BatchSpec

describe('training batches', () => {
  beforeAll(async () => {
    const [images, textures] = await Promise.all([
      trainingImages(requireShared('datasets/magnetic-tile')),
      textureImages(requireShared('assets/textures/dtd'))
    ])
    spec = { images, textures, size: 32, batch: 3, seed: 7, opacity: 'reference', augmentation: 'rotate90' }
  })

  it('finds the category\'s train/good images and the textures', () => {
    expect(spec.images).toHaveLength(400)
    expect(spec.images.every((p) => p.includes('/train/good/'))).toBe(true)
    expect(spec.textures).toHaveLength(120)
  })

  it('walks seeded epoch permutations: every image once per epoch', () => {
    const producer = new BatchProducer(spec)
    const perEpoch = Math.floor(400 / 3) // steps wholly inside epoch 0
    const seen = Array.from({ length: perEpoch }, (_, s) => producer.sampleIndices(s)).flat()
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.slice(0, 6)).not.toEqual([0, 1, 2, 3, 4, 5])
    expect(new BatchProducer({ ...spec, seed: 8 }).sampleIndices(0)).not.toEqual(producer.sampleIndices(0))
  })

  it('makes normalised I_n, I_a and a 0/1 mask at size/4; the same step gives the same batch in any order', async () => {
    const a = new BatchProducer(spec)
    const b = new BatchProducer(spec)
    const [a0, a1, a2] = [await a.produce(0), await a.produce(1), await a.produce(2)]
    const b2 = await b.produce(2) // b makes step 2 first
    expect(b2).toEqual(a2)
    const [x, y] = await Promise.all([b.produce(1), b.produce(0)]) // overlapping calls
    expect(x).toEqual(a1)
    expect(y).toEqual(a0)
    expect(a0.normal).toHaveLength(3 * 32 * 32 * 3)
    expect(a0.anomalous).toHaveLength(3 * 32 * 32 * 3)
    expect(a0.mask).toHaveLength(3 * 8 * 8)
    expect(a0.maskSize).toBe(8)
    expect(a0.mask.every((v) => v === 0 || v === 1)).toBe(true)
    // ImageNet-normalised: values lie within (0 - mean) / std .. (1 - mean) / std
    const lo = Math.min(...IMAGENET_MEAN.map((m, c) => -m / IMAGENET_STD[c]))
    const hi = Math.max(...IMAGENET_MEAN.map((m, c) => (1 - m) / IMAGENET_STD[c]))
    expect(Math.min(...a0.normal)).toBeGreaterThanOrEqual(lo - 1e-5)
    expect(Math.max(...a0.anomalous)).toBeLessThanOrEqual(hi + 1e-5)
    // I_a differs from I_n only where a texture was blended in
    expect(a0.normal).not.toEqual(a0.anomalous)
  })

  it('the worker source and the inline source give identical batches', async () => {
    const worker = new WorkerBatchSource(spec, { end: 4, depth: 2 })
    const inline = new InlineBatchSource(spec, { end: 4, depth: 0 })
    try {
      for (let step = 0; step < 4; step++) {
        const [w, i] = await Promise.all([worker.get(step), inline.get(step)])
        expect(w.step).toBe(step)
        expect(w).toEqual(i)
      }
    } finally {
      await Promise.all([worker.close(), inline.close()])
    }
    await expect(worker.get(0)).rejects.toThrow(/closed/)
  })

  it('a bad image fails the batch that needs it with the path in the message', async () => {
    const broken = { ...spec, images: ['/nonexistent/a.png'] }
    const worker = new WorkerBatchSource(broken, { end: 2, depth: 1 })
    try {
      await expect(worker.get(0)).rejects.toThrow(/cannot load training image \/nonexistent\/a.png/)
    } finally {
      await worker.close()
    }
  })

  it('normalises with the ImageNet mean and std per channel', () => {
    const px = normalizeImageNetInPlace(new Float32Array([0.485, 0.456, 0.406, 1, 1, 1]))
    for (const v of px.subarray(0, 3)) expect(Math.abs(v)).toBeLessThan(1e-6) // float32 of the mean
    expect(px[3]).toBeCloseTo((1 - 0.485) / 0.229, 5)
    expect(() => normalizeImageNetInPlace(new Float32Array(4))).toThrow(/RGB/)
  })
})
