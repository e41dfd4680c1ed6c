/**
 * The ONNX protobuf messages the exporter writes, typed, and their encoding through protobufjs
 * with the vendored schema (./onnx-schema.ts). Field names are the .proto's (snake_case).
 * Only the subset of ONNX the exporter needs is typed here.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import protobuf from 'protobufjs/light' // no .proto parser needed: the schema is a JSON descriptor
import { ONNX_SCHEMA } from './onnx-schema'

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, INT64: 7 } as const
export type DataTypeCode = (typeof DataType)[keyof typeof DataType]

/** AttributeProto.AttributeType values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const

export interface TensorProto {
  name: string
  dims: number[]
  data_type: DataTypeCode
  /** little-endian values, back to back */
  raw_data: Uint8Array
}

export interface AttributeProto {
  name: string
  type: (typeof AttributeType)[keyof typeof AttributeType]
  f?: number
  i?: number
  s?: Uint8Array
  floats?: number[]
  ints?: number[]
}

export interface NodeProto {
  name: string
  op_type: string
  /** '' marks an omitted optional input */
  input: string[]
  output: string[]
  attribute: AttributeProto[]
}

/** A dimension: a fixed size, or a named symbolic one (e.g. 'N'). */
export type Dim = number | string

export interface ValueInfoProto {
  name: string
  type: { tensor_type: { elem_type: DataTypeCode; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } }
}

export interface GraphProto {
  name: string
  node: NodeProto[]
  initializer: TensorProto[]
  input: ValueInfoProto[]
  output: ValueInfoProto[]
  doc_string?: string
}

export interface StringStringEntryProto {
  key: string
  value: string
}

export interface ModelProto {
  ir_version: number
  opset_import: { domain: string; version: number }[]
  producer_name: string
  producer_version: string
  doc_string?: string
  graph: GraphProto
  metadata_props: StringStringEntryProto[]
}

/** A tensor's value info: elem type and shape. */
export function valueInfo(name: string, elemType: DataTypeCode, dims: readonly Dim[]): ValueInfoProto {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) }
      }
    }
  }
}

let root: protobuf.Root | undefined
function onnxType(name: 'ModelProto' | 'StringStringEntryProto'): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_SCHEMA)
  return root.lookupType(`onnx.${name}`)
}

/** Serialises a model (ONNX protobuf wire format). */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = onnxType('ModelProto')
  const problem = type.verify(model)
  if (problem) throw new Error(`invalid ONNX model: ${problem}`)
  return type.encode(model).finish()
}

/** ModelProto.metadata_props. */
const METADATA_FIELD = 14
const WIRE_VARINT = 0
const WIRE_I64 = 1
const WIRE_LEN = 2
const WIRE_I32 = 5

/**
 * Reads ModelProto.metadata_props of an .onnx file without loading the graph: walks the top-level
 * fields, reading only their headers and skipping the (large) graph by its length.
 * onnxruntime's JS API does not expose model metadata.
 */
export function readOnnxMetadata(file: string): Record<string, string> {
  const fd = openSync(file, 'r')
  try {
    const read = (pos: number, length: number): Uint8Array => {
      const buf = new Uint8Array(length)
      const n = readSync(fd, buf, 0, length, pos)
      return buf.subarray(0, n)
    }
    const entryType = onnxType('StringStringEntryProto')
    const out: Record<string, string> = {}
    let pos = 0
    for (;;) {
      const head = read(pos, 20) // a tag and a length: two varints of at most 10 bytes each
      if (head.length === 0) return out
      const reader = protobuf.Reader.create(head)
      const tag = reader.uint32()
      const field = tag >>> 3
      const wire = tag & 7
      let length: number
      if (wire === WIRE_LEN) length = reader.uint32()
      else if (wire === WIRE_VARINT) {
        reader.uint64()
        length = 0
      } else if (wire === WIRE_I64) length = 8
      else if (wire === WIRE_I32) length = 4
      else throw new Error(`${file}: not an ONNX model (wire type ${wire} at byte ${pos})`)
      const start = pos + reader.pos
      if (field === METADATA_FIELD && wire === WIRE_LEN) {
        const entry = entryType.toObject(entryType.decode(read(start, length))) as Partial<StringStringEntryProto>
        out[entry.key ?? ''] = entry.value ?? ''
      }
      pos = start + length
    }
  } finally {
    closeSync(fd)
  }
}
