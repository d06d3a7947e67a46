-- Token ids of single-use tokens (CI ID tokens) already spent, kept until
-- the token would have expired anyway.
CREATE TABLE used_jti (
  issuer  TEXT NOT NULL,
  jti     TEXT NOT NULL,
  expires INTEGER NOT NULL,
  PRIMARY KEY (issuer, jti)
) WITHOUT ROWID;
CREATE INDEX used_jti_by_expiry ON used_jti(expires);
