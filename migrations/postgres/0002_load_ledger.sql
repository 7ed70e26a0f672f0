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
