/**
 * A small seeded pseudo-random generator for the engine's plain-TypeScript work (anomaly
 * synthesis, sampling, shuffling). Tensor initialisers use tfjs's own seeded ops (nn/init.ts);
 * this one has no tfjs dependency so it runs in any worker.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state, passes
 * PractRand), its state filled from the seed by splitmix32. Streams are derived by mixing a stream
 * id into the seed, so independent consumers (one per data-loader worker, say) never share draws.
 */

/** splitmix32: a well-mixed 32-bit output for each step of a Weyl sequence; used for seeding only. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0
  let z = state.s
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** The serialisable state of a Random (four uint32 words), for checkpoints. */
export type RandomState = [number, number, number, number]

export class Random {
  private a = 0
  private b = 0
  private c = 0
  private d = 0

  /**
   * @param seed any finite number; integers up to 2^53 are used in full (high and low words).
   * @param stream an optional stream id; different streams of one seed are independent.
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isFinite(seed)) throw new Error(`Random: seed must be a finite number, got ${seed}`)
    const hi = Math.floor(seed / 2 ** 32) >>> 0
    const mix = { s: (seed >>> 0) ^ Math.imul(hi, 0x27d4eb2f) ^ Math.imul(stream >>> 0, 0x165667b1) }
    this.a = splitmix32(mix)
    this.b = splitmix32(mix)
    this.c = splitmix32(mix)
    this.d = splitmix32(mix) | 1
    for (let i = 0; i < 12; i++) this.nextUint32() // warm up
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** U[0, 1) with 32 bits of resolution (like torch.rand / np.random.rand, up to precision). */
  next(): number {
    return this.nextUint32() / 4294967296
  }

  /** U[lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  /** A uniform integer in [lo, hi) (like torch.randint(lo, hi)); unbiased by rejection. */
  int(lo: number, hi: number): number {
    const n = hi - lo
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || n <= 0 || n > 2 ** 32) {
      throw new Error(`Random.int: need integers lo < hi within 2^32, got [${lo}, ${hi})`)
    }
    const limit = 4294967296 - (4294967296 % n)
    let x = this.nextUint32()
    while (x >= limit) x = this.nextUint32()
    return lo + (x % n)
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Random.pick: empty list')
    return items[this.int(0, items.length)]
  }

  /** A Fisher-Yates shuffle of a copy of `items`. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i + 1)
      const t = out[i]
      out[i] = out[j]
      out[j] = t
    }
    return out
  }

  /** The current state, to resume the same sequence later with setState(). */
  getState(): RandomState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0]
  }

  setState(state: RandomState): void {
    ;[this.a, this.b, this.c, this.d] = state.map((v) => v | 0)
  }
}
