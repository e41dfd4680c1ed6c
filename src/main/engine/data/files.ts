/** Finding a category's training images and the texture images on disk. */
import { join } from 'node:path'
import { UserError } from '../../../common/ipc/errors'
import { isDir, listFiles } from '../../datasets/files'
import { isImagePath } from '../../datasets/image-io'

/** Image files below `folder` (recursively), as sorted absolute paths; hidden files are skipped. */
export async function listImageFiles(folder: string): Promise<string[]> {
  return (await listFiles(folder)).filter(isImagePath).map((rel) => join(folder, rel))
}

/** The normal training images of an MVTec-layout category folder: `<category>/train/good`. */
export async function trainingImages(category: string): Promise<string[]> {
  const good = join(category, 'train', 'good')
  if (!(await isDir(good))) {
    throw new UserError(`training images folder not found: ${good} (expected an MVTec-layout category folder)`, 'NOT_FOUND')
  }
  const images = await listImageFiles(good)
  if (images.length === 0) throw new UserError(`no images in ${good}`, 'NO_IMAGES')
  return images
}

/** The anomaly-source textures below `folder`. */
export async function textureImages(folder: string): Promise<string[]> {
  if (!(await isDir(folder))) throw new UserError(`texture folder not found: ${folder}`, 'NOT_FOUND')
  const images = await listImageFiles(folder)
  if (images.length === 0) throw new UserError(`no images in the texture folder ${folder}`, 'NO_IMAGES')
  return images
}
