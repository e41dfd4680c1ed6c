/**
 * A minimal Python unpickler: the opcode subset (protocols 2-4) that torch.save() writes for a
 * state_dict. It never runs code: GLOBAL/STACK_GLOBAL push a {@link PickleGlobal} and REDUCE,
 * NEWOBJ and persistent ids are resolved by the caller's {@link PickleHooks}.
 * Lists and tuples become arrays, dicts become Maps.
 */

/** A reference to module.name, as pushed by GLOBAL. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`
  }
}

export interface PickleHooks {
  /** REDUCE / NEWOBJ: build the object for `callable(*args)`. Throw for anything unsupported. */
  reduce(callable: PickleGlobal, args: unknown[]): unknown
  /** BINPERSID: resolve a persistent id (torch uses ('storage', type, key, location, numel)). */
  persistentLoad(pid: unknown): unknown
}

const MARK = Symbol('mark')

/** Unpickles `bytes`; `label` (a file name) prefixes every error. */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks, label: string): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const text = new TextDecoder('utf-8')
  const latin1 = new TextDecoder('latin1')
  const stack: unknown[] = []
  const memo = new Map<number, unknown>()
  let pos = 0

  const fail = (why: string): never => {
    throw new Error(`${label}: pickle: ${why} (at byte ${pos})`)
  }
  const need = (n: number): void => {
    if (pos + n > bytes.length) fail('unexpected end of data')
  }
  const u8 = (): number => {
    need(1)
    return bytes[pos++]
  }
  const u16 = (): number => {
    need(2)
    const v = view.getUint16(pos, true)
    pos += 2
    return v
  }
  const u32 = (): number => {
    need(4)
    const v = view.getUint32(pos, true)
    pos += 4
    return v
  }
  const take = (n: number): Uint8Array => {
    need(n)
    const out = bytes.subarray(pos, pos + n)
    pos += n
    return out
  }
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos)
    if (end < 0) fail('unterminated text line')
    const s = latin1.decode(bytes.subarray(pos, end))
    pos = end + 1
    return s
  }
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow')
    return stack.pop()
  }
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow')
    return stack[stack.length - 1]
  }
  /** Pops everything down to the last MARK and returns it (in order). */
  const popMark = (): unknown[] => {
    const at = stack.lastIndexOf(MARK)
    if (at < 0) fail('MARK not found')
    const items = stack.slice(at + 1)
    stack.length = at
    return items
  }
  const asMap = (v: unknown): Map<unknown, unknown> =>
    v instanceof Map ? v : fail(`expected a dict, found ${describe(v)}`)
  const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : fail(`expected a list, found ${describe(v)}`))
  const asGlobal = (v: unknown): PickleGlobal =>
    v instanceof PickleGlobal ? v : fail(`expected a class or function, found ${describe(v)}`)
  const signedLong = (b: Uint8Array): number | bigint => {
    let v = 0n
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i])
    if (b.length > 0 && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length)
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  }

  for (;;) {
    const op = u8()
    switch (op) {
      case 0x80: // PROTO
        u8()
        break
      case 0x95: // FRAME
        take(8)
        break
      case 0x2e: // STOP
        return pop()
      case 0x28: // MARK
        stack.push(MARK)
        break
      case 0x30: // POP
        pop()
        break
      case 0x31: // POP_MARK
        popMark()
        break
      case 0x32: // DUP
        stack.push(top())
        break
      case 0x4e: // NONE
        stack.push(null)
        break
      case 0x88: // NEWTRUE
        stack.push(true)
        break
      case 0x89: // NEWFALSE
        stack.push(false)
        break
      case 0x4b: // BININT1
        stack.push(u8())
        break
      case 0x4d: // BININT2
        stack.push(u16())
        break
      case 0x4a: {
        // BININT
        need(4)
        stack.push(view.getInt32(pos, true))
        pos += 4
        break
      }
      case 0x8a: // LONG1
        stack.push(signedLong(take(u8())))
        break
      case 0x47: {
        // BINFLOAT (big-endian double)
        need(8)
        stack.push(view.getFloat64(pos, false))
        pos += 8
        break
      }
      case 0x58: // BINUNICODE
        stack.push(text.decode(take(u32())))
        break
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text.decode(take(u8())))
        break
      case 0x8d: {
        // BINUNICODE8
        const lo = u32()
        const hi = u32()
        stack.push(text.decode(take(hi * 2 ** 32 + lo)))
        break
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice())
        break
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice())
        break
      case 0x7d: // EMPTY_DICT
        stack.push(new Map())
        break
      case 0x5d: // EMPTY_LIST
        stack.push([])
        break
      case 0x29: // EMPTY_TUPLE
        stack.push([])
        break
      case 0x85: // TUPLE1
        stack.push([pop()])
        break
      case 0x86: {
        // TUPLE2
        const b = pop()
        stack.push([pop(), b])
        break
      }
      case 0x87: {
        // TUPLE3
        const c = pop()
        const b = pop()
        stack.push([pop(), b, c])
        break
      }
      case 0x74: // TUPLE
      case 0x6c: // LIST
        stack.push(popMark())
        break
      case 0x64: {
        // DICT
        const items = popMark()
        const d = new Map<unknown, unknown>()
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1])
        stack.push(d)
        break
      }
      case 0x61: {
        // APPEND
        const v = pop()
        asArray(top()).push(v)
        break
      }
      case 0x65: {
        // APPENDS
        const items = popMark()
        asArray(top()).push(...items)
        break
      }
      case 0x73: {
        // SETITEM
        const v = pop()
        const k = pop()
        asMap(top()).set(k, v)
        break
      }
      case 0x75: {
        // SETITEMS
        const items = popMark()
        const d = asMap(top())
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i], items[i + 1])
        break
      }
      case 0x71: // BINPUT
        memo.set(u8(), top())
        break
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top())
        break
      case 0x94: // MEMOIZE
        memo.set(memo.size, top())
        break
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? u8() : u32()
        if (!memo.has(key)) fail(`memo key ${key} not found`)
        stack.push(memo.get(key))
        break
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line()
        stack.push(new PickleGlobal(module, line()))
        break
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop()
        const module = pop()
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings')
        stack.push(new PickleGlobal(module as string, name as string))
        break
      }
      case 0x52: // REDUCE
      case 0x81: {
        // NEWOBJ
        const args = asArray(pop())
        stack.push(hooks.reduce(asGlobal(pop()), args))
        break
      }
      case 0x62: {
        // BUILD: set state on the object below. torch's OrderedDict carries `_metadata`; ignored.
        pop()
        top()
        break
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()))
        break
      default:
        fail(`unsupported opcode 0x${op.toString(16).padStart(2, '0')}`)
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return 'None'
  if (v instanceof PickleGlobal) return v.qualifiedName
  return Array.isArray(v) ? 'a tuple/list' : typeof v
}
