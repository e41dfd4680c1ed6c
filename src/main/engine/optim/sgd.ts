/**
 * Stochastic gradient descent with PyTorch's semantics (torch.optim.SGD, dampening 0, no Nesterov),
 * over parameter groups that each have their own learning rate:
 *   d = g + weight_decay * p
 *   b = momentum * b + d        (b starts at d on a parameter's first step, which is the same as
 *                                starting from zeros when dampening is 0)
 *   p = p - lr * b
 * A parameter without a gradient in a step is skipped entirely (no decay, no momentum update), as
 * PyTorch skips parameters whose .grad is None.
 *
 * The momentum buffers are tf.Variables owned by the optimiser; {@link Sgd.getState} copies them out
 * as plain arrays for checkpoints and {@link Sgd.setState} puts them back.
 */
import * as tf from '@tensorflow/tfjs'
import type { NamedTensor } from '../nn/layers'

/** A set of parameters sharing a learning rate (PyTorch's param_groups). */
export interface ParamGroup {
  /** e.g. 'student', 'res', 'head'; named in the state */
  readonly name: string
  readonly lr: number
  /** trainable parameters (tf.Variables), named like the state_dict */
  readonly params: readonly NamedTensor[]
}

export interface SgdOptions {
  /** default 0 */
  momentum?: number
  /** L2 penalty added to the gradient; default 0 */
  weightDecay?: number
}

/** A momentum buffer as plain data: the parameter's name, its shape and float32 values. */
export interface MomentumBuffer {
  name: string
  shape: number[]
  data: Float32Array
}

/** Everything an Sgd needs to continue exactly where it was (apart from the parameters). */
export interface SgdState {
  /** steps taken (calls of step()) */
  steps: number
  /** learning rate per group name */
  lrs: Record<string, number>
  /** buffers of the parameters that have taken at least one step */
  buffers: MomentumBuffer[]
}

interface Slot {
  readonly name: string
  readonly variable: tf.Variable
  readonly group: string
  buffer?: tf.Variable
}

export class Sgd {
  readonly momentum: number
  readonly weightDecay: number
  private readonly lrs = new Map<string, number>()
  /** tfjs variable name -> slot */
  private readonly slots = new Map<string, Slot>()
  private steps = 0

  constructor(groups: readonly ParamGroup[], options: SgdOptions = {}) {
    this.momentum = options.momentum ?? 0
    this.weightDecay = options.weightDecay ?? 0
    if (!(this.momentum >= 0)) throw new Error(`Sgd: momentum must be >= 0, got ${this.momentum}`)
    if (!(this.weightDecay >= 0)) throw new Error(`Sgd: weight decay must be >= 0, got ${this.weightDecay}`)
    const names = new Set<string>()
    for (const g of groups) {
      if (this.lrs.has(g.name)) throw new Error(`Sgd: two groups named '${g.name}'`)
      checkLr(g.lr, g.name)
      this.lrs.set(g.name, g.lr)
      for (const p of g.params) {
        if (!(p.tensor instanceof tf.Variable) || !p.tensor.trainable) {
          throw new Error(`Sgd: parameter '${p.name}' is not a trainable tf.Variable`)
        }
        if (names.has(p.name)) throw new Error(`Sgd: parameter '${p.name}' appears twice`)
        names.add(p.name)
        this.slots.set(p.tensor.name, { name: p.name, variable: p.tensor, group: g.name })
      }
    }
  }

  /** The variables to differentiate, e.g. tf.variableGrads(f, sgd.variables()). */
  variables(): tf.Variable[] {
    return [...this.slots.values()].map((s) => s.variable)
  }

  /** Parameters taking part, by state_dict name. */
  parameterNames(): string[] {
    return [...this.slots.values()].map((s) => s.name)
  }

  learningRate(group: string): number {
    const lr = this.lrs.get(group)
    if (lr === undefined) throw new Error(`Sgd: no group '${group}'`)
    return lr
  }

  setLearningRate(group: string, lr: number): void {
    this.learningRate(group)
    checkLr(lr, group)
    this.lrs.set(group, lr)
  }

  /** Steps taken so far. */
  get stepCount(): number {
    return this.steps
  }

  /**
   * One update from gradients keyed by tfjs variable name (what tf.variableGrads returns).
   * Gradients of variables this optimiser does not own are an error; missing ones are skipped.
   * Leaves no tensors behind; the caller keeps ownership of `grads`.
   */
  step(grads: Readonly<Record<string, tf.Tensor>>): void {
    for (const key of Object.keys(grads)) {
      if (!this.slots.has(key)) throw new Error(`Sgd: got a gradient for variable '${key}', which is not in any group`)
    }
    tf.tidy(() => {
      for (const [key, slot] of this.slots) {
        const g = grads[key]
        if (g === undefined) continue
        const p = slot.variable
        tf.util.assert(
          g.shape.length === p.shape.length && g.shape.every((d, i) => d === p.shape[i]),
          () => `Sgd: gradient of '${slot.name}' has shape ${JSON.stringify(g.shape)}, parameter ${JSON.stringify(p.shape)}`
        )
        const d = this.weightDecay !== 0 ? tf.add(g, tf.mul(p, this.weightDecay)) : g
        let update: tf.Tensor = d
        if (this.momentum !== 0) {
          if (slot.buffer === undefined) {
            slot.buffer = tf.variable(d, false) // b = d on the first step (a copy)
          } else {
            slot.buffer.assign(tf.add(tf.mul(slot.buffer, this.momentum), d))
          }
          update = slot.buffer
        }
        p.assign(tf.sub(p, tf.mul(update, this.learningRate(slot.group))))
      }
    })
    this.steps++
  }

  /** A copy of the state (momentum buffers read back from the backend). */
  getState(): SgdState {
    const buffers: MomentumBuffer[] = []
    for (const slot of this.slots.values()) {
      if (!slot.buffer) continue
      buffers.push({ name: slot.name, shape: slot.buffer.shape.slice(), data: slot.buffer.dataSync() as Float32Array })
    }
    return { steps: this.steps, lrs: Object.fromEntries(this.lrs), buffers }
  }

  /** Restores a state from getState(); buffers of parameters not listed are cleared. */
  setState(state: SgdState): void {
    const byName = new Map([...this.slots.values()].map((s) => [s.name, s]))
    for (const b of state.buffers) {
      const slot = byName.get(b.name)
      if (!slot) throw new Error(`Sgd: state has a momentum buffer for '${b.name}', which is not a parameter here`)
      const shape = slot.variable.shape
      if (b.shape.length !== shape.length || b.shape.some((d, i) => d !== shape[i]) || b.data.length !== slot.variable.size) {
        throw new Error(`Sgd: momentum buffer '${b.name}' has shape ${JSON.stringify(b.shape)}, parameter ${JSON.stringify(shape)}`)
      }
    }
    for (const [group, lr] of Object.entries(state.lrs)) this.setLearningRate(group, lr)
    const given = new Map(state.buffers.map((b) => [b.name, b]))
    for (const slot of this.slots.values()) {
      const b = given.get(slot.name)
      if (!b) {
        slot.buffer?.dispose()
        slot.buffer = undefined
        continue
      }
      const value = tf.tensor(b.data, b.shape, 'float32')
      if (slot.buffer) slot.buffer.assign(value)
      else slot.buffer = tf.variable(value, false)
      value.dispose()
    }
    this.steps = state.steps
  }

  /** Frees the momentum buffers (not the parameters). */
  dispose(): void {
    for (const slot of this.slots.values()) {
      slot.buffer?.dispose()
      slot.buffer = undefined
    }
  }
}

function checkLr(lr: number, group: string): void {
  if (!(Number.isFinite(lr) && lr >= 0)) throw new Error(`Sgd: learning rate of '${group}' must be a finite number >= 0, got ${lr}`)
}
