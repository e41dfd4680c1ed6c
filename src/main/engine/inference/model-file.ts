/**
 * The .onnx file behind a `--model` argument: an .onnx file as it is, or a training run folder's
 * `model.onnx`, exported from the run's final weights when it is not there yet or no longer
 * matches them (config.json changed since, or weights newer than the model).
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { UserError } from '../../../common/ipc/errors'
import { readOnnxMetadata } from '../exporter/onnx-proto'
import { RUN_FILES } from '../trainer/run-folder'

/** A run folder's model file (the exporter's DEFAULT_ONNX_FILE). */
export const RUN_MODEL_FILE = 'model.onnx'

export interface ResolvedModel {
  file: string
  /** true when it was exported just now */
  exported: boolean
}

/** The model file of `pathOrRunDir`; exports `<run>/model.onnx` when missing or stale (`onExport` is told first). */
export async function resolveModelFile(pathOrRunDir: string, onExport?: (runDir: string) => void): Promise<ResolvedModel> {
  const path = resolve(pathOrRunDir)
  if (!existsSync(path)) throw new UserError(`model not found: ${path}`, 'NOT_FOUND')
  if (!statSync(path).isDirectory()) return { file: path, exported: false }
  const file = join(path, RUN_MODEL_FILE)
  if (existsSync(file) && !isStale(path, file)) return { file, exported: false }
  onExport?.(path)
  // loaded here: the exporter brings tfjs and the networks, which inference itself does not need
  const { exportRunToOnnx } = await import('../exporter')
  const result = await exportRunToOnnx(path, file)
  return { file: result.file, exported: true }
}

/** True when a run's model.onnx was exported from another config.json or from older weights. */
function isStale(runDir: string, file: string): boolean {
  const config = join(runDir, RUN_FILES.config)
  if (!existsSync(config)) return false // a folder holding only a model
  const sha = createHash('sha256').update(readFileSync(config)).digest('hex')
  if (readOnnxMetadata(file)['destseg.config_sha256'] !== sha) return true
  const modelTime = statSync(file).mtimeMs
  return [RUN_FILES.student, RUN_FILES.segmentation].some((w) => {
    const bin = join(runDir, `${w}.bin`)
    return existsSync(bin) && statSync(bin).mtimeMs > modelTime
  })
}
