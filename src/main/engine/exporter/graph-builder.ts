/**
 * A tiny ONNX graph builder: initializers, nodes with typed attributes, graph inputs and outputs,
 * and unique value names (`<hint>`, `<hint>_1`, ...). Values are referred to by name.
 */
import {
  AttributeType,
  DataType,
  valueInfo,
  type AttributeProto,
  type DataTypeCode,
  type Dim,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto
} from './onnx-proto'

/** Node attributes; build them with {@link attr}. */
export type Attributes = Record<string, Omit<AttributeProto, 'name'>>

/** Typed attribute values. */
export const attr = {
  int: (i: number): Omit<AttributeProto, 'name'> => ({ type: AttributeType.INT, i }),
  ints: (ints: readonly number[]): Omit<AttributeProto, 'name'> => ({ type: AttributeType.INTS, ints: [...ints] }),
  float: (f: number): Omit<AttributeProto, 'name'> => ({ type: AttributeType.FLOAT, f }),
  string: (s: string): Omit<AttributeProto, 'name'> => ({ type: AttributeType.STRING, s: new TextEncoder().encode(s) })
}

/** A little-endian byte view of typed-array data (the machine is little-endian, see tensor-file.ts). */
function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
}

export class GraphBuilder {
  private readonly nodes: NodeProto[] = []
  private readonly initializers: TensorProto[] = []
  private readonly inputs: ValueInfoProto[] = []
  private readonly outputs: ValueInfoProto[] = []
  private readonly used = new Set<string>()
  private readonly int64Constants = new Map<string, string>()

  /** A fresh value name based on `hint`. */
  unique(hint: string): string {
    let name = hint
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`
    this.used.add(name)
    return name
  }

  /** Declares a graph input; returns its name (used as given). */
  input(name: string, elemType: DataTypeCode, dims: readonly Dim[]): string {
    this.claim(name)
    this.inputs.push(valueInfo(name, elemType, dims))
    return name
  }

  /** Declares `value` (produced by a node) as a graph output named `name`, via Identity when they differ. */
  output(value: string, name: string, elemType: DataTypeCode, dims: readonly Dim[]): string {
    if (value !== name) {
      this.claim(name)
      this.nodes.push({ name: `${name}_identity`, op_type: 'Identity', input: [value], output: [name], attribute: [] })
    }
    this.outputs.push(valueInfo(name, elemType, dims))
    return name
  }

  /** A float32 initializer with the given dims; returns its name. */
  float32(hint: string, dims: readonly number[], data: Float32Array): string {
    const size = dims.reduce((a, b) => a * b, 1)
    if (size !== data.length) throw new Error(`initializer '${hint}': ${data.length} values for dims ${JSON.stringify(dims)}`)
    const name = this.unique(hint)
    this.initializers.push({ name, dims: [...dims], data_type: DataType.FLOAT, raw_data: bytesOf(data) })
    return name
  }

  /** A 1-D int64 initializer (shared between nodes that ask for the same values); returns its name. */
  int64(hint: string, values: readonly number[]): string {
    const key = values.join(',')
    const known = this.int64Constants.get(key)
    if (known) return known
    const name = this.unique(hint)
    this.initializers.push({ name, dims: [values.length], data_type: DataType.INT64, raw_data: bytesOf(BigInt64Array.from(values, BigInt)) })
    this.int64Constants.set(key, name)
    return name
  }

  /** Adds a node with one output; returns the output's name. */
  node(opType: string, inputs: readonly string[], attributes: Attributes = {}, hint = opType.toLowerCase()): string {
    return this.nodeN(opType, inputs, 1, attributes, hint)[0]
  }

  /** Adds a node with `outputs` outputs; returns their names. */
  nodeN(opType: string, inputs: readonly string[], outputs: number, attributes: Attributes = {}, hint = opType.toLowerCase()): string[] {
    const out = Array.from({ length: outputs }, (_, i) => this.unique(outputs === 1 ? hint : `${hint}_out${i}`))
    this.nodes.push({
      name: this.unique(`${hint}_node`),
      op_type: opType,
      input: [...inputs],
      output: out,
      attribute: Object.entries(attributes).map(([name, a]) => ({ name, ...a }))
    })
    return out
  }

  build(name: string, docString?: string): GraphProto {
    return {
      name,
      node: this.nodes,
      initializer: this.initializers,
      input: this.inputs,
      output: this.outputs,
      ...(docString ? { doc_string: docString } : {})
    }
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`graph value '${name}' is defined twice`)
    this.used.add(name)
  }
}
