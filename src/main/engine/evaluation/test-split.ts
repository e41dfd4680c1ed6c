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

/** One test image of a category. */
export interface TestImage {
  /** absolute */
  path: string
  /** relative to the category root, '/' separators */
  relPath: string
  /** 'good' for normal images, else the defect folder ('anomalous' in the plain layout) */
  defect: string
  /** path inside the defect folder without extension, '/' separators: the map is <maps>/<defect>/<stem>.npy */
  stem: string
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
 * folder holds several categories or no test image, or when a defect image has no mask.
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
        stem: im.relPath.split('/').slice(classDepth).join('/').replace(/\.[^./]*$/, ''),
        maskPath: im.maskPath
      })
    )
    .sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0))
  if (images.length === 0) throw new UserError(`No test images in ${root}.`, 'NO_TEST_IMAGES')
  const unmasked = images.filter((im) => im.defect !== 'good' && im.maskPath === null)
  if (unmasked.length > 0) {
    throw new UserError(
      `${unmasked.length} defect test image${unmasked.length === 1 ? ' has' : 's have'} no ground-truth mask, so pixel metrics ` +
        `cannot be computed; first: ${unmasked[0].path}`,
      'MISSING_MASKS'
    )
  }
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

/** Lists a category's test images and loads the ground truth of each. */
export async function loadTestSplit(categoryDir: string): Promise<TestImageWithTruth[]> {
  const images = await listTestImages(categoryDir)
  const truths = await loadTruths(images)
  return images.map((im, i) => ({ ...im, gt: truths[i] }))
}
