/**
 * The training loop in-process, tiny preset on the shared magnetic-tile category: both losses
 * fall; no tensor leaks; the run folder; cancel + crash + resume reproduce the straight run
 * bit for bit (same backend).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { listCheckpoints, readCheckpoint } from '../../../src/main/engine/trainer/checkpoint'
import { readTensorFile } from '../../../src/main/engine/trainer/tensor-file'
import { train } from '../../../src/main/engine/trainer/trainer'
import type { TrainProgress, TrainResult } from '../../../src/main/engine/trainer/types'
import { tempDirs } from '../../helpers/fixtures'
import { mean, tinyConfig } from './helpers'

const tempDir = tempDirs()
const config = tinyConfig({ seed: 0 })

interface Observed {
  result: TrainResult
  progress: TrainProgress[]
  /** tf.memory().numTensors after each step */
  tensors: number[]
  logs: string[]
}

let straightDir: string
let straight: Observed

async function observe(run: (o: Omit<Observed, 'result'>) => Promise<TrainResult>): Promise<Observed> {
  const o = { progress: [] as TrainProgress[], tensors: [] as number[], logs: [] as string[] }
  return { ...o, result: await run(o) }
}

describe('train (tiny preset, magnetic-tile)', () => {
  beforeAll(async () => {
    straightDir = join(tempDir(), 'straight')
    straight = await observe((o) =>
      train({
        request: { config, run_dir: straightDir },
        onProgress: (p) => {
          o.progress.push(p)
          o.tensors.push(tf.memory().numTensors)
        },
        onLog: (m) => o.logs.push(m)
      })
    )
  }, 240_000)

  it('both losses fall: the mean of each phase\'s last two steps is below that of its first two', () => {
    const { progress, result } = straight
    expect(result.status).toBe('done')
    expect(progress.map((p) => `${p.phase} ${p.step}/${p.steps} ${p.global_step}/${p.total_steps}`)).toEqual([
      'student 1/4 1/8',
      'student 2/4 2/8',
      'student 3/4 3/8',
      'student 4/4 4/8',
      'segmentation 1/4 5/8',
      'segmentation 2/4 6/8',
      'segmentation 3/4 7/8',
      'segmentation 4/4 8/8'
    ])
    const cosine = progress.filter((p) => p.phase === 'student').map((p) => p.loss)
    const seg = progress.filter((p) => p.phase === 'segmentation').map((p) => p.loss)
    console.log(`tiny: cosine ${cosine.map((v) => v.toFixed(4)).join(' ')}; focal+l1 ${seg.map((v) => v.toFixed(4)).join(' ')}; backend ${result.backend}`)
    expect(mean(cosine.slice(-2))).toBeLessThan(mean(cosine.slice(0, 2)))
    expect(mean(seg.slice(-2))).toBeLessThan(mean(seg.slice(0, 2)))
    for (const p of progress) {
      expect(p.loss).toBeGreaterThan(0)
      expect(p.images_per_s).toBeGreaterThan(0)
      expect(p.eta_s).toBeGreaterThanOrEqual(0)
      if (p.phase === 'segmentation') expect(p.loss).toBeCloseTo(p.losses.focal! + p.losses.l1!, 6)
    }
    expect(progress.at(-1)!.eta_s).toBe(0)
    expect(result.final_losses.cosine).toBeCloseTo(mean(cosine), 6) // fewer than 10 steps: all of them
    expect(result.final_losses.l1).toBeCloseTo(mean(straight.progress.slice(4).map((p) => p.losses.l1!)), 6)
  })

  it('leaves the tensor count flat across steps (momentum buffers appear once per phase)', () => {
    const [s1, s2, s3, s4, g1, g2, g3, g4] = straight.tensors
    expect([s2, s3, s4]).toEqual([s1, s1, s1])
    expect([g2, g3, g4]).toEqual([g1, g1, g1])
  })

  it('writes the run folder: config, progress log, the last two checkpoints, weights and result', () => {
    const files = readdirSync(straightDir).sort()
    expect(files).toEqual(['checkpoints', 'config.json', 'progress.jsonl', 'result.json', 'seg.bin', 'seg.json', 'student.bin', 'student.json'])
    expect(JSON.parse(readFileSync(join(straightDir, 'config.json'), 'utf8'))).toEqual(config)
    expect(JSON.parse(readFileSync(join(straightDir, 'result.json'), 'utf8'))).toEqual(straight.result)
    expect(listCheckpoints(join(straightDir, 'checkpoints')).map((c) => c.step)).toEqual([4, 6])
    const events = readFileSync(join(straightDir, 'progress.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string })
    expect(events.filter((e) => e.event === 'progress')).toHaveLength(8)
    expect(events.map((e) => e.event).filter((e) => e !== 'progress')).toEqual(['start', 'checkpoint', 'checkpoint', 'checkpoint', 'done'])
    const student = readTensorFile(join(straightDir, 'student.json'))
    expect(student.get('encoder.conv1.weight')!.shape).toEqual([7, 7, 3, 64])
    expect(student.get('decoder_layer1.1.bn2.running_var')!.shape).toEqual([64])
    const seg = readTensorFile(join(straightDir, 'seg.json'))
    expect(seg.get('head.4.bias')!.shape).toEqual([1])
    // the phase-2 checkpoint holds the segmentation momentum but no longer the student's
    const c6 = readCheckpoint(join(straightDir, 'checkpoints', 'step-000006'))
    expect(c6.tensors.has('optim.segmentation.res.0.conv1.weight')).toBe(true)
    expect([...c6.tensors.keys()].some((k) => k.startsWith('optim.student.'))).toBe(false)
    expect(c6.state.optimizers.segmentation.steps).toBe(2)
  })

  it('cancel leaves a valid checkpoint; resuming after it and after a crash reproduces the straight run exactly', async () => {
    const dir = join(tempDir(), 'interrupted')
    // 1. cancel after step 3 (with batches made in the training thread: prefetch 0)
    const controller = new AbortController()
    const first = await observe((o) =>
      train({
        request: { config, run_dir: dir, prefetch: 0 },
        signal: controller.signal,
        onProgress: (p) => {
          o.progress.push(p)
          if (p.global_step === 3) controller.abort()
        }
      })
    )
    expect(first.result).toMatchObject({ status: 'cancelled', steps: 3, weights: null, checkpoint: join(dir, 'checkpoints', 'step-000003') })
    const c3 = readCheckpoint(first.result.checkpoint!)
    expect(c3.state.step).toBe(3)
    expect(c3.state.optimizers.student.steps).toBe(3)
    expect(c3.tensors.has('optim.student.encoder.conv1.weight')).toBe(true)
    expect(existsSync(join(dir, 'result.json'))).toBe(false)
    expect(existsSync(join(dir, 'student.bin'))).toBe(false)

    // 2. resume, then crash (an exception) after step 5: the step-4 checkpoint survives
    await expect(
      train({
        request: { config, run_dir: dir, resume: true },
        onProgress: (p) => {
          if (p.global_step === 5) throw new Error('simulated crash')
        }
      })
    ).rejects.toThrow('simulated crash')
    expect(listCheckpoints(join(dir, 'checkpoints')).map((c) => c.step)).toEqual([3, 4])

    // 3. resume to the end
    const last = await observe((o) =>
      train({ request: { config, run_dir: dir, resume: true }, onProgress: (p) => o.progress.push(p), onLog: (m) => o.logs.push(m) })
    )
    expect(last.logs.join('\n')).toMatch(/resumed from .*step-000004 \(step 4 of 8\)/)
    expect(last.result.status).toBe('done')
    expect(last.progress.map((p) => p.global_step)).toEqual([5, 6, 7, 8])
    expect(last.progress.map((p) => p.losses)).toEqual(straight.progress.slice(4).map((p) => p.losses))
    expect(first.progress.map((p) => p.losses)).toEqual(straight.progress.slice(0, 3).map((p) => p.losses))
    expect(last.result.final_losses).toEqual(straight.result.final_losses)
    for (const file of ['student.bin', 'seg.bin']) {
      expect(readFileSync(join(dir, file)).equals(readFileSync(join(straightDir, file))), file).toBe(true)
    }
    // the log holds each step once, however often the run was interrupted
    const steps = readFileSync(join(dir, 'progress.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; global_step: number })
      .filter((e) => e.event === 'progress')
      .map((e) => e.global_step)
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  }, 240_000)

  it('refuses a fresh run in a used folder, a resume with another configuration, and a finished run', async () => {
    await expect(train({ request: { config, run_dir: straightDir } })).rejects.toThrow(/already holds a training run/)
    await expect(train({ request: { config: { ...config, seed: 1 }, run_dir: straightDir, resume: true } })).rejects.toThrow(
      /different configuration/
    )
    await expect(train({ request: { config, run_dir: straightDir, resume: true } })).rejects.toThrow(/already finished/)
    await expect(train({ request: { config: { ...config, size: 48 }, run_dir: join(tempDir(), 'x') } })).rejects.toThrow(/multiple of 32/)
  })
})
