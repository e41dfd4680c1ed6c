/**
 * Reader for PyTorch checkpoints written by torch.save() in the zip format (torch >= 1.6, e.g.
 * torchvision's resnet18-f37072fd.pth): `<archive>/data.pkl` (a pickle whose tensors point at
 * storages by persistent id) plus `<archive>/data/<key>` raw little-endian storages.
 * Only the state_dict subset is supported: OrderedDict/dict of tensors (and plain numbers).
 */
import { readFileSync } from 'node:fs'
import { unzipSync } from 'fflate'
import { PickleGlobal, unpickle } from './pickle'

export type TorchDtype = 'float32' | 'float64' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool'

/** One tensor, materialised in C order. Floating dtypes decode to Float32Array (float64 to Float64Array). */
export interface TorchTensor {
  readonly dtype: TorchDtype
  readonly shape: readonly number[]
  readonly data: Float32Array | Float64Array
}

/** A state_dict: parameter name -> tensor, in checkpoint order. */
export type TorchStateDict = Map<string, TorchTensor>

const STORAGE_DTYPES: Record<string, { dtype: TorchDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 }
}

/** A decoded storage (flat, element-indexed). */
class Storage {
  constructor(
    readonly dtype: TorchDtype,
    readonly values: Float32Array | Float64Array
  ) {}
}

/** Reads a torch.save() zip checkpoint into a flat name -> tensor map. Errors name the file. */
export function readTorchStateDict(path: string): TorchStateDict {
  let bytes: Uint8Array
  try {
    const buf = readFileSync(path)
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) // a plain Uint8Array: slice() copies
  } catch (err) {
    throw new Error(`${path}: cannot read file (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  return parseTorchStateDict(bytes, path)
}

export function parseTorchStateDict(bytes: Uint8Array, label: string): TorchStateDict {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new Error(`${label}: not a zip-format torch checkpoint (legacy torch.save format is not supported; re-save with torch >= 1.6)`)
  }
  let files: Record<string, Uint8Array>
  try {
    files = unzipSync(bytes)
  } catch (err) {
    throw new Error(`${label}: corrupt zip archive (${(err as Error).message})`)
  }
  const pklName = Object.keys(files).find((n) => n === 'data.pkl' || n.endsWith('/data.pkl'))
  if (!pklName) throw new Error(`${label}: no data.pkl in the archive`)
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length)
  const byteorder = files[`${prefix}byteorder`]
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new Error(`${label}: big-endian checkpoints are not supported`)
  }
  const storages = new Map<string, Storage>()

  const loadStorage = (pid: unknown): Storage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || !(pid[1] instanceof PickleGlobal)) {
      throw new Error(`${label}: unsupported persistent id in data.pkl`)
    }
    const type = STORAGE_DTYPES[pid[1].name]
    const key = String(pid[2])
    if (!type) throw new Error(`${label}: unsupported storage type ${pid[1].qualifiedName} (storage ${key})`)
    const cached = storages.get(key)
    if (cached) return cached
    const raw = files[`${prefix}data/${key}`]
    if (!raw) throw new Error(`${label}: storage data/${key} missing from the archive`)
    if (raw.length % type.bytes !== 0) throw new Error(`${label}: storage data/${key} has a partial element`)
    const storage = new Storage(type.dtype, decodeStorage(raw, type.dtype))
    storages.set(key, storage)
    return storage
  }

  const root = unpickle(
    files[pklName],
    {
      persistentLoad: loadStorage,
      reduce: (fn, args) => {
        switch (fn.qualifiedName) {
          case 'collections.OrderedDict':
            return new Map()
          case 'torch._utils._rebuild_tensor_v2':
          case 'torch._utils._rebuild_tensor':
            return rebuildTensor(args, label)
          case 'torch._utils._rebuild_parameter':
          case 'torch._utils._rebuild_parameter_with_state':
            return args[0]
          default:
            throw new Error(`${label}: unsupported object ${fn.qualifiedName} in data.pkl`)
        }
      }
    },
    label
  )
  const stateDict = root instanceof Map && root.has('state_dict') ? root.get('state_dict') : root
  if (!(stateDict instanceof Map)) throw new Error(`${label}: data.pkl does not hold a state_dict`)
  const out: TorchStateDict = new Map()
  for (const [k, v] of stateDict) {
    if (typeof k === 'string' && isTorchTensor(v)) out.set(k, v)
  }
  return out
}

function isTorchTensor(v: unknown): v is TorchTensor {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'shape' in v && 'data' in v
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
function rebuildTensor(args: unknown[], label: string): TorchTensor {
  const [storage, offset, size, stride] = args
  if (!(storage instanceof Storage) || typeof offset !== 'number' || !isIntArray(size) || !isIntArray(stride)) {
    throw new Error(`${label}: malformed tensor record in data.pkl`)
  }
  const count = size.reduce((a, b) => a * b, 1)
  const out = storage.values instanceof Float64Array ? new Float64Array(count) : new Float32Array(count)
  // Walk the C-order index, mapping it through the strides.
  const index = new Array<number>(size.length).fill(0)
  for (let i = 0; i < count; i++) {
    let src = offset
    for (let d = 0; d < size.length; d++) src += index[d] * stride[d]
    if (src >= storage.values.length) throw new Error(`${label}: tensor view exceeds its storage`)
    out[i] = storage.values[src]
    for (let d = size.length - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break
      index[d] = 0
    }
  }
  return { dtype: storage.dtype, shape: size, data: out }
}

function isIntArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x))
}

function decodeStorage(raw: Uint8Array, dtype: TorchDtype): Float32Array | Float64Array {
  const aligned = raw.byteOffset % 8 === 0 ? raw : Uint8Array.prototype.slice.call(raw)
  const buf = aligned.buffer
  const at = aligned.byteOffset
  const n = aligned.byteLength
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf.slice(at, at + n))
    case 'float64':
      return new Float64Array(buf.slice(at, at + n))
    case 'float16':
    case 'bfloat16': {
      const h = new Uint16Array(buf, at, n / 2)
      const out = new Float32Array(h.length)
      const f32 = new Float32Array(1)
      const u32 = new Uint32Array(f32.buffer)
      for (let i = 0; i < h.length; i++) {
        if (dtype === 'bfloat16') {
          u32[0] = h[i] << 16
          out[i] = f32[0]
        } else {
          out[i] = halfToFloat(h[i])
        }
      }
      return out
    }
    case 'int64':
      return Float64Array.from(new BigInt64Array(buf, at, n / 8), (x) => Number(x))
    case 'int32':
      return Float64Array.from(new Int32Array(buf, at, n / 4))
    case 'int16':
      return Float64Array.from(new Int16Array(buf, at, n / 2))
    case 'int8':
      return Float64Array.from(new Int8Array(buf, at, n))
    case 'uint8':
    case 'bool':
      return Float64Array.from(new Uint8Array(buf, at, n))
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024)
  if (exp === 31) return frac ? NaN : sign * Infinity
  return sign * 2 ** (exp - 15) * (1 + frac / 1024)
}
