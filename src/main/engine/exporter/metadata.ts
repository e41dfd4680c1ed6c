/**
 * The metadata_props an exported DeSTSeg model carries (all values are strings), so an .onnx file
 * says how to feed it and where it came from without its run folder.
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/normalize'

/**
 * Version of what the exported graph computes and expects (networks, preprocessing, output).
 * Bump it when any of that changes, so consumers can refuse models they do not understand.
 */
export const DESTSEG_METHOD_VERSION = '1'

/** What the exporter is told about the model. */
export interface OnnxExportMeta {
  /** the side the model was trained at (input H = W); other multiples of 32 also run */
  inputSize: number
  /** the run folder's name */
  runId: string
  /** sha256 (hex) of the run's config.json bytes */
  configSha256: string
}

/** The metadata_props keys and values. */
export interface DeSTSegOnnxMetadata {
  'destseg.input_size': string
  /** JSON {"mean": [r, g, b], "std": [r, g, b]} applied to RGB in [0, 1] */
  'destseg.normalization': string
  'destseg.method_version': string
  'destseg.run_id': string
  'destseg.config_sha256': string
  'destseg.output': string
}

export const OUTPUT_DESCRIPTION = 'sigmoid anomaly probability at 1/4 resolution'

export function onnxMetadata(meta: OnnxExportMeta): DeSTSegOnnxMetadata {
  return {
    'destseg.input_size': String(meta.inputSize),
    'destseg.normalization': JSON.stringify({ mean: IMAGENET_MEAN, std: IMAGENET_STD }),
    'destseg.method_version': DESTSEG_METHOD_VERSION,
    'destseg.run_id': meta.runId,
    'destseg.config_sha256': meta.configSha256,
    'destseg.output': OUTPUT_DESCRIPTION
  }
}
