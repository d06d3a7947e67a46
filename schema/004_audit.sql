-- Every authenticated write, allowed or refused: append-only.
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  issuer    TEXT,
  subject   TEXT,
  client_id TEXT,
  jti       TEXT,
  action    TEXT NOT NULL,
  publisher TEXT,
  package   TEXT,
  result    TEXT NOT NULL,
  detail    TEXT
);
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
