-- One row per loaded source file (kept in step with migrations/postgres).
CREATE TABLE IF NOT EXISTS sift_load_ledger (
    source_uri      TEXT    NOT NULL,
    checksum        TEXT    NOT NULL,
    total_rows      INTEGER NOT NULL,
    valid_rows      INTEGER NOT NULL,
    invalid_rows    INTEGER NOT NULL,
    inserted        INTEGER NOT NULL,
    already_present INTEGER NOT NULL,
    loaded_at       TEXT    NOT NULL,
    PRIMARY KEY (source_uri, checksum)
);
