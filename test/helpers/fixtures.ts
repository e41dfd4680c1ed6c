/** Temp folders, dataset fixtures in MVTec AD and plain layouts, and database dumps. */
import type Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { writeImage, writeMask } from './images'

/** A function making temp folders, all removed after the test file. */
export function tempDirs(): (prefix?: string) => string {
  const made: string[] = []
  afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })))
  return (prefix = 'destseg-test-') => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    made.push(dir)
    return dir
  }
}

export interface MvtecSpec {
  trainGood?: number
  testGood?: number
  /** defect name -> number of images, each with a mask */
  defects?: Record<string, number>
  ext?: string
  width?: number
  height?: number
}

/**
 * An MVTec AD category: train/good/000.png ..., test/good/..., test/<defect>/000.png and
 * ground_truth/<defect>/000_mask.png. Defaults: 4 train, 2 test good, crack 2 and hole 1.
 */
export async function makeMvtecCategory(dir: string, spec: MvtecSpec = {}): Promise<void> {
  const { trainGood = 4, testGood = 2, defects = { crack: 2, hole: 1 }, ext = 'png', width = 32, height = 24 } = spec
  const name = (i: number): string => String(i).padStart(3, '0')
  let seed = 0
  for (let i = 0; i < trainGood; i++)
    await writeImage(join(dir, 'train/good', `${name(i)}.${ext}`), { width, height, seed: seed++ })
  for (let i = 0; i < testGood; i++)
    await writeImage(join(dir, 'test/good', `${name(i)}.${ext}`), { width, height, seed: seed++ })
  for (const [defect, n] of Object.entries(defects)) {
    for (let i = 0; i < n; i++) {
      await writeImage(join(dir, 'test', defect, `${name(i)}.${ext}`), { width, height, seed: seed++ })
      await writeMask(join(dir, 'ground_truth', defect, `${name(i)}_mask.png`), width, height, i + 1)
    }
  }
}

/** Plain layout: normal/ (n images), anomalous/ (m images), masks/ for each anomalous one. */
export async function makePlainDataset(dir: string, normal = 10, anomalous = 2): Promise<void> {
  for (let i = 0; i < normal; i++)
    await writeImage(join(dir, 'normal', `n${String(i).padStart(2, '0')}.png`), { seed: i })
  for (let i = 0; i < anomalous; i++) {
    await writeImage(join(dir, 'anomalous', `a${i}.jpg`), { seed: 100 + i })
    // Both mask namings: a0.png and a1_mask.png.
    await writeMask(join(dir, 'masks', i % 2 ? `a${i}_mask.png` : `a${i}.png`), 32, 24, 5)
  }
}

/** Every row of every table, and the schema version: equal dumps mean an unchanged database. */
export function dumpDatabase(db: Database.Database): Record<string, unknown> {
  const tables = db
    .prepare<[], { name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    .all()
  const dump: Record<string, unknown> = { user_version: db.pragma('user_version', { simple: true }) }
  for (const { name } of tables) dump[name] = db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()
  return dump
}
