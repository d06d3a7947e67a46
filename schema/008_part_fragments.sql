-- Each stem's serialized entries in each catalog part, so a publish
-- re-serializes only the stems it touched and the part file is assembled
-- from the stored fragments.
CREATE TABLE catalog_part_stem (
  publisher TEXT NOT NULL REFERENCES publisher(name) ON DELETE CASCADE,
  part      TEXT NOT NULL,
  stem      TEXT NOT NULL,
  fragment  TEXT NOT NULL,
  PRIMARY KEY (publisher, part, stem)
) WITHOUT ROWID;
