/** The tensor file format and checkpoint folders: round trip, damage detection, atomic replace, pruning. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  checkpointName,
  configHash,
  listCheckpoints,
  loadLatestCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  CHECKPOINT_FORMAT,
  type CheckpointState
} from '../../../src/main/engine/trainer/checkpoint'
import { makeRunConfig } from '../../../src/main/engine/trainer/presets'
import { assignEntries, readTensorFile, tensorEntries, writeTensorFile, type TensorEntry } from '../../../src/main/engine/trainer/tensor-file'
import { tempDirs } from '../../helpers/fixtures'
import { useBackend } from '../helpers'

const tempDir = tempDirs()

function entries(seed: number): TensorEntry[] {
  const make = (name: string, shape: number[]): TensorEntry => {
    const n = shape.reduce((a, b) => a * b, 1)
    return { name, shape, data: Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7 + i) * 10) }
  }
  return [make('encoder.conv1.weight', [3, 3, 2, 4]), make('encoder.bn1.running_var', [4]), make('head.4.bias', [1])]
}

function state(step: number): CheckpointState {
  return {
    format: CHECKPOINT_FORMAT,
    step,
    config_hash: 'abc',
    backend: 'cpu',
    train_seconds: step * 1.5,
    optimizers: { student: { steps: step, lrs: { student: 0.4 } }, segmentation: { steps: 0, lrs: { res: 0.1, head: 0.01 } } },
    recent_losses: { student: [{ cosine: 3 }], segmentation: [] },
    written_at: new Date(0).toISOString()
  }
}

describe('tensor files', () => {
  beforeAll(async () => {
    await useBackend('cpu')
  })

  it('round-trip names, shapes and exact float32 values; the index says where each tensor is', () => {
    const dir = tempDir()
    const written = entries(1)
    const index = writeTensorFile(join(dir, 'w'), written)
    expect(index).toBe(join(dir, 'w.json'))
    expect(readdirSync(dir).sort()).toEqual(['w.bin', 'w.json'])
    const json = JSON.parse(readFileSync(index, 'utf8')) as { file: string; bytes: number; tensors: { name: string; offset: number }[] }
    expect(json.file).toBe('w.bin')
    expect(json.bytes).toBe((72 + 4 + 1) * 4)
    expect(json.tensors.map((t) => t.offset)).toEqual([0, 288, 304])
    const read = readTensorFile(index)
    for (const e of written) {
      expect(read.get(e.name)!.shape).toEqual(e.shape)
      expect(Array.from(read.get(e.name)!.data)).toEqual(Array.from(e.data))
    }
  })

  it('detect a damaged or truncated .bin', () => {
    const dir = tempDir()
    const index = writeTensorFile(join(dir, 'w'), entries(2))
    const bin = join(dir, 'w.bin')
    const bytes = readFileSync(bin)
    bytes[10] ^= 0xff
    writeFileSync(bin, bytes)
    expect(() => readTensorFile(index)).toThrow(/checksum mismatch/)
    writeFileSync(bin, bytes.subarray(0, 20))
    expect(() => readTensorFile(index)).toThrow(/20 bytes, the index says 308/)
  })

  it('carry a module\'s variables out and back in (and refuse a shape mismatch)', () => {
    const v = tf.variable(tf.tensor2d([[1, 2, 3]]))
    const named = [{ name: 'x.weight', tensor: v }]
    const dir = tempDir()
    const index = writeTensorFile(join(dir, 'm'), tensorEntries(named, 'student.'))
    v.assign(tf.zeros([1, 3]))
    const before = tf.memory().numTensors
    assignEntries(named, readTensorFile(index), 'student.')
    expect(tf.memory().numTensors).toBe(before)
    expect(Array.from(v.dataSync())).toEqual([1, 2, 3])
    const w = tf.variable(tf.zeros([3, 1]))
    expect(() => assignEntries([{ name: 'x.weight', tensor: w }], readTensorFile(index), 'student.')).toThrow(/has shape \[1,3\], expected \[3,1\]/)
    expect(() => assignEntries(named, readTensorFile(index), 'other.')).toThrow(/no values for 'other.x.weight'/)
    tf.dispose([v, w])
  })
})

describe('checkpoints', () => {
  it('save atomically under step-N, keep the newest two, and read back', () => {
    const dir = join(tempDir(), 'checkpoints')
    for (const step of [2, 4, 6]) saveCheckpoint(dir, state(step), entries(step))
    expect(readdirSync(dir).sort()).toEqual([checkpointName(4), checkpointName(6)])
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([4, 6])
    const latest = loadLatestCheckpoint(dir)!
    expect(latest.path).toBe(join(dir, 'step-000006'))
    expect(latest.state).toEqual(state(6))
    expect(Array.from(latest.tensors.get('head.4.bias')!.data)).toEqual(Array.from(entries(6)[2].data))
  })

  it('a crash mid-write leaves only a temporary folder, which is ignored and cleaned up', () => {
    const dir = join(tempDir(), 'checkpoints')
    saveCheckpoint(dir, state(2), entries(2))
    // what a crash while writing step 4 leaves behind
    const tmp = join(dir, `.tmp-${checkpointName(4)}-1-1`)
    mkdirSync(tmp)
    writeFileSync(join(tmp, 'tensors.bin.tmp'), Buffer.alloc(7))
    expect(loadLatestCheckpoint(dir)!.state.step).toBe(2)
    saveCheckpoint(dir, state(4), entries(4))
    expect(existsSync(tmp)).toBe(false)
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([2, 4])
  })

  it('a damaged newest checkpoint is skipped for the one before it', () => {
    const dir = join(tempDir(), 'checkpoints')
    saveCheckpoint(dir, state(2), entries(2))
    const newest = saveCheckpoint(dir, state(4), entries(4))
    writeFileSync(join(newest, 'tensors.bin'), Buffer.alloc(3))
    const skipped: string[] = []
    const c = loadLatestCheckpoint(dir, (path, why) => skipped.push(`${path}: ${why}`))!
    expect(c.state.step).toBe(2)
    expect(skipped).toHaveLength(1)
    expect(skipped[0]).toMatch(/step-000004: .*bytes/)
    expect(() => readCheckpoint(newest)).toThrow()
    expect(loadLatestCheckpoint(join(dir, 'none'))).toBeNull()
  })

  it('saving the same step again replaces it', () => {
    const dir = join(tempDir(), 'checkpoints')
    saveCheckpoint(dir, state(2), entries(2))
    saveCheckpoint(dir, { ...state(2), train_seconds: 99 }, entries(3))
    expect(readCheckpoint(join(dir, 'step-000002')).state.train_seconds).toBe(99)
  })

  it('hash configs independently of key order', () => {
    const a = makeRunConfig({ preset: 'tiny', dataset: '/d', textures: '/t' })
    const b = Object.fromEntries(Object.entries(a).reverse()) as typeof a
    expect(configHash(b)).toBe(configHash(a))
    expect(configHash({ ...a, seed: 1 })).not.toBe(configHash(a))
  })
})
