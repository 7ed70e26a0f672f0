-- sift's memory of the files it validated (kept in step with migrations/postgres: see
-- 0005_file_history.sql there). Instants are RFC 3339 UTC text.
CREATE TABLE IF NOT EXISTS sift_file_history (
    id           INTEGER PRIMARY KEY,
    dataset      TEXT    NOT NULL,
    source_uri   TEXT    NOT NULL,
    checksum     TEXT    NOT NULL,
    held         BOOLEAN NOT NULL,
    total_rows   INTEGER NOT NULL,
    valid_rows   INTEGER NOT NULL,
    invalid_rows INTEGER NOT NULL,
    recorded_at  TEXT    NOT NULL,
    UNIQUE (dataset, source_uri, checksum)
);

CREATE INDEX IF NOT EXISTS sift_file_history_recent ON sift_file_history (dataset, id DESC);

CREATE TABLE IF NOT EXISTS sift_rule_history (
    file_id  INTEGER NOT NULL REFERENCES sift_file_history (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    rule_id  TEXT    NOT NULL,
    failures INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    PRIMARY KEY (file_id, rule_id)
);
