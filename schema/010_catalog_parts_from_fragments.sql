-- Catalog parts are served from their stem fragments (kept in memory by
-- the writer and readers), not from stored bodies: a publish into a large
-- catalog then writes only the stems it touched. Each fragment records how
-- many versions it lists, so catalog.attrs's counts need no scan.
ALTER TABLE catalog_part_stem ADD COLUMN versions INTEGER NOT NULL DEFAULT 0;
UPDATE catalog_part_stem SET versions = (
  SELECT COUNT(*) FROM package p WHERE p.publisher = catalog_part_stem.publisher AND p.stem = catalog_part_stem.stem AND p.in_catalog = 1
) WHERE part = 'catalog.base.C';
UPDATE catalog_part_stem SET versions = (
  SELECT COUNT(*) FROM package_part pp JOIN package p ON p.id = pp.package_id
  WHERE p.publisher = catalog_part_stem.publisher AND p.stem = catalog_part_stem.stem AND p.in_catalog = 1 AND pp.part = catalog_part_stem.part
) WHERE part <> 'catalog.base.C';
DELETE FROM catalog_file_body WHERE name LIKE 'catalog.%' AND name <> 'catalog.attrs';
-- A WITHOUT ROWID table is the wrong home for multi-megabyte update logs:
-- SQLite took ~50 ms to change any row of it once one log held 38 MB.
CREATE TABLE catalog_file_body_rowid (
  publisher TEXT NOT NULL,
  name      TEXT NOT NULL,
  body      BLOB NOT NULL,
  PRIMARY KEY (publisher, name),
  FOREIGN KEY (publisher, name) REFERENCES catalog_file(publisher, name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO catalog_file_body_rowid (publisher, name, body) SELECT publisher, name, body FROM catalog_file_body;
DROP TABLE catalog_file_body;
ALTER TABLE catalog_file_body_rowid RENAME TO catalog_file_body;
