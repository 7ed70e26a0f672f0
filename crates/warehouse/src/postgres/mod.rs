//! The PostgreSQL warehouse of record.
//!
//! A load writes the file's new rows with binary `COPY` straight into the contract's table,
//! the fastest path PostgreSQL has (its batched heap insert), each column in the wire form of
//! its type (`copy.rs`, NUMERIC through `numeric.rs`). `COPY` has no `ON CONFLICT`, so the
//! loader makes every row conflict-free before it is sent (`keys.rs`; the file's own keys in
//! `crate::keys`):
//!
//! - a row whose key came earlier in the file is `already_present` (first occurrence in file
//!   order wins), tracked in memory: a compressed bitmap for one integer key column (8 bytes
//!   per distinct id at most, about a bit for dense ids), the encoded key otherwise;
//! - a row whose key is already in the table is `already_present`, found by one probe per
//!   batch that joins the candidates' keys, sent as arrays, with the table (composite keys
//!   included); for one integer key, ids outside the table's `[min, max]` need no probe;
//! - concurrent sift loads into one table run in parallel ([`LoadMode::Concurrent`]), and the
//!   keys their files share go to the load that started first: a younger load holds its rows
//!   until the older ones have published their keys (at their seal), then writes the rest and
//!   leaves the shared keys to them, probing those after they end (`claims.rs` has the
//!   protocol). No sift load then waits on another's uncommitted rows. Each batch is still
//!   sent inside a savepoint with the key's unique index as the arbiter: what claims do not
//!   cover (an older load still reading past the grace, a writer other than sift) makes the
//!   `COPY` wait, and if the other load commits the key (`23505`) only that batch is rolled
//!   back, its keys probed again and the rest sent. Two loads waiting on each other (`40P01`)
//!   or a batch colliding more than `MAX_COLLISIONS` times give up with
//!   [`Error::KeyConflict`], and the pipeline runs that file again [`LoadMode::Exclusive`]:
//!   concurrent loads hold the table's advisory lock (keyed by its name) shared, an exclusive
//!   one holds it exclusively, so it waits for the running loads and keeps new ones out until
//!   it commits. Every file completes, first occurrence wins (in start order across files),
//!   and each key lands exactly once.
//!
//! An append-only table (no key) takes every valid row. A contract's table is created from
//! the contract, or checked against the catalog (`catalog.rs`, `crate::schema`), before
//! anything is read ([`Warehouse::prepare`]).
//!
//! Why this design, and the designs measured against it: `docs/design/postgres-loads.md`.

mod catalog;
mod claims;
mod copy;
mod history;
mod keys;
mod numeric;
mod upsert;

use std::time::Duration;

use bytes::BytesMut;
use sift_model::TableSpec;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use self::claims::Peers;
use self::copy::Rows;
use self::keys::{ExistingKeys, already_in_table};
use self::upsert::Upsert;
use crate::error::{Error, Result};
use crate::keys::{FileKeys, first_occurrences};
use crate::schema::{SqlDialect, differences, pg_create, pg_table, row_columns};
use crate::{LoadEvent, LoadMode, LoadOutcome, LoadStream, Warehouse, next_event, stable_hash, to_i64};

/// sift's own tables (the ledger, the claims, the history). Version 1 (`dim_customer`) is
/// retired: a contract's table is created from the contract ([`Warehouse::prepare`]), and a
/// database that applied it keeps working (see [`crate::migrator`]).
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Longest wait for one connection attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes buffered before they are sent to the server during a COPY.
const COPY_FLUSH_BYTES: usize = 4 * 1024 * 1024;

/// How connecting retries: `attempts` tries, waiting `first_delay`, then twice as long each
/// time, at most `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Connection attempts in all (at least 1).
    pub attempts: u32,
    /// Wait after the first failure.
    pub first_delay: Duration,
    /// Longest wait between attempts.
    pub max_delay: Duration,
}

impl Default for Retry {
    /// 6 attempts over about 15 seconds.
    fn default() -> Self {
        Self { attempts: 6, first_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

/// A PostgreSQL warehouse: any contract's table, and sift's own tables.
#[derive(Debug, Clone)]
pub struct PgWarehouse {
    pool: PgPool,
    target: String,
}

impl PgWarehouse {
    /// Connects with `url` (`postgres://user:password@host:port/db?sslmode=...`), retrying
    /// with `retry`. The pool is meant to be built once and reused.
    pub async fn connect(url: &str, retry: Retry) -> Result<Self> {
        let options: PgConnectOptions = url.parse().map_err(|_| Error::UnsupportedUrl(redact_url(url)))?;
        Self::connect_with(options, retry).await
    }

    /// Connects with ready options (from [`crate::DbCredentials::connect_options`], say).
    pub async fn connect_with(options: PgConnectOptions, retry: Retry) -> Result<Self> {
        let target = format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        // Every statement at debug; a slow one (a load waiting for the table's lock, say) is
        // not a warning either: waiting is how concurrent loads take turns.
        let options = options
            .application_name("sift")
            .log_statements(tracing::log::LevelFilter::Debug)
            .log_slow_statements(tracing::log::LevelFilter::Debug, Duration::from_secs(1));
        // Probe with single connections under our own bounded backoff (the pool's connect would
        // retry on its own until its acquire timeout), then build the pool once.
        let mut delay = retry.first_delay;
        let mut attempt = 1;
        loop {
            let probe = match tokio::time::timeout(CONNECT_TIMEOUT, options.connect()).await {
                Ok(result) => result,
                Err(_) => Err(sqlx::Error::PoolTimedOut),
            };
            match probe {
                Ok(connection) => {
                    connection.close().await.ok();
                    break;
                }
                Err(source) if attempt < retry.attempts.max(1) && crate::error::transient(&source) => {
                    // Info, not a warning: the final error says it if every attempt fails.
                    tracing::info!(target_db = %target, attempt, error = %source, "connecting failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(retry.max_delay);
                    attempt += 1;
                }
                Err(source) => {
                    return Err(Error::Connect { target, attempts: attempt, source });
                }
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| Error::Connect { target: target.clone(), attempts: 1, source })?;
        Ok(Self { pool, target })
    }

    /// The pool, for tests and tools that inspect the table.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// A URL with every secret replaced, for error messages: the password of the user-info part
/// and the value of any query parameter that holds one (`password`, `sslpassword`, or a name
/// with `pass`, `secret` or `token` in it).
fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &base[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    let Some(query) = query else { return base };
    let secret = |name: &str| {
        let name = name.to_ascii_lowercase();
        ["pass", "secret", "token"].iter().any(|s| name.contains(s))
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if secret(name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

#[async_trait::async_trait]
impl Warehouse for PgWarehouse {
    async fn prepare(&self, table: &TableSpec, create: bool) -> Result<()> {
        let schema_err = |source| Error::Schema { table: table.name.clone(), source };
        let mut conn = self.pool.acquire().await.map_err(schema_err)?;
        if catalog::existing(&mut conn, table).await?.is_none() {
            if !create {
                return Err(Error::TableMissing { table: table.name.clone() });
            }
            // Under one lock for every creation: two cold starts creating a table, or two tables
            // of one new schema, at once would otherwise race on the catalog (CREATE ... IF NOT
            // EXISTS is not safe under concurrency: the loser fails on a unique index of
            // pg_namespace or pg_type). The lock is the session's, and the statements run in a
            // transaction begun after it is granted: a transaction that took the lock itself
            // could still see the catalog as it was before the lock (its cached lookup of the
            // schema), and collide all the same. Creations are rare; loads never take this lock.
            // If anything fails while the lock is held, the connection is closed, not pooled:
            // closing it releases the lock.
            conn.close_on_drop();
            let lock = stable_hash("sift create");
            sqlx::query!("SELECT pg_advisory_lock($1)", lock)
                .execute(&mut *conn)
                .await
                .map_err(schema_err)?;
            let mut tx = conn.begin().await.map_err(schema_err)?;
            for statement in pg_create(table) {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await.map_err(schema_err)?;
            }
            tx.commit().await.map_err(schema_err)?;
            sqlx::query!("SELECT pg_advisory_unlock($1)", lock)
                .fetch_one(&mut *conn)
                .await
                .map_err(schema_err)?;
            tracing::info!(table = %table.name, "table created from the contract");
        }
        let existing = catalog::existing(&mut conn, table)
            .await?
            .ok_or_else(|| Error::TableMissing { table: table.name.clone() })?;
        let found = differences(SqlDialect::Postgres, table, &existing);
        if !found.is_empty() {
            return Err(Error::SchemaMismatch { table: table.name.clone(), differences: found });
        }
        Ok(())
    }

    async fn load(
        &self,
        table: &TableSpec,
        source_uri: &str,
        mode: LoadMode,
        mut events: LoadStream,
    ) -> Result<LoadOutcome> {
        let load_err = |source| Error::Load { source_uri: source_uri.to_owned(), source };
        // A collision with concurrent loads that persists (see `MAX_COLLISIONS`) is a
        // `KeyConflict` when this load runs alongside others; alone, it is a real error
        // (another writer than sift).
        let copy_err = |source: sqlx::Error| {
            if mode == LoadMode::Concurrent && (has_state(&source, "23505") || has_state(&source, "40P01")) {
                Error::KeyConflict { source_uri: source_uri.to_owned(), table: table.name.clone(), source }
            } else {
                load_err(source)
            }
        };
        let mut tx = self.pool.begin().await.map_err(load_err)?;
        // Concurrent loads share the table's lock; an exclusive one waits for them and keeps
        // new ones out until it commits. Loads that update a table always take turns, in the
        // order they ask (`upsert.rs`).
        let lock = stable_hash(&format!("sift load {}", table.name));
        let updating = table.on_conflict.changes_rows();
        match mode {
            LoadMode::Concurrent if !updating => {
                sqlx::query!("SELECT pg_advisory_xact_lock_shared($1)", lock).execute(&mut *tx).await
            }
            LoadMode::Concurrent | LoadMode::Exclusive => {
                sqlx::query!("SELECT pg_advisory_xact_lock($1)", lock).execute(&mut *tx).await
            }
        }
        .map_err(load_err)?;
        // The transaction's timestamp, on every row (as `DEFAULT now()` would give).
        let loaded_at = sqlx::query_scalar!(r#"SELECT now() AS "now!""#)
            .fetch_one(&mut *tx)
            .await
            .map_err(load_err)?
            .timestamp_micros();
        // What the table holds before this load: an empty table needs no probe at all, and for
        // one integer key ids outside [low, high] need none. Alone, that cannot change; beside
        // concurrent loads it can, and a key they add meets the unique index (`KeyConflict`).
        let existing_keys = ExistingKeys::read(&mut tx, table).await.map_err(not_migrated_or(load_err))?;
        let job = CopyJob { table, sql: copy_statement(table), source_uri, loaded_at };
        // Beside other loads of a keyed table, the keys the files share go to the older load
        // (`claims.rs`); alone, or without a key, there is nothing to share out.
        let upsert = updating.then(|| Upsert::new(table));
        if let Some(upsert) = &upsert {
            upsert.stage(&mut tx).await.map_err(load_err)?;
        }
        let mut peers = match (mode, table.key_positions()) {
            (LoadMode::Concurrent, Some(_)) if !updating => Some(
                Peers::register(&self.pool, &mut tx, table, source_uri)
                    .await
                    .map_err(not_migrated_or(load_err))?,
            ),
            _ => None,
        };
        let mut seen = FileKeys::for_table(table);
        let mut outcome = LoadOutcome::default();
        let mut valid_rows = 0u64;
        let mut buf = BytesMut::with_capacity(COPY_FLUSH_BYTES + 64 * 1024);
        let seal = loop {
            let batch = match next_event(&mut events).await {
                Ok(LoadEvent::Rows(batch)) => batch,
                Ok(LoadEvent::Seal(seal)) => break seal,
                Err(reason) => {
                    tx.rollback().await.ok();
                    return Err(Error::Aborted { source_uri: source_uri.to_owned(), reason });
                }
            };
            if batch.is_empty() {
                continue;
            }
            valid_rows += batch.len() as u64;
            // First occurrence in the file wins; later ones are already present.
            let first = first_occurrences(&batch, table, &mut seen)?;
            let candidates = existing_keys.candidates(&batch, table, &first)?;
            if let Some(upsert) = &upsert {
                // Keys the table cannot hold (an empty table; for one integer key, ids outside
                // its range) go straight in (binary COPY, as skipping loads send them); the others
                // through the staging table's upsert, which tells inserted from updated. The
                // load is alone on the table, so what it read of it holds until the commit.
                let maybe: hashbrown::HashSet<usize> = candidates.iter().copied().collect();
                let new: Vec<usize> = first.iter().copied().filter(|i| !maybe.contains(i)).collect();
                outcome.inserted +=
                    send(&mut tx, &job, LoadMode::Exclusive, &batch, new, &mut buf, &copy_err).await?;
                let (inserted, updated) = upsert.send(&mut tx, &job, &batch, &candidates, &mut buf).await?;
                outcome.inserted += inserted;
                outcome.updated += updated;
                outcome.unchanged += candidates.len() as u64 - inserted - updated;
                continue;
            }
            let existing = already_in_table(&mut tx, &batch, table, &candidates, load_err).await?;
            let new: Vec<usize> = first.into_iter().filter(|i| !existing.contains(i)).collect();
            let ready = match &mut peers {
                Some(peers) => peers.admit(&self.pool, table, (batch, new)).await?,
                None => vec![(batch, new)],
            };
            for (batch, rows) in ready {
                outcome.inserted += send(&mut tx, &job, mode, &batch, rows, &mut buf, &copy_err).await?;
            }
        };
        if let Some(peers) = &mut peers {
            for (batch, rows) in peers.seal(&self.pool, table, &seen).await? {
                outcome.inserted += send(&mut tx, &job, mode, &batch, rows, &mut buf, &copy_err).await?;
            }
            // Keys an older load claimed: present now unless it failed.
            for (batch, rows) in peers.settle(&self.pool).await? {
                let taken = already_in_table(&mut tx, &batch, table, &rows, load_err).await?;
                let rows = rows.into_iter().filter(|i| !taken.contains(i)).collect();
                outcome.inserted += send(&mut tx, &job, mode, &batch, rows, &mut buf, &copy_err).await?;
            }
        }
        outcome.already_present = valid_rows - outcome.inserted - outcome.updated - outcome.unchanged;

        let recorded = sqlx::query!(
            "INSERT INTO sift_load_ledger (source_uri, table_name, checksum, total_rows, valid_rows, \
             invalid_rows, inserted, already_present) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            source_uri,
            table.name,
            seal.checksum,
            to_i64(seal.total_rows),
            to_i64(valid_rows),
            to_i64(seal.invalid_rows),
            to_i64(outcome.inserted),
            to_i64(outcome.already_present),
        )
        .execute(&mut *tx)
        .await
        .map_err(not_migrated_or(load_err))?;
        if recorded.rows_affected() == 0 {
            // Committed before with the same content: load nothing again.
            tx.rollback().await.map_err(load_err)?;
            return Ok(LoadOutcome {
                already_present: valid_rows,
                already_loaded: true,
                ..LoadOutcome::default()
            });
        }
        tx.commit().await.map_err(load_err)?;
        Ok(outcome)
    }

    async fn record_history(&self, file: &sift_model::FileHistory) -> Result<bool> {
        history::record(&self.pool, file).await
    }

    async fn history<'a>(
        &self,
        dataset: Option<&'a str>,
        files: usize,
    ) -> Result<Vec<sift_model::FileHistory>> {
        history::recent(&self.pool, dataset, files).await
    }

    async fn migrate(&self) -> Result<()> {
        crate::migrator(&MIGRATOR).run(&self.pool).await?;
        Ok(())
    }

    fn describe(&self) -> String {
        self.target.clone()
    }
}

/// Collisions one batch may meet before the load gives up ([`Error::KeyConflict`]; the
/// pipeline then runs the file alone). Each one means another load committed, so this is
/// reached only under a storm of loads writing the same keys.
const MAX_COLLISIONS: u32 = 8;

/// A unique violation: another load committed one of the batch's keys while the `COPY` waited
/// for it. (A deadlock, two loads waiting on each other's keys, is not resolved in place: the
/// keys this load holds from earlier batches would deadlock it again. It rolls back the load,
/// [`Error::KeyConflict`], and the file runs again alone.)
fn is_collision(e: &sqlx::Error) -> bool {
    has_state(e, "23505")
}

/// Why a batch's `COPY` failed: the database (maybe a collision), or the batch itself.
pub(super) enum CopyError {
    Database(sqlx::Error),
    Other(Error),
}

impl CopyError {
    pub(super) fn into_error(self, database: &impl Fn(sqlx::Error) -> Error) -> Error {
        match self {
            CopyError::Database(e) => database(e),
            CopyError::Other(e) => e,
        }
    }
}

/// What every `COPY` of one load shares.
pub(super) struct CopyJob<'a> {
    table: &'a TableSpec,
    sql: String,
    source_uri: &'a str,
    loaded_at: i64,
}

/// Sends rows `new` of `batch`; returns the rows inserted. Alone, or into a table without a
/// key, nothing can collide; beside other loads, a key may be taken between the probe and the
/// `COPY`.
async fn send(
    tx: &mut sqlx::PgConnection,
    job: &CopyJob<'_>,
    mode: LoadMode,
    batch: &sift_model::Batch,
    new: Vec<usize>,
    buf: &mut BytesMut,
    copy_err: &impl Fn(sqlx::Error) -> Error,
) -> Result<u64> {
    if mode == LoadMode::Concurrent && !job.table.key.is_empty() {
        return send_beside_others(tx, job, batch, new, buf).await.map_err(|e| e.into_error(copy_err));
    }
    copy_rows(tx, job, &Rows::of(batch, job.table)?, &new, buf).await.map_err(|e| e.into_error(copy_err))?;
    Ok(new.len() as u64)
}

/// Sends rows `new` of `batch` beside other loads of the table, in a savepoint; returns the rows
/// inserted. A key another running load is writing makes the `COPY` wait for that load; if it
/// commits the key (a unique violation), only this batch is rolled back, its keys are probed
/// again (the other load's are visible now) and the rest is sent.
async fn send_beside_others(
    tx: &mut sqlx::PgConnection,
    job: &CopyJob<'_>,
    batch: &sift_model::Batch,
    mut new: Vec<usize>,
    buf: &mut BytesMut,
) -> std::result::Result<u64, CopyError> {
    let rows = Rows::of(batch, job.table).map_err(CopyError::Other)?;
    let mut collisions = 0;
    loop {
        let run = |sql: &'static str| sqlx::query(sql);
        run("SAVEPOINT sift_batch").execute(&mut *tx).await.map_err(CopyError::Database)?;
        match copy_rows(tx, job, &rows, &new, buf).await {
            Ok(()) => {
                run("RELEASE SAVEPOINT sift_batch").execute(&mut *tx).await.map_err(CopyError::Database)?;
                return Ok(new.len() as u64);
            }
            Err(CopyError::Database(e)) if is_collision(&e) && collisions < MAX_COLLISIONS => {
                collisions += 1;
                tracing::debug!(source_uri = job.source_uri, collisions, error = %e, "a concurrent load took keys of this batch; probing again");
                run("ROLLBACK TO SAVEPOINT sift_batch")
                    .execute(&mut *tx)
                    .await
                    .map_err(CopyError::Database)?;
                let load_err = |source| Error::Load { source_uri: job.source_uri.to_owned(), source };
                let taken =
                    already_in_table(tx, batch, job.table, &new, load_err).await.map_err(CopyError::Other)?;
                new.retain(|i| !taken.contains(i));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether `e` is a database error with SQLSTATE `code`.
fn has_state(e: &sqlx::Error, code: &str) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some(code))
}

/// Sends rows `new` of `rows` with one `COPY` into the table.
async fn copy_rows(
    tx: &mut sqlx::PgConnection,
    job: &CopyJob<'_>,
    rows: &Rows,
    new: &[usize],
    buf: &mut BytesMut,
) -> std::result::Result<(), CopyError> {
    copy_rows_with(tx, &job.sql, job, rows, new, buf).await
}

/// Sends rows `new` of `rows` with the `COPY` statement `sql` (the table's, or a staging
/// table's of the same columns).
async fn copy_rows_with(
    tx: &mut sqlx::PgConnection,
    sql: &str,
    job: &CopyJob<'_>,
    rows: &Rows,
    new: &[usize],
    buf: &mut BytesMut,
) -> std::result::Result<(), CopyError> {
    if new.is_empty() {
        return Ok(());
    }
    buf.clear();
    rows.encode(new, job.source_uri, job.loaded_at, buf).map_err(CopyError::Other)?;
    let mut copy = tx.copy_in_raw(sql).await.map_err(CopyError::Database)?;
    let mut rest = buf.split().freeze();
    while !rest.is_empty() {
        let part = rest.split_to(rest.len().min(COPY_FLUSH_BYTES));
        copy.send(part).await.map_err(CopyError::Database)?;
    }
    copy.finish().await.map_err(CopyError::Database)?;
    Ok(())
}

/// The load's `COPY`: the table's columns in [`TableSpec`] order, then `source_uri` and
/// `loaded_at`, binary (the order [`Rows::encode`] writes).
fn copy_statement(table: &TableSpec) -> String {
    format!("COPY {} ({}) FROM STDIN (FORMAT binary)", pg_table(table), row_columns(table))
}

/// Maps "relation does not exist" (42P01) to [`Error::NotMigrated`], anything else with `other`.
fn not_migrated_or(other: impl Fn(sqlx::Error) -> Error) -> impl Fn(sqlx::Error) -> Error {
    move |e| if has_state(&e, "42P01") { Error::NotMigrated } else { other(e) }
}

#[cfg(test)]
mod tests {
    use sift_model::{ColumnType, TableColumn};

    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            redact_url("postgres://u@h/x?sslmode=bogus&password=hunter2&sslpassword=k3y&PGPASS=p&a=1"),
            "postgres://u@h/x?sslmode=bogus&password=***&sslpassword=***&PGPASS=***&a=1"
        );
        assert_eq!(redact_url("postgres://u:pw@h/x?authToken=t"), "postgres://u:***@h/x?authToken=***");
    }

    #[test]
    fn the_copy_names_the_loaded_columns_in_order_then_the_source() {
        let text = |name| TableColumn::new(name, ColumnType::Text, false);
        let spec = TableSpec {
            name: "dim_customer".into(),
            columns: vec![
                TableColumn::new("customer_id", ColumnType::Int64, false),
                text("full_name"),
                text("email"),
                TableColumn::new("age", ColumnType::Int16, false),
                TableColumn::new("date_of_birth", ColumnType::Date, false),
                text("phone_number"),
                TableColumn::new("country", ColumnType::Text, true),
            ],
            key: vec!["customer_id".into()],
            on_conflict: Default::default(),
        };
        assert_eq!(
            copy_statement(&spec),
            "COPY \"dim_customer\" (\"customer_id\", \"full_name\", \"email\", \"age\", \"date_of_birth\", \
             \"phone_number\", \"country\", source_uri, loaded_at) FROM STDIN (FORMAT binary)"
        );
    }
}
