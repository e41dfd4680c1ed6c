import type Database from 'better-sqlite3'

/**
 * Training runs and what they produce: evaluations with one row per test image, per-category
 * thresholds (history: every row; current: the latest per category and kind) and failure-review
 * verdicts (the latest per evaluation, image and queue counts).
 *
 * runs: config_json is the run's RunConfig (the run folder's config.json); run_dir is absolute,
 * under the app data folder (`runs/<id>-<slug>`). queue_position orders the queued runs (NULL once
 * a run has left the queue). last_progress_json is the latest TrainProgress, saved now and then
 * during training. note says why a run stopped when that was not asked for (the app quit, a crash).
 * evaluations: run_id is NULL for an evaluation of a model made elsewhere; metrics are NULL where
 * the test split cannot give them; metrics_json holds the full report (curves included).
 * image_results: map_path is the anomaly map file on disk (under the evaluation's maps_dir).
 * Run and evaluation ids are never reused (AUTOINCREMENT): they name folders and are kept in events.
 */
export default function updateToSchemaVersion0030(db: Database.Database): void {
  db.exec(`
    CREATE TABLE runs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      dataset_id INTEGER NOT NULL,
      category_id INTEGER NOT NULL,
      name TEXT NOT NULL,
      preset TEXT NOT NULL,
      config_json TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('queued', 'training', 'exporting', 'evaluating', 'done', 'cancelled', 'failed')),
      run_dir TEXT NOT NULL,
      backend TEXT,
      queue_position INTEGER,
      created_at TEXT NOT NULL,
      started_at TEXT,
      finished_at TEXT,
      error TEXT,
      note TEXT,
      last_progress_json TEXT,
      train_seconds REAL,
      model_path TEXT,
      FOREIGN KEY (category_id, dataset_id) REFERENCES categories(id, dataset_id) ON DELETE CASCADE,
      CHECK ((status = 'queued') = (queue_position IS NOT NULL))
    ) STRICT;
    CREATE INDEX runs_by_category ON runs (category_id, created_at);
    CREATE INDEX runs_queue ON runs (queue_position) WHERE queue_position IS NOT NULL;

    CREATE TABLE evaluations (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
      category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
      model_path TEXT NOT NULL,
      created_at TEXT NOT NULL,
      image_auroc REAL,
      pixel_auroc REAL,
      pixel_ap REAL,
      iap REAL,
      iap90 REAL,
      iap90_threshold REAL,
      aupro REAL,
      images INTEGER NOT NULL,
      instances INTEGER NOT NULL,
      ms_per_image REAL,
      metrics_json TEXT NOT NULL,
      maps_dir TEXT NOT NULL
    ) STRICT;
    CREATE INDEX evaluations_by_category ON evaluations (category_id, created_at);
    CREATE INDEX evaluations_by_run ON evaluations (run_id);

    CREATE TABLE image_results (
      evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
      image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      score REAL NOT NULL,
      map_path TEXT NOT NULL,
      PRIMARY KEY (evaluation_id, image_id)
    ) STRICT;
    CREATE INDEX image_results_by_image ON image_results (image_id);

    CREATE TABLE thresholds (
      id INTEGER PRIMARY KEY,
      category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
      evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE SET NULL,
      kind TEXT NOT NULL CHECK (kind IN ('pixel', 'image')),
      value REAL NOT NULL,
      note TEXT NOT NULL DEFAULT '',
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX thresholds_by_category ON thresholds (category_id, kind, id);

    CREATE TABLE verdicts (
      id INTEGER PRIMARY KEY,
      evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
      image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      queue TEXT NOT NULL CHECK (queue IN ('false_negative', 'false_positive')),
      verdict TEXT NOT NULL CHECK (verdict IN ('true_defect', 'false_alarm', 'ambiguous_gt', 'skip')),
      note TEXT NOT NULL DEFAULT '',
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX verdicts_by_evaluation ON verdicts (evaluation_id, image_id, queue, id);
  `)
}
