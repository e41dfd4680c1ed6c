/**
 * A byte-bounded LRU cache of decoded RGB images, keyed by anything. Concurrent misses share one
 * pending load; a failed load is dropped so a later call retries. Plain TypedArray work (no tfjs).
 */
import type { Rgb8Image } from './image-ops'

/** Loads an image at [height, width, 3]. */
export type Rgb8Loader = (path: string, height: number, width: number) => Promise<Rgb8Image>

export interface ImageLruOptions {
  load: Rgb8Loader
  /** decoded bytes to hold at most (pending loads count once they are decoded) */
  maxBytes: number
  /** what an image is called in the size-mismatch error, e.g. 'texture' */
  noun: string
  /** what an image is called in the load-failure error, e.g. 'training image' */
  failureNoun?: string
}

export class ImageLru<K> {
  /** key -> pending or decoded image (Map iteration order = recency) */
  private readonly cache = new Map<K, { image: Promise<Rgb8Image>; bytes: number }>()
  private cachedBytes = 0
  private readonly load: Rgb8Loader
  private readonly maxBytes: number
  private readonly noun: string
  private readonly failureNoun: string

  constructor(options: ImageLruOptions) {
    this.load = options.load
    this.maxBytes = options.maxBytes
    this.noun = options.noun
    this.failureNoun = options.failureNoun ?? options.noun
  }

  /** Decoded bytes held now. */
  get bytes(): number {
    return this.cachedBytes
  }

  clear(): void {
    this.cache.clear()
    this.cachedBytes = 0
  }

  /**
   * The image for key from the cache, or else `load(path, height, width)`, checked to be
   * [height, width, 3]; load errors are wrapped with the path.
   */
  get(key: K, path: string, height: number, width: number): Promise<Rgb8Image> {
    const hit = this.cache.get(key)
    if (hit) {
      this.cache.delete(key) // re-insert: most recently used last
      this.cache.set(key, hit)
      return hit.image
    }
    const image = this.load(path, height, width).then(
      (img) => {
        if (img.height !== height || img.width !== width || img.data.length !== height * width * 3) {
          throw new Error(`${this.noun} ${path} loaded as ${img.height}x${img.width}, expected ${height}x${width}x3`)
        }
        return img
      },
      (err: unknown) => {
        throw new Error(`cannot load ${this.failureNoun} ${path}: ${err instanceof Error ? err.message : String(err)}`)
      }
    )
    const entry = { image, bytes: 0 }
    this.cache.set(key, entry)
    image.then(
      (img) => {
        if (this.cache.get(key) !== entry) return // evicted or cleared meanwhile
        entry.bytes = img.data.byteLength
        this.cachedBytes += entry.bytes
        this.evict()
      },
      () => {
        if (this.cache.get(key) === entry) this.cache.delete(key) // a later call retries
      }
    )
    return image
  }

  private evict(): void {
    for (const [key, entry] of this.cache) {
      if (this.cachedBytes <= this.maxBytes) break
      if (entry.bytes === 0) continue // still loading
      this.cache.delete(key)
      this.cachedBytes -= entry.bytes
    }
  }
}
