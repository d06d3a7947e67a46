-- The search index as postings. Every distinct token is stored once (the
-- term dictionary, which globs are matched against), every distinct
-- (action type, key) once, and each action's tokens as rows of four
-- integers: (term, package, action's line number, field). The action's
-- line and a token's full value are read from the stored manifest when a
-- result is printed, not copied per token: the previous tables
-- (search_action, search_token) held most of a 2.4 GB database at 229k
-- versions, and answered AND by looking up each left hit's tokens.
DROP TABLE search_token;
DROP TABLE search_action;

-- AUTOINCREMENT: an id is never given to another token, so a search
-- worker's copy of the dictionary stays true by reading only newer ids.
CREATE TABLE search_term (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  token TEXT NOT NULL UNIQUE,
  lower TEXT NOT NULL
);
CREATE INDEX search_term_by_lower ON search_term(lower);

CREATE TABLE search_field (
  id          INTEGER PRIMARY KEY,
  action_type TEXT NOT NULL,
  key         TEXT NOT NULL,
  UNIQUE (action_type, key)
);

-- By term: a term's postings, and whether one action (package, seq) has it.
CREATE TABLE search_posting (
  term_id    INTEGER NOT NULL,
  package_id INTEGER NOT NULL REFERENCES package(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  field_id   INTEGER NOT NULL,
  PRIMARY KEY (term_id, package_id, seq, field_id)
) WITHOUT ROWID;
-- By action: its tokens (AND from the rarer side), and the cascade when a package goes.
CREATE INDEX search_posting_by_action ON search_posting(package_id, seq);

-- Where each indexed action's line lies in its manifest's bytes. The line
-- itself is kept when it was joined from continued lines, and when the
-- manifest is large: SQLite's substr() reads the whole value it slices.
CREATE TABLE search_line (
  package_id INTEGER NOT NULL REFERENCES package(id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  start      INTEGER NOT NULL,
  length     INTEGER NOT NULL,
  line       TEXT,
  PRIMARY KEY (package_id, seq)
) WITHOUT ROWID;

-- A package's publisher, listing and name without reading its row (the
-- manifest comes before in_catalog in it, often in overflow pages).
CREATE INDEX package_ref ON package(id, publisher, in_catalog, stem, version);
