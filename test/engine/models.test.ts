/** Parameter counts, names, init and output shapes of TeacherNet, StudentNet and SegmentationNet (wasm forward). */
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SegmentationNet, segmentationInput } from '../../src/main/engine/destseg/segmentation'
import { StudentNet } from '../../src/main/engine/destseg/student'
import { TeacherNet } from '../../src/main/engine/destseg/teacher'
import { parameterCount } from '../../src/main/engine/nn/layers'
import { leakedTensors, maxAbsDiff, useBackend } from './helpers'

const round2 = (n: number): number => Math.round(n / 1e4) / 100 // millions, 2 decimals

describe('DeSTSeg networks', () => {
  let teacher: TeacherNet
  let student: StudentNet
  let seg: SegmentationNet

  beforeAll(async () => {
    await useBackend('wasm')
    teacher = TeacherNet.load({ kind: 'random', seed: 1 })
    student = new StudentNet({ seed: 1 })
    seg = new SegmentationNet({ seed: 1 })
  })
  afterAll(() => {
    teacher.dispose()
    student.dispose()
    seg.dispose()
  })

  it('has the parameter counts of METHOD.md (PyTorch parameters(); BN running stats excluded)', () => {
    // The teacher stores BN folded: one bias per channel instead of BN's weight and bias.
    const teacherFolded = parameterCount(teacher.parameters())
    const teacherBnChannels = 64 + 4 * 64 + 5 * 128 + 5 * 256
    expect(teacherFolded).toBe(2_780_544)
    expect(round2(teacherFolded + teacherBnChannels)).toBe(2.78)
    expect(parameterCount(student.encoderParameters())).toBe(11_176_512) // 11.18M
    expect(parameterCount(student.decoderParameters())).toBe(13_488_512) // 13.49M
    expect(parameterCount(seg.parameters())).toBe(7_706_369) // 7.71M
    expect(parameterCount(seg.residualParameters()) + parameterCount(seg.headParameters())).toBe(7_706_369)
    const total = teacherFolded + teacherBnChannels + parameterCount(student.parameters()) + parameterCount(seg.parameters())
    expect(round2(total)).toBe(35.15)
  })

  it('names parameters and buffers like the reference PyTorch state_dict', () => {
    const names = [...student.parameters(), ...seg.parameters()].map((p) => p.name)
    expect(new Set(names).size).toBe(names.length)
    for (const n of [
      'encoder.conv1.weight',
      'encoder.bn1.bias',
      'encoder.layer4.1.bn2.weight',
      'encoder.layer2.0.downsample.0.weight',
      'decoder_layer4.0.conv1.weight',
      'decoder_layer1.0.downsample.1.weight',
      'res.0.downsample.0.weight',
      'head.0.aspp_feature_extractors.0.1.conv.weight',
      'head.0.aspp_feature_extractors.3.norm.bias',
      'head.0.aspp_fusion_layer.conv.weight',
      'head.1.weight',
      'head.2.weight',
      'head.4.weight',
      'head.4.bias'
    ]) {
      expect(names).toContain(n)
    }
    const buffers = student.buffers().map((b) => b.name)
    expect(buffers).toContain('decoder_layer3.1.bn2.running_var')
    expect(buffers.filter((b) => b.endsWith('.running_mean'))).toHaveLength(20 + 19) // encoder 20 BNs; decoder 19 (D4 has no shortcut)
    expect(student.parameters().every((p) => p.tensor instanceof tf.Variable && p.tensor.trainable)).toBe(true)
    expect(student.buffers().every((p) => p.tensor instanceof tf.Variable && !p.tensor.trainable)).toBe(true)
    expect(teacher.parameters().some((p) => p.tensor instanceof tf.Variable)).toBe(false)
  })

  it('initialises like the reference: seeded Kaiming fan_out, timm zero-init of encoder bn2', () => {
    const byName = new Map(student.parameters().map((p) => [p.name, p.tensor]))
    expect(byName.get('encoder.layer1.0.bn2.weight')!.max().arraySync()).toBe(0)
    expect(byName.get('encoder.layer1.0.bn1.weight')!.min().arraySync()).toBe(1)
    expect(byName.get('decoder_layer1.1.bn2.weight')!.min().arraySync()).toBe(1)
    const w = byName.get('decoder_layer2.0.conv1.weight')! // [3, 3, 256, 128]: std sqrt(2 / (128 * 9))
    const std = tf.tidy(() => Math.sqrt(tf.moments(w).variance.arraySync() as number))
    expect(std).toBeCloseTo(Math.sqrt(2 / (128 * 9)), 3)

    const again = new SegmentationNet({ seed: 1 })
    const other = new SegmentationNet({ seed: 2 })
    const pick = (net: SegmentationNet, n: string): Float32Array => net.parameters().find((p) => p.name === n)!.tensor.dataSync() as Float32Array
    for (const n of ['res.0.conv1.weight', 'head.0.aspp_fusion_layer.conv.weight', 'head.4.bias']) {
      expect(maxAbsDiff(pick(again, n), pick(seg, n)), n).toBe(0)
      expect(maxAbsDiff(pick(other, n), pick(seg, n)), n).toBeGreaterThan(0)
    }
    again.dispose()
    other.dispose()
  })

  it('produces the spec shapes at 64x64 and leaks no tensors (eval and training)', () => {
    const x = tf.randomNormal([2, 64, 64, 3], 0, 1, 'float32', 5) as tf.Tensor4D
    for (const training of [false, true]) {
      const leaked = leakedTensors(() => {
        tf.tidy(() => {
          const t = teacher.apply(x)
          const s = student.apply(x, training)
          expect([t.t1.shape, t.t2.shape, t.t3.shape]).toEqual([
            [2, 16, 16, 64],
            [2, 8, 8, 128],
            [2, 4, 4, 256]
          ])
          expect([s.s1.shape, s.s2.shape, s.s3.shape]).toEqual([
            [2, 16, 16, 64],
            [2, 8, 8, 128],
            [2, 4, 4, 256]
          ])
          const input = segmentationInput(t, s)
          expect(input.shape).toEqual([2, 16, 16, 448])
          const y = seg.apply(input, training)
          expect(y.shape).toEqual([2, 16, 16, 1])
          const v = y.dataSync()
          expect(v.every((p) => p > 0 && p < 1)).toBe(true)
        })
      })
      expect(leaked).toBe(0)
    }
    x.dispose()
  })

  it('produces T1..T3 and S1..S3 of 64@64, 128@32, 256@16 at 256x256', () => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 256, 256, 3], 0, 1, 'float32', 6) as tf.Tensor4D
      const t = teacher.apply(x)
      const s = student.apply(x, false)
      const want = [
        [1, 64, 64, 64],
        [1, 32, 32, 128],
        [1, 16, 16, 256]
      ]
      expect([t.t1.shape, t.t2.shape, t.t3.shape]).toEqual(want)
      expect([s.s1.shape, s.s2.shape, s.s3.shape]).toEqual(want)
      expect(segmentationInput(t, s).shape).toEqual([1, 64, 64, 448])
    })
  })
})
