-- Which payloads each package's manifest references (file, license and
-- signature actions, and a signature's chain certificates), so removing a
-- package can tell, inside its transaction, which payloads no package
-- needs any more. Databases from before this table are filled in once, at
-- the first open (Repository), from the stored manifests.
CREATE TABLE package_payload (
  package_id INTEGER NOT NULL REFERENCES package(id) ON DELETE CASCADE,
  hash       TEXT NOT NULL,
  PRIMARY KEY (package_id, hash)
) WITHOUT ROWID;
CREATE INDEX package_payload_by_hash ON package_payload(hash);
INSERT INTO repository_setting (key, value) SELECT 'backfill/package_payload', 'pending' WHERE EXISTS (SELECT 1 FROM package);

-- Payloads whose rows a removal deleted: their files are deleted by the
-- process that owns the data directory (it alone stores payloads, so none
-- is taken up again between its check and the delete).
CREATE TABLE payload_garbage (
  hash   TEXT PRIMARY KEY,
  queued INTEGER NOT NULL
) WITHOUT ROWID;
