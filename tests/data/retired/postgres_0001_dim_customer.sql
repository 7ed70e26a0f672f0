-- dim_customer for PostgreSQL (kept in step with migrations/sqlite).
CREATE TABLE IF NOT EXISTS dim_customer (
    customer_id   BIGINT      PRIMARY KEY,
    full_name     TEXT        NOT NULL,
    email         TEXT        NOT NULL,
    age           SMALLINT    NOT NULL CHECK (age BETWEEN 1 AND 120),
    date_of_birth DATE        NOT NULL,
    phone_number  TEXT        NOT NULL,
    country       TEXT        NULL,
    source_uri    TEXT        NOT NULL,
    loaded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
