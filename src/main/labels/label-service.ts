/**
 * The labels channels (labels:*): an image's current label and mask, relabelling (good <-> a defect
 * type, new defect types), mask versions (save, restore), the feedback of failure review, whether
 * a category's labels changed since an evaluation, and the MVTec AD export.
 *
 * Every change is one transaction: the change row and the category's labels revision. Edited masks
 * are PNGs in `<data dir>/labels/<dataset id>/...`; the user's files are never written.
 */
import type Database from 'better-sqlite3'
import { rmSync } from 'node:fs'
import { UserError } from '../../common/ipc/errors'
import { decodeMaskRle, encodeMaskRle, maskStats } from '../../common/labels/mask-rle'
import type { MaskBBox, Split } from '../../common/types/datasets'
import type {
  DefectTypeRequest,
  FeedbackRequest,
  ImageLabel,
  LabelExportOutcome,
  LabelExportRequest,
  LabelPlacement,
  LabelReevaluation,
  LabelsStatus,
  MaskRestoreRequest,
  MaskRle,
  MaskSaveRequest,
  MaskVersion,
  RelabelRequest
} from '../../common/types/labels'
import type { TestImage } from '../engine/evaluation/test-split'
import { getCategory, getDataset, getImage, getMask, type MaskRecord } from '../store/repositories/datasets.repo'
import * as repo from '../store/repositories/labels.repo'
import { currentTestImages, currentTrainingImages } from './current-labels'
import { exportMvtec, type ExportProgress } from './export-mvtec'
import { reevaluateWithLabels } from './reevaluate'
import { trainingFolder } from './training-folder'
import { labelFolder, maskFilePath, readBinaryMask, writeMaskPng } from './mask-files'

const MAX_NAME = 64
const MAX_NOTE = 2000

/** A defect type usable as a folder name: letters, digits, '_', '-', '.', ' '; not 'good'. */
export function checkDefectType(name: string): string {
  const trimmed = name.trim()
  if (!trimmed) throw new UserError('The defect type is empty.', 'invalid-argument')
  if (trimmed.length > MAX_NAME) throw new UserError(`The defect type is longer than ${MAX_NAME} characters.`, 'invalid-argument')
  if (!/^[\p{L}\p{N}_. -]+$/u.test(trimmed) || trimmed.startsWith('.')) {
    throw new UserError(`"${trimmed}" cannot be a defect type: use letters, digits, spaces, '_', '-' and '.' (it names a folder).`, 'invalid-argument')
  }
  return trimmed
}

function note(value: string | undefined): string {
  const text = (value ?? '').trim()
  if (text.length > MAX_NOTE) throw new UserError(`The note is longer than ${MAX_NOTE} characters.`, 'invalid-argument')
  return text
}

function bboxOf(row: { bbox_x: number | null; bbox_y: number | null; bbox_w: number | null; bbox_h: number | null }): MaskBBox | null {
  const { bbox_x, bbox_y, bbox_w, bbox_h } = row
  return bbox_x === null || bbox_y === null || bbox_w === null || bbox_h === null ? null : [bbox_x, bbox_y, bbox_w, bbox_h]
}

function importedVersion(mask: MaskRecord | undefined, createdAt: string): MaskVersion {
  return {
    version: 0,
    created_at: createdAt,
    note: mask ? 'imported' : 'imported (no mask)',
    path: mask?.path ?? null,
    positive_pixels: mask?.positive_pixels ?? 0,
    bbox: mask ? bboxOf(mask) : null,
    restored_from: null
  }
}

function versionOf(row: repo.MaskVersionRow): MaskVersion {
  return {
    version: row.version,
    created_at: row.created_at,
    note: row.note,
    path: row.path,
    positive_pixels: row.positive_pixels,
    bbox: bboxOf(row),
    restored_from: row.restored_from
  }
}

export class LabelService {
  constructor(
    private readonly db: Database.Database,
    private readonly options: { dataDir: string }
  ) {}

  /** An image's current label and mask with the mask's history. */
  get(imageId: number): ImageLabel {
    const row = this.requireCurrent(imageId)
    const dataset = getDataset(this.db, row.dataset_id)!
    const change = repo.latestLabelChange(this.db, imageId)
    const versions = [importedVersion(getMask(this.db, imageId), dataset.created_at), ...repo.maskVersions(this.db, imageId).map(versionOf)]
    const { revision } = repo.labelsRevision(this.db, row.category_id)
    return {
      image_id: row.id,
      dataset_id: row.dataset_id,
      category_id: row.category_id,
      width: row.width,
      height: row.height,
      split: row.split,
      defect_type: row.defect_type,
      label: row.label,
      source: change?.source ?? 'import',
      changed_at: change?.created_at ?? null,
      note: change?.note ?? '',
      imported: { split: row.imported_split, defect_type: row.imported_defect_type, label: row.imported_label },
      mask: versions[versions.length - 1],
      versions,
      defect_types: repo.defectTypes(this.db, row.category_id),
      revision
    }
  }

  /** A version of an image's mask (default: the current one) run-length encoded; null where there is none. */
  async mask(imageId: number, version?: number): Promise<MaskRle | null> {
    const label = this.get(imageId)
    const chosen = version === undefined ? label.mask : label.versions.find((v) => v.version === version)
    if (!chosen) throw new UserError(`Image ${imageId} has no mask version ${version}.`, 'NOT_FOUND')
    if (chosen.path === null) return null
    const mask = await readBinaryMask(chosen.path)
    return encodeMaskRle(mask.pixels, mask.width, mask.height)
  }

  /** Moves an image between good and a defect type (creating the type), and between the training and test sets. */
  relabel(req: RelabelRequest): ImageLabel {
    const row = this.requireCurrent(req.imageId)
    const defect = req.defectType.trim() === 'good' ? 'good' : checkDefectType(req.defectType)
    const label: 0 | 1 = defect === 'good' ? 0 : 1
    if (label === 1 && req.split === 'train') {
      throw new UserError('A defect image cannot be a training image: training uses normal images only.', 'invalid-argument')
    }
    const split: Split = req.split ?? (label === 1 ? 'test' : row.split)
    this.change(row, { split, defect_type: defect, label }, 'relabel', note(req.note))
    return this.get(req.imageId)
  }

  /** Saves a new version of an image's mask (null: no mask, an image-level label). */
  async saveMask(req: MaskSaveRequest): Promise<ImageLabel> {
    const row = this.requireCurrent(req.imageId)
    const text = note(req.note)
    const at = new Date().toISOString()
    if (req.mask === null) {
      this.insertVersion(row, { path: null, positive_pixels: 0, bbox: null, note: text, restored_from: null, created_at: at })
      return this.get(req.imageId)
    }
    const { width, height } = req.mask
    if (width !== row.width || height !== row.height) {
      throw new UserError(`The mask is ${width}x${height}, the image ${row.width}x${row.height}; they must be the same size.`, 'invalid-argument')
    }
    let pixels: Uint8Array
    try {
      pixels = decodeMaskRle(req.mask)
    } catch (err) {
      throw new UserError(`Invalid mask: ${(err as Error).message}`, 'invalid-argument')
    }
    const stats = maskStats(pixels, width, height)
    const category = getCategory(this.db, row.category_id)!
    const next = repo.maskVersions(this.db, row.id).length + 1
    const path = maskFilePath(this.options.dataDir, row.dataset_id, category.name, row.rel_path, next)
    await writeMaskPng(path, pixels, width, height)
    this.insertVersion(row, { path, positive_pixels: stats.positive, bbox: stats.bbox, note: text, restored_from: null, created_at: at })
    return this.get(req.imageId)
  }

  /** Makes an older version current again (as a new version: the history only grows). */
  restoreMask(req: MaskRestoreRequest): ImageLabel {
    const label = this.get(req.imageId)
    const old = label.versions.find((v) => v.version === req.version)
    if (!old) throw new UserError(`Image ${req.imageId} has no mask version ${req.version}.`, 'NOT_FOUND')
    const row = this.requireCurrent(req.imageId)
    const text = note(req.note) || `restored version ${old.version}`
    this.insertVersion(row, {
      path: old.path,
      positive_pixels: old.positive_pixels,
      bbox: old.bbox,
      note: text,
      restored_from: old.version,
      created_at: new Date().toISOString()
    })
    return this.get(req.imageId)
  }

  defectTypes(categoryId: number): string[] {
    this.requireCategory(categoryId)
    return repo.defectTypes(this.db, categoryId)
  }

  /** Creates a defect type for a category (a no-op when it exists); returns the category's types. */
  addDefectType(req: DefectTypeRequest): string[] {
    this.requireCategory(req.categoryId)
    const name = checkDefectType(req.name)
    if (name === 'good') throw new UserError('"good" is the normal label, not a defect type.', 'invalid-argument')
    repo.insertDefectType(this.db, req.categoryId, name, new Date().toISOString())
    return repo.defectTypes(this.db, req.categoryId)
  }

  /**
   * Failure review's feedback: a false alarm (a good image) joins the normal training set of the
   * next run; a true defect joins the test set as a defect (then given a mask in the editor).
   */
  feedback(req: FeedbackRequest): ImageLabel {
    const row = this.requireCurrent(req.imageId)
    const text = note(req.note)
    if (req.verdict === 'false_alarm') {
      if (row.label === 1) {
        throw new UserError(
          `This image is labelled "${row.defect_type}"; relabel it as good first if it is a normal part.`,
          'LABELLED_DEFECTIVE'
        )
      }
      this.change(row, { split: 'train', defect_type: 'good', label: 0 }, 'false_alarm', text)
    } else {
      const defect = checkDefectType(req.defectType ?? (row.label === 1 ? row.defect_type : 'defect'))
      if (defect === 'good') throw new UserError('A true defect needs a defect type, not "good".', 'invalid-argument')
      this.change(row, { split: 'test', defect_type: defect, label: 1 }, 'true_defect', text)
    }
    return this.get(req.imageId)
  }

  /** Whether a category's labels changed since an evaluation (the newest of the category when none is given). */
  status(categoryId: number, evaluationId?: number): LabelsStatus {
    this.requireCategory(categoryId)
    const { revision, changed_at } = repo.labelsRevision(this.db, categoryId)
    const id = evaluationId ?? repo.latestEvaluationId(this.db, categoryId) ?? null
    let evaluationRevision: number | null = null
    if (id !== null) {
      const evaluation = repo.evaluationRevision(this.db, id)
      if (!evaluation) throw new UserError(`Evaluation ${id} does not exist.`, 'NOT_FOUND')
      if (evaluation.category_id !== categoryId) throw new UserError(`Evaluation ${id} is not of category ${categoryId}.`, 'invalid-argument')
      evaluationRevision = evaluation.labels_revision
    }
    const changes = evaluationRevision === null ? 0 : repo.changesSince(this.db, categoryId, evaluationRevision)
    return {
      category_id: categoryId,
      revision,
      changed_at,
      evaluation_id: id,
      evaluation_revision: evaluationRevision,
      changes_since: changes,
      changed: changes > 0
    }
  }

  /** The category's test images with their current labels and masks (for evaluateModel / evaluateMaps `tests`). */
  testImages(categoryId: number): TestImage[] {
    return currentTestImages(this.db, categoryId)
  }

  /** The category's normal training images now. */
  trainingImages(categoryId: number): string[] {
    return currentTrainingImages(this.db, categoryId)
  }

  /**
   * The category folder to train on with the current labels (RunConfig.dataset): the category's own
   * folder while its training set is as imported, else a folder of links to the current training images.
   */
  trainingFolder(categoryId: number): string {
    return trainingFolder(this.db, this.options.dataDir, categoryId)
  }

  /** Scores a stored evaluation's maps again against the current labels, as a new evaluation. */
  reevaluate(evaluationId: number): Promise<LabelReevaluation> {
    return reevaluateWithLabels(this.db, evaluationId)
  }

  /** Writes a dataset (or one category) in MVTec AD layout with the current labels and masks. */
  export(req: LabelExportRequest, progress?: ExportProgress, signal?: AbortSignal): Promise<LabelExportOutcome> {
    const dataset = getDataset(this.db, req.datasetId)
    if (!dataset) throw new UserError(`Dataset ${req.datasetId} not found`, 'NOT_FOUND')
    if (req.categoryId !== undefined) {
      const category = this.requireCategory(req.categoryId)
      if (category.dataset_id !== dataset.id) throw new UserError(`Category ${req.categoryId} is not in dataset ${dataset.id}.`, 'invalid-argument')
    }
    return exportMvtec(this.db, { dataset, categoryId: req.categoryId, folder: req.folder, progress, signal })
  }

  /** Removes a dataset's label folder (its edited masks), after the dataset itself was deleted. */
  removeFolder(datasetId: number): void {
    rmSync(labelFolder(this.options.dataDir, datasetId), { recursive: true, force: true })
  }

  /** Records a label change with the category's revision; nothing when the label stays as it is. */
  private change(row: repo.CurrentLabelRow, to: LabelPlacement, source: repo.ChangeSource, text: string): void {
    if (row.split === to.split && row.defect_type === to.defect_type && row.label === to.label) return
    const at = new Date().toISOString()
    this.db.transaction(() => {
      if (to.label === 1) repo.insertDefectType(this.db, row.category_id, to.defect_type, at)
      const revision = repo.bumpRevision(this.db, row.category_id, at)
      repo.insertLabelChange(this.db, { image_id: row.id, category_id: row.category_id, ...to, source, note: text, created_at: at }, revision)
    })()
  }

  private insertVersion(
    row: repo.CurrentLabelRow,
    v: { path: string | null; positive_pixels: number; bbox: MaskBBox | null; note: string; restored_from: number | null; created_at: string }
  ): void {
    const [bbox_x, bbox_y, bbox_w, bbox_h] = v.bbox ?? [null, null, null, null]
    this.db.transaction(() => {
      const revision = repo.bumpRevision(this.db, row.category_id, v.created_at)
      repo.insertMaskVersion(
        this.db,
        {
          image_id: row.id,
          category_id: row.category_id,
          path: v.path,
          width: row.width,
          height: row.height,
          positive_pixels: v.positive_pixels,
          bbox_x,
          bbox_y,
          bbox_w,
          bbox_h,
          note: v.note,
          restored_from: v.restored_from,
          created_at: v.created_at
        },
        revision
      )
    })()
  }

  private requireCurrent(imageId: number): repo.CurrentLabelRow {
    if (!getImage(this.db, imageId)) throw new UserError(`Image ${imageId} not found`, 'NOT_FOUND')
    return repo.currentLabel(this.db, imageId)!
  }

  private requireCategory(categoryId: number): NonNullable<ReturnType<typeof getCategory>> {
    const category = getCategory(this.db, categoryId)
    if (!category) throw new UserError(`Category ${categoryId} not found`, 'NOT_FOUND')
    return category
  }
}
