-- Which catalog format a publisher's files are written in: 'legacy'
-- (ASCII-escaped) or OmniOS's 'utf8' ("_FEATURE":["ooce:utf8"]).
ALTER TABLE publisher ADD COLUMN catalog_format TEXT NOT NULL DEFAULT 'legacy'
  CHECK (catalog_format IN ('legacy', 'utf8'));
