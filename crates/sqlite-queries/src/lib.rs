//! The fixed queries of sift's SQLite warehouse, compile-checked against `migrations/sqlite`.
//!
//! sqlx checks the query macros of one crate against one kind of database, and the rest of
//! sift is checked against PostgreSQL. These queries live in a crate of their own so that they
//! are checked against SQLite (see `sqlx.toml`: `SIFT_SQLITE_DATABASE_URL`) like the PostgreSQL
//! ones are: a column renamed in a migration fails the build, not a load. Only
//! `sift_warehouse::SqliteWarehouse` uses them; statements built from a contract (its table's
//! DDL and inserts) cannot be checked at compile time and stay there.

use sqlx::SqliteConnection;

/// Whether a table named `name` exists.
pub async fn table_exists(conn: &mut SqliteConnection, name: &str) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        r#"SELECT count(*) AS "found!: i64" FROM sqlite_master WHERE type = 'table' AND name = ?1"#,
        name
    )
    .fetch_one(conn)
    .await?;
    Ok(found > 0)
}

/// A committed file, as the load ledger records it.
#[derive(Debug, Clone, Copy)]
pub struct LedgerEntry<'a> {
    /// Where the file was read.
    pub source_uri: &'a str,
    /// The table it loaded.
    pub table_name: &'a str,
    /// SHA-256 of its bytes, lower-case hex.
    pub checksum: &'a str,
    /// Its data rows.
    pub total_rows: i64,
    /// Its valid rows.
    pub valid_rows: i64,
    /// Its invalid rows.
    pub invalid_rows: i64,
    /// Rows inserted.
    pub inserted: i64,
    /// Valid rows whose key was there already.
    pub already_present: i64,
    /// When, RFC 3339 UTC.
    pub loaded_at: &'a str,
}

/// Adds `entry` to the ledger; `false` when the ledger has the file already (same URI, table
/// and checksum), and nothing was written.
pub async fn record_load(conn: &mut SqliteConnection, entry: &LedgerEntry<'_>) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO sift_load_ledger (source_uri, table_name, checksum, total_rows, valid_rows, invalid_rows, \
         inserted, already_present, loaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        entry.source_uri,
        entry.table_name,
        entry.checksum,
        entry.total_rows,
        entry.valid_rows,
        entry.invalid_rows,
        entry.inserted,
        entry.already_present,
        entry.loaded_at,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A validated file, as the history records it.
#[derive(Debug, Clone, Copy)]
pub struct FileEntry<'a> {
    /// The contract's name.
    pub dataset: &'a str,
    /// Where the file was read.
    pub source_uri: &'a str,
    /// SHA-256 of its bytes, lower-case hex.
    pub checksum: &'a str,
    /// Held by a contract limit: nothing of it was loaded.
    pub held: bool,
    /// Its data rows.
    pub total_rows: i64,
    /// Its valid rows.
    pub valid_rows: i64,
    /// Its invalid rows.
    pub invalid_rows: i64,
    /// When, RFC 3339 UTC.
    pub recorded_at: &'a str,
}

/// Adds a file to the history; its row id, or `None` when the history has it already (same
/// dataset, URI and checksum).
pub async fn record_file(conn: &mut SqliteConnection, file: &FileEntry<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"INSERT INTO sift_file_history (dataset, source_uri, checksum, held, total_rows, valid_rows, invalid_rows, recorded_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING RETURNING id AS "id!: i64""#,
        file.dataset,
        file.source_uri,
        file.checksum,
        file.held,
        file.total_rows,
        file.valid_rows,
        file.invalid_rows,
        file.recorded_at,
    )
    .fetch_optional(conn)
    .await
}

/// Adds one failure id's counts to the history of file `file_id`.
pub async fn record_rule(
    conn: &mut SqliteConnection,
    file_id: i64,
    position: i64,
    rule_id: &str,
    failures: i64,
    warnings: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sift_rule_history (file_id, position, rule_id, failures, warnings) VALUES (?1, ?2, ?3, ?4, ?5)",
        file_id,
        position,
        rule_id,
        failures,
        warnings,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One failure id of one recorded file (the file's columns repeat on each of its rules; a file
/// with no rules has one row with the rule columns `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    /// The file's row id (recording order).
    pub file_id: i64,
    /// The contract's name.
    pub dataset: String,
    /// Where the file was read.
    pub source_uri: String,
    /// SHA-256 of its bytes.
    pub checksum: String,
    /// Held by a contract limit.
    pub held: bool,
    /// Its data rows.
    pub total_rows: i64,
    /// Its valid rows.
    pub valid_rows: i64,
    /// Its invalid rows.
    pub invalid_rows: i64,
    /// When it was recorded, RFC 3339 UTC.
    pub recorded_at: String,
    /// The failure id.
    pub rule_id: Option<String>,
    /// Rows failing it.
    pub failures: Option<i64>,
    /// Valid rows warned by it.
    pub warnings: Option<i64>,
}

/// The datasets the history has files of, in name order.
pub async fn datasets(conn: &mut SqliteConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(r#"SELECT DISTINCT dataset AS "dataset!" FROM sift_file_history ORDER BY dataset"#)
        .fetch_all(conn)
        .await
}

/// The `files` most recently recorded files of `dataset`, newest first, with their rules in
/// contract order (the newest files first through the `(dataset, id)` index, then each one's
/// rules through the rule table's key: the cost does not grow with the history).
pub async fn recent_files(
    conn: &mut SqliteConnection,
    dataset: &str,
    files: i64,
) -> sqlx::Result<Vec<HistoryRow>> {
    sqlx::query_as!(
        HistoryRow,
        r#"SELECT f.id AS "file_id!: i64", f.dataset AS "dataset!", f.source_uri AS "source_uri!",
                  f.checksum AS "checksum!", f.held AS "held!: bool", f.total_rows AS "total_rows!: i64",
                  f.valid_rows AS "valid_rows!: i64", f.invalid_rows AS "invalid_rows!: i64",
                  f.recorded_at AS "recorded_at!", r.rule_id AS "rule_id?",
                  r.failures AS "failures?: i64", r.warnings AS "warnings?: i64"
           FROM (SELECT * FROM sift_file_history WHERE dataset = ?1 ORDER BY id DESC LIMIT ?2) AS f
           LEFT JOIN sift_rule_history AS r ON r.file_id = f.id
           ORDER BY f.id DESC, r.position"#,
        dataset,
        files,
    )
    .fetch_all(conn)
    .await
}
