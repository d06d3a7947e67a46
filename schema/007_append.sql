-- append/0 transactions (pkgsign) add signature actions to a published package.
ALTER TABLE pub_transaction ADD COLUMN kind TEXT NOT NULL DEFAULT 'open' CHECK (kind IN ('open', 'append'));
