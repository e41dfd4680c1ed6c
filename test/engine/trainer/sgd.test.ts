/** Sgd against torch.optim.SGD's update rule, written out by hand. */
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { Sgd } from '../../../src/main/engine/optim/sgd'
import { leakedTensors, maxAbsDiff, useBackend } from '../helpers'

/**
 * torch.optim.SGD(params, lr, momentum, weight_decay) for one parameter, in float64:
 * d = g + wd * p; b = d (first step) or mu * b + d; p -= lr * b.
 */
function torchSgd(p0: number[], grads: number[][], lr: number, mu: number, wd: number): { p: number[]; b: number[] } {
  const p = p0.slice()
  let b: number[] | undefined
  for (const g of grads) {
    const d = g.map((gi, i) => gi + wd * p[i])
    b = b === undefined ? d : b.map((bi, i) => mu * bi + d[i])
    for (let i = 0; i < p.length; i++) p[i] -= lr * b[i]
  }
  return { p, b: b ?? [] }
}

describe('Sgd (PyTorch semantics)', () => {
  beforeAll(async () => {
    await useBackend('cpu')
  })

  it('matches hand-computed momentum + weight decay over three steps, per group learning rate', () => {
    const a = tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'sgd-test-a')
    const c = tf.variable(tf.tensor2d([[0.3, 4]]), true, 'sgd-test-c')
    const sgd = new Sgd(
      [
        { name: 'res', lr: 0.1, params: [{ name: 'a', tensor: a }] },
        { name: 'head', lr: 0.01, params: [{ name: 'c', tensor: c }] }
      ],
      { momentum: 0.9, weightDecay: 1e-4 }
    )
    const gA = [
      [0.5, 0.25, -1],
      [0.1, -0.2, 0.3],
      [-0.7, 0.05, 0.2]
    ]
    const gC = [
      [1, -1],
      [2, 0.5],
      [-0.25, 0.75]
    ]
    const leaked = leakedTensors(() => {
      for (let s = 0; s < 3; s++) {
        tf.tidy(() => sgd.step({ [a.name]: tf.tensor1d(gA[s]), [c.name]: tf.tensor2d([gC[s]]) }))
      }
    })
    // the momentum buffers are the only new tensors (2 variables)
    expect(leaked).toBe(2)
    const wantA = torchSgd([1, -2, 0.5], gA, 0.1, 0.9, 1e-4)
    const wantC = torchSgd([0.3, 4], gC, 0.01, 0.9, 1e-4)
    expect(maxAbsDiff(a.dataSync(), wantA.p)).toBeLessThan(1e-6)
    expect(maxAbsDiff(c.dataSync(), wantC.p)).toBeLessThan(1e-6)
    const state = sgd.getState()
    expect(state.steps).toBe(3)
    expect(state.lrs).toEqual({ res: 0.1, head: 0.01 })
    expect(maxAbsDiff(state.buffers.find((b) => b.name === 'a')!.data, wantA.b)).toBeLessThan(1e-6)
    expect(state.buffers.find((b) => b.name === 'c')!.shape).toEqual([1, 2])
    sgd.dispose()
    tf.dispose([a, c])
  })

  it('skips a parameter without a gradient (no decay, no momentum), like a None .grad', () => {
    const a = tf.variable(tf.tensor1d([1, 2]))
    const c = tf.variable(tf.tensor1d([3]))
    const sgd = new Sgd([{ name: 'g', lr: 0.5, params: [{ name: 'a', tensor: a }, { name: 'c', tensor: c }] }], { momentum: 0.9, weightDecay: 0.1 })
    tf.tidy(() => sgd.step({ [a.name]: tf.tensor1d([1, 1]) }))
    expect(Array.from(c.dataSync())).toEqual([3])
    expect(maxAbsDiff(a.dataSync(), [1 - 0.5 * 1.1, 2 - 0.5 * 1.2])).toBeLessThan(1e-6)
    expect(sgd.getState().buffers.map((b) => b.name)).toEqual(['a'])
    expect(() => tf.tidy(() => sgd.step({ 'not-a-variable-here': tf.scalar(1) }))).toThrow(/not in any group/)
    sgd.dispose()
    tf.dispose([a, c])
  })

  it('without momentum it is plain p -= lr * (g + wd p), and keeps no buffers', () => {
    const a = tf.variable(tf.tensor1d([2]))
    const sgd = new Sgd([{ name: 'g', lr: 0.25, params: [{ name: 'a', tensor: a }] }], { weightDecay: 0.5 })
    expect(leakedTensors(() => tf.tidy(() => sgd.step({ [a.name]: tf.tensor1d([1]) })))).toBe(0)
    expect(a.dataSync()[0]).toBeCloseTo(2 - 0.25 * (1 + 0.5 * 2), 6)
    expect(sgd.getState().buffers).toEqual([])
    sgd.dispose()
    a.dispose()
  })

  it('continues exactly from a saved state (a checkpoint round trip)', () => {
    const grads = [[0.3, -0.1], [0.2, 0.4], [-0.5, 0.1], [0.05, 0.05]]
    const run = (split: boolean): Float32Array => {
      const p = tf.tidy(() => tf.variable(tf.tensor1d([0.7, -0.3])))
      let sgd = new Sgd([{ name: 'g', lr: 0.4, params: [{ name: 'p', tensor: p }] }], { momentum: 0.9, weightDecay: 1e-4 })
      grads.forEach((g, i) => {
        if (split && i === 2) {
          const state = sgd.getState()
          const saved = { ...state, buffers: state.buffers.map((b) => ({ ...b, data: b.data.slice() })) }
          sgd.dispose()
          sgd = new Sgd([{ name: 'g', lr: 123, params: [{ name: 'p', tensor: p }] }], { momentum: 0.9, weightDecay: 1e-4 })
          sgd.setState(saved)
          expect(sgd.learningRate('g')).toBe(0.4)
          expect(sgd.stepCount).toBe(2)
        }
        tf.tidy(() => sgd.step({ [p.name]: tf.tensor1d(g) }))
      })
      const out = p.dataSync().slice() as Float32Array
      sgd.dispose()
      p.dispose()
      return out
    }
    const before = tf.memory().numTensors
    expect(Array.from(run(true))).toEqual(Array.from(run(false)))
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses frozen tensors, duplicate parameters and bad settings', () => {
    const frozen = tf.tensor1d([1])
    const v = tf.variable(tf.tensor1d([1]))
    expect(() => new Sgd([{ name: 'g', lr: 0.1, params: [{ name: 'w', tensor: frozen }] }])).toThrow(/not a trainable tf.Variable/)
    expect(
      () =>
        new Sgd([
          { name: 'g', lr: 0.1, params: [{ name: 'w', tensor: v }] },
          { name: 'h', lr: 0.1, params: [{ name: 'w', tensor: v }] }
        ])
    ).toThrow(/appears twice/)
    expect(() => new Sgd([{ name: 'g', lr: -1, params: [] }])).toThrow(/learning rate/)
    expect(() => new Sgd([], { momentum: -0.5 })).toThrow(/momentum/)
    tf.dispose([frozen, v])
  })
})
