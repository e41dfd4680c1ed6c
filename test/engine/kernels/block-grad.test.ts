/** Training a small ResNet BasicBlock and a BatchNorm on wasm matches the cpu backend. */
import * as tf from '@tensorflow/tfjs'
import { afterAll, describe, expect, it } from 'vitest'
import { BasicBlock } from '../../../src/main/engine/destseg/resnet18'
import { BatchNorm2d, ConvBn } from '../../../src/main/engine/nn/layers'
import { useBackend } from '../helpers'
import { liveCounts, onCpuAndWasm, scaledMaxDiff, seeded } from './compare'

/** A stride-2 BasicBlock 5 -> 8 with the 1x1 conv+BN shortcut, every parameter set from a fixed LCG. */
function makeBlock(): BasicBlock<ConvBn> {
  const block = new BasicBlock(
    {
      name: 'b',
      conv1: { name: 'b.conv1', norm: 'b.bn1', kernel: 3, inChannels: 5, outChannels: 8, stride: 2, padding: 1 },
      conv2: { name: 'b.conv2', norm: 'b.bn2', kernel: 3, inChannels: 8, outChannels: 8, stride: 1, padding: 1 },
      downsample: { name: 'b.downsample.0', norm: 'b.downsample.1', kernel: 1, inChannels: 5, outChannels: 8, stride: 2, padding: 0 }
    },
    (spec) => new ConvBn(spec, { seed: 1, init: 'kaiming-normal-fan-out' })
  )
  block.units().forEach((u, i) =>
    u.parameters().forEach((p, j) => {
      const v = p.tensor as tf.Variable
      const values = seeded(v.size, 100 + 10 * i + j)
      v.assign(tf.tensor(p.name.endsWith('.weight') && v.rank === 1 ? values.map((a) => 1 + a) : values, v.shape))
    })
  )
  return block
}

const diffs: Record<string, number> = {}

describe('training gradients on wasm vs cpu', () => {
  afterAll(async () => {
    console.info('block/BN gradient max scaled |diff| wasm vs cpu:', JSON.stringify(diffs))
    await useBackend('cpu')
  })

  it('a ResNet BasicBlock (stride 2, downsample, training-mode BN): every parameter and the input', async () => {
    const names: string[] = []
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const block = makeBlock()
      const params = block.units().flatMap((u) => u.parameters())
      names.splice(0, names.length, 'x', ...params.map((p) => p.name))
      const x = tf.tensor4d(seeded(2 * 9 * 7 * 5, 7).map((v) => 4 * v), [2, 9, 7, 5])
      const r = tf.tensor4d(seeded(2 * 5 * 4 * 8, 8), [2, 5, 4, 8])
      const f = (...args: tf.Tensor[]): tf.Scalar => tf.sum(tf.mul(block.apply(args[0] as tf.Tensor4D, true), r))
      const xs = [x, ...params.map((p) => p.tensor)]
      const grads = tf.grads(f)(xs)
      const out = [block.apply(x, true), ...grads]
      block.units().forEach((u) => (u as ConvBn).dispose())
      return out
    })
    diffs['block output'] = scaledMaxDiff(wasm[0], cpu[0])
    expect(diffs['block output']).toBeLessThan(1e-4)
    names.forEach((n, i) => {
      diffs[`block d/d ${n}`] = scaledMaxDiff(wasm[i + 1], cpu[i + 1])
      expect(diffs[`block d/d ${n}`], n).toBeLessThan(1e-4)
    })
  })

  it('BatchNorm2d in training mode: x, weight and bias gradients', async () => {
    const { cpu, wasm } = await onCpuAndWasm(() => {
      const bn = new BatchNorm2d('bn', 6)
      bn.gamma.assign(tf.tensor1d(seeded(6, 9).map((v) => 1 + v)))
      bn.beta.assign(tf.tensor1d(seeded(6, 10)))
      const x = tf.tensor4d(seeded(3 * 5 * 4 * 6, 11).map((v) => 3 + 10 * v), [3, 5, 4, 6])
      const r = tf.tensor4d(seeded(3 * 5 * 4 * 6, 12), [3, 5, 4, 6])
      const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        void g
        void b
        return tf.sum(tf.mul(bn.apply(a as tf.Tensor4D, true), r))
      })([x, bn.gamma, bn.beta])
      const out = [...grads, bn.runningMean.clone(), bn.runningVar.clone()]
      bn.dispose()
      return out
    })
    ;['dx', 'dweight', 'dbias', 'running_mean', 'running_var'].forEach((n, i) => {
      diffs[`bn ${n}`] = scaledMaxDiff(wasm[i], cpu[i])
      expect(diffs[`bn ${n}`], n).toBeLessThan(1e-4)
    })
  })

  it('a block training step leaves no tensors or backend data behind', async () => {
    await useBackend('wasm')
    const block = makeBlock()
    const vars = block.units().flatMap((u) => u.parameters()).map((p) => p.tensor as tf.Variable)
    const x = tf.tensor4d(seeded(2 * 8 * 8 * 5, 13), [2, 8, 8, 5])
    const opt = tf.train.momentum(0.01, 0.9)
    const step = (): void => {
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.mean(tf.square(block.apply(x, true))) as tf.Scalar, vars)
        opt.applyGradients(grads as unknown as Record<string, tf.Variable>)
      })
    }
    step() // creates the optimiser's slots
    const before = liveCounts()
    step()
    step()
    expect(liveCounts()).toEqual(before)
    opt.dispose()
    block.units().forEach((u) => (u as ConvBn).dispose())
    x.dispose()
  })
})
