import type Database from 'better-sqlite3'

/** Texture folders used as the anomaly source for synthesis (e.g. DTD), and their images. */
export default function updateToSchemaVersion0020(db: Database.Database): void {
  db.exec(`
    CREATE TABLE texture_sources (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      root TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE textures (
      id INTEGER PRIMARY KEY,
      texture_source_id INTEGER NOT NULL REFERENCES texture_sources(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      rel_path TEXT NOT NULL,
      class TEXT NOT NULL,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      channels INTEGER NOT NULL,
      content_hash TEXT NOT NULL,
      UNIQUE (texture_source_id, path)
    ) STRICT;
  `)
}
