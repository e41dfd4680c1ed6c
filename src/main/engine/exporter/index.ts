/**
 * ONNX export of a trained DeSTSeg: one model holding teacher, student and segmentation net,
 * image [N, 3, H, W] (ImageNet-normalised) -> anomaly_map [N, 1, H/4, W/4] (see export-destseg.ts),
 * with the metadata of ./metadata.ts.
 */
import { createHash } from 'node:crypto'
import { readFileSync, renameSync, rmSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { DeSTSeg } from '../destseg/destseg-model'
import { readRunConfig, RUN_FILES } from '../trainer/run-folder'
import { fsyncDir, writeFileSynced } from '../trainer/tensor-file'
import { destsegGraph, ONNX_OPSET } from './export-destseg'
import { onnxMetadata, type DeSTSegOnnxMetadata, type OnnxExportMeta } from './metadata'
import { encodeModel } from './onnx-proto'
import { ONNX_SCHEMA_IR_VERSION } from './onnx-schema'

export { ONNX_INPUT, ONNX_OPSET, ONNX_OUTPUT } from './export-destseg'
export { DESTSEG_METHOD_VERSION, type DeSTSegOnnxMetadata, type OnnxExportMeta } from './metadata'
export { readOnnxMetadata } from './onnx-proto'

/** The model file of a run when no other is named. */
export const DEFAULT_ONNX_FILE = 'model.onnx'

export interface OnnxExportResult {
  /** absolute path of the written model */
  file: string
  bytes: number
  inputSize: number
  opset: number
  metadata: DeSTSegOnnxMetadata
}

/** Serialises a model as ONNX (protobuf bytes). */
export function exportModelToOnnx(model: DeSTSeg, meta: OnnxExportMeta): Uint8Array {
  const metadata = onnxMetadata(meta)
  return encodeModel({
    ir_version: ONNX_SCHEMA_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'destseg-workstation',
    producer_version: metadata['destseg.method_version'],
    doc_string: `DeSTSeg anomaly segmentation, run ${meta.runId}`,
    graph: destsegGraph(model),
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value }))
  })
}

/**
 * Exports a finished training run (default file `<runDir>/model.onnx`), written to a temporary
 * file that is renamed into place.
 */
export async function exportRunToOnnx(runDir: string, outFile?: string): Promise<OnnxExportResult> {
  const dir = resolve(runDir)
  const file = resolve(outFile ?? join(dir, DEFAULT_ONNX_FILE))
  const model = DeSTSeg.fromRun(dir) // checks the folder first
  let bytes: Uint8Array
  let meta: OnnxExportMeta
  try {
    meta = {
      inputSize: readRunConfig(dir).size,
      runId: basename(dir),
      configSha256: createHash('sha256').update(readFileSync(join(dir, RUN_FILES.config))).digest('hex')
    }
    bytes = exportModelToOnnx(model, meta)
  } finally {
    model.dispose()
  }
  const tmp = `${file}.tmp-${process.pid}`
  try {
    writeFileSynced(tmp, [bytes])
    renameSync(tmp, file)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
  fsyncDir(dirname(file))
  return { file, bytes: bytes.byteLength, inputSize: meta.inputSize, opset: ONNX_OPSET, metadata: onnxMetadata(meta) }
}
