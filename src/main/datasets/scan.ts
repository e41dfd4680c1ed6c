/**
 * Finds a dataset's images and masks on disk (no decoding). Two layouts:
 *
 * MVTec AD, one category per folder (the folder's name), either the given folder or each subfolder of it:
 *   train/good/*            normal training images
 *   test/<defect>/*         test images; defect "good" is normal, any other name is anomalous
 *   ground_truth/<defect>/<stem>_mask.<ext>   mask of test/<defect>/<stem>.<ext> ("<stem>.<ext>" works too)
 *
 * Plain, one category named after the folder:
 *   normal/*      normal images, split by the rule in splitNormal()
 *   anomalous/*   anomalous images, all in test with defect type "anomalous"
 *   masks/*       optional, "<stem>.<ext>" or "<stem>_mask.<ext>" for anomalous/<stem>.<ext>
 *
 * Files in subfolders keep their relative path. Non-image files are ignored.
 */
import { basename, join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import type { DatasetLayout, Rejection, Split } from '../../common/types/datasets'
import { isDir, listDirs, listFiles } from './files'
import { isImagePath } from './image-io'

export interface ScannedImage {
  category: string
  /** absolute */
  path: string
  /** relative to the category root, '/' separators */
  relPath: string
  split: Split
  defectType: string
  maskPath: string | null
}

export interface ScannedCategory {
  name: string
  root: string
}

export interface DatasetScan {
  root: string
  layout: DatasetLayout
  categories: ScannedCategory[]
  images: ScannedImage[]
  /** files in the wrong place: orphan masks, a second mask for one image, images outside a class folder */
  rejected: Rejection[]
}

const withoutExt = (rel: string): string => rel.replace(/\.[^./]*$/, '')

async function imageFiles(dir: string): Promise<string[]> {
  return (await isDir(dir)) ? (await listFiles(dir)).filter(isImagePath) : []
}

/**
 * Pairs each mask with an image: `keyOf(image)` and the mask's path relative to `maskDir`, both without
 * extension, must match, with or without a "_mask" suffix on the mask. Unpaired masks are rejected.
 */
function pairMasks(
  images: ScannedImage[],
  keyOf: (image: ScannedImage) => string | null,
  maskDir: string,
  maskFiles: string[],
  imageDir: string
): Rejection[] {
  const byKey = new Map<string, ScannedImage>()
  for (const image of images) {
    const key = keyOf(image)
    if (key !== null && !byKey.has(key)) byKey.set(key, image)
  }
  const rejected: Rejection[] = []
  for (const rel of maskFiles) {
    const path = join(maskDir, rel)
    const key = withoutExt(rel)
    const image = (key.endsWith('_mask') ? byKey.get(key.slice(0, -5)) : undefined) ?? byKey.get(key)
    if (!image) {
      const stem = key.endsWith('_mask') ? key.slice(0, -5) : key
      rejected.push({ path, reason: `mask without an image: no image ${join(imageDir, stem)}.* found` })
    } else if (image.maskPath) {
      rejected.push({ path, reason: `second mask for ${image.path} (already paired with ${image.maskPath})` })
    } else {
      image.maskPath = path
    }
  }
  return rejected
}

async function scanMvtecCategory(root: string, name: string): Promise<Pick<DatasetScan, 'images' | 'rejected'>> {
  const images: ScannedImage[] = []
  const rejected: Rejection[] = []
  for (const split of ['train', 'test'] as const) {
    for (const rel of await imageFiles(join(root, split))) {
      const path = join(root, split, rel)
      const [folder, ...rest] = rel.split('/')
      if (rest.length === 0) {
        rejected.push({
          path,
          reason: `image directly in ${split}/; expected ${split}/${split === 'train' ? 'good' : '<defect>'}/`
        })
      } else if (split === 'train' && folder !== 'good') {
        rejected.push({ path, reason: `training images must be in train/good/, not train/${folder}/` })
      } else {
        images.push({ category: name, path, relPath: `${split}/${rel}`, split, defectType: folder, maskPath: null })
      }
    }
  }
  const testKey = (image: ScannedImage): string | null =>
    image.split === 'test' ? withoutExt(image.relPath.slice('test/'.length)) : null
  const masks = await imageFiles(join(root, 'ground_truth'))
  rejected.push(...pairMasks(images, testKey, join(root, 'ground_truth'), masks, join(root, 'test')))
  return { images, rejected }
}

/**
 * Plain layout split rule: normal images sorted by relative path; every 5th one (index % 5 === 4)
 * goes to test/good, the rest to train/good. So 20% of the normal images are held out for testing.
 */
export function splitNormal(index: number): Split {
  return index % 5 === 4 ? 'test' : 'train'
}

async function scanPlain(root: string): Promise<DatasetScan> {
  const name = basename(root)
  const normal = (await imageFiles(join(root, 'normal'))).map((rel, index): ScannedImage => ({
    category: name,
    path: join(root, 'normal', rel),
    relPath: `normal/${rel}`,
    split: splitNormal(index),
    defectType: 'good',
    maskPath: null
  }))
  const anomalous = (await imageFiles(join(root, 'anomalous'))).map((rel): ScannedImage => ({
    category: name,
    path: join(root, 'anomalous', rel),
    relPath: `anomalous/${rel}`,
    split: 'test',
    defectType: 'anomalous',
    maskPath: null
  }))
  const anomalousKey = (image: ScannedImage): string => withoutExt(image.relPath.slice('anomalous/'.length))
  const masks = await imageFiles(join(root, 'masks'))
  const rejected = pairMasks(anomalous, anomalousKey, join(root, 'masks'), masks, join(root, 'anomalous'))
  return { root, layout: 'plain', categories: [{ name, root }], images: [...normal, ...anomalous], rejected }
}

const isMvtecCategory = async (dir: string): Promise<boolean> =>
  (await isDir(join(dir, 'train'))) || (await isDir(join(dir, 'test')))

/** Detects the layout of `root` (an absolute, resolved folder) and lists its images and masks. */
export async function scanDataset(root: string): Promise<DatasetScan> {
  let scan: DatasetScan
  if (await isMvtecCategory(root)) {
    const name = basename(root)
    scan = { root, layout: 'mvtec', categories: [{ name, root }], ...(await scanMvtecCategory(root, name)) }
  } else if ((await isDir(join(root, 'normal'))) || (await isDir(join(root, 'anomalous')))) {
    scan = await scanPlain(root)
  } else {
    scan = { root, layout: 'mvtec', categories: [], images: [], rejected: [] }
    for (const name of await listDirs(root)) {
      const categoryRoot = join(root, name)
      if (!(await isMvtecCategory(categoryRoot))) continue
      const found = await scanMvtecCategory(categoryRoot, name)
      scan.categories.push({ name, root: categoryRoot })
      scan.images.push(...found.images)
      scan.rejected.push(...found.rejected)
    }
    if (scan.categories.length === 0) {
      throw new UserError(
        `No train/good or test/ folder in ${root}; expected MVTec AD layout (train/good/, test/<defect>/, ` +
          'ground_truth/<defect>/, in this folder or in each category subfolder) or plain layout (normal/, anomalous/, optional masks/).',
        'UNKNOWN_LAYOUT'
      )
    }
  }
  if (scan.images.length === 0 && scan.rejected.length === 0) {
    throw new UserError(`No images (PNG, JPEG, BMP, TIFF) found in ${root}.`, 'NO_IMAGES')
  }
  return scan
}
