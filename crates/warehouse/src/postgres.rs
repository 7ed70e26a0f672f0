//! The PostgreSQL warehouse of record.
//!
//! A load writes the file's new rows with binary `COPY` straight into `dim_customer`, the
//! fastest path PostgreSQL has (its batched heap insert). `COPY` has no `ON CONFLICT`, so the
//! loader makes every row conflict-free before it is sent:
//!
//! - a row whose customer_id came earlier in the file is `already_present` (first occurrence in
//!   file order wins), tracked in memory (8 bytes per distinct id);
//! - a row whose customer_id is already in the table is `already_present`, found by one
//!   compile-checked index probe per batch (`customer_id = ANY($1)`);
//! - concurrent sift loads take a transaction-scoped advisory lock first, so no other load can
//!   insert an id between the probe and the `COPY`; overlapping files queue, never deadlock,
//!   and each id lands exactly once. The lock is held from the start of a load to its commit,
//!   and the pipeline streams rows while it validates, so concurrent sift loads into one
//!   warehouse run one after the other.
//!
//! Measured on 1,000,000 rows (2 cores): `COPY` into `dim_customer` 1.6 s; binary `COPY` into a
//! staging table then `INSERT ... SELECT ... ON CONFLICT DO NOTHING` 4.2 to 5.6 s (the insert
//! alone 2.4 s without `ON CONFLICT`). Hence this design; see the README's benchmark.

use std::time::Duration;

use bytes::{BufMut, BytesMut};
use chrono::NaiveDate;
use hashbrown::HashSet;
use sift_validator::CustomerBatch;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::error::{Error, Result};
use crate::{LoadEvent, LoadOutcome, LoadStream, Warehouse, next_event, to_i64};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The load's COPY; column order matches [`encode_rows`] and [`DimCustomerRow`]. `loaded_at`
/// takes its default, `now()`: one timestamp per transaction.
const COPY_DIM_CUSTOMER: &str = "COPY dim_customer (customer_id, full_name, email, age, date_of_birth, \
                                 phone_number, country, source_uri) FROM STDIN (FORMAT binary)";

/// Key of the advisory lock that serialises sift loads into dim_customer ("sift" in ASCII).
const LOAD_LOCK: i64 = 0x7369_6674;

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

/// `dim_customer` in PostgreSQL.
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
        let options = options.application_name("sift").log_statements(tracing::log::LevelFilter::Debug);
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

    /// Checks that `dim_customer` has the columns and types the `COPY` writes (compile-checked
    /// against `.sqlx`, and run against the live schema after migrating).
    async fn check_shape(&self) -> Result<()> {
        sqlx::query_as!(
            DimCustomerRow,
            "SELECT customer_id, full_name, email, age, date_of_birth, phone_number, country, source_uri \
             FROM dim_customer WHERE false"
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(|source| Error::Load { source_uri: "(schema check)".into(), source })?;
        Ok(())
    }
}

/// A URL with its password replaced, for error messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[async_trait::async_trait]
impl Warehouse for PgWarehouse {
    async fn load(&self, source_uri: &str, mut events: LoadStream) -> Result<LoadOutcome> {
        let load_err = |source| Error::Load { source_uri: source_uri.to_owned(), source };
        let mut tx = self.pool.begin().await.map_err(load_err)?;
        // One sift load at a time writes dim_customer: the probe-then-COPY below is race-free.
        sqlx::query!("SELECT pg_advisory_xact_lock($1)", LOAD_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(load_err)?;
        // The ids already in the table span [low, high]; under the lock that cannot change, so
        // ids outside it need no probe (none at all for an empty table, few when ids grow).
        let span = sqlx::query!("SELECT min(customer_id) AS low, max(customer_id) AS high FROM dim_customer")
            .fetch_one(&mut *tx)
            .await
            .map_err(not_migrated_or(load_err))?;
        let (low, high) = (span.low.unwrap_or(i64::MAX), span.high.unwrap_or(i64::MIN));
        let mut seen = SeenIds::default();
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
            valid_rows += batch.len() as u64;
            // First occurrence in the file wins; later ones are already present.
            let first: Vec<usize> = (0..batch.len()).filter(|&i| seen.insert(batch.customer_id[i])).collect();
            let ids: Vec<i64> =
                first.iter().map(|&i| batch.customer_id[i]).filter(|id| (low..=high).contains(id)).collect();
            let existing: HashSet<i64> = if ids.is_empty() {
                HashSet::new()
            } else {
                sqlx::query_scalar!("SELECT customer_id FROM dim_customer WHERE customer_id = ANY($1)", &ids)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(not_migrated_or(load_err))?
                    .into_iter()
                    .collect()
            };
            let new: Vec<usize> =
                first.into_iter().filter(|&i| !existing.contains(&batch.customer_id[i])).collect();
            outcome.inserted += new.len() as u64;
            if !new.is_empty() {
                buf.clear();
                encode_rows(&batch, &new, source_uri, &mut buf);
                let mut copy = tx.copy_in_raw(COPY_DIM_CUSTOMER).await.map_err(load_err)?;
                let mut rest = buf.split().freeze();
                while !rest.is_empty() {
                    let part = rest.split_to(rest.len().min(COPY_FLUSH_BYTES));
                    copy.send(part).await.map_err(load_err)?;
                }
                copy.finish().await.map_err(load_err)?;
            }
        };
        outcome.already_present = valid_rows - outcome.inserted;

        let recorded = sqlx::query!(
            "INSERT INTO sift_load_ledger (source_uri, checksum, total_rows, valid_rows, invalid_rows, \
             inserted, already_present) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            source_uri,
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
            return Ok(LoadOutcome { inserted: 0, already_present: valid_rows, already_loaded: true });
        }
        tx.commit().await.map_err(load_err)?;
        Ok(outcome)
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        self.check_shape().await
    }

    fn describe(&self) -> String {
        self.target.clone()
    }
}

/// Maps "relation does not exist" (42P01) to [`Error::NotMigrated`], anything else with `other`.
fn not_migrated_or(other: impl Fn(sqlx::Error) -> Error) -> impl Fn(sqlx::Error) -> Error {
    move |e| match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("42P01") => Error::NotMigrated,
        _ => other(e),
    }
}

/// Days from 1970-01-01 to PostgreSQL's date epoch, 2000-01-01.
fn pg_days(date: NaiveDate) -> i32 {
    const PG_EPOCH_FROM_CE: i32 = 730_120; // 2000-01-01 as days from 0001-01-01 (CE day 1)
    chrono::Datelike::num_days_from_ce(&date) - PG_EPOCH_FROM_CE
}

/// A row of `dim_customer` as the binary `COPY` writes it. The compile-checked query in
/// [`PgWarehouse::check_shape`] pins these names and types to the live schema: if the table
/// changes shape, the build fails instead of the `COPY`.
#[derive(Debug)]
#[allow(dead_code)] // Read by the compile-time check only; the encoder mirrors its fields.
struct DimCustomerRow {
    customer_id: i64,
    full_name: String,
    email: String,
    age: i16,
    date_of_birth: NaiveDate,
    phone_number: String,
    country: Option<String>,
    source_uri: String,
}

/// The customer_ids of a file's valid rows seen so far (first occurrence wins), as a
/// compressed bitmap: customer ids are usually dense integers, which take about one bit each
/// (a 5,000,000-row file of ids 1..N: under 1 MiB, against 72 MiB for a hash set of `i64`),
/// and sparse ones at most a few bytes each.
#[derive(Debug, Default)]
struct SeenIds(roaring::RoaringTreemap);

impl SeenIds {
    /// Records `id`; `false` when it was seen before.
    fn insert(&mut self, id: i64) -> bool {
        // An order-preserving bijection of i64 onto u64 (the sign bit flipped).
        self.0.insert((id as u64) ^ (1 << 63))
    }
}

/// Appends rows `rows` of `batch` in PostgreSQL's binary COPY format (header included), in the
/// column order of [`COPY_DIM_CUSTOMER`] and the types of [`DimCustomerRow`].
fn encode_rows(batch: &CustomerBatch, rows: &[usize], source_uri: &str, buf: &mut BytesMut) {
    fn text(buf: &mut BytesMut, value: &str) {
        buf.put_i32(i32::try_from(value.len()).unwrap_or(i32::MAX));
        buf.put_slice(value.as_bytes());
    }
    buf.put_slice(b"PGCOPY\n\xff\r\n\0");
    buf.put_i32(0); // flags
    buf.put_i32(0); // header extension length
    for &i in rows {
        buf.put_i16(8); // fields
        buf.put_i32(8);
        buf.put_i64(batch.customer_id[i]);
        text(buf, &batch.full_name[i]);
        text(buf, &batch.email[i]);
        buf.put_i32(2);
        buf.put_i16(batch.age[i]);
        buf.put_i32(4);
        buf.put_i32(pg_days(batch.date_of_birth[i]));
        text(buf, &batch.phone_number[i]);
        match &batch.country[i] {
            Some(country) => text(buf, country),
            None => buf.put_i32(-1),
        }
        text(buf, source_uri);
    }
    buf.put_i16(-1); // trailer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_use_the_postgres_epoch() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap_or_default();
        assert_eq!(pg_days(d(2000, 1, 1)), 0);
        assert_eq!(pg_days(d(2000, 1, 2)), 1);
        assert_eq!(pg_days(d(1999, 12, 31)), -1);
        assert_eq!(pg_days(d(1970, 1, 1)), -10957);
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn seen_ids_tell_first_occurrences_over_the_whole_i64_range() {
        let mut seen = SeenIds::default();
        for id in [0, 1, -1, i64::MIN, i64::MAX, 1 << 40, 7] {
            assert!(seen.insert(id), "{id} is new");
        }
        for id in [0, 1, -1, i64::MIN, i64::MAX, 1 << 40, 7] {
            assert!(!seen.insert(id), "{id} was seen");
        }
        assert!(seen.insert(2) && seen.insert(-2));
        // Dense ids take about a bit each.
        let mut dense = SeenIds::default();
        (1..=1_000_000).for_each(|id| {
            dense.insert(id);
        });
        assert!(dense.0.serialized_size() < 200_000, "{} bytes", dense.0.serialized_size());
    }
}
