-- sift's memory of the files it validated: one row per file (dataset, source, content), and its
-- counts per failure id, so a report can set today's rates beside the recent files' (kept in step
-- with migrations/sqlite). Written after the file's load commits, or when a limit holds it;
-- a re-delivered file (same dataset, URI and checksum) is recorded once.
CREATE TABLE IF NOT EXISTS sift_file_history (
    id bigserial PRIMARY KEY,
    dataset text NOT NULL,
    source_uri text NOT NULL,
    checksum text NOT NULL,
    -- Held by a contract limit (nothing loaded); such files stay out of the baseline.
    held boolean NOT NULL,
    total_rows bigint NOT NULL,
    valid_rows bigint NOT NULL,
    invalid_rows bigint NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dataset, source_uri, checksum)
);

CREATE INDEX IF NOT EXISTS sift_file_history_recent ON sift_file_history (dataset, id DESC);

CREATE TABLE IF NOT EXISTS sift_rule_history (
    file_id bigint NOT NULL REFERENCES sift_file_history (id) ON DELETE CASCADE,
    -- The failure id's place in the contract's order.
    position integer NOT NULL,
    rule_id text NOT NULL,
    -- Rows failing the rule (an error rule) and valid rows warned by it (a warn rule).
    failures bigint NOT NULL,
    warnings bigint NOT NULL,
    PRIMARY KEY (file_id, rule_id)
);
