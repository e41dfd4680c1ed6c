/**
 * `destseg export`: writes a finished training run as one ONNX model (teacher + student +
 * segmentation net; image [N, 3, H, W] ImageNet-normalised -> anomaly_map [N, 1, H/4, W/4]).
 * Prints {"file", "bytes", "input_size", "opset"} under --json.
 */
import { parseArgs } from 'node:util'
import { printJson, UsageError, userPath, type CliCommand } from './common'

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write a trained run as one ONNX model (default <run>/model.onnx)',
  usage: '--run <run folder> [--out <file.onnx>] [--json]',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: { run: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }
    })
    if (positionals.length > 0) throw new UsageError('unexpected arguments')
    if (!values.run) throw new UsageError('--run is required')
    // loaded here, not at start-up: tfjs and the networks are only needed by this command
    const { selectBackend } = await import('../../engine/backend')
    const { exportRunToOnnx } = await import('../../engine/exporter')
    // Export only reads weights back: the cpu backend does that without copies out of a wasm heap.
    await selectBackend('cpu')
    const r = await exportRunToOnnx(userPath(values.run), values.out === undefined ? undefined : userPath(values.out))
    if (values.json) printJson({ file: r.file, bytes: r.bytes, input_size: r.inputSize, opset: r.opset })
    else console.log(`wrote ${r.file} (${(r.bytes / 2 ** 20).toFixed(1)} MiB, ONNX opset ${r.opset}, trained at ${r.inputSize} px)`)
    return 0
  }
}
