/**
 * Schema migrations, Signal-style: one append-only file per version (steps of 10),
 * applied in one transaction, tracked in PRAGMA user_version.
 */
import type Database from 'better-sqlite3'
import { UserError } from '../../../common/ipc/errors'
import updateToSchemaVersion0010 from './0010-create-datasets'
import updateToSchemaVersion0020 from './0020-create-textures'
import updateToSchemaVersion0030 from './0030-create-runs'
import updateToSchemaVersion0040 from './0040-create-inspections'
import updateToSchemaVersion0060 from './0060-create-labels'

export interface Migration {
  version: number
  up: (db: Database.Database) => void
}

/** Append new migrations at the end; never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 10, up: updateToSchemaVersion0010 },
  { version: 20, up: updateToSchemaVersion0020 },
  { version: 30, up: updateToSchemaVersion0030 },
  { version: 40, up: updateToSchemaVersion0040 },
  { version: 60, up: updateToSchemaVersion0060 }
]

/** Throws unless versions are positive and strictly increasing. */
export function checkMigrations(migrations: readonly Migration[]): void {
  let previous = 0
  for (const { version } of migrations) {
    if (!Number.isInteger(version) || version <= previous) {
      throw new Error(`Migration versions must increase strictly: ${version} follows ${previous}`)
    }
    previous = version
  }
}

checkMigrations(MIGRATIONS)

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/** The database was written by a newer app; opening it could corrupt it. */
export class DBVersionFromFutureError extends UserError {
  constructor(
    readonly dbVersion: number,
    readonly appVersion: number
  ) {
    super(
      `The database has schema version ${dbVersion}, newer than this app supports (${appVersion}). ` +
        'Update the app, or use another database file.',
      'DB_VERSION_FROM_FUTURE'
    )
    this.name = 'DBVersionFromFutureError'
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** Applies every pending migration in one transaction; returns the versions before and after. */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS
): { from: number; to: number } {
  checkMigrations(migrations)
  const from = schemaVersion(db)
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0
  if (from > latest) throw new DBVersionFromFutureError(from, latest)
  const pending = migrations.filter((m) => m.version > from)
  db.transaction(() => {
    for (const migration of pending) {
      migration.up(db)
      db.pragma(`user_version = ${migration.version}`)
    }
  })()
  return { from, to: schemaVersion(db) }
}
