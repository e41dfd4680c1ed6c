/**
 * `destseg bench train`: times one training step of each phase (forward, backward, SGD update) on
 * the best backend that trains, at 256x256 batch 4 by default: one warm-up, then the median of
 * three. Prints {"backend", "threads", "size", "batch", "student_step_ms", "seg_step_ms"}.
 */
import { parseArgs } from 'node:util'
import { UsageError, type CliCommand } from './common'

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'time one training step per phase: bench train (256x256, batch 4; warm-up + median of 3)',
  usage: 'train [--size 256] [--batch 4] [--backend wasm|cpu|...] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { size: { type: 'string' }, batch: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } }
    })
    if (positionals.length !== 1 || positionals[0] !== 'train') throw new UsageError('expected: bench train')
    const size = Number(values.size ?? 256)
    const batch = Number(values.batch ?? 4)
    if (!(Number.isInteger(size) && size >= 32 && size % 32 === 0)) throw new UsageError(`--size must be a multiple of 32, got ${values.size}`)
    if (!(Number.isInteger(batch) && batch >= 1 && batch * (size / 32) ** 2 >= 2)) {
      throw new UsageError(`--batch must be a positive integer (at least 2 at size 32), got ${values.batch}`)
    }
    // loaded here, not at start-up: tfjs and the networks are only needed by this command
    const { benchTrainSteps } = await import('../../engine/trainer/bench')
    const r = await benchTrainSteps({ size, batch, backend: values.backend ?? null, log: (m) => void process.stderr.write(`${m}\n`) })
    if (values.json) process.stdout.write(`${JSON.stringify(r)}\n`)
    else {
      console.log(
        `${r.backend} (${r.threads} thread${r.threads === 1 ? '' : 's'}), ${r.size}x${r.size}, batch ${r.batch}: ` +
          `student step ${(r.student_step_ms / 1000).toFixed(2)} s, segmentation step ${(r.seg_step_ms / 1000).toFixed(2)} s (median of 3)`
      )
    }
    return 0
  }
}
