/**
 * TeacherNet against PyTorch: features of a fixed synthetic 96x96 input computed by
 * test/fixtures/engine/make_teacher_fixture.py from the same shared folded .npy weights.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TeacherNet, type TeacherFeatures } from '../../src/main/engine/destseg/teacher'
import { useBackend } from './helpers'

interface FeatureSummary {
  shape: number[]
  mean: number
  std: number
  min: number
  max: number
  absSum: number
  stride: number
  values: number[]
}
interface Fixture {
  input: { size: number }
  t1: FeatureSummary
  t2: FeatureSummary
  t3: FeatureSummary
}
const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'engine', 'teacher-parity.json'), 'utf8')) as Fixture

/** x[h, w, c] = sin(0.37 h + 1.3 c) * cos(0.23 w - 0.5 c) + 0.1 c - 0.1, as in the fixture script. [1, S, S, 3] */
function syntheticInput(size: number): tf.Tensor4D {
  const data = new Float32Array(size * size * 3)
  for (let h = 0; h < size; h++)
    for (let w = 0; w < size; w++)
      for (let c = 0; c < 3; c++) data[(h * size + w) * 3 + c] = Math.sin(0.37 * h + 1.3 * c) * Math.cos(0.23 * w - 0.5 * c) + 0.1 * c - 0.1
  return tf.tensor4d(data, [1, size, size, 3])
}

function compare(name: keyof TeacherFeatures, got: tf.Tensor4D): void {
  const want = fixture[name]
  expect(got.shape, name).toEqual(want.shape)
  const v = got.dataSync() as Float32Array
  let worst = 0
  want.values.forEach((ref, i) => {
    worst = Math.max(worst, Math.abs(v[i * want.stride] - ref))
  })
  expect(worst, `${name} max |diff| over ${want.values.length} sampled values`).toBeLessThan(1e-4)
  let sum = 0
  let abs = 0
  let min = Infinity
  let max = -Infinity
  for (const x of v) {
    sum += x
    abs += Math.abs(x)
    min = Math.min(min, x)
    max = Math.max(max, x)
  }
  const mean = sum / v.length
  const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length)
  expect(Math.abs(mean - want.mean), `${name} mean`).toBeLessThan(1e-5)
  expect(Math.abs(std - want.std), `${name} std`).toBeLessThan(1e-5)
  expect(Math.abs(min - want.min), `${name} min`).toBeLessThan(1e-4)
  expect(Math.abs(max - want.max), `${name} max`).toBeLessThan(1e-4)
  expect(Math.abs(abs - want.absSum) / want.absSum, `${name} sum |x|`).toBeLessThan(1e-5)
}

describe.each(['cpu', 'wasm'] as const)('TeacherNet parity with PyTorch (%s backend)', (backend) => {
  let teacher: TeacherNet
  beforeAll(async () => {
    await useBackend(backend)
    teacher = TeacherNet.load()
  })
  afterAll(() => teacher.dispose())

  it('matches T1, T2, T3 to 1e-4 and leaks no tensors', () => {
    const x = syntheticInput(fixture.input.size)
    const before = tf.memory().numTensors
    const t = teacher.apply(x)
    expect(tf.memory().numTensors - before).toBe(3)
    compare('t1', t.t1)
    compare('t2', t.t2)
    compare('t3', t.t3)
    tf.dispose([t.t1, t.t2, t.t3, x])
  })
})
