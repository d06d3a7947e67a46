-- Open pkg(5) publication transactions. They live here, not in memory, so
-- they survive a restart; nothing becomes visible before close commits.
CREATE TABLE pub_transaction (
  id        TEXT PRIMARY KEY,
  publisher TEXT NOT NULL,
  stem      TEXT NOT NULL,
  version   TEXT NOT NULL,
  subject   TEXT,
  manifest  TEXT NOT NULL DEFAULT '',
  created   INTEGER NOT NULL,
  touched   INTEGER NOT NULL
) WITHOUT ROWID;

-- Payloads received in a transaction, stored already (content-addressed)
-- but published only when the transaction closes.
CREATE TABLE pub_transaction_payload (
  transaction_id TEXT NOT NULL REFERENCES pub_transaction(id) ON DELETE CASCADE,
  hash           TEXT NOT NULL,
  chash          TEXT NOT NULL,
  gzip_sha256    TEXT NOT NULL,
  file_sha256    TEXT NOT NULL,
  size           INTEGER NOT NULL,
  csize          INTEGER NOT NULL,
  PRIMARY KEY (transaction_id, hash)
) WITHOUT ROWID;
