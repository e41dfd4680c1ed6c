/**
 * ONNX export of a trained DeSTSeg: the exported model, run by onnxruntime-node (CPU), matches the
 * TF.js DeSTSeg.predict (eval mode) on the same input, at batch 2 64x64 and at a non-square size
 * (H and W are dynamic); the batch is dynamic; the metadata is there; nothing leaks.
 * The run folder holds freshly initialised nets with perturbed BatchNorm statistics (run-fixture.ts)
 * and the shared ImageNet teacher.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DeSTSeg } from '../../../src/main/engine/destseg/destseg-model'
import {
  DESTSEG_METHOD_VERSION,
  exportRunToOnnx,
  ONNX_INPUT,
  ONNX_OPSET,
  ONNX_OUTPUT,
  readOnnxMetadata,
  type OnnxExportResult
} from '../../../src/main/engine/exporter'
import { tempDirs } from '../../helpers/fixtures'
import { leakedTensors, maxAbsDiff, useBackend } from '../helpers'
import { makeRunFolder } from './run-fixture'

const tempDir = tempDirs()
/** max |ONNX - TF.js| allowed on the probability map */
const TOLERANCE = 1e-4

let runDir: string
let model: DeSTSeg
let exported: OnnxExportResult
let session: ort.InferenceSession

/** A seeded input [B, H, W, 3] (NHWC) and the same values as NCHW for onnxruntime. */
function input(batch: number, h: number, w: number, seed: number): { nhwc: tf.Tensor4D; nchw: ort.Tensor } {
  const nhwc = tf.randomNormal([batch, h, w, 3], 0, 1, 'float32', seed) as tf.Tensor4D
  const nchw = tf.tidy(() => tf.transpose(nhwc, [0, 3, 1, 2]).dataSync() as Float32Array)
  return { nhwc, nchw: new ort.Tensor('float32', nchw, [batch, 3, h, w]) }
}

async function runOnnx(image: ort.Tensor): Promise<{ dims: readonly number[]; data: Float32Array }> {
  const out = (await session.run({ [ONNX_INPUT]: image }))[ONNX_OUTPUT]
  return { dims: out.dims, data: out.data as Float32Array }
}

/** TF.js prediction as NCHW values ([B, h, w, 1] and [B, 1, h, w] share their layout). */
function predictTf(x: tf.Tensor4D): { shape: number[]; data: Float32Array } {
  const y = model.predict(x)
  const out = { shape: y.shape.slice(), data: y.dataSync() as Float32Array }
  y.dispose()
  return out
}

function spread(a: Float32Array): { min: number; max: number } {
  let min = Infinity
  let max = -Infinity
  for (const v of a) {
    min = Math.min(min, v)
    max = Math.max(max, v)
  }
  return { min, max }
}

describe('ONNX export of DeSTSeg', () => {
  beforeAll(async () => {
    await useBackend('wasm')
    runDir = join(tempDir(), 'run-export')
    mkdirSync(runDir)
    model = makeRunFolder(runDir).model
    exported = await exportRunToOnnx(runDir)
    session = await ort.InferenceSession.create(readFileSync(exported.file), {
      executionProviders: ['cpu'],
      intraOpNumThreads: 2
    })
  }, 120_000)

  afterAll(async () => {
    model?.dispose()
    await session?.release()
  })

  it('writes <run>/model.onnx atomically and reports it', () => {
    expect(exported.file).toBe(join(runDir, 'model.onnx'))
    expect(exported.bytes).toBe(readFileSync(exported.file).byteLength)
    expect(exported.inputSize).toBe(64)
    expect(exported.opset).toBe(ONNX_OPSET)
    expect(readdirSync(runDir).filter((f) => f.includes('.tmp'))).toEqual([])
    // parameters 35.15M (METHOD.md) less BatchNorm's, as float32
    expect(exported.bytes).toBeGreaterThan(4 * 34.5e6)
    expect(exported.bytes).toBeLessThan(4 * 35.3e6)
  })

  it('declares image [N, 3, H, W] -> anomaly_map [N, 1, h, w], all symbolic but the channels', () => {
    expect(session.inputNames).toEqual([ONNX_INPUT])
    expect(session.outputNames).toEqual([ONNX_OUTPUT])
    const [inMeta] = session.inputMetadata
    const [outMeta] = session.outputMetadata
    expect(inMeta.isTensor && inMeta.shape).toEqual(['N', 3, 'H', 'W'])
    expect(outMeta.isTensor && outMeta.shape).toEqual(['N', 1, 'map_height', 'map_width'])
  })

  it('carries the metadata: input size, normalisation, method version, run id, config hash, output', () => {
    const meta = readOnnxMetadata(exported.file)
    expect(meta).toEqual(exported.metadata)
    expect(meta).toEqual({
      'destseg.input_size': '64',
      'destseg.normalization': JSON.stringify({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }),
      'destseg.method_version': DESTSEG_METHOD_VERSION,
      'destseg.run_id': basename(runDir),
      'destseg.config_sha256': createHash('sha256').update(readFileSync(join(runDir, 'config.json'))).digest('hex'),
      'destseg.output': 'sigmoid anomaly probability at 1/4 resolution'
    })
  })

  it(`matches DeSTSeg.predict (TF.js, eval mode) within ${TOLERANCE}: batch 2 at 64x64 and batch 1 at 64x96`, async () => {
    for (const [batch, h, w, seed] of [
      [2, 64, 64, 11],
      [1, 64, 96, 12]
    ]) {
      const x = input(batch, h, w, seed)
      const ref = predictTf(x.nhwc)
      x.nhwc.dispose()
      const onnx = await runOnnx(x.nchw)
      expect(onnx.dims).toEqual([batch, 1, h / 4, w / 4])
      expect(ref.shape).toEqual([batch, h / 4, w / 4, 1])
      const diff = maxAbsDiff(onnx.data, ref.data)
      const { min, max } = spread(ref.data)
      console.log(`${batch}x${h}x${w}: max |onnx - tfjs| ${diff.toExponential(2)}, map range [${min.toFixed(3)}, ${max.toFixed(3)}]`)
      expect(diff).toBeLessThanOrEqual(TOLERANCE)
      // a map that is not flat: a constant output would make the comparison meaningless
      expect(max - min).toBeGreaterThan(0.2)
    }
  }, 120_000)

  it('has a dynamic batch: batch 3 gives each image the map it gets alone', async () => {
    const x = input(3, 64, 64, 21)
    x.nhwc.dispose()
    const together = await runOnnx(x.nchw)
    expect(together.dims).toEqual([3, 1, 16, 16])
    const per = 16 * 16
    const images = x.nchw.data as Float32Array
    for (let i = 0; i < 3; i++) {
      const one = new ort.Tensor('float32', images.slice(i * 3 * 64 * 64, (i + 1) * 3 * 64 * 64), [1, 3, 64, 64])
      const alone = await runOnnx(one)
      expect(alone.dims).toEqual([1, 1, 16, 16])
      expect(maxAbsDiff(alone.data, together.data.subarray(i * per, (i + 1) * per))).toBeLessThanOrEqual(1e-6)
    }
  })

  it('predict leaves no tensors behind', () => {
    const x = tf.zeros([1, 32, 32, 3]) as tf.Tensor4D
    expect(leakedTensors(() => model.predict(x).dispose())).toBe(0)
    x.dispose()
  })

  it('refuses a folder that is not a run, and a run without final weights', async () => {
    const dir = tempDir()
    await expect(exportRunToOnnx(dir)).rejects.toThrow(/not a training run folder/)
    copyFileSync(join(runDir, 'config.json'), join(dir, 'config.json'))
    await expect(exportRunToOnnx(dir)).rejects.toThrow(/has no final weights \(student.json\); it has not finished training/)
    expect(readdirSync(dir)).toEqual(['config.json'])
  })
})

