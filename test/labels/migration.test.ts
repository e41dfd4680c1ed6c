/** Migration 0060 on a database of version 40 with an evaluation: the evaluation reads as computed against revision 0. */
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { migrate, MIGRATIONS } from '../../src/main/store/migrations'

describe('migration 0060 (labels)', () => {
  it('adds the label tables and evaluations.labels_revision, filled on insert by a trigger', () => {
    const db = new Database(':memory:')
    db.pragma('foreign_keys = ON')
    migrate(db, MIGRATIONS.filter((m) => m.version <= 40))
    db.exec(`INSERT INTO datasets VALUES (1, 'd', '/d', 'mvtec', 't', 't');
             INSERT INTO categories VALUES (1, 1, 'c', '/d');
             INSERT INTO evaluations (category_id, model_path, created_at, images, instances, metrics_json, maps_dir) VALUES (1, 'm', 't', 0, 0, '{}', '/m')`)
    expect(migrate(db)).toEqual({ from: 40, to: 60 })
    const columns = db.prepare("SELECT name FROM pragma_table_info('evaluations') WHERE name = 'labels_revision'").all()
    expect(columns).toHaveLength(1)
    expect(db.prepare('SELECT labels_revision FROM evaluations').get()).toEqual({ labels_revision: null })
    db.exec("INSERT INTO label_revisions VALUES (1, 7, 't')")
    db.exec("INSERT INTO evaluations (category_id, model_path, created_at, images, instances, metrics_json, maps_dir) VALUES (1, 'm', 't', 0, 0, '{}', '/m')")
    db.exec("INSERT INTO evaluations (category_id, model_path, created_at, images, instances, metrics_json, maps_dir, labels_revision) VALUES (1, 'm', 't', 0, 0, '{}', '/m', 3)")
    expect(db.prepare('SELECT labels_revision FROM evaluations ORDER BY id').all()).toEqual([
      { labels_revision: null },
      { labels_revision: 7 },
      { labels_revision: 3 }
    ])
    expect(() => db.exec("INSERT INTO label_changes (image_id, category_id, split, defect_type, label, source, revision, created_at) VALUES (1, 1, 'train', 'crack', 1, 'relabel', 1, 't')")).toThrow()
    db.close()
  })
})
