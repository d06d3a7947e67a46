-- A publish records which catalog files (and, in parts, which stems) it
-- changed and returns; signing those files and writing catalog.attrs
-- ("sealing") happens afterwards, off the request path, so one publish
-- costs the same into any catalog. Readers are served the sealed files and
-- wait for a seal covering every change committed before they asked.
ALTER TABLE publisher ADD COLUMN catalog_revision INTEGER NOT NULL DEFAULT 0;
ALTER TABLE publisher ADD COLUMN sealed_revision INTEGER NOT NULL DEFAULT 0;
-- A seal prunes the changes it covered: a copy of a part older than this
-- revision cannot be patched and is rebuilt from its fragments.
ALTER TABLE publisher ADD COLUMN change_floor INTEGER NOT NULL DEFAULT 0;
CREATE TABLE catalog_change (
  publisher TEXT NOT NULL REFERENCES publisher(name) ON DELETE CASCADE,
  revision  INTEGER NOT NULL,
  -- a catalog file, or '*' when every file was regenerated
  name      TEXT NOT NULL,
  -- in a part, the stem whose fragment changed
  stem      TEXT
);
CREATE INDEX catalog_change_by_file ON catalog_change (publisher, name, revision);
