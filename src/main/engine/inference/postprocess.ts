/** From the model's output to per-image maps and scores (METHOD.md, "Inference"). */
import { resizeBilinear } from '../synthesis/image-ops'
import { topTMean } from './score'
import { SCORE_MAP_SIZE, type InferenceOutput, type InferenceResult, type InferenceScore } from './types'

/** Image `index` of an [N, 1, m, m] output, copied out: [m, m]. */
export function mapOf(output: Float32Array, index: number, mapSize: number): Float32Array {
  const per = mapSize * mapSize
  if ((index + 1) * per > output.length) throw new Error(`output holds ${output.length / per} maps, asked for #${index}`)
  return output.slice(index * per, (index + 1) * per)
}

export interface ImageOutput {
  path: string
  /** [m, m] */
  map: Float32Array
  mapSize: number
  width: number
  height: number
}

/**
 * Score and maps of one image: map256 = bilinear (half-pixel, no antialias) [m, m] -> [256, 256],
 * score = mean of its top T values; mapOriginal [height, width] when asked.
 */
export function imageResult(image: ImageOutput, topT: number, output: InferenceOutput, originalSize: boolean): InferenceResult | InferenceScore {
  const { path, map, mapSize, width, height } = image
  const map256 = resizeBilinear(map, mapSize, mapSize, SCORE_MAP_SIZE, SCORE_MAP_SIZE) // [m, m] -> [256, 256]
  const score = topTMean(map256, topT)
  if (output === 'scores') return { path, score, width, height }
  const result: InferenceResult = { path, score, width, height, map, mapSize, map256 }
  if (originalSize) result.mapOriginal = resizeBilinear(map, mapSize, mapSize, height, width) // [m, m] -> [H, W]
  return result
}

/** The ArrayBuffers of a result's maps (to transfer rather than copy them). */
export function resultBuffers(result: InferenceResult | InferenceScore): ArrayBuffer[] {
  if (!('map' in result)) return []
  const arrays = [result.map, result.map256, ...(result.mapOriginal ? [result.mapOriginal] : [])]
  return arrays.map((a) => a.buffer as ArrayBuffer)
}
