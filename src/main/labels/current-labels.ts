/**
 * A category's images as labelled now (the import plus every change in the workstation), in the
 * shapes the engine takes: the test list for evaluation (engine/evaluation/test-split.ts TestImage)
 * and the normal training images for the next run.
 */
import type Database from 'better-sqlite3'
import type { TestImage } from '../engine/evaluation/test-split'
import { getCategory, getDataset } from '../store/repositories/datasets.repo'
import { currentLabels, type CurrentLabelRow } from '../store/repositories/labels.repo'
import { UserError } from '../../common/ipc/errors'

/** Folders above the file in a relative path: test/<defect>/ (MVTec) or normal|anomalous/ (plain). */
function classDepth(layout: string): number {
  return layout === 'mvtec' ? 2 : 1
}

/**
 * The map stem of an image (the map is <maps>/<defect>/<stem>.npy): as the folder scan names it
 * while the image keeps its imported place; a moved image is named by its whole relative path
 * ('/' -> '__'), so it cannot collide with an image imported into its new defect folder.
 */
export function mapStem(row: Pick<CurrentLabelRow, 'rel_path' | 'split' | 'defect_type' | 'imported_split' | 'imported_defect_type'>, layout: string): string {
  const moved = row.split !== row.imported_split || row.defect_type !== row.imported_defect_type
  const withoutExt = row.rel_path.replace(/\.[^./]*$/, '')
  return moved ? withoutExt.split('/').join('__') : withoutExt.split('/').slice(classDepth(layout)).join('/')
}

function layoutOf(db: Database.Database, categoryId: number): string {
  const category = getCategory(db, categoryId)
  if (!category) throw new UserError(`Category ${categoryId} not found`, 'NOT_FOUND')
  return getDataset(db, category.dataset_id)!.layout
}

/**
 * The category's test images with their current labels, sorted by relative path: the `tests` list
 * for evaluateModel / evaluateMaps. A defect image's mask is its current one (an edited PNG in the
 * label folder, or the imported file), null for an image-level label; a good image has none.
 */
export function currentTestImages(db: Database.Database, categoryId: number): TestImage[] {
  const layout = layoutOf(db, categoryId)
  return currentLabels(db, categoryId)
    .filter((row) => row.split === 'test')
    .map((row) => toTestImage(row, layout))
}

/** One image with its current label as a TestImage (`layout`: its dataset's). */
export function toTestImage(row: CurrentLabelRow, layout: string): TestImage {
  return {
    path: row.path,
    relPath: row.rel_path,
    defect: row.defect_type,
    label: row.label,
    stem: mapStem(row, layout),
    maskPath: row.label === 1 ? row.mask_path : null
  }
}

export { layoutOf }

/** The category's normal training images now (train/good plus false alarms sent there), sorted by path. */
export function currentTrainingImages(db: Database.Database, categoryId: number): string[] {
  layoutOf(db, categoryId)
  return currentLabels(db, categoryId)
    .filter((row) => row.split === 'train' && row.label === 0)
    .map((row) => row.path)
    .sort()
}
