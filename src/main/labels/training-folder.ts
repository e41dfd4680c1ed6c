/**
 * The folder a run trains on, with the current labels: the trainer reads `<folder>/train/good`
 * (engine/data/files.ts), so while a category's training set is as imported this is the category
 * folder itself; once images joined it (false alarms from review) or left it (relabelled), it is
 * `<data dir>/labels/<dataset id>/<category>/train-set-r<revision>/train/good`, holding a link to
 * each current training image (symbolic links, a copy where links cannot be made). One folder per
 * labels revision, written under a temporary name and renamed, so a run's folder never changes
 * under it and a resumed run finds it again.
 */
import type Database from 'better-sqlite3'
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { basename, join } from 'node:path'
import { UserError } from '../../common/ipc/errors'
import { getCategory } from '../store/repositories/datasets.repo'
import { currentLabels, labelsRevision } from '../store/repositories/labels.repo'
import { labelFolder } from './mask-files'

export function trainingFolder(db: Database.Database, dataDir: string, categoryId: number): string {
  const category = getCategory(db, categoryId)
  if (!category) throw new UserError(`Category ${categoryId} not found`, 'NOT_FOUND')
  const rows = currentLabels(db, categoryId)
  const training = rows.filter((r) => r.split === 'train' && r.label === 0)
  const asImported = rows.every((r) => (r.imported_split === 'train') === (r.split === 'train' && r.label === 0))
  if (asImported) return category.root
  if (training.length === 0) throw new UserError(`Category "${category.name}" has no normal training images.`, 'NO_IMAGES')

  const { revision } = labelsRevision(db, categoryId)
  const folder = join(labelFolder(dataDir, category.dataset_id), category.name, `train-set-r${revision}`)
  if (existsSync(folder)) return folder
  const temp = `${folder}.${process.pid}.tmp`
  rmSync(temp, { recursive: true, force: true })
  const good = join(temp, 'train', 'good')
  mkdirSync(good, { recursive: true })
  const taken = new Set<string>()
  // the imported training images keep their names; those that joined later give way
  const ordered = [...training].sort((a, b) => Number(a.imported_split !== 'train') - Number(b.imported_split !== 'train'))
  try {
    for (const row of ordered) {
      let name = basename(row.path)
      if (taken.has(name)) name = `${row.imported_split}_${row.imported_defect_type}_${name}`
      for (let i = 2; taken.has(name); i++) name = `${i}_${basename(row.path)}`
      taken.add(name)
      try {
        symlinkSync(row.path, join(good, name))
      } catch {
        copyFileSync(row.path, join(good, name))
      }
    }
    renameSync(temp, folder)
  } catch (err) {
    rmSync(temp, { recursive: true, force: true })
    throw err
  }
  return folder
}
