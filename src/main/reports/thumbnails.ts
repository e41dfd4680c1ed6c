/**
 * Thumbnails of failure cases for the PDF and HTML reports, made with sharp from the files: the
 * image, the image with its anomaly map over it (the stored .npy map upsampled bilinearly over the
 * image and coloured with jet on [0, 1] at half opacity, as the Results viewer's defaults draw it)
 * and the ground-truth mask (white on black). PNG, at most THUMB_SIDE pixels on the longer side.
 */
import { readFile } from 'node:fs/promises'
import type Database from 'better-sqlite3'
import sharp from 'sharp'
import type { ReportModel, ReportThumbnails } from '../../common/types/reports'
import { mapConcurrent } from '../datasets/concurrency'
import { sharpFromBuffer } from '../datasets/image-io'
import { readScoreMap } from '../engine/evaluation/map-folder'
import { evaluationImages, type EvaluationImage } from '../store/repositories/review.repo'
import { colormapLut, upsampleBilinear } from '../../common/heatmap'

/** Longer side of a thumbnail in pixels. */
export const THUMB_SIDE = 160
/** Weight of the heat-map colour over the image. */
const OVERLAY_OPACITY = 0.5

/** The image as RGB pixels, fitted in THUMB_SIDE. */
async function rgbThumbnail(path: string): Promise<{ data: Buffer; width: number; height: number }> {
  const image = await sharpFromBuffer(await readFile(path))
  const { data, info } = await image
    .resize(THUMB_SIDE, THUMB_SIDE, { fit: 'inside' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  if (info.channels === 3) return { data, width: info.width, height: info.height }
  const rgb = Buffer.alloc(info.width * info.height * 3)
  for (let p = 0; p < info.width * info.height; p++) rgb.fill(data[p * info.channels], p * 3, p * 3 + 3)
  return { data: rgb, width: info.width, height: info.height }
}

const png = (data: Buffer, width: number, height: number, channels: 1 | 3): Promise<Buffer> =>
  sharp(data, { raw: { width, height, channels } }).png().toBuffer()

/** The three thumbnails of one test image. */
export async function caseThumbnails(image: Pick<EvaluationImage, 'path' | 'map_path' | 'mask_path'>): Promise<ReportThumbnails> {
  const { data, width, height } = await rgbThumbnail(image.path)
  const map = readScoreMap(image.map_path, image.path)
  if (map.width !== map.height) throw new Error(`${image.map_path}: expected a square map, got ${map.height}x${map.width}`)
  const values = upsampleBilinear({ size: map.width, data: map.data }, width, height)
  const lut = colormapLut('jet')
  const overlay = Buffer.alloc(data.length)
  for (let p = 0; p < width * height; p++) {
    const v = values[p]
    const k = !(v > 0) ? 0 : v >= 1 ? 255 : Math.round(v * 255)
    for (let c = 0; c < 3; c++) overlay[p * 3 + c] = Math.round((1 - OVERLAY_OPACITY) * data[p * 3 + c] + OVERLAY_OPACITY * lut[k * 3 + c])
  }
  let truth: string | null = null
  if (image.mask_path !== null) {
    const mask = await sharpFromBuffer(await readFile(image.mask_path))
    const grey = await mask.resize(width, height, { fit: 'fill' }).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true })
    const bits = Buffer.alloc(width * height)
    for (let p = 0; p < bits.length; p++) bits[p] = grey.data[p * grey.info.channels] >= 128 ? 255 : 0
    truth = (await png(bits, width, height, 1)).toString('base64')
  }
  return {
    image: (await png(data, width, height, 3)).toString('base64'),
    overlay: (await png(overlay, width, height, 3)).toString('base64'),
    truth
  }
}

/** Fills in the thumbnails of every failure case of the model (a case whose files cannot be read gets thumbnail_error). */
export async function addThumbnails(db: Database.Database, model: ReportModel): Promise<void> {
  const files = new Map(evaluationImages(db, model.evaluation.id).map((im) => [im.image_id, im]))
  const cases = model.failure_cases.flatMap((q) => q.cases)
  await mapConcurrent(cases, 2, async (c) => {
    const image = files.get(c.image_id)
    if (!image) {
      c.thumbnail_error = 'the image is no longer in the dataset'
      return
    }
    try {
      c.thumbnails = await caseThumbnails(image)
    } catch (err) {
      c.thumbnail_error = err instanceof Error ? err.message : String(err)
    }
  })
}
