/**
 * The vendored ONNX schema: generated from Debian's onnx.proto (when libonnx-dev is installed, the
 * vendored descriptor must equal a fresh generation), and a graph built with GraphBuilder encodes
 * and runs in onnxruntime (a tiny Resize + L2-normalise graph with dynamic sizes).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { attr, GraphBuilder } from '../../../src/main/engine/exporter/graph-builder'
import { DataType, encodeModel, readOnnxMetadata } from '../../../src/main/engine/exporter/onnx-proto'
import { ONNX_SCHEMA, ONNX_SCHEMA_IR_VERSION } from '../../../src/main/engine/exporter/onnx-schema'
import { tempDirs } from '../../helpers/fixtures'
import { onnxSchemaDescriptor, protoIrVersion } from './generate-onnx-schema'

const PROTO = '/usr/include/onnx/onnx.proto'
const tempDir = tempDirs()

describe('ONNX schema and graph builder', () => {
  it.skipIf(!existsSync(PROTO))(`the vendored descriptor is ${PROTO}, regenerated`, () => {
    const text = readFileSync(PROTO, 'utf8')
    expect(ONNX_SCHEMA).toEqual(onnxSchemaDescriptor(text))
    expect(ONNX_SCHEMA_IR_VERSION).toBe(protoIrVersion(text))
  })

  it('encodes a graph onnxruntime runs, and reads metadata_props back from the file', async () => {
    // x [N, C, h, w] -> resize to like's h x w (half-pixel bilinear), then x / (||x||_C + 1e-12)
    const g = new GraphBuilder()
    const x = g.input('x', DataType.FLOAT, ['N', 2, 'h', 'w'])
    const like = g.input('like', DataType.FLOAT, ['N', 1, 'H', 'W'])
    const nc = g.node('Shape', [x], { start: attr.int(0), end: attr.int(2) })
    const hw = g.node('Shape', [like], { start: attr.int(2), end: attr.int(4) })
    const sizes = g.node('Concat', [nc, hw], { axis: attr.int(0) })
    const up = g.node('Resize', [x, '', '', sizes], { mode: attr.string('linear'), coordinate_transformation_mode: attr.string('half_pixel') })
    const norm = g.node('ReduceL2', [up], { axes: attr.ints([1]), keepdims: attr.int(1) })
    const y = g.node('Div', [up, g.node('Add', [norm, g.float32('eps', [], Float32Array.of(1e-12))])])
    g.output(y, 'y', DataType.FLOAT, ['N', 2, 'H', 'W'])
    const bytes = encodeModel({
      ir_version: ONNX_SCHEMA_IR_VERSION,
      opset_import: [{ domain: '', version: 17 }],
      producer_name: 'test',
      producer_version: '0',
      graph: g.build('tiny'),
      metadata_props: [
        { key: 'a', value: '1' },
        { key: 'b', value: 'two' }
      ]
    })
    const file = join(tempDir(), 'tiny.onnx')
    writeFileSync(file, bytes)
    expect(readOnnxMetadata(file)).toEqual({ a: '1', b: 'two' })

    const session = await ort.InferenceSession.create(bytes)
    // channel 0 is 1 everywhere, channel 1 is [[0, 3]] (1x2) -> 2x4: [0, 0.75, 2.25, 3] per row
    const xs = new ort.Tensor('float32', Float32Array.of(1, 1, 0, 3), [1, 2, 1, 2])
    const out = (await session.run({ x: xs, like: new ort.Tensor('float32', new Float32Array(8), [1, 1, 2, 4]) })).y
    expect(out.dims).toEqual([1, 2, 2, 4])
    const c1 = [0, 0.75, 2.25, 3]
    const expected = [...c1, ...c1].map((v) => 1 / Math.sqrt(1 + v * v)).concat([...c1, ...c1].map((v) => v / Math.sqrt(1 + v * v)))
    const got = Array.from(out.data as Float32Array)
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6))
    await session.release()
  })
})
