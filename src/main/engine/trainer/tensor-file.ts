/**
 * A simple weight format: `<base>.bin` holds float32 values (little-endian) back to back,
 * `<base>.json` the index: each tensor's state_dict name, shape and byte offset, plus the file's
 * length and sha256. Filters are stored as the engine holds them (HWIO, [k, k, Cin, Cout]).
 * Writes go to temporary files that are fsynced and renamed into place, the index last.
 */
import { createHash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs'
import { endianness } from 'node:os'
import { basename, dirname, join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { NamedTensor } from '../nn/layers'

export const TENSOR_FORMAT = 'destseg-tensors/1'

/** A tensor as plain data. */
export interface TensorEntry {
  name: string
  shape: number[]
  data: Float32Array
}

export interface TensorIndexEntry {
  name: string
  shape: number[]
  /** byte offset in the .bin */
  offset: number
  /** number of float32 values */
  length: number
}

/** The `<base>.json` index. */
export interface TensorIndex {
  format: typeof TENSOR_FORMAT
  /** the .bin file, relative to the index */
  file: string
  dtype: 'float32'
  byte_order: 'little'
  bytes: number
  sha256: string
  tensors: TensorIndexEntry[]
}

if (endianness() !== 'LE') throw new Error('the tensor file format assumes a little-endian machine')

/** Writes `path` from byte chunks and fsyncs it (no rename; callers write a temporary name and rename it). */
export function writeFileSynced(path: string, chunks: Iterable<Uint8Array>): void {
  const fd = openSync(path, 'w')
  try {
    for (const chunk of chunks) {
      let done = 0
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done)
    }
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** fsync a folder so renames inside it are durable (best effort; some filesystems refuse). */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  } catch {
    // not supported here
  }
}

const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)

/** Writes `<base>.bin` and `<base>.json`; returns the index path. Names must be unique. */
export function writeTensorFile(base: string, entries: readonly TensorEntry[]): string {
  const names = new Set<string>()
  const tensors: TensorIndexEntry[] = []
  const hash = createHash('sha256')
  let offset = 0
  for (const e of entries) {
    if (names.has(e.name)) throw new Error(`writeTensorFile: '${e.name}' appears twice`)
    names.add(e.name)
    const size = e.shape.reduce((a, b) => a * b, 1)
    if (size !== e.data.length) throw new Error(`writeTensorFile: '${e.name}' has ${e.data.length} values for shape ${JSON.stringify(e.shape)}`)
    tensors.push({ name: e.name, shape: e.shape.slice(), offset, length: e.data.length })
    hash.update(bytesOf(e.data))
    offset += e.data.byteLength
  }
  const binPath = `${base}.bin`
  const indexPath = `${base}.json`
  const index: TensorIndex = {
    format: TENSOR_FORMAT,
    file: basename(binPath),
    dtype: 'float32',
    byte_order: 'little',
    bytes: offset,
    sha256: hash.digest('hex'),
    tensors
  }
  writeFileSynced(`${binPath}.tmp`, entries.map((e) => bytesOf(e.data)))
  renameSync(`${binPath}.tmp`, binPath)
  writeFileSynced(`${indexPath}.tmp`, [Buffer.from(`${JSON.stringify(index, null, 1)}\n`)])
  renameSync(`${indexPath}.tmp`, indexPath)
  fsyncDir(dirname(base))
  return indexPath
}

/** Reads a tensor file by its index path (`<base>.json`); checks its length and sha256. */
export function readTensorFile(indexPath: string): Map<string, TensorEntry> {
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as TensorIndex
  if (index.format !== TENSOR_FORMAT) throw new Error(`${indexPath}: not a ${TENSOR_FORMAT} index`)
  const binPath = join(dirname(indexPath), index.file)
  const size = statSync(binPath).size
  if (size !== index.bytes) throw new Error(`${binPath}: ${size} bytes, the index says ${index.bytes}`)
  const buf = readFileSync(binPath)
  const sha = createHash('sha256').update(buf).digest('hex')
  if (sha !== index.sha256) throw new Error(`${binPath}: checksum mismatch (the file is damaged)`)
  // copy into an aligned buffer: Buffer pools may start at any byte offset
  const all = new Float32Array(index.bytes / 4)
  new Uint8Array(all.buffer).set(buf)
  const out = new Map<string, TensorEntry>()
  for (const t of index.tensors) {
    out.set(t.name, { name: t.name, shape: t.shape, data: all.subarray(t.offset / 4, t.offset / 4 + t.length) })
  }
  return out
}

/** Tensors of a module as entries named `<prefix><name>` (values read back from the backend). */
export function tensorEntries(tensors: readonly NamedTensor[], prefix = ''): TensorEntry[] {
  return tensors.map((t) => ({ name: prefix + t.name, shape: t.tensor.shape.slice(), data: t.tensor.dataSync() as Float32Array }))
}

/**
 * Assigns stored values to a module's tf.Variables (parameters and buffers), by `<prefix><name>`.
 * Every variable must be present with the same shape.
 */
export function assignEntries(tensors: readonly NamedTensor[], entries: ReadonlyMap<string, TensorEntry>, prefix = '', source = 'checkpoint'): void {
  for (const t of tensors) {
    const e = entries.get(prefix + t.name)
    if (!e) throw new Error(`${source}: no values for '${prefix + t.name}'`)
    const shape = t.tensor.shape
    if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${source}: '${prefix + t.name}' has shape ${JSON.stringify(e.shape)}, expected ${JSON.stringify(shape)}`)
    }
    if (!(t.tensor instanceof tf.Variable)) throw new Error(`${source}: '${t.name}' is not a variable`)
    const v = t.tensor
    tf.tidy(() => v.assign(tf.tensor(e.data.slice(), e.shape, 'float32')))
  }
}
