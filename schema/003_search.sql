-- The search index: every action of every stored manifest, and the
-- tokens pkg5 indexes for it (search-tokens.ts). Rows go in and out with
-- their package, in the same transaction.
CREATE TABLE search_action (
  id          INTEGER PRIMARY KEY,
  package_id  INTEGER NOT NULL REFERENCES package(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  action_type TEXT NOT NULL,
  line        TEXT NOT NULL
);
CREATE INDEX search_action_by_package ON search_action(package_id);

CREATE TABLE search_token (
  action_id   INTEGER NOT NULL REFERENCES search_action(id) ON DELETE CASCADE,
  token       TEXT NOT NULL,
  token_lower TEXT NOT NULL,
  key         TEXT NOT NULL,
  full_value  TEXT,
  UNIQUE (action_id, token, key, full_value)
);
CREATE INDEX search_token_by_lower ON search_token(token_lower);
CREATE INDEX search_token_by_token ON search_token(token);
