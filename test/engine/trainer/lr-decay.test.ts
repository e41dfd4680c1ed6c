/**
 * lr_decay: the last fraction of phase 2 lowers both phase-2 learning rates linearly towards 0
 * (an option; the reference and the presets keep them constant). The factor per step, the
 * rates a checkpoint records, and a resume inside the decay that ends with the same weights.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadLatestCheckpoint } from '../../../src/main/engine/trainer/checkpoint'
import { makeRunConfig } from '../../../src/main/engine/trainer/presets'
import { readTensorFile } from '../../../src/main/engine/trainer/tensor-file'
import { decayFactor, train } from '../../../src/main/engine/trainer/trainer'
import { tempDirs } from '../../helpers/fixtures'
import { tinyConfig } from './helpers'

const tempDir = tempDirs()

describe('presets', () => {
  it("quick: grey anomaly textures on grey products and 200 phase-2 steps; paper and tiny as the reference", () => {
    const base = { dataset: '/d', textures: '/t' }
    expect(makeRunConfig({ ...base, preset: 'quick' })).toMatchObject({ texture_colour: 'match', student_steps: 300, segmentation_steps: 200 })
    expect(makeRunConfig({ ...base, preset: 'paper' }).texture_colour).toBe('as_is')
    expect(makeRunConfig({ ...base, preset: 'tiny' }).texture_colour).toBe('as_is')
    expect(makeRunConfig({ ...base, preset: 'quick', texture_colour: 'as_is' }).texture_colour).toBe('as_is')
  })
})

describe('lr_decay', () => {
  it('is 1 before the tail, then falls linearly, never to 0', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => decayFactor(i, 8, 0.5))).toEqual([1, 1, 1, 1, 0.8, 0.6, 0.4, 0.2])
    expect([0, 1, 2].map((i) => decayFactor(i, 3, 0))).toEqual([1, 1, 1])
    expect([0, 1].map((i) => decayFactor(i, 2, 1))).toEqual([2 / 3, 1 / 3])
    const base = { dataset: '/d', textures: '/t' }
    expect(makeRunConfig({ ...base, preset: 'quick' }).lr_decay).toBe(0)
    expect(makeRunConfig({ ...base, preset: 'quick', lr_decay: 0.5 }).lr_decay).toBe(0.5)
    expect(() => makeRunConfig({ ...base, preset: 'tiny', lr_decay: 1.5 })).toThrow(/lr_decay must be a fraction from 0 to 1/)
  })

  it('records the decayed rates in checkpoints; a resume inside the decay ends with the same weights', async () => {
    const config = tinyConfig({ seed: 3, student_steps: 1, segmentation_steps: 4, lr_decay: 0.5, checkpoint_every: 1 })
    const straight = join(tempDir(), 'straight')
    await train({ request: { config, run_dir: straight } })

    const interrupted = join(tempDir(), 'resumed')
    const stop = new AbortController()
    await train({
      request: { config, run_dir: interrupted },
      signal: stop.signal,
      onProgress: (p) => {
        if (p.global_step === 4) stop.abort() // phase 2's third step: the first of the decay
      }
    })
    const ckpt = loadLatestCheckpoint(join(interrupted, 'checkpoints'))!
    expect(ckpt.state.step).toBe(4)
    expect(ckpt.state.optimizers.segmentation.lrs.res).toBeCloseTo((config.lr_res * 2) / 3, 12)
    expect(ckpt.state.optimizers.segmentation.lrs.head).toBeCloseTo((config.lr_head * 2) / 3, 12)
    await train({ request: { config, run_dir: interrupted, resume: true } })
    for (const file of ['student.json', 'seg.json']) {
      const a = readTensorFile(join(straight, file))
      const b = readTensorFile(join(interrupted, file))
      expect([...a].every(([name, t]) => t.data.every((v, i) => v === b.get(name)!.data[i]))).toBe(true)
    }

    // Without the decay the segmentation net ends elsewhere.
    const constant = join(tempDir(), 'constant')
    await train({ request: { config: { ...config, lr_decay: 0 }, run_dir: constant } })
    const a = readTensorFile(join(straight, 'seg.json'))
    const c = readTensorFile(join(constant, 'seg.json'))
    expect([...a].every(([name, t]) => t.data.every((v, i) => v === c.get(name)!.data[i]))).toBe(false)
  }, 240_000)
})
