import type Database from 'better-sqlite3'

/**
 * Datasets, their categories, images and ground-truth masks.
 * Paths are absolute; rel_path is relative to the category root, with '/' separators.
 * images.dataset_id duplicates the category's dataset so that a path is unique per dataset;
 * the composite foreign key keeps the two consistent.
 * masks.bbox_* is the bounding box of the mask's positive pixels (null when it has none), for zoom-to-defect.
 */
export default function updateToSchemaVersion0010(db: Database.Database): void {
  db.exec(`
    CREATE TABLE datasets (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      root TEXT NOT NULL UNIQUE,
      layout TEXT NOT NULL CHECK (layout IN ('mvtec', 'plain')),
      created_at TEXT NOT NULL,
      scanned_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE categories (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      root TEXT NOT NULL,
      UNIQUE (dataset_id, name),
      UNIQUE (id, dataset_id)
    ) STRICT;

    CREATE TABLE images (
      id INTEGER PRIMARY KEY,
      dataset_id INTEGER NOT NULL,
      category_id INTEGER NOT NULL,
      path TEXT NOT NULL,
      rel_path TEXT NOT NULL,
      split TEXT NOT NULL CHECK (split IN ('train', 'test')),
      defect_type TEXT NOT NULL,
      label INTEGER NOT NULL CHECK (label IN (0, 1)),
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      channels INTEGER NOT NULL,
      format TEXT NOT NULL,
      size_bytes INTEGER NOT NULL,
      mtime_ms REAL NOT NULL,
      content_hash TEXT NOT NULL,
      UNIQUE (dataset_id, path),
      FOREIGN KEY (category_id, dataset_id) REFERENCES categories(id, dataset_id) ON DELETE CASCADE
    ) STRICT;
    CREATE INDEX images_by_category ON images (category_id, split, defect_type, rel_path);

    CREATE TABLE masks (
      id INTEGER PRIMARY KEY,
      image_id INTEGER NOT NULL UNIQUE REFERENCES images(id) ON DELETE CASCADE,
      path TEXT NOT NULL,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      positive_pixels INTEGER NOT NULL,
      content_hash TEXT NOT NULL,
      -- bounding box of the positive pixels in mask pixels; all NULL for an empty mask
      bbox_x INTEGER,
      bbox_y INTEGER,
      bbox_w INTEGER,
      bbox_h INTEGER,
      CHECK ((bbox_x IS NULL) = (bbox_y IS NULL) AND (bbox_x IS NULL) = (bbox_w IS NULL) AND (bbox_x IS NULL) = (bbox_h IS NULL))
    ) STRICT;
  `)
}
