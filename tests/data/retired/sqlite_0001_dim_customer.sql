-- dim_customer for the embedded SQLite warehouse (kept in step with migrations/postgres).
-- Dates are ISO 8601 text (YYYY-MM-DD); loaded_at is RFC 3339 UTC text.
CREATE TABLE IF NOT EXISTS dim_customer (
    customer_id   INTEGER PRIMARY KEY,
    full_name     TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    age           INTEGER NOT NULL CHECK (age BETWEEN 1 AND 120),
    date_of_birth TEXT    NOT NULL,
    phone_number  TEXT    NOT NULL,
    country       TEXT    NULL,
    source_uri    TEXT    NOT NULL,
    loaded_at     TEXT    NOT NULL
);
