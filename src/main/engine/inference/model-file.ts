/**
 * The .onnx file behind a `--model` argument: an .onnx file as it is, or a training run folder's
 * `model.onnx`, exported from the run's final weights when it is not there yet.
 */
import { existsSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UserError } from '../../../common/ipc/errors'

/** A run folder's model file (the exporter's DEFAULT_ONNX_FILE). */
export const RUN_MODEL_FILE = 'model.onnx'

export interface ResolvedModel {
  file: string
  /** true when it was exported just now */
  exported: boolean
}

/** The model file of `pathOrRunDir`; exports `<run>/model.onnx` when missing (`onExport` is told first). */
export async function resolveModelFile(pathOrRunDir: string, onExport?: (runDir: string) => void): Promise<ResolvedModel> {
  const path = resolve(pathOrRunDir)
  if (!existsSync(path)) throw new UserError(`model not found: ${path}`, 'NOT_FOUND')
  if (!statSync(path).isDirectory()) return { file: path, exported: false }
  const file = join(path, RUN_MODEL_FILE)
  if (existsSync(file)) return { file, exported: false }
  onExport?.(path)
  // loaded here: the exporter brings tfjs and the networks, which inference itself does not need
  const { exportRunToOnnx } = await import('../exporter')
  const result = await exportRunToOnnx(path, file)
  return { file: result.file, exported: true }
}
