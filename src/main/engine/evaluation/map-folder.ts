/**
 * Prediction maps stored as files: <maps>/<defect>/<stem>.npy, a float32 array of any size whose
 * dimensions other than the last two are 1 ([H, W], [1, H, W], [1, 1, H, W]).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { UserError } from '../../../common/ipc/errors'
import { readNpy } from '../io/npy'
import type { TestImage } from './test-split'

/** A 2-D map: data [height * width] row-major. */
export interface ScoreMap {
  data: Float32Array
  height: number
  width: number
}

/** Where the map of a test image is expected. */
export function mapPathOf(mapsDir: string, image: Pick<TestImage, 'defect' | 'stem'>): string {
  return join(mapsDir, image.defect, `${image.stem}.npy`)
}

/** Reads one .npy map; a UserError naming the path when it is missing, unreadable or not 2-D float32. */
export function readScoreMap(path: string, imagePath?: string): ScoreMap {
  if (!existsSync(path)) {
    throw new UserError(`Missing map file ${path}${imagePath ? ` for test image ${imagePath}` : ''}.`, 'MISSING_MAP')
  }
  let array
  try {
    array = readNpy(path, 'map')
  } catch (err) {
    throw new UserError(err instanceof Error ? err.message : String(err), 'BAD_MAP')
  }
  const shape = array.shape
  if (shape.length < 2 || shape.slice(0, -2).some((d) => d !== 1) || shape[shape.length - 1] === 0 || shape[shape.length - 2] === 0) {
    throw new UserError(`${path}: expected a 2-D map [H, W] (leading dimensions of 1 allowed), got shape [${shape.join(', ')}].`, 'BAD_MAP')
  }
  return { data: array.data, height: shape[shape.length - 2], width: shape[shape.length - 1] }
}
