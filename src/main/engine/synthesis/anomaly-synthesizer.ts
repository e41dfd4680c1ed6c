/**
 * Online synthetic anomalies for training (DeSTSeg Sec. 3.2, Eq. 1; reference `MVTecDataset`
 * training branch + `perlin_noise()`): augment the normal image, draw a Perlin mask M, blend a
 * texture A into the masked region.
 *
 * Plain TypedArray math with a seeded generator, so it runs in a data-loading worker and the same
 * seed gives the same samples.
 */
import type { NormalAugmentation, OpacityMode, TextureColour } from '../../../common/types/training'
import { Random, type RandomState } from '../random'
import {
  loadRgb8,
  resizeBilinear,
  rotateImage,
  toRgbFloat,
  type FloatImage,
  type Rgb8Image
} from './image-ops'
import { ImageLru } from './image-lru'
import { perlinMask, type PerlinMaskOptions } from './perlin-noise'

/**
 * How the blend factor is drawn. `beta` below is the weight the normal image keeps inside the mask;
 * the texture's opacity is 1 - beta.
 * - 'reference': beta = U[0, 1) * 0.8 (the authors' code): opacity in (0.2, 1].
 * - 'paper': opacity ~ U[0.15, 1] as Eq. (1) states (its beta is our opacity): beta = U[0, 1) * 0.85.
 */
export type { OpacityMode } from '../../../common/types/training'

/** The largest beta per mode (beta = U[0, 1) * BETA_MAX[mode]). */
export const BETA_MAX: Readonly<Record<OpacityMode, number>> = { reference: 0.8, paper: 0.85 }

/**
 * Augmentation of the normal image before synthesis (reference `rotate_90`, `random_rotate`):
 * - 'none' (capsule, metal_nut, pill, toothbrush, transistor),
 * - 'rotate': U[-5, 5] degrees (wood, zipper, cable),
 * - 'rotate90': a random multiple of 90 degrees, then U[-5, 5] degrees (bottle, grid, hazelnut,
 *   leather, tile, carpet, screw).
 * Rotations are PIL's (bilinear, about the centre, same size) with the fill FILL_VALUE.
 */
export type { NormalAugmentation, TextureColour } from '../../../common/types/training'

export const NORMAL_AUGMENTATIONS: readonly NormalAugmentation[] = ['none', 'rotate', 'rotate90']
export const OPACITY_MODES: readonly OpacityMode[] = ['reference', 'paper']
export const TEXTURE_COLOURS: readonly TextureColour[] = ['as_is', 'match']

/** The rotation fill (114, 114, 114) / 255. */
export const FILL_VALUE = 114 / 255

/** Maximum small-rotation angle in degrees. */
export const ROTATE_DEGREES = 5

/** Loads a texture as [height, width, 3] uint8; the default is loadRgb8 (sharp). */
export type TextureLoader = (path: string, height: number, width: number) => Promise<Rgb8Image>

export interface AnomalySynthesizerOptions {
  /** input size: one number for square, or [height, width] */
  size: number | readonly [number, number]
  /** anomaly sources A (DTD images in the paper); at least one */
  textures: readonly string[]
  seed: number
  /** an independent stream of the same seed (one per worker, say); default 0 */
  stream?: number
  /** default 'reference' */
  opacity?: OpacityMode
  /** default 'none' */
  augmentation?: NormalAugmentation
  /** default 'as_is' (the reference) */
  textureColour?: TextureColour
  /** bound of the decoded-texture cache; default 64 MiB (about 340 textures at 256x256) */
  textureCacheBytes?: number
  /** replaces the sharp loader (tests, or textures held elsewhere) */
  loadTexture?: TextureLoader
  /** overrides of the Perlin mask parameters (defaults: the reference's) */
  perlin?: PerlinMaskOptions
}

/** The random choices behind one sample. */
export interface SynthesisDraw {
  /** index into the texture list */
  textureIndex: number
  /** degrees of the random multiple-of-90 rotation (0 unless 'rotate90') */
  quarterTurn: number
  /** degrees of the small rotation (0 for 'none') */
  rotation: number
  /** Perlin lattice resolution (rows, columns) and mask rotation in degrees */
  perlinScaleY: number
  perlinScaleX: number
  perlinAngle: number
  /** weight of I_n inside the mask; the texture opacity is 1 - beta */
  beta: number
}

/** One training sample. Images are [height, width, 3] float32 in [0, 1]; the mask is [height, width]. */
export interface SyntheticSample {
  height: number
  width: number
  /** I_n: the augmented normal image (the teacher's input in phase 1) */
  normal: Float32Array
  /** I_a: the synthetic anomalous image, Eq. (1) */
  anomalous: Float32Array
  /** M: 0/1 */
  mask: Float32Array
  /** the texture path used as A */
  texture: string
  draw: SynthesisDraw
}

/**
 * Eq. (1) as the reference computes it:
 * I_a = I_n (1 - M) + (1 - beta) A M + beta I_n M, per pixel and channel.
 *
 * @param normal I_n, [H, W, 3] float32 in [0, 1]
 * @param texture A, [H, W, 3], uint8 (divided by 255) or float32 in [0, 1]
 * @param mask M, [H, W]
 * @returns I_a, [H, W, 3] float32
 */
export function blendAnomaly(
  normal: Float32Array,
  texture: Uint8Array | Float32Array,
  mask: Float32Array,
  beta: number
): Float32Array {
  const n = mask.length
  if (normal.length !== n * 3 || texture.length !== n * 3) {
    throw new Error(`blendAnomaly: sizes differ (normal ${normal.length}, texture ${texture.length}, mask ${n}x3)`)
  }
  const scale = texture instanceof Uint8Array ? 1 / 255 : 1
  const out = new Float32Array(n * 3)
  for (let p = 0, i = 0; p < n; p++, i += 3) {
    const m = mask[p]
    for (let c = 0; c < 3; c++) {
      const x = normal[i + c]
      const a = texture[i + c] * scale
      out[i + c] = x * (1 - m) + (1 - beta) * a * m + beta * x * m
    }
  }
  return out
}

/** Whether every pixel of an [H, W, 3] image has R = G = B. */
export function isGreyImage(image: Float32Array): boolean {
  for (let i = 0; i < image.length; i += 3) if (image[i] !== image[i + 1] || image[i] !== image[i + 2]) return false
  return true
}

/**
 * A texture turned grey: L = 0.299 R + 0.587 G + 0.114 B (ITU-R 601, as PIL's convert('L')) in all
 * three channels.
 * @param texture [H, W, 3], uint8 (divided by 255) or float32 in [0, 1]
 * @returns [H, W, 3] float32 in [0, 1]
 */
export function greyTexture(texture: Uint8Array | Float32Array): Float32Array {
  const scale = texture instanceof Uint8Array ? 1 / 255 : 1
  const out = new Float32Array(texture.length)
  for (let i = 0; i < texture.length; i += 3) {
    const l = (0.299 * texture[i] + 0.587 * texture[i + 1] + 0.114 * texture[i + 2]) * scale
    out[i] = out[i + 1] = out[i + 2] = l
  }
  return out
}

/** beta = U[0, 1) * BETA_MAX[mode]. */
export function sampleBeta(rng: Random, mode: OpacityMode): number {
  return rng.next() * BETA_MAX[mode]
}

/**
 * The normal-image augmentation. Draw order: the quarter turn ('rotate90' only, uniform over
 * 0/90/180/270), then the small angle ('rotate' and 'rotate90').
 * @param image [H, W, 3] float32; returned unchanged for 'none'
 */
export function augmentNormal(
  image: Float32Array,
  height: number,
  width: number,
  mode: NormalAugmentation,
  rng: Random
): { image: Float32Array; quarterTurn: number; rotation: number } {
  let quarterTurn = 0
  let rotation = 0
  if (mode === 'rotate90') quarterTurn = 90 * rng.int(0, 4)
  if (mode === 'rotate' || mode === 'rotate90') rotation = rng.uniform(-ROTATE_DEGREES, ROTATE_DEGREES)
  let out = image
  // two resamplings, as the reference rotates twice (the quarter turn is exact on square images)
  if (quarterTurn !== 0) out = rotateImage(out, height, width, 3, quarterTurn, FILL_VALUE, 'pil')
  if (rotation !== 0) out = rotateImage(out, height, width, 3, rotation, FILL_VALUE, 'pil')
  return { image: out, quarterTurn, rotation }
}

/**
 * The phase-2 target: M resized to the segmentation output size with bilinear half-pixel sampling
 * (F.interpolate, align_corners=False), then binarised at >= 0.5.
 * @param mask [height, width] 0/1
 * @returns [outHeight, outWidth] float32 0/1 (default 64 x 64)
 */
export function downsampleMask(
  mask: Float32Array,
  height: number,
  width: number,
  outHeight = 64,
  outWidth = outHeight
): Float32Array {
  const resized = resizeBilinear(mask, height, width, outHeight, outWidth)
  for (let i = 0; i < resized.length; i++) resized[i] = resized[i] >= 0.5 ? 1 : 0
  return resized
}

/**
 * Produces (I_n, I_a, M) from normal images, drawing textures from a list. Every sample gets an
 * anomaly (an empty mask is allowed, as in the reference with aug_prob 1).
 *
 * Deterministic for a seed: all random draws of a call happen synchronously, before the texture is
 * awaited, so samples depend only on the order of the calls.
 */
export class AnomalySynthesizer {
  readonly height: number
  readonly width: number
  readonly opacity: OpacityMode
  readonly augmentation: NormalAugmentation
  readonly textureColour: TextureColour
  private readonly textures: readonly string[]
  private readonly rng: Random
  private readonly perlin: PerlinMaskOptions
  /** LRU cache: path -> pending or decoded texture */
  private readonly cache: ImageLru<string>

  constructor(options: AnomalySynthesizerOptions) {
    const [height, width] = typeof options.size === 'number' ? [options.size, options.size] : options.size
    if (!(Number.isInteger(height) && Number.isInteger(width) && height > 0 && width > 0)) {
      throw new Error(`AnomalySynthesizer: bad size ${String(options.size)}`)
    }
    if (options.textures.length === 0) throw new Error('AnomalySynthesizer: no texture images given')
    this.height = height
    this.width = width
    this.textures = options.textures.slice()
    this.rng = new Random(options.seed, options.stream ?? 0)
    this.opacity = options.opacity ?? 'reference'
    this.augmentation = options.augmentation ?? 'none'
    this.textureColour = options.textureColour ?? 'as_is'
    this.cache = new ImageLru({
      load: options.loadTexture ?? loadRgb8,
      maxBytes: options.textureCacheBytes ?? 64 * 2 ** 20,
      noun: 'texture'
    })
    this.perlin = options.perlin ?? {}
    if (!BETA_MAX[this.opacity]) throw new Error(`AnomalySynthesizer: unknown opacity mode ${this.opacity}`)
    if (!NORMAL_AUGMENTATIONS.includes(this.augmentation)) {
      throw new Error(`AnomalySynthesizer: unknown augmentation ${this.augmentation}`)
    }
    if (!TEXTURE_COLOURS.includes(this.textureColour)) throw new Error(`AnomalySynthesizer: unknown texture colour ${this.textureColour}`)
  }

  /**
   * One sample from a normal image.
   * @param normal [height, width, C] float32 in [0, 1], C = 3 or 1 (grey is expanded to RGB),
   *   already at the synthesizer's size
   */
  async synthesize(normal: FloatImage): Promise<SyntheticSample> {
    const rgb = this.checkNormal(normal)
    const textureIndex = this.rng.int(0, this.textures.length)
    const { draw, normalImage, mask } = this.drawSample(rgb, textureIndex)
    const path = this.textures[textureIndex]
    const texture = await this.texture(path)
    return this.compose(normalImage, texture.data, mask, path, draw)
  }

  /**
   * One sample with a given texture A ([height, width, 3], uint8 or float32 in [0, 1]) instead of
   * a drawn one; the rest of the draw sequence is the same as synthesize()'s.
   */
  synthesizeWithTexture(normal: FloatImage, texture: Uint8Array | Float32Array): SyntheticSample {
    const rgb = this.checkNormal(normal)
    if (texture.length !== this.height * this.width * 3) {
      throw new Error(`texture has ${texture.length} values, expected ${this.height}x${this.width}x3`)
    }
    const textureIndex = this.rng.int(0, this.textures.length)
    const { draw, normalImage, mask } = this.drawSample(rgb, textureIndex)
    return this.compose(normalImage, texture, mask, this.textures[textureIndex], draw)
  }

  /** The generator state, to resume the same sample sequence (with the same options) later. */
  getState(): RandomState {
    return this.rng.getState()
  }

  setState(state: RandomState): void {
    this.rng.setState(state)
  }

  /** Decoded texture bytes held in the cache now. */
  get cacheSize(): number {
    return this.cache.bytes
  }

  clearCache(): void {
    this.cache.clear()
  }

  private checkNormal(normal: FloatImage): FloatImage {
    if (normal.height !== this.height || normal.width !== this.width) {
      throw new Error(
        `normal image is ${normal.height}x${normal.width}, the synthesizer works at ${this.height}x${this.width}`
      )
    }
    return toRgbFloat(normal)
  }

  /** Everything random for one sample, in the reference's order: augmentation, mask, beta. */
  private drawSample(normal: FloatImage, textureIndex: number) {
    const { height, width } = this
    const augmented = augmentNormal(normal.data, height, width, this.augmentation, this.rng)
    const perlin = perlinMask(this.rng, height, width, this.perlin)
    const beta = sampleBeta(this.rng, this.opacity)
    const draw: SynthesisDraw = {
      textureIndex,
      quarterTurn: augmented.quarterTurn,
      rotation: augmented.rotation,
      perlinScaleY: perlin.scaleY,
      perlinScaleX: perlin.scaleX,
      perlinAngle: perlin.angle,
      beta
    }
    return { draw, normalImage: augmented.image, mask: perlin.mask }
  }

  private compose(
    normal: Float32Array,
    texture: Uint8Array | Float32Array,
    mask: Float32Array,
    path: string,
    draw: SynthesisDraw
  ): SyntheticSample {
    const source = this.textureColour === 'match' && isGreyImage(normal) ? greyTexture(texture) : texture
    return {
      height: this.height,
      width: this.width,
      // a copy when the augmentation left the caller's array as it was, so outputs never alias inputs
      normal: draw.quarterTurn === 0 && draw.rotation === 0 ? normal.slice() : normal,
      anomalous: blendAnomaly(normal, source, mask, draw.beta),
      mask,
      texture: path,
      draw
    }
  }

  /** A decoded texture from the LRU cache, loading it on a miss; concurrent misses share one load. */
  private texture(path: string): Promise<Rgb8Image> {
    return this.cache.get(path, path, this.height, this.width)
  }
}
