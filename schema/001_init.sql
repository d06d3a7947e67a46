-- The catalog of record. Catalog/1 files are generated from these tables;
-- times are microseconds since the Unix epoch (UTC).

CREATE TABLE repository_setting (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE publisher (
  name                  TEXT PRIMARY KEY,
  catalog_created       INTEGER NOT NULL,
  catalog_last_modified INTEGER NOT NULL,
  -- the "repositories" entry of the publisher's pub.p5i (JSON), or NULL
  repository            TEXT
) WITHOUT ROWID;

-- One row per package version (FMRI). The manifest is stored byte-exact:
-- its SHA-1 is what catalog.base.C and the client check.
CREATE TABLE package (
  id            INTEGER PRIMARY KEY,
  publisher     TEXT NOT NULL REFERENCES publisher(name),
  stem          TEXT NOT NULL,
  version       TEXT NOT NULL,
  published     INTEGER NOT NULL,
  manifest      BLOB NOT NULL,
  manifest_sha1 TEXT NOT NULL,
  in_catalog    INTEGER NOT NULL DEFAULT 1,
  UNIQUE (publisher, stem, version)
);
CREATE INDEX package_by_stem ON package(stem);

-- Entries of the non-base catalog parts (catalog.dependency.C,
-- catalog.summary.<locale>): the action strings of one version.
CREATE TABLE package_part (
  package_id INTEGER NOT NULL REFERENCES package(id) ON DELETE CASCADE,
  part       TEXT NOT NULL,
  actions    TEXT NOT NULL,
  PRIMARY KEY (package_id, part)
) WITHOUT ROWID;

-- last-modified of every catalog part and update log, as catalog.attrs lists it.
CREATE TABLE catalog_stamp (
  publisher     TEXT NOT NULL REFERENCES publisher(name) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (publisher, name)
) WITHOUT ROWID;

-- The hourly update logs, entry by entry, in the order they happened.
CREATE TABLE update_log_entry (
  id        INTEGER PRIMARY KEY,
  publisher TEXT NOT NULL REFERENCES publisher(name) ON DELETE CASCADE,
  log       TEXT NOT NULL,
  stem      TEXT NOT NULL,
  version   TEXT NOT NULL,
  op_type   TEXT NOT NULL CHECK (op_type IN ('add', 'remove')),
  op_time   INTEGER NOT NULL,
  parts     TEXT NOT NULL
);
CREATE INDEX update_log_by_name ON update_log_entry(publisher, log);

-- The generated catalog/1 files currently served: a consistent snapshot,
-- replaced in the same transaction that changes the rows above.
CREATE TABLE catalog_file (
  publisher     TEXT NOT NULL REFERENCES publisher(name) ON DELETE CASCADE,
  name          TEXT NOT NULL,
  body          BLOB NOT NULL,
  signature     TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (publisher, name)
) WITHOUT ROWID;

-- Payloads, named by the SHA-1 of their uncompressed content; the stored
-- bytes are the gzip stream the manifests pin with chash.
CREATE TABLE payload (
  hash            TEXT PRIMARY KEY,
  chash           TEXT NOT NULL,
  gzip_sha256     TEXT NOT NULL,
  file_sha256     TEXT NOT NULL,
  size            INTEGER NOT NULL,
  csize           INTEGER NOT NULL,
  first_published INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE publisher_payload (
  publisher TEXT NOT NULL REFERENCES publisher(name) ON DELETE CASCADE,
  hash      TEXT NOT NULL REFERENCES payload(hash),
  PRIMARY KEY (publisher, hash)
) WITHOUT ROWID;

-- Every other digest a client may name a payload by (gzip:sha256:…, …).
CREATE TABLE payload_alias (
  digest TEXT PRIMARY KEY,
  hash   TEXT NOT NULL REFERENCES payload(hash)
) WITHOUT ROWID;
