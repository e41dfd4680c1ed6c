import Database from 'better-sqlite3'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/main/store/db'
import {
  checkMigrations,
  DBVersionFromFutureError,
  migrate,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersion
} from '../../src/main/store/migrations'
import { dumpDatabase, tempDirs } from '../helpers/fixtures'

const tempDir = tempDirs()
const tableNames = (db: Database.Database): string[] =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all()
    .map((t) => t.name)

describe('migrations', () => {
  it('creates the schema on an empty database, in a new folder', () => {
    const db = openDatabase(join(tempDir(), 'nested', 'app.sqlite'))
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    expect(tableNames(db)).toEqual([
      'categories',
      'datasets',
      'defect_types',
      'evaluations',
      'image_results',
      'images',
      'inspection_results',
      'inspections',
      'label_changes',
      'label_revisions',
      'mask_versions',
      'masks',
      'runs',
      'texture_sources',
      'textures',
      'thresholds',
      'verdicts'
    ])
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0)
    db.close()
  })

  it('reopens idempotently, keeping the data', () => {
    const path = join(tempDir(), 'app.sqlite')
    const db = openDatabase(path)
    db.prepare(
      "INSERT INTO datasets (name, root, layout, created_at, scanned_at) VALUES ('a', '/a', 'mvtec', 't', 't')"
    ).run()
    const before = dumpDatabase(db)
    db.close()
    const again = openDatabase(path)
    expect(migrate(again)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION })
    expect(dumpDatabase(again)).toEqual(before)
    again.close()
  })

  it('upgrades a database from each older version', () => {
    for (let i = 0; i < MIGRATIONS.length; i++) {
      const path = join(tempDir(), 'old.sqlite')
      const old = new Database(path)
      migrate(old, MIGRATIONS.slice(0, i))
      expect(schemaVersion(old)).toBe(i === 0 ? 0 : MIGRATIONS[i - 1].version)
      old.close()
      const db = openDatabase(path)
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
      db.close()
    }
  })

  it('refuses a database from a newer app and leaves it alone', () => {
    const path = join(tempDir(), 'future.sqlite')
    const future = new Database(path)
    future.pragma(`user_version = ${SCHEMA_VERSION + 10}`)
    future.close()
    expect(() => openDatabase(path)).toThrow(DBVersionFromFutureError)
    expect(() => openDatabase(path)).toThrow(/newer than this app supports/)
    const check = new Database(path)
    expect(schemaVersion(check)).toBe(SCHEMA_VERSION + 10)
    expect(tableNames(check)).toEqual([])
    check.close()
  })

  it('applies pending migrations in one transaction: a failure leaves nothing behind', () => {
    const db = new Database(':memory:')
    const failing = {
      version: SCHEMA_VERSION + 10,
      up: () => {
        throw new Error('boom')
      }
    }
    expect(() => migrate(db, [...MIGRATIONS, failing])).toThrow('boom')
    expect(schemaVersion(db)).toBe(0)
    expect(tableNames(db)).toEqual([])
    db.close()
  })

  it('checks that versions increase strictly', () => {
    const up = (): void => {}
    expect(() =>
      checkMigrations([
        { version: 10, up },
        { version: 10, up }
      ])
    ).toThrow(/increase strictly/)
    expect(() =>
      checkMigrations([
        { version: 20, up },
        { version: 10, up }
      ])
    ).toThrow(/increase strictly/)
    expect(() => checkMigrations(MIGRATIONS)).not.toThrow()
    expect(MIGRATIONS.every((m) => m.version % 10 === 0)).toBe(true)
  })

  it('cascades deletes from a dataset to its categories, images and masks', () => {
    const db = openDatabase(':memory:')
    db.exec(`
      INSERT INTO datasets (id, name, root, layout, created_at, scanned_at) VALUES (1, 'a', '/a', 'mvtec', 't', 't');
      INSERT INTO categories (id, dataset_id, name, root) VALUES (1, 1, 'c', '/a');
      INSERT INTO images (id, dataset_id, category_id, path, rel_path, split, defect_type, label, width, height,
                          channels, format, size_bytes, mtime_ms, content_hash)
        VALUES (1, 1, 1, '/a/test/x/1.png', 'test/x/1.png', 'test', 'x', 1, 2, 2, 1, 'png', 10, 0, 'h');
      INSERT INTO masks (image_id, path, width, height, positive_pixels, content_hash) VALUES (1, '/m.png', 2, 2, 1, 'm');
    `)
    // An image must belong to a category of its own dataset.
    db.exec(
      "INSERT INTO datasets (id, name, root, layout, created_at, scanned_at) VALUES (2, 'b', '/b', 'mvtec', 't', 't')"
    )
    expect(() =>
      db.exec(`INSERT INTO images (dataset_id, category_id, path, rel_path, split, defect_type, label, width, height,
               channels, format, size_bytes, mtime_ms, content_hash) VALUES (2, 1, '/b/x.png', 'x.png', 'train', 'good', 0, 1, 1, 1, 'png', 1, 0, 'h')`)
    ).toThrow(/FOREIGN KEY/)
    db.exec('DELETE FROM datasets WHERE id = 1')
    for (const table of ['categories', 'images', 'masks']) {
      expect(db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()!.n).toBe(0)
    }
    db.close()
  })
})
