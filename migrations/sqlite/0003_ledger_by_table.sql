-- The ledger is keyed by table as well (kept in step with migrations/postgres). SQLite cannot
-- change a primary key in place: the table is rebuilt with the rows it has, which were loads of
-- dim_customer.
CREATE TABLE sift_load_ledger_by_table (
    source_uri      TEXT    NOT NULL,
    table_name      TEXT    NOT NULL,
    checksum        TEXT    NOT NULL,
    total_rows      INTEGER NOT NULL,
    valid_rows      INTEGER NOT NULL,
    invalid_rows    INTEGER NOT NULL,
    inserted        INTEGER NOT NULL,
    already_present INTEGER NOT NULL,
    loaded_at       TEXT    NOT NULL,
    PRIMARY KEY (source_uri, table_name, checksum)
);
INSERT INTO sift_load_ledger_by_table
SELECT source_uri, 'dim_customer', checksum, total_rows, valid_rows, invalid_rows, inserted, already_present, loaded_at
FROM sift_load_ledger;
DROP TABLE sift_load_ledger;
ALTER TABLE sift_load_ledger_by_table RENAME TO sift_load_ledger;
