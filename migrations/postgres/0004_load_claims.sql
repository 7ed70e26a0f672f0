-- Concurrent loads of one table announce themselves here and, once their file is read, the
-- keys they may write, so that a younger load never writes a key an older running load will
-- write (crates/warehouse/src/postgres/claims.rs). Rows are short-lived: a load's row stops
-- counting when its transaction ends, and rows of ended loads are deleted after an hour.
CREATE TABLE IF NOT EXISTS sift_load_claims (
    seq bigserial PRIMARY KEY,
    table_name text NOT NULL,
    -- The load transaction's id (pg_current_xact_id()): its status says whether the load runs.
    xid bigint NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    -- The load's keys once its file is read (NULL until then); see claims.rs for the format.
    claims bytea
);

CREATE INDEX IF NOT EXISTS sift_load_claims_by_table ON sift_load_claims (table_name, seq);
