/**
 * Reader for NumPy .npy files: float32, little-endian, C order (fortran_order False) only.
 * Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { readFileSync } from 'node:fs'

/** A float32 array in C order with its shape. */
export interface NpyArray {
  readonly shape: readonly number[]
  readonly data: Float32Array
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // "\x93NUMPY"

/**
 * Parses .npy bytes. `label` names the file and `tensor` the weight in every error message.
 * `expectedShape`, when given, must match exactly.
 */
export function parseNpy(
  bytes: Uint8Array,
  label: string,
  tensor: string,
  expectedShape?: readonly number[]
): NpyArray {
  const fail = (why: string): never => {
    throw new Error(`${label}: tensor '${tensor}': ${why}`)
  }
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (bad magic)')
  const major = bytes[6]
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let headerLen: number
  let headerStart: number
  if (major === 1) {
    headerLen = view.getUint16(8, true)
    headerStart = 10
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true)
    headerStart = 12
  } else {
    return fail(`unsupported .npy version ${major}`)
  }
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, headerStart + headerLen)
  )
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1]
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1]
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1]
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`malformed header ${header.trim()}`)
  if (descr !== '<f4') fail(`dtype '${descr}' is not float32 little-endian ('<f4')`)
  if (fortran !== 'False') fail('fortran_order True is not supported')
  const shape = (shapeText as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number)
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`)
  if (expectedShape && !sameShape(shape, expectedShape)) {
    fail(`shape [${shape.join(', ')}] does not match the expected [${expectedShape.join(', ')}]`)
  }
  const count = shape.reduce((a, b) => a * b, 1)
  const dataStart = headerStart + headerLen
  if (bytes.length - dataStart !== count * 4) {
    fail(`expected ${count * 4} data bytes for shape [${shape.join(', ')}], found ${bytes.length - dataStart}`)
  }
  // Copy so the Float32Array is 4-byte aligned whatever the header length was.
  const data = new Float32Array(Uint8Array.prototype.slice.call(bytes, dataStart, dataStart + count * 4).buffer)
  return { shape, data }
}

/** Reads a .npy file; errors name the file and the tensor. */
export function readNpy(path: string, tensor: string, expectedShape?: readonly number[]): NpyArray {
  let bytes: Uint8Array
  try {
    const buf = readFileSync(path)
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) // a plain Uint8Array: slice() copies
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(`${path}: tensor '${tensor}': cannot read file (${code ?? String(err)})`)
  }
  return parseNpy(bytes, path, tensor, expectedShape)
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i])
}

/** Encodes a float32 C-order array as .npy (version 1.0) bytes. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1)
  if (count !== data.length) throw new Error(`encodeNpy: ${data.length} values for shape [${shape.join(', ')}]`)
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ')
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`
  // magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n'
  const out = new Uint8Array(10 + header.length + data.byteLength)
  out.set(MAGIC, 0)
  out[6] = 1
  out[7] = 0
  new DataView(out.buffer).setUint16(8, header.length, true)
  out.set(new TextEncoder().encode(header), 10)
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length)
  return out
}
