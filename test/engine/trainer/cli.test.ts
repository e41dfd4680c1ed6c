/** `destseg train` and `destseg bench train` as a user runs them (tsx child processes). */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { requireShared } from '../../../src/main/config/paths'
import { destseg } from '../../helpers/cli'
import { tempDirs } from '../../helpers/fixtures'

const tempDir = tempDirs()

const lines = (stdout: string): Record<string, unknown>[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

describe('destseg train / bench', () => {
  it('train --json prints one JSON line per step, then {run_dir, backend, steps, seconds, final_losses}', async () => {
    const out = join(tempDir(), 'run')
    const run = await destseg(
      'train',
      '--dataset',
      requireShared('datasets/magnetic-tile'),
      '--preset',
      'tiny',
      '--student-steps',
      '1',
      '--seg-steps',
      '1',
      '--out',
      out,
      '--seed',
      '5',
      '--json'
    )
    expect(run.code, run.stderr).toBe(0)
    const [p1, p2, last] = lines(run.stdout)
    expect(p1).toMatchObject({ phase: 'student', step: 1, steps: 1 })
    expect(Object.keys(p1)).toEqual(expect.arrayContaining(['phase', 'step', 'steps', 'loss', 'losses', 'images_per_s', 'eta_s']))
    expect(p2).toMatchObject({ phase: 'segmentation', step: 1, steps: 1 })
    expect(Object.keys(last)).toEqual(['run_dir', 'backend', 'steps', 'seconds', 'final_losses'])
    expect(last).toMatchObject({ run_dir: out, steps: 2 })
    expect(Object.keys(last.final_losses as object)).toEqual(['cosine', 'focal', 'l1'])
    for (const f of ['config.json', 'student.bin', 'student.json', 'seg.bin', 'seg.json', 'result.json']) expect(existsSync(join(out, f)), f).toBe(true)
    // the same folder again: refused, with the way out in the message
    const again = await destseg('train', '--dataset', requireShared('datasets/magnetic-tile'), '--preset', 'tiny', '--out', out)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/already holds a training run; resume it or choose another folder/)
  }, 120_000)

  it('bench train --json prints {backend, requested, device, fallback, threads, size, batch, student_step_ms, seg_step_ms}', async () => {
    const run = await destseg('bench', 'train', '--size', '32', '--batch', '2', '--json')
    expect(run.code, run.stderr).toBe(0)
    const [r] = lines(run.stdout)
    expect(Object.keys(r)).toEqual(['backend', 'requested', 'device', 'fallback', 'threads', 'size', 'batch', 'student_step_ms', 'seg_step_ms'])
    expect(r).toMatchObject({ requested: null, device: expect.any(String) })
    expect(r).toMatchObject({ size: 32, batch: 2 })
    expect(r.student_step_ms).toBeGreaterThan(0)
    expect(r.seg_step_ms).toBeGreaterThan(0)
  }, 120_000)

  it('reports bad options with the usage and exit code 2', async () => {
    const [noDataset, badPreset, resumeWithOptions] = await Promise.all([
      destseg('train', '--preset', 'tiny'),
      destseg('train', '--dataset', '.', '--preset', 'huge'),
      destseg('train', '--out', '.', '--resume', '--seed', '3')
    ])
    expect(noDataset.code).toBe(2)
    expect(noDataset.stderr).toMatch(/--dataset is required[\s\S]*Usage: destseg train/)
    expect(badPreset.stderr).toMatch(/--preset must be one of paper, quick, tiny/)
    expect(resumeWithOptions.stderr).toMatch(/drop --seed/)
  }, 60_000)
})
