/** Queries for texture sources (anomaly source images) and their textures. */
import type Database from 'better-sqlite3'

type DB = Database.Database

export interface TextureSourceRow {
  id: number
  name: string
  root: string
  created_at: string
}

export interface TextureRecord {
  id: number
  texture_source_id: number
  path: string
  rel_path: string
  /** first subfolder below the source root, '' for files at the top */
  class: string
  width: number
  height: number
  channels: number
  content_hash: string
}
export type NewTexture = Omit<TextureRecord, 'id' | 'texture_source_id'>

export function listTextureSources(db: DB): TextureSourceRow[] {
  return db.prepare<[], TextureSourceRow>('SELECT * FROM texture_sources ORDER BY name, id').all()
}

export function getTextureSource(db: DB, id: number): TextureSourceRow | undefined {
  return db.prepare<[number], TextureSourceRow>('SELECT * FROM texture_sources WHERE id = ?').get(id)
}

export function findTextureSourceByRoot(db: DB, root: string): TextureSourceRow | undefined {
  return db.prepare<[string], TextureSourceRow>('SELECT * FROM texture_sources WHERE root = ?').get(root)
}

export function insertTextureSource(db: DB, row: Omit<TextureSourceRow, 'id'>): number {
  const sql = 'INSERT INTO texture_sources (name, root, created_at) VALUES (@name, @root, @created_at)'
  return Number(db.prepare<Omit<TextureSourceRow, 'id'>>(sql).run(row).lastInsertRowid)
}

export function deleteTextureSource(db: DB, id: number): boolean {
  return db.prepare<[number]>('DELETE FROM texture_sources WHERE id = ?').run(id).changes > 0
}

export function insertTexture(db: DB, sourceId: number, texture: NewTexture): number {
  const sql = `INSERT INTO textures (texture_source_id, path, rel_path, class, width, height, channels, content_hash)
               VALUES (@texture_source_id, @path, @rel_path, @class, @width, @height, @channels, @content_hash)`
  return Number(db.prepare<TextureRecord>(sql).run({ ...texture, id: 0, texture_source_id: sourceId }).lastInsertRowid)
}

export function listTextures(db: DB, sourceId: number): TextureRecord[] {
  return db
    .prepare<[number], TextureRecord>('SELECT * FROM textures WHERE texture_source_id = ? ORDER BY rel_path')
    .all(sourceId)
}

/** Image count and sorted distinct classes of one source. */
export function textureStats(db: DB, sourceId: number): { images: number; classes: string[] } {
  const rows = db
    .prepare<[number], { class: string; n: number }>(
      'SELECT class, COUNT(*) AS n FROM textures WHERE texture_source_id = ? GROUP BY class ORDER BY class'
    )
    .all(sourceId)
  return { images: rows.reduce((sum, r) => sum + r.n, 0), classes: rows.map((r) => r.class) }
}
