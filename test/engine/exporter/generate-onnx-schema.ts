/**
 * Regenerates src/main/engine/exporter/onnx-schema.ts, the vendored ONNX protobuf schema, from an
 * onnx.proto (Debian's libonnx-dev ships /usr/include/onnx/onnx.proto):
 *   npx tsx test/engine/exporter/generate-onnx-schema.ts /usr/include/onnx/onnx.proto [label]
 * Field names keep the .proto's snake_case (protobufjs keepCase), so the exporter's objects read
 * like the ONNX spec (raw_data, ir_version, ...).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import protobuf from 'protobufjs'

/** The protobufjs JSON descriptor of an onnx.proto text. */
export function onnxSchemaDescriptor(protoText: string): protobuf.INamespace {
  return protobuf.parse(protoText, { keepCase: true }).root.toJSON()
}

/** The IR version the .proto declares (`IR_VERSION = 0x...;`). */
export function protoIrVersion(protoText: string): number {
  const m = /^\s*IR_VERSION\s*=\s*(0x[0-9a-fA-F]+|\d+)\s*;/m.exec(protoText)
  if (!m) throw new Error('no IR_VERSION in the .proto')
  return Number(m[1])
}

export function schemaModule(protoText: string, source: string): string {
  const descriptor = JSON.stringify(onnxSchemaDescriptor(protoText), null, 1)
  return `/**
 * The ONNX protobuf schema as a protobufjs JSON descriptor, vendored so the exporter needs no .proto
 * file at run time (it bundles with electron-vite like any module).
 * Generated from ${source}, IR_VERSION ${protoIrVersion(protoText)},
 * by test/engine/exporter/generate-onnx-schema.ts; do not edit by hand.
 *
 * onnx.proto: Copyright (c) ONNX Project Contributors.
 * SPDX-License-Identifier: Apache-2.0
 */
import type { INamespace } from 'protobufjs'

/** The IR version of the schema below. */
export const ONNX_SCHEMA_IR_VERSION = ${protoIrVersion(protoText)}

export const ONNX_SCHEMA: INamespace = ${descriptor}
`
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(__filename)) {
  const protoPath = process.argv[2] ?? '/usr/include/onnx/onnx.proto'
  const label = process.argv[3] ?? protoPath
  const out = resolve(__dirname, '../../../src/main/engine/exporter/onnx-schema.ts')
  writeFileSync(out, schemaModule(readFileSync(protoPath, 'utf8'), label))
  console.log(`wrote ${out}`)
}
