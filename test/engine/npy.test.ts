import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireShared } from '../../src/main/config/paths'
import { TEACHER_WEIGHTS_DIR, loadFoldedNpy } from '../../src/main/engine/destseg/weights'
import { parseNpy, readNpy } from '../../src/main/engine/io/npy'
import { useBackend } from './helpers'

/** Builds .npy bytes (version 1.0) with the given header fields and float32 data. */
function npyBytes(shape: number[], data: Float32Array, descr = '<f4', fortran = 'False'): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`
  const total = 10 + header.length + 1
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n'
  const out = new Uint8Array(10 + header.length + data.byteLength)
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  out.set(new Uint8Array(data.buffer), 10 + header.length)
  return out
}

describe('npy reader', () => {
  it('reads float32 C-order arrays', () => {
    const a = parseNpy(npyBytes([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6])), 'mem.npy', 'x', [2, 3])
    expect(a.shape).toEqual([2, 3])
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it('names the file and the tensor in every error', () => {
    const ok = npyBytes([4], new Float32Array(4))
    expect(() => parseNpy(ok, 'a.npy', 'bn.bias', [5])).toThrow(/a\.npy: tensor 'bn\.bias': shape \[4\] does not match the expected \[5\]/)
    expect(() => parseNpy(npyBytes([2], new Float32Array(4), '<f8'), 'b.npy', 'w', [2])).toThrow(/b\.npy: tensor 'w': dtype '<f8'/)
    expect(() => parseNpy(npyBytes([2], new Float32Array(2), '>f4'), 'c.npy', 'w')).toThrow(/c\.npy: tensor 'w': dtype '>f4'/)
    expect(() => parseNpy(npyBytes([2], new Float32Array(2), '<f4', 'True'), 'd.npy', 'w')).toThrow(/d\.npy: tensor 'w': fortran_order/)
    expect(() => parseNpy(npyBytes([3], new Float32Array(2)), 'e.npy', 'w')).toThrow(/e\.npy: tensor 'w': expected 12 data bytes/)
    expect(() => parseNpy(new Uint8Array(20), 'f.npy', 'w')).toThrow(/f\.npy: tensor 'w': not a \.npy file/)
    expect(() => readNpy('/nonexistent/conv1.weight.npy', 'conv1.weight')).toThrow(
      /\/nonexistent\/conv1\.weight\.npy: tensor 'conv1\.weight': cannot read file \(ENOENT\)/
    )
  })
})

describe('teacher .npy loader', () => {
  let dir: string
  beforeAll(async () => {
    await useBackend('cpu')
    // A copy of the shared weight folder made of symlinks, so single files can be broken.
    const shared = requireShared(TEACHER_WEIGHTS_DIR)
    dir = mkdtempSync(join(tmpdir(), 'destseg-npy-'))
    for (const f of readdirSync(shared)) symlinkSync(join(shared, f), join(dir, f))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('loads every teacher conv as HWIO filter + bias without leaking on failure', () => {
    const before = tf.memory().numTensors
    const w = loadFoldedNpy(dir)
    expect(w.convFilter('conv1').shape).toEqual([7, 7, 3, 64])
    expect(w.convBias('layer3.0.downsample.0').shape).toEqual([256])
    expect(w.names()).toHaveLength(1 + 4 + 5 + 5)
    w.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('reports a missing file and a wrong shape by file and tensor', () => {
    const before = tf.memory().numTensors
    rmSync(join(dir, 'layer2.1.conv2.bias.npy'))
    expect(() => loadFoldedNpy(dir)).toThrow(/layer2\.1\.conv2\.bias\.npy: tensor 'layer2\.1\.conv2\.bias': cannot read file/)
    writeFileSync(join(dir, 'layer2.1.conv2.bias.npy'), npyBytes([64], new Float32Array(64)))
    expect(() => loadFoldedNpy(dir)).toThrow(
      /layer2\.1\.conv2\.bias\.npy: tensor 'layer2\.1\.conv2\.bias': shape \[64\] does not match the expected \[128\]/
    )
    expect(tf.memory().numTensors).toBe(before)
  })
})
