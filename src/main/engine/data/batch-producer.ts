/**
 * Training batches for DeSTSeg: normal images from a category's train/good folder, decoded and
 * resized with sharp, augmented and turned into synthetic anomalies by the AnomalySynthesizer,
 * ImageNet-normalised. Plain TypedArray work (no tfjs), so it runs in a data-loading worker.
 *
 * Each batch is a pure function of (spec, step): the images of step s are the samples
 * g = s*B .. s*B+B-1 of a sequence of seeded epoch permutations, and sample g's synthesis draws come
 * from its own random stream. So batches do not depend on timing, on which thread makes them, on
 * how far ahead they are made, or on where a run was resumed.
 */
import { Random } from '../random'
import {
  AnomalySynthesizer,
  downsampleMask,
  type NormalAugmentation,
  type OpacityMode,
  type TextureColour,
  type TextureLoader
} from '../synthesis/anomaly-synthesizer'
import { loadRgb8, rgb8ToFloat, type Rgb8Image } from '../synthesis/image-ops'
import { ImageLru } from '../synthesis/image-lru'
import { normalizeImageNetInPlace } from './normalize'

/** What batches are made of; plain JSON so it can be posted to a worker. */
export interface BatchSpec {
  /** normal training images (absolute paths, in a fixed order) */
  images: string[]
  /** anomaly sources A */
  textures: string[]
  /** input size (square), a multiple of 32 */
  size: number
  batch: number
  seed: number
  opacity: OpacityMode
  augmentation: NormalAugmentation
  /** default 'as_is' */
  textureColour?: TextureColour
}

/**
 * One training batch, NHWC row-major float32.
 * normal I_n and anomalous I_a: [B, H, W, 3], ImageNet-normalised;
 * mask: the phase-2 target, M resized to the segmentation output size (H/4) and binarised,
 * [B, H/4, W/4, 1] of 0 and 1.
 */
export interface TrainBatch {
  /** global step index (0-based, phase 1 then phase 2) */
  step: number
  batch: number
  size: number
  /** mask side, size / 4 */
  maskSize: number
  normal: Float32Array
  anomalous: Float32Array
  mask: Float32Array
  /** indices into spec.images of the batch's samples */
  imageIndices: number[]
}

/** Loads a normal image as [height, width, 3] uint8; the default is loadRgb8 (sharp). */
export type ImageLoader = (path: string, height: number, width: number) => Promise<Rgb8Image>

export interface BatchProducerOptions {
  /** bound of the decoded-image cache; default 256 MiB (about 1300 images at 256x256) */
  imageCacheBytes?: number
  loadImage?: ImageLoader
  loadTexture?: TextureLoader
}

/** Random streams of a seed: epoch permutations on even ids, per-sample synthesis on odd ones. */
const epochStream = (epoch: number): number => (2 * epoch) >>> 0
const sampleStream = (sample: number): number => (2 * sample + 1) >>> 0

/** Checks a spec; throws with what is wrong. */
export function checkBatchSpec(spec: BatchSpec): void {
  if (spec.images.length === 0) throw new Error('no training images')
  if (spec.textures.length === 0) throw new Error('no texture images')
  if (!(Number.isInteger(spec.size) && spec.size >= 32 && spec.size % 32 === 0)) {
    throw new Error(`input size must be a multiple of 32, got ${spec.size}`)
  }
  if (!(Number.isInteger(spec.batch) && spec.batch >= 1)) throw new Error(`batch size must be a positive integer, got ${spec.batch}`)
  if (!Number.isInteger(spec.seed) || spec.seed < 0) throw new Error(`seed must be a non-negative integer, got ${spec.seed}`)
}

export class BatchProducer {
  readonly spec: BatchSpec
  private readonly synthesizer: AnomalySynthesizer
  /** index -> decoded image */
  private readonly cache: ImageLru<number>
  private readonly permutations = new Map<number, number[]>()

  constructor(spec: BatchSpec, options: BatchProducerOptions = {}) {
    checkBatchSpec(spec)
    this.spec = { ...spec, images: spec.images.slice(), textures: spec.textures.slice() }
    this.synthesizer = new AnomalySynthesizer({
      size: spec.size,
      textures: spec.textures,
      seed: spec.seed,
      opacity: spec.opacity,
      augmentation: spec.augmentation,
      textureColour: spec.textureColour,
      loadTexture: options.loadTexture
    })
    this.cache = new ImageLru({
      load: options.loadImage ?? loadRgb8,
      maxBytes: options.imageCacheBytes ?? 256 * 2 ** 20,
      noun: 'image',
      failureNoun: 'training image'
    })
  }

  /** The images (indices into spec.images) of a step: samples step*B .. step*B+B-1 of the epoch permutations. */
  sampleIndices(step: number): number[] {
    if (!(Number.isInteger(step) && step >= 0)) throw new Error(`step must be a non-negative integer, got ${step}`)
    const n = this.spec.images.length
    const out: number[] = []
    for (let j = 0; j < this.spec.batch; j++) {
      const g = step * this.spec.batch + j
      out.push(this.permutation(Math.floor(g / n))[g % n])
    }
    return out
  }

  /** The batch of a global step. Calls may overlap; each result depends only on the step. */
  async produce(step: number): Promise<TrainBatch> {
    const { size, batch } = this.spec
    const indices = this.sampleIndices(step)
    const images = await Promise.all(indices.map((i) => this.image(i)))
    const maskSize = size / 4
    const px = size * size * 3
    const normal = new Float32Array(batch * px)
    const anomalous = new Float32Array(batch * px)
    const mask = new Float32Array(batch * maskSize * maskSize)
    for (let j = 0; j < batch; j++) {
      // Setting the synthesizer to sample g's own stream makes the draws independent of order;
      // synthesize() takes all its draws before its first await.
      this.synthesizer.setState(new Random(this.spec.seed, sampleStream(step * batch + j)).getState())
      const sample = await this.synthesizer.synthesize(rgb8ToFloat(images[j]))
      normal.set(normalizeImageNetInPlace(sample.normal), j * px)
      anomalous.set(normalizeImageNetInPlace(sample.anomalous), j * px)
      mask.set(downsampleMask(sample.mask, size, size, maskSize, maskSize), j * maskSize * maskSize)
    }
    return { step, batch, size, maskSize, normal, anomalous, mask, imageIndices: indices }
  }

  /** A Fisher-Yates permutation of the image indices for an epoch (its own stream; the last few kept). */
  private permutation(epoch: number): number[] {
    let p = this.permutations.get(epoch)
    if (!p) {
      const ids = Array.from({ length: this.spec.images.length }, (_, i) => i)
      p = new Random(this.spec.seed, epochStream(epoch)).shuffled(ids)
      this.permutations.set(epoch, p)
      for (const key of this.permutations.keys()) {
        if (this.permutations.size <= 4) break
        this.permutations.delete(key)
      }
    }
    return p
  }

  /** A decoded, resized image from the LRU cache; concurrent misses share one load. */
  private image(index: number): Promise<Rgb8Image> {
    const { size } = this.spec
    return this.cache.get(index, this.spec.images[index], size, size)
  }
}
