import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { requireShared } from '../../src/main/config/paths'
import {
  BN_EPS,
  TEACHER_WEIGHTS_DIR,
  foldBatchNorm,
  loadTeacherWeights,
  teacherConvSpecs,
  teacherWeightsFromStateDict
} from '../../src/main/engine/destseg/weights'
import { readNpy } from '../../src/main/engine/io/npy'
import { parseTorchStateDict, readTorchStateDict, type TorchStateDict } from '../../src/main/engine/io/torch-checkpoint'
import { maxAbsDiff, useBackend } from './helpers'

const FIXTURES = join(__dirname, '..', 'fixtures', 'engine')

interface Expected {
  tensors: Record<string, { shape: number[]; dtype: string; values: number[] }>
  folded: { weight: { shape: number[]; values: number[] }; bias: { shape: number[]; values: number[] } }
  eps: number
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'tiny-state-dict.json'), 'utf8')) as Expected

describe('torch .pth reader', () => {
  it('reads a torch.save() state_dict: dtypes, shapes, strides and storage offsets', () => {
    const sd = readTorchStateDict(join(FIXTURES, 'tiny-state-dict.pth'))
    expect([...sd.keys()]).toEqual(Object.keys(expected.tensors))
    for (const [name, want] of Object.entries(expected.tensors)) {
      const got = sd.get(name)!
      expect(got.shape, name).toEqual(want.shape)
      expect(got.dtype, name).toBe(want.dtype)
      expect(maxAbsDiff(got.data, want.values), name).toBeLessThan(1e-7)
    }
    expect(sd.get('bn1.num_batches_tracked')!.data[0]).toBe(7)
  })

  it('folds BatchNorm into the conv like the PyTorch reference (eps 1e-5)', () => {
    const sd = readTorchStateDict(join(FIXTURES, 'tiny-state-dict.pth'))
    expect(expected.eps).toBe(BN_EPS)
    const folded = foldBatchNorm(sd.get('conv1.weight')!.data, 4, {
      weight: sd.get('bn1.weight')!.data,
      bias: sd.get('bn1.bias')!.data,
      runningMean: sd.get('bn1.running_mean')!.data,
      runningVar: sd.get('bn1.running_var')!.data
    })
    expect(maxAbsDiff(folded.weight, expected.folded.weight.values)).toBeLessThan(1e-6)
    expect(maxAbsDiff(folded.bias, expected.folded.bias.values)).toBeLessThan(1e-6)
  })

  it('rejects files that are not zip checkpoints, naming the file', () => {
    expect(() => parseTorchStateDict(new Uint8Array([0x80, 0x02, 0x8a]), 'old.pth')).toThrow(/old\.pth: not a zip-format torch checkpoint/)
    expect(() => readTorchStateDict('/nonexistent/resnet18.pth')).toThrow(/\/nonexistent\/resnet18\.pth: cannot read file \(ENOENT\)/)
  })
})

describe('teacher from a torchvision state_dict', () => {
  beforeAll(async () => {
    await useBackend('cpu')
  })

  /**
   * A torchvision-layout state_dict whose BatchNorms are identities (gamma 1, beta 0, mean 0,
   * var 1 - eps) around the shared folded weights: folding it must give those weights back.
   */
  function identityBnStateDict(): TorchStateDict {
    const dir = requireShared(TEACHER_WEIGHTS_DIR)
    const sd: TorchStateDict = new Map()
    for (const spec of teacherConvSpecs()) {
      const c = spec.outChannels
      const w = readNpy(join(dir, `${spec.name}.weight.npy`), spec.name)
      const b = readNpy(join(dir, `${spec.name}.bias.npy`), spec.name)
      sd.set(`${spec.name}.weight`, { dtype: 'float32', shape: w.shape, data: w.data })
      sd.set(`${spec.norm}.weight`, { dtype: 'float32', shape: [c], data: new Float32Array(c).fill(1) })
      sd.set(`${spec.norm}.bias`, { dtype: 'float32', shape: [c], data: b.data })
      sd.set(`${spec.norm}.running_mean`, { dtype: 'float32', shape: [c], data: new Float32Array(c) })
      sd.set(`${spec.norm}.running_var`, { dtype: 'float64', shape: [c], data: new Float64Array(c).fill(1 - BN_EPS) })
    }
    return sd
  }

  it('maps torchvision names (bn1, downsample.1) and folds to the shared weights', () => {
    const before = tf.memory().numTensors
    const fromPth = teacherWeightsFromStateDict(identityBnStateDict(), 'resnet18.pth')
    const fromNpy = loadTeacherWeights({ kind: 'npy' })
    for (const name of fromNpy.names()) {
      expect(maxAbsDiff(fromPth.convFilter(name).dataSync(), fromNpy.convFilter(name).dataSync()), name).toBeLessThan(1e-6)
      expect(maxAbsDiff(fromPth.convBias(name).dataSync(), fromNpy.convBias(name).dataSync()), name).toBeLessThan(1e-6)
    }
    fromPth.dispose()
    fromNpy.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('names the file and tensor when weights are missing or mismatched', () => {
    const before = tf.memory().numTensors
    const sd = identityBnStateDict()
    sd.delete('layer1.0.bn2.running_var')
    expect(() => teacherWeightsFromStateDict(sd, 'resnet18.pth')).toThrow(/resnet18\.pth: missing tensor 'layer1\.0\.bn2\.running_var'/)
    sd.set('layer1.0.bn2.running_var', { dtype: 'float32', shape: [32], data: new Float32Array(32) })
    expect(() => teacherWeightsFromStateDict(sd, 'resnet18.pth')).toThrow(
      /resnet18\.pth: tensor 'layer1\.0\.bn2\.running_var' has shape \[32\], expected \[64\]/
    )
    sd.set('layer1.0.bn2.running_var', { dtype: 'int64', shape: [64], data: new Float64Array(64) })
    expect(() => teacherWeightsFromStateDict(sd, 'resnet18.pth')).toThrow(/resnet18\.pth: tensor 'layer1\.0\.bn2\.running_var' has dtype int64/)
    expect(tf.memory().numTensors).toBe(before)
  })
})
