import type Database from 'better-sqlite3'

/**
 * Labels edited in the workstation (issue 8). The imported rows (images, masks) stay as the files
 * say; what an engineer changes is kept beside them, append-only, and the latest row wins:
 *
 * label_changes: an image moved between good and a defect type (and between the training and the
 * test set): split, defect_type and label as they are from this change on. source says why:
 * 'relabel' (by hand), 'false_alarm' (review verdict: into the normal training set) or
 * 'true_defect' (review verdict: into the test set as a defect).
 * mask_versions: every saved mask of an image, version 1, 2, ... per image (version 0 is the
 * imported mask, in masks). path is the PNG in the app's label folder (never a user file), or the
 * imported mask's path when an older version was restored; NULL means "no mask" (an image-level
 * label). restored_from names the version a restore copied.
 * defect_types: defect types created by hand for a category (the imported ones come from images).
 * label_revisions: per category a counter, raised by every change; each change row keeps the
 * revision it made. evaluations.labels_revision is the category's revision when the evaluation was
 * stored (a trigger fills it when the writer leaves it NULL), so "labels changed since this run"
 * is a comparison of two numbers.
 * current_images (a view): each image with its current split, defect type, label and whether it has
 * a mask now; the gallery and the dataset counts read it.
 */
export default function updateToSchemaVersion0060(db: Database.Database): void {
  db.exec(`
    CREATE TABLE label_revisions (
      category_id INTEGER PRIMARY KEY REFERENCES categories(id) ON DELETE CASCADE,
      revision INTEGER NOT NULL,
      changed_at TEXT NOT NULL
    ) STRICT;

    CREATE TABLE label_changes (
      id INTEGER PRIMARY KEY,
      image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
      split TEXT NOT NULL CHECK (split IN ('train', 'test')),
      defect_type TEXT NOT NULL,
      label INTEGER NOT NULL CHECK (label IN (0, 1)),
      source TEXT NOT NULL CHECK (source IN ('relabel', 'false_alarm', 'true_defect')),
      note TEXT NOT NULL DEFAULT '',
      revision INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      CHECK ((label = 0) = (defect_type = 'good')),
      CHECK (label = 0 OR split = 'test')
    ) STRICT;
    CREATE INDEX label_changes_by_image ON label_changes (image_id, id);
    CREATE INDEX label_changes_by_category ON label_changes (category_id, revision);

    CREATE TABLE mask_versions (
      id INTEGER PRIMARY KEY,
      image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
      category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
      version INTEGER NOT NULL CHECK (version >= 1),
      path TEXT,
      width INTEGER NOT NULL,
      height INTEGER NOT NULL,
      positive_pixels INTEGER NOT NULL,
      bbox_x INTEGER,
      bbox_y INTEGER,
      bbox_w INTEGER,
      bbox_h INTEGER,
      note TEXT NOT NULL DEFAULT '',
      restored_from INTEGER,
      revision INTEGER NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (image_id, version),
      CHECK ((bbox_x IS NULL) = (bbox_y IS NULL) AND (bbox_x IS NULL) = (bbox_w IS NULL) AND (bbox_x IS NULL) = (bbox_h IS NULL))
    ) STRICT;
    CREATE INDEX mask_versions_by_category ON mask_versions (category_id, revision);

    CREATE TABLE defect_types (
      id INTEGER PRIMARY KEY,
      category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
      name TEXT NOT NULL,
      created_at TEXT NOT NULL,
      UNIQUE (category_id, name)
    ) STRICT;

    ALTER TABLE evaluations ADD COLUMN labels_revision INTEGER;
    CREATE TRIGGER evaluations_labels_revision AFTER INSERT ON evaluations WHEN NEW.labels_revision IS NULL
    BEGIN
      UPDATE evaluations
         SET labels_revision = COALESCE((SELECT revision FROM label_revisions WHERE category_id = NEW.category_id), 0)
       WHERE id = NEW.id;
    END;

    CREATE VIEW current_images AS
    SELECT i.id, i.dataset_id, i.category_id, i.path, i.rel_path,
           COALESCE(c.split, i.split) AS split,
           COALESCE(c.defect_type, i.defect_type) AS defect_type,
           COALESCE(c.label, i.label) AS label,
           i.width, i.height,
           CASE WHEN v.id IS NULL THEN EXISTS (SELECT 1 FROM masks m WHERE m.image_id = i.id) ELSE v.path IS NOT NULL END AS has_mask
      FROM images i
      LEFT JOIN label_changes c ON c.id = (SELECT MAX(id) FROM label_changes WHERE image_id = i.id)
      LEFT JOIN mask_versions v ON v.id = (SELECT id FROM mask_versions WHERE image_id = i.id ORDER BY version DESC LIMIT 1);
  `)
}
