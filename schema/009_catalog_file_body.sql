-- Catalog file bodies live apart from their signature and last-modified,
-- so listing a publisher's files (every publish does, for catalog.attrs)
-- never reads the bytes of large parts.
CREATE TABLE catalog_file_body (
  publisher TEXT NOT NULL,
  name      TEXT NOT NULL,
  body      BLOB NOT NULL,
  PRIMARY KEY (publisher, name),
  FOREIGN KEY (publisher, name) REFERENCES catalog_file(publisher, name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;
INSERT INTO catalog_file_body (publisher, name, body) SELECT publisher, name, body FROM catalog_file;
CREATE TABLE catalog_file_meta (
  publisher     TEXT NOT NULL REFERENCES publisher(name) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  signature     TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (publisher, name)
) WITHOUT ROWID;
INSERT INTO catalog_file_meta (publisher, name, signature, last_modified) SELECT publisher, name, signature, last_modified FROM catalog_file;
DROP TABLE catalog_file;
ALTER TABLE catalog_file_meta RENAME TO catalog_file;
