/**
 * Perlin-noise anomaly masks (DeSTSeg Sec. 3.2 "synthetic anomalies", after DRAEM): a 2-D Perlin
 * noise field at a random power-of-two lattice resolution, rotated by a random angle and
 * thresholded into the binary anomaly mask M of Eq. (1).
 *
 * Plain TypedArray math, seeded by ../random, so it runs in a data-loading worker.
 */
import type { Random } from '../random'
import { rotateImage } from './image-ops'

/** The fade curve 6t^5 - 15t^4 + 10t^3 = t^3 (6t^2 - 15t + 10). */
export function fade(t: number): number {
  return t * t * t * (t * (t * 6 - 15) + 10)
}

/**
 * One axis of the lattice: for every pixel along it, the cell index, the offset inside the cell
 * in [0, 1) and the faded offset. Pixel i sits at lattice position i * res / size (exact integer
 * arithmetic), which is the reference's `mgrid[0:res:res/size] % 1` with cell `i // (size/res)`
 * whenever res divides size (always the case for 2^k <= 32 and sizes that are multiples of 32).
 */
function latticeAxis(size: number, res: number) {
  const cell = new Int32Array(size)
  const frac = new Float64Array(size)
  const faded = new Float64Array(size)
  for (let i = 0; i < size; i++) {
    const c = Math.floor((i * res) / size)
    cell[i] = c
    frac[i] = (i * res - c * size) / size
    faded[i] = fade(frac[i])
  }
  return { cell, frac, faded }
}

/**
 * 2-D gradient (Perlin) noise, the reference `rand_perlin_2d_np(shape, res)`:
 * gradients g = (cos a, sin a) with a ~ U[0, 2 pi) on a (resY + 1) x (resX + 1) lattice, the
 * four corner dot products n00, n10, n01, n11 with the offset vectors, blended by
 * lerp(lerp(n00, n10, t_y), lerp(n01, n11, t_y), t_x) with t = fade(offset), times sqrt(2).
 * (Index 0 of the reference's grid is the row axis: its `t[..., 0]` is our t_y.)
 *
 * @returns the field, [height, width] float32, values within about [-1, 1].
 */
export function randPerlin2d(height: number, width: number, resY: number, resX: number, rng: Random): Float32Array {
  if (!(Number.isInteger(resY) && Number.isInteger(resX) && resY >= 1 && resX >= 1)) {
    throw new Error(`randPerlin2d: resolution must be positive integers, got ${resY}x${resX}`)
  }
  const gw = resX + 1
  const gradY = new Float64Array((resY + 1) * gw)
  const gradX = new Float64Array((resY + 1) * gw)
  for (let i = 0; i < gradY.length; i++) {
    const angle = 2 * Math.PI * rng.next()
    gradY[i] = Math.cos(angle)
    gradX[i] = Math.sin(angle)
  }
  const ay = latticeAxis(height, resY)
  const ax = latticeAxis(width, resX)
  const out = new Float32Array(height * width)
  for (let y = 0; y < height; y++) {
    const cy = ay.cell[y]
    const fy = ay.frac[y]
    const ty = ay.faded[y]
    const g0 = cy * gw // row of the lattice above the pixel
    const g1 = g0 + gw // and below
    for (let x = 0; x < width; x++) {
      const cx = ax.cell[x]
      const fx = ax.frac[x]
      const tx = ax.faded[x]
      const n00 = gradY[g0 + cx] * fy + gradX[g0 + cx] * fx
      const n10 = gradY[g1 + cx] * (fy - 1) + gradX[g1 + cx] * fx
      const n01 = gradY[g0 + cx + 1] * fy + gradX[g0 + cx + 1] * (fx - 1)
      const n11 = gradY[g1 + cx + 1] * (fy - 1) + gradX[g1 + cx + 1] * (fx - 1)
      const a = n00 + (n10 - n00) * ty
      const b = n01 + (n11 - n01) * ty
      out[y * width + x] = Math.SQRT2 * (a + (b - a) * tx)
    }
  }
  return out
}

export interface PerlinMaskOptions {
  /**
   * exponents a, b of the lattice resolution 2^a x 2^b are drawn from [minScale, maxScale):
   * default 0 and 6, i.e. {0..5}
   */
  minScale?: number
  maxScale?: number
  /** the rotation angle is U[-maxRotation, maxRotation] degrees; default 90 */
  maxRotation?: number
  /** M = 1 where the rotated noise is > threshold; default 0.5 */
  threshold?: number
}

/** A binary anomaly mask and how it was drawn. */
export interface PerlinMask {
  /** M, [height, width] float32 of 0 and 1 */
  mask: Float32Array
  height: number
  width: number
  /** lattice resolution 2^a (rows) and 2^b (columns) */
  scaleY: number
  scaleX: number
  /** rotation of the noise field in degrees */
  angle: number
}

/**
 * The anomaly mask M of DeSTSeg Eq. (1), as the reference `perlin_noise()` draws it:
 * a, b ~ U{0..5} independently, noise = rand_perlin_2d(shape, (2^a, 2^b)), rotated by an angle
 * ~ U[-90, 90] degrees about the centre with bilinear sampling and 0 outside the field (imgaug
 * `Affine(rotate=(-90, 90))`, constant mode, cval 0; so rotated-in corners are never anomalous),
 * then M = [noise > 0.5]. An empty mask is possible and allowed.
 *
 * Draw order from `rng`: a, b, the lattice gradients (row-major), the angle.
 */
export function perlinMask(rng: Random, height: number, width: number, options: PerlinMaskOptions = {}): PerlinMask {
  const { minScale = 0, maxScale = 6, maxRotation = 90, threshold = 0.5 } = options
  const scaleY = 2 ** rng.int(minScale, maxScale)
  const scaleX = 2 ** rng.int(minScale, maxScale)
  const noise = randPerlin2d(height, width, scaleY, scaleX, rng)
  const angle = rng.uniform(-maxRotation, maxRotation)
  const rotated = rotateImage(noise, height, width, 1, angle, 0, 'constant')
  const mask = new Float32Array(height * width)
  for (let i = 0; i < mask.length; i++) mask[i] = rotated[i] > threshold ? 1 : 0
  return { mask, height, width, scaleY, scaleX, angle }
}
