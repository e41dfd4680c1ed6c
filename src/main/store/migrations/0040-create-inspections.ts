import type Database from 'better-sqlite3'

/**
 * Inspections: a trained category's model pointed at a folder of new, unlabelled images.
 *
 * inspections: one per request. model_path is the model used (the run's exported ONNX file; the run
 * may be deleted later: run_id becomes NULL, the results stay). folder is where the images were
 * (absolute; never copied). pixel_threshold and image_threshold are the values the verdicts were
 * made with, threshold_note says where they came from (saved, or defaults of an evaluation).
 * maps_dir holds one .npy map per image. status: 'running' while the job works; the results are
 * written with 'done' in one transaction, so a cancelled, failed or interrupted inspection has no
 * result rows at all.
 * inspection_results: one per image; map_path is its S/4 x S/4 float32 map; pass is 1 when the
 * image score is under the image threshold; defect_fraction is the share of the 256x256 map at or
 * over the pixel threshold.
 */
export default function updateToSchemaVersion0040(db: Database.Database): void {
  db.exec(`
    CREATE TABLE inspections (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
      run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
      model_path TEXT NOT NULL,
      folder TEXT NOT NULL,
      created_at TEXT NOT NULL,
      finished_at TEXT,
      status TEXT NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
      error TEXT,
      pixel_threshold REAL NOT NULL,
      image_threshold REAL NOT NULL,
      threshold_note TEXT NOT NULL DEFAULT '',
      maps_dir TEXT NOT NULL,
      images INTEGER NOT NULL DEFAULT 0,
      ms_per_image REAL
    ) STRICT;
    CREATE INDEX inspections_by_category ON inspections (category_id, id);

    CREATE TABLE inspection_results (
      id INTEGER PRIMARY KEY,
      inspection_id INTEGER NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      score REAL NOT NULL,
      map_path TEXT NOT NULL,
      map_size INTEGER NOT NULL,
      pass INTEGER NOT NULL CHECK (pass IN (0, 1)),
      defect_fraction REAL NOT NULL,
      UNIQUE (inspection_id, path)
    ) STRICT;
    CREATE INDEX inspection_results_by_score ON inspection_results (inspection_id, score);
  `)
}
