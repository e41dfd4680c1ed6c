/**
 * Stochastic weight averaging (SWA; Izmailov et al., 2018, as torch.optim.swa_utils.AveragedModel)
 * of the segmentation net in phase 2: the running mean of its parameters, sampled every `every`
 * steps over the last `fraction` of the phase (the phase's last step always among them). At the end
 * the mean replaces the weights, and the BN running statistics, which belong to no single sample,
 * are recomputed for it (batch-norm-update.ts). An option of a run (RunConfig.swa_fraction); the
 * reference keeps the last step's weights.
 */
import * as tf from '@tensorflow/tfjs'
import type { NamedTensor } from '../nn/layers'
import type { TensorEntry } from './tensor-file'

/**
 * Whether the weights after phase-2 step `done` (1-based) of `steps` are averaged: one of the
 * last round(steps * fraction) steps, `every` apart counted back from the last.
 */
export function isSwaSample(done: number, steps: number, fraction: number, every: number): boolean {
  return fraction > 0 && done > steps - Math.max(1, Math.round(steps * fraction)) && (steps - done) % every === 0
}

export class WeightAverage {
  /** the running mean of each parameter (same names and shapes) */
  private readonly means: tf.Variable[]
  /** samples in the mean */
  count = 0

  constructor(private readonly params: readonly NamedTensor[]) {
    this.means = params.map((p) => tf.variable(tf.zerosLike(p.tensor), false))
  }

  /** Adds the parameters' current values: mean += (w - mean) / (count + 1). */
  update(): void {
    const k = ++this.count
    tf.tidy(() => {
      this.params.forEach((p, i) => this.means[i].assign(tf.add(this.means[i], tf.div(tf.sub(p.tensor, this.means[i]), k))))
    })
  }

  /** Writes the mean into the parameters (which must be tf.Variables). */
  assignToParameters(): void {
    if (this.count === 0) throw new Error('no weights were averaged')
    this.params.forEach((p, i) => (p.tensor as tf.Variable).assign(this.means[i]))
  }

  /** The mean as checkpoint entries (`<prefix><parameter name>`). */
  entries(prefix: string): TensorEntry[] {
    return this.params.map((p, i) => ({ name: prefix + p.name, shape: [...p.tensor.shape], data: this.means[i].dataSync() as Float32Array }))
  }

  /** Restores a mean of `count` samples from checkpoint entries; throws naming a missing tensor. */
  restore(entries: ReadonlyMap<string, TensorEntry>, prefix: string, count: number, source: string): void {
    this.params.forEach((p, i) => {
      const e = entries.get(prefix + p.name)
      if (!e) throw new Error(`${source}: no ${prefix + p.name} (the weight average)`)
      tf.tidy(() => this.means[i].assign(tf.tensor(e.data, e.shape)))
    })
    this.count = count
  }

  /** The tensors holding the mean (for reading them back from a GPU). */
  tensors(): tf.Tensor[] {
    return this.means
  }

  dispose(): void {
    for (const m of this.means) m.dispose()
  }
}
