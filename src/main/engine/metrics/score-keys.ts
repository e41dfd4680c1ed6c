/**
 * Float32 scores as order-preserving int32 keys, and a radix sort of such keys.
 *
 * The key of a float32 compares (as a signed int32) like the float: the raw bits of a positive
 * number, the bits with the 31 magnitude bits flipped for a negative one. -0 gets the key of +0 so
 * the two zeros tie, as they do in comparisons. Equal keys are exactly equal float32 scores, so tie
 * groups are exact. Everything stays in int32 arithmetic, which V8 keeps unboxed.
 */

const f32 = new Float32Array(1)
const i32 = new Int32Array(f32.buffer)

/** The largest key of a non-NaN score (+Infinity's); positive NaNs have larger keys. */
export const MAX_KEY = 0x7f800000
/** The smallest key of a non-NaN score (-Infinity's); negative NaNs have smaller keys. */
export const MIN_KEY = 0xff800000 ^ 0x7fffffff

/** Order-preserving key of raw float32 bits (as int32); a NaN's key is outside [MIN_KEY, MAX_KEY]. */
export function bitsKey(bits: number): number {
  return bits >= 0 ? bits : bits === -2147483648 ? 0 : bits ^ 0x7fffffff
}

/** The order-preserving key of a float32 value (rounded to float32 first). */
export function floatKey(value: number): number {
  f32[0] = value
  return bitsKey(i32[0])
}

/** The float32 value of a key from floatKey. */
export function keyFloat(key: number): number {
  i32[0] = key >= 0 ? key : key ^ 0x7fffffff
  return f32[0]
}

/** Buckets of the first sort pass: the top 16 bits of a key. */
export const PREFIXES = 65536

/** [65536] how many keys fall in each first-pass bucket: (key >>> 16) ^ 0x8000, the top 16 bits with the sign flipped so buckets ascend with the keys. */
export function prefixCounts(keys: Int32Array): Uint32Array {
  const counts = new Uint32Array(PREFIXES)
  for (let i = 0; i < keys.length; i++) counts[(keys[i] >>> 16) ^ 0x8000]++
  return counts
}

/** Buckets smaller than this are insertion-sorted. */
const SMALL = 48

/** [65537] exclusive prefix sums of bucket counts: bucket b occupies [start[b], start[b + 1]). */
export function bucketStarts(counts: ArrayLike<number>): Uint32Array {
  const start = new Uint32Array(PREFIXES + 1)
  for (let b = 0; b < PREFIXES; b++) start[b + 1] = start[b] + counts[b]
  return start
}

/**
 * Sorts `keys` ascending in place, permuting `payload` (same length) alongside when given.
 * Most-significant-digit first: one scatter by the top 16 bits (see prefixCounts; `counts` from
 * prefixCounts, or computed here), then sortBuckets. Not stable.
 */
export function sortKeys(keys: Int32Array, payload: Uint32Array | null = null, counts?: Uint32Array): void {
  const n = keys.length
  if (payload && payload.length !== n) throw new Error(`sortKeys: ${payload.length} payload values for ${n} keys`)
  if (n < 2) return
  const start = bucketStarts(counts ?? prefixCounts(keys))
  if (start[PREFIXES] !== n) throw new Error(`sortKeys: prefix counts sum to ${start[PREFIXES]}, not ${n}`)
  const fill = start.slice(0, PREFIXES)
  const tmp = new Int32Array(n)
  const tmpPayload = payload ? new Uint32Array(n) : null
  if (payload && tmpPayload) {
    for (let i = 0; i < n; i++) {
      const slot = fill[(keys[i] >>> 16) ^ 0x8000]++
      tmp[slot] = keys[i]
      tmpPayload[slot] = payload[i]
    }
  } else {
    for (let i = 0; i < n; i++) tmp[fill[(keys[i] >>> 16) ^ 0x8000]++] = keys[i]
  }
  sortBuckets(tmp, tmpPayload, start, keys, payload)
}

/**
 * Second stage of the sort: `src` holds keys grouped by bucket (bucket b in [start[b], start[b+1]),
 * buckets ascending); writes each bucket sorted by its low 16 bits into the same slots of `dst`
 * (two 8-bit counting passes through a scratch buffer, or insertion sort when small), so the whole
 * of `dst` ends up ascending. Buckets stay in cache while they are small.
 */
export function sortBuckets(
  src: Int32Array,
  srcPayload: Uint32Array | null,
  start: Uint32Array,
  dst: Int32Array,
  dstPayload: Uint32Array | null
): void {
  let maxBucket = 0
  for (let b = 0; b < PREFIXES; b++) maxBucket = Math.max(maxBucket, start[b + 1] - start[b])
  const scratch = new Int32Array(maxBucket)
  const scratchPayload = srcPayload ? new Uint32Array(maxBucket) : null
  const h = new Uint32Array(512)
  for (let b = 0; b < PREFIXES; b++) {
    const lo = start[b]
    const hi = start[b + 1]
    if (hi - lo < SMALL) {
      if (hi > lo) insertionSort(src, srcPayload, dst, dstPayload, lo, hi)
      continue
    }
    h.fill(0)
    for (let i = lo; i < hi; i++) {
      const k = src[i]
      h[k & 255]++
      h[256 + ((k >>> 8) & 255)]++
    }
    let s0 = 0
    let s1 = 0
    for (let d = 0; d < 256; d++) {
      const c0 = h[d]
      h[d] = s0
      s0 += c0
      const c1 = h[256 + d]
      h[256 + d] = lo + s1
      s1 += c1
    }
    if (srcPayload && dstPayload && scratchPayload) {
      for (let i = lo; i < hi; i++) {
        const slot = h[src[i] & 255]++
        scratch[slot] = src[i]
        scratchPayload[slot] = srcPayload[i]
      }
      for (let i = 0; i < hi - lo; i++) {
        const slot = h[256 + ((scratch[i] >>> 8) & 255)]++
        dst[slot] = scratch[i]
        dstPayload[slot] = scratchPayload[i]
      }
    } else {
      for (let i = lo; i < hi; i++) scratch[h[src[i] & 255]++] = src[i]
      for (let i = 0; i < hi - lo; i++) dst[h[256 + ((scratch[i] >>> 8) & 255)]++] = scratch[i]
    }
  }
}

/** Sorts src[lo, hi) into dst[lo, hi) (with payloads when given). */
function insertionSort(
  src: Int32Array,
  srcPayload: Uint32Array | null,
  dst: Int32Array,
  dstPayload: Uint32Array | null,
  lo: number,
  hi: number
): void {
  for (let i = lo; i < hi; i++) {
    const k = src[i]
    const p = srcPayload ? srcPayload[i] : 0
    let j = i - 1
    while (j >= lo && dst[j] > k) {
      dst[j + 1] = dst[j]
      if (dstPayload) dstPayload[j + 1] = dstPayload[j]
      j--
    }
    dst[j + 1] = k
    if (dstPayload) dstPayload[j + 1] = p
  }
}

/** Index of the first key >= `key` in ascending `sorted[lo, hi)` (hi when none). */
export function lowerBound(sorted: Int32Array, key: number, lo = 0, hi = sorted.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < key) lo = mid + 1
    else hi = mid
  }
  return lo
}
