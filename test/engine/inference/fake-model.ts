/**
 * A stand-in for an exported DeSTSeg model with the same contract (input "image" N x 3 x S x S
 * float32, output "anomaly_map" N x 1 x S/4 x S/4 in (0, 1), dynamic batch, metadata
 * `destseg.input_size`), small and hand-checkable:
 *   anomaly_map = sigmoid(gain * mean over channels and each 4x4 block of the input)
 * Written with the exporter's ONNX encoder.
 */
import { writeFileSync } from 'node:fs'
import { IMAGENET_MEAN, IMAGENET_STD } from '../../../src/main/engine/data/normalize'
import { AttributeType, DataType, encodeModel, valueInfo } from '../../../src/main/engine/exporter/onnx-proto'
import { rgb8ToFloat, type Rgb8Image } from '../../../src/main/engine/synthesis/image-ops'

export interface FakeModelOptions {
  /** input side S (a multiple of 4) */
  size: number
  /** multiplies the block mean before the sigmoid; default 1 */
  gain?: number
  /** declare a static H x W (the exporter's are symbolic; the size then also comes from the shape) */
  staticSpatial?: boolean
}

/** Writes the fake model to `file`. */
export function writeFakeModel(file: string, options: FakeModelOptions): void {
  const { size, gain = 1, staticSpatial = false } = options
  const ints = (name: string, ints: number[]) => ({ name, type: AttributeType.INTS, ints })
  const bytes = encodeModel({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    producer_name: 'destseg-test-fake',
    producer_version: '0',
    metadata_props: [{ key: 'destseg.input_size', value: String(size) }],
    graph: {
      name: 'fake-destseg',
      initializer: [{ name: 'gain', dims: [], data_type: DataType.FLOAT, raw_data: new Uint8Array(Float32Array.of(gain).buffer) }],
      node: [
        { name: 'pool', op_type: 'AveragePool', input: ['image'], output: ['pooled'], attribute: [ints('kernel_shape', [4, 4]), ints('strides', [4, 4])] },
        {
          name: 'mean',
          op_type: 'ReduceMean',
          input: ['pooled'],
          output: ['reduced'],
          attribute: [ints('axes', [1]), { name: 'keepdims', type: AttributeType.INT, i: 1 }]
        },
        { name: 'scale', op_type: 'Mul', input: ['reduced', 'gain'], output: ['logits'], attribute: [] },
        { name: 'sigmoid', op_type: 'Sigmoid', input: ['logits'], output: ['anomaly_map'], attribute: [] }
      ],
      input: [valueInfo('image', DataType.FLOAT, ['N', 3, ...(staticSpatial ? [size, size] : ['H', 'W'])])],
      output: [valueInfo('anomaly_map', DataType.FLOAT, ['N', 1, ...(staticSpatial ? [size / 4, size / 4] : ['h', 'w'])])]
    }
  })
  writeFileSync(file, bytes)
}

/**
 * The map the fake model gives for an image already resized to S x S (the same preprocessing as
 * the inference service): [S/4, S/4].
 */
export function expectedFakeMap(image: Rgb8Image, gain = 1): Float32Array {
  const { height: s, width } = image
  const f = rgb8ToFloat(image).data // [S, S, 3]
  const m = s / 4
  const out = new Float32Array(m * m)
  for (let by = 0; by < m; by++) {
    for (let bx = 0; bx < m; bx++) {
      let sum = 0
      for (let y = by * 4; y < by * 4 + 4; y++) {
        for (let x = bx * 4; x < bx * 4 + 4; x++) {
          for (let c = 0; c < 3; c++) sum += (f[(y * width + x) * 3 + c] - IMAGENET_MEAN[c]) / IMAGENET_STD[c]
        }
      }
      out[by * m + bx] = 1 / (1 + Math.exp(-gain * (sum / 48)))
    }
  }
  return out
}
