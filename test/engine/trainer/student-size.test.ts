/**
 * student_size: phase 1 on smaller images than phase 2 (the `quick` preset's layout). The preset
 * rules of makeRunConfig, and a run that switches its batch size at the phase change, checkpoints
 * there and resumes in phase 2 to the same weights.
 */
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeRunConfig } from '../../../src/main/engine/trainer/presets'
import { readTensorFile } from '../../../src/main/engine/trainer/tensor-file'
import { train } from '../../../src/main/engine/trainer/trainer'
import { tempDirs } from '../../helpers/fixtures'
import { tinyConfig } from './helpers'

const tempDir = tempDirs()

describe('student_size', () => {
  it('comes from the preset, follows a size of one\'s own, and is checked', () => {
    const base = { dataset: '/d', textures: '/t' }
    expect(makeRunConfig({ ...base, preset: 'quick' })).toMatchObject({ size: 256, student_size: 128 })
    expect(makeRunConfig({ ...base, preset: 'quick', size: 128 })).toMatchObject({ size: 128, student_size: 128 })
    expect(makeRunConfig({ ...base, preset: 'quick', student_size: 64 })).toMatchObject({ size: 256, student_size: 64 })
    expect(makeRunConfig({ ...base, preset: 'paper' })).toMatchObject({ size: 256, student_size: 256 })
    expect(makeRunConfig({ ...base, preset: 'tiny', size: 64 })).toMatchObject({ size: 64, student_size: 64 })
    expect(() => makeRunConfig({ ...base, preset: 'tiny', student_size: 48 })).toThrow(/student_size must be a multiple of 32/)
    expect(() => makeRunConfig({ ...base, preset: 'tiny', batch: 1, size: 64, student_size: 32 })).toThrow(/batch must be at least 2 at size 32/)
  })

  it('trains phase 1 at student_size and phase 2 at size; a resume in phase 2 ends with the same weights', async () => {
    const config = tinyConfig({ seed: 2, size: 64, student_size: 32, student_steps: 2, segmentation_steps: 3, checkpoint_every: 1 })
    const straight = join(tempDir(), 'straight')
    const done = await train({ request: { config, run_dir: straight } })
    expect(done).toMatchObject({ status: 'done', steps: 5 })
    expect(Object.values(done.final_losses).every((v) => v !== null && Number.isFinite(v))).toBe(true)

    const interrupted = join(tempDir(), 'resumed')
    const stop = new AbortController()
    const first = await train({
      request: { config, run_dir: interrupted },
      signal: stop.signal,
      onProgress: (p) => {
        if (p.global_step === 3) stop.abort() // one step into phase 2
      }
    })
    expect(first).toMatchObject({ status: 'cancelled', steps: 3 })
    await train({ request: { config, run_dir: interrupted, resume: true } })
    const same = (dirA: string, dirB: string, file: string): boolean => {
      const a = readTensorFile(join(dirA, file))
      const b = readTensorFile(join(dirB, file))
      return [...a].every(([name, t]) => t.data.every((v, i) => v === b.get(name)!.data[i]))
    }
    expect(same(straight, interrupted, 'student.json')).toBe(true)
    expect(same(straight, interrupted, 'seg.json')).toBe(true)

    // Phase 1 ran at 32 px: the student is the one of a run at 32 px throughout; the segmentation net is not.
    const small = join(tempDir(), 'small')
    await train({ request: { config: { ...config, size: 32 }, run_dir: small } })
    expect(same(straight, small, 'student.json')).toBe(true)
    expect(same(straight, small, 'seg.json')).toBe(false)
  }, 240_000)
})
