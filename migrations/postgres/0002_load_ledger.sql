-- One row per loaded source file: a re-delivered event for the same content is recognised and
-- never loads twice. The row is written in the load's own transaction.
CREATE TABLE IF NOT EXISTS sift_load_ledger (
    source_uri      TEXT        NOT NULL,
    checksum        TEXT        NOT NULL, -- SHA-256 of the file's bytes, lower-case hex
    total_rows      BIGINT      NOT NULL,
    valid_rows      BIGINT      NOT NULL,
    invalid_rows    BIGINT      NOT NULL,
    inserted        BIGINT      NOT NULL,
    already_present BIGINT      NOT NULL,
    loaded_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (source_uri, checksum)
);

-- The shape of a load's staging rows. Loads never write to this table: each creates
--   CREATE TEMP TABLE sift_staging (LIKE public.sift_staging) ON COMMIT DROP
-- which shadows it for that transaction (temporary tables come first in the search path), so
-- the final INSERT ... SELECT is compile-checked against this definition and runs against the
-- load's own rows.
CREATE TABLE IF NOT EXISTS sift_staging (
    row_number    BIGINT   NOT NULL,
    customer_id   BIGINT   NOT NULL,
    full_name     TEXT     NOT NULL,
    email         TEXT     NOT NULL,
    age           SMALLINT NOT NULL,
    date_of_birth DATE     NOT NULL,
    phone_number  TEXT     NOT NULL,
    country       TEXT     NULL
);
