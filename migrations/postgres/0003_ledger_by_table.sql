-- The ledger is keyed by table as well (SPEC section 7): one file may feed two contracts, and
-- each load is recognised on its own. Rows from before this migration were loads of
-- dim_customer. Kept in step with migrations/sqlite.
ALTER TABLE sift_load_ledger ADD COLUMN IF NOT EXISTS table_name TEXT NOT NULL DEFAULT 'dim_customer';
ALTER TABLE sift_load_ledger DROP CONSTRAINT IF EXISTS sift_load_ledger_pkey;
ALTER TABLE sift_load_ledger ADD PRIMARY KEY (source_uri, table_name, checksum);
