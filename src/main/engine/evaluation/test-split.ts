/**
 * A category folder's test split for evaluation: every test image with its defect folder, the stem
 * its prediction map is named by, and its ground truth at the protocol's 256x256 (decoded masks,
 * resized with antialias and binarised, metrics/protocol.ts). Listing reuses the import's scan, so
 * the same layouts work: MVTec AD (test/<defect>/, ground_truth/<defect>/<stem>_mask.png) and plain.
 */
import { UserError } from '../../../common/ipc/errors'
import { mapConcurrent } from '../../datasets/concurrency'
import { resolveFolder } from '../../datasets/files'
import { decodeImage, ImageDecodeError } from '../../datasets/image-io'
import { scanDataset } from '../../datasets/scan'
import { groundTruthFromMask } from '../metrics/protocol'
import type { EvalSample } from '../metrics/types'

/** One test image of a category. */
export interface TestImage {
  /** absolute */
  path: string
  /** relative to the category root, '/' separators */
  relPath: string
  /** 'good' for normal images, else the defect folder ('anomalous' in the plain layout) */
  defect: string
  /**
   * The image-level label: 1 anomalous, 0 normal (by folder when listed here; a caller passing its own
   * list, e.g. labels from the database, sets it). Used where the image has no mask; where it has one,
   * the mask's label is the protocol's and a disagreement is reported as a warning.
   */
  label: 0 | 1
  /** path inside the defect folder without extension, '/' separators: the map is <maps>/<defect>/<stem>.npy */
  stem: string
  /** the ground-truth mask; null for a normal image or an anomalous one with an image-level label only */
  maskPath: string | null
}

/** A test image with its protocol ground truth: [256*256] 0/1, null for a normal image without mask. */
export interface TestImageWithTruth extends TestImage {
  gt: Uint8Array | null
}

/** Parallel mask decodes (sharp runs them off the main thread). */
const DECODE_CONCURRENCY = 4

/**
 * Lists the test images of one category folder, sorted by relative path. A UserError when the
 * folder holds several categories or no test image. Defect images without a mask are listed with
 * maskPath null: they count for the image metrics only (metrics/evaluate-category.ts).
 */
export async function listTestImages(categoryDir: string): Promise<TestImage[]> {
  const root = await resolveFolder(categoryDir)
  const scan = await scanDataset(root)
  if (scan.categories.length !== 1) {
    throw new UserError(
      `${root} holds ${scan.categories.length} categories (${scan.categories.map((c) => c.name).join(', ')}); evaluate one category folder at a time.`,
      'SEVERAL_CATEGORIES'
    )
  }
  const classDepth = scan.layout === 'mvtec' ? 2 : 1 // test/<defect>/... or normal|anomalous/...
  const images = scan.images
    .filter((im) => im.split === 'test')
    .map(
      (im): TestImage => ({
        path: im.path,
        relPath: im.relPath,
        defect: im.defectType,
        label: im.defectType === 'good' ? 0 : 1,
        stem: im.relPath.split('/').slice(classDepth).join('/').replace(/\.[^./]*$/, ''),
        maskPath: im.maskPath
      })
    )
    .sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0))
  if (images.length === 0) throw new UserError(`No test images in ${root}.`, 'NO_TEST_IMAGES')
  return images
}

/** The protocol ground truth of one mask file: [256*256] 0/1. Decode errors name the file. */
export async function loadGroundTruth(maskPath: string): Promise<Uint8Array> {
  try {
    const mask = await decodeImage(maskPath)
    return groundTruthFromMask(new Uint8Array(mask.data.buffer, mask.data.byteOffset, mask.data.length), mask.height, mask.width, mask.channels)
  } catch (err) {
    if (err instanceof ImageDecodeError) throw new UserError(`${maskPath}: ${err.message}`, 'BAD_MASK')
    throw err
  }
}

/** The ground truth of each image ([256*256] 0/1, null without a mask), masks decoded a few at a time; input order. */
export function loadTruths(images: TestImage[]): Promise<(Uint8Array | null)[]> {
  return mapConcurrent(images, DECODE_CONCURRENCY, (im) => (im.maskPath === null ? Promise.resolve(null) : loadGroundTruth(im.maskPath)))
}

/** The metrics' input of a test image: its ground truth, its map at 256x256 and its folder label. */
export function sampleOf(image: TestImage, gt: Uint8Array | null, map: Float32Array): EvalSample {
  return { path: image.path, defect: image.defect, gt, map, folderLabel: image.label }
}

/** Checks a caller's own list of test images (evaluateModel's and evaluateMapsFolder's `tests`). */
export function checkTestImages(images: readonly TestImage[]): TestImage[] {
  if (images.length === 0) throw new UserError('No test images to evaluate.', 'NO_TEST_IMAGES')
  const seen = new Set<string>()
  for (const im of images) {
    if (seen.has(im.path)) throw new UserError(`${im.path} is listed twice among the test images.`, 'invalid-argument')
    seen.add(im.path)
    if (im.label !== 0 && im.label !== 1) throw new UserError(`${im.path}: label must be 0 or 1.`, 'invalid-argument')
  }
  return [...images]
}

/** Lists a category's test images and loads the ground truth of each. */
export async function loadTestSplit(categoryDir: string): Promise<TestImageWithTruth[]> {
  const images = await listTestImages(categoryDir)
  const truths = await loadTruths(images)
  return images.map((im, i) => ({ ...im, gt: truths[i] }))
}
