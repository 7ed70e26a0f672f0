//! The PostgreSQL warehouse of record.
//!
//! A load streams the file's valid rows with binary `COPY` into a transaction-local staging
//! table, then moves them into `dim_customer` with one compile-checked, set-based statement:
//!
//! ```sql
//! INSERT INTO dim_customer (...)
//! SELECT DISTINCT ON (customer_id) ... FROM sift_staging
//! ORDER BY customer_id, row_number
//! ON CONFLICT (customer_id) DO NOTHING
//! ```
//!
//! `DISTINCT ON ... ORDER BY customer_id, row_number` keeps the first occurrence in file order,
//! and inserting in customer_id order makes concurrent loads of overlapping files take their
//! row locks in the same order, so they queue instead of deadlocking.

use std::time::Duration;

use bytes::{BufMut, BytesMut};
use chrono::NaiveDate;
use futures::StreamExt;
use sift_validator::CustomerBatch;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use crate::error::{Error, Result};
use crate::{LoadEvent, LoadOutcome, LoadStream, UNSEALED, Warehouse, to_i64};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The staging COPY; column order matches [`encode_rows`].
const COPY_STAGING: &str = "COPY sift_staging (row_number, customer_id, full_name, email, age, \
                            date_of_birth, phone_number, country) FROM STDIN (FORMAT binary)";

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
                    tracing::warn!(target_db = %target, attempt, error = %source, "connecting failed; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(retry.max_delay);
                    attempt += 1;
                }
                Err(source) => {
                    return Err(Error::Connect {
                        target: format!("{target} (after {attempt} attempts)"),
                        source,
                    });
                }
            }
        }
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|source| Error::Connect { target: target.clone(), source })?;
        Ok(Self { pool, target })
    }

    /// The pool, for tests and tools that inspect the table.
    pub fn pool(&self) -> &PgPool {
        &self.pool
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
        // The final statement sorts the whole file once; let it do that in memory.
        sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut *tx).await.map_err(load_err)?;
        sqlx::query("CREATE TEMP TABLE sift_staging (LIKE public.sift_staging) ON COMMIT DROP")
            .execute(&mut *tx)
            .await
            .map_err(not_migrated_or(load_err))?;

        let mut copy = tx.copy_in_raw(COPY_STAGING).await.map_err(load_err)?;
        let mut buf = BytesMut::with_capacity(COPY_FLUSH_BYTES + 64 * 1024);
        buf.put_slice(b"PGCOPY\n\xff\r\n\0");
        buf.put_i32(0); // flags
        buf.put_i32(0); // header extension length
        let mut valid_rows = 0u64;
        let seal = loop {
            match events.next().await {
                Some(Ok(LoadEvent::Rows(batch))) => {
                    valid_rows += batch.len() as u64;
                    encode_rows(&batch, &mut buf);
                    if buf.len() >= COPY_FLUSH_BYTES {
                        copy.send(buf.split().freeze()).await.map_err(load_err)?;
                    }
                }
                Some(Ok(LoadEvent::Seal(seal))) => break seal,
                Some(Err(reason)) => {
                    copy.abort("sift: load abandoned").await.ok();
                    tx.rollback().await.ok();
                    return Err(Error::Aborted {
                        source_uri: source_uri.to_owned(),
                        reason: reason.to_string(),
                    });
                }
                None => {
                    copy.abort("sift: load not sealed").await.ok();
                    tx.rollback().await.ok();
                    return Err(Error::Aborted {
                        source_uri: source_uri.to_owned(),
                        reason: UNSEALED.into(),
                    });
                }
            }
        };
        buf.put_i16(-1); // file trailer
        copy.send(buf.split().freeze()).await.map_err(load_err)?;
        copy.finish().await.map_err(load_err)?;

        let recorded = sqlx::query!(
            "INSERT INTO sift_load_ledger (source_uri, checksum, total_rows, valid_rows, invalid_rows, \
             inserted, already_present) VALUES ($1, $2, $3, $4, $5, 0, 0) ON CONFLICT DO NOTHING",
            source_uri,
            seal.checksum,
            to_i64(seal.total_rows),
            to_i64(valid_rows),
            to_i64(seal.invalid_rows),
        )
        .execute(&mut *tx)
        .await
        .map_err(load_err)?;
        if recorded.rows_affected() == 0 {
            // Committed before with the same content: load nothing again.
            tx.rollback().await.map_err(load_err)?;
            return Ok(LoadOutcome { inserted: 0, already_present: valid_rows, already_loaded: true });
        }
        let inserted = sqlx::query!(
            "INSERT INTO dim_customer (customer_id, full_name, email, age, date_of_birth, phone_number, \
             country, source_uri) \
             SELECT DISTINCT ON (customer_id) customer_id, full_name, email, age, date_of_birth, \
             phone_number, country, $1 FROM sift_staging ORDER BY customer_id, row_number \
             ON CONFLICT (customer_id) DO NOTHING",
            source_uri,
        )
        .execute(&mut *tx)
        .await
        .map_err(load_err)?
        .rows_affected();
        let outcome = LoadOutcome { inserted, already_present: valid_rows - inserted, already_loaded: false };
        sqlx::query!(
            "UPDATE sift_load_ledger SET inserted = $3, already_present = $4 \
             WHERE source_uri = $1 AND checksum = $2",
            source_uri,
            seal.checksum,
            to_i64(outcome.inserted),
            to_i64(outcome.already_present),
        )
        .execute(&mut *tx)
        .await
        .map_err(load_err)?;
        tx.commit().await.map_err(load_err)?;
        Ok(outcome)
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
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

/// Appends the rows of `batch` in PostgreSQL's binary COPY format.
fn encode_rows(batch: &CustomerBatch, buf: &mut BytesMut) {
    fn text(buf: &mut BytesMut, value: &str) {
        buf.put_i32(i32::try_from(value.len()).unwrap_or(i32::MAX));
        buf.put_slice(value.as_bytes());
    }
    for i in 0..batch.len() {
        buf.put_i16(8); // fields
        buf.put_i32(8);
        buf.put_i64(i64::try_from(batch.row_number[i]).unwrap_or(i64::MAX));
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
    }
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
}
