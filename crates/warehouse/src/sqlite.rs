//! The embedded SQLite warehouse.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{QueryBuilder, Sqlite};

use crate::error::{Error, Result};
use crate::{LoadEvent, LoadOutcome, LoadStream, Warehouse, next_event, to_i64};

/// Rows per INSERT statement: 9 bound values a row stays well under SQLite's 32,766 limit.
const ROWS_PER_STATEMENT: usize = 1000;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// `dim_customer` in a SQLite file (`sqlite://PATH`), created on first use.
#[derive(Debug, Clone)]
pub struct SqliteWarehouse {
    pool: SqlitePool,
    target: String,
}

impl SqliteWarehouse {
    /// Opens (creating when missing, with its folder) the database at `url`.
    pub async fn connect(url: &str) -> Result<Self> {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| Error::UnsupportedUrl(url.to_owned()))?;
        let target = format!("sqlite://{path}");
        let connect_err = |source| Error::Connect { target: target.clone(), attempts: 1, source };
        let file = path.split('?').next().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(file).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| connect_err(sqlx::Error::Io(e)))?;
        }
        let options = SqliteConnectOptions::from_str(&target)
            .map_err(connect_err)?
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(30));
        let pool =
            SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(connect_err)?;
        Ok(Self { pool, target })
    }

    /// The pool, for tests and tools that inspect the table.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[async_trait::async_trait]
impl Warehouse for SqliteWarehouse {
    async fn load(&self, source_uri: &str, mut events: LoadStream) -> Result<LoadOutcome> {
        let load_err = |source| Error::Load { source_uri: source_uri.to_owned(), source };
        let loaded_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        // BEGIN IMMEDIATE: take the write lock now, so two loads queue instead of deadlocking.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(load_err)?;
        let mut outcome = LoadOutcome::default();
        let seal = loop {
            let batch = match next_event(&mut events).await {
                Ok(LoadEvent::Rows(batch)) => batch,
                Ok(LoadEvent::Seal(seal)) => break seal,
                Err(reason) => {
                    tx.rollback().await.map_err(load_err)?;
                    return Err(Error::Aborted { source_uri: source_uri.to_owned(), reason });
                }
            };
            insert_batch(&mut tx, source_uri, &loaded_at, &batch, &mut outcome).await?;
        };
        let ledger = sqlx::query(
            "INSERT INTO sift_load_ledger (source_uri, checksum, total_rows, valid_rows, invalid_rows, \
             inserted, already_present, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(source_uri)
        .bind(&seal.checksum)
        .bind(to_i64(seal.total_rows))
        .bind(to_i64(outcome.inserted + outcome.already_present))
        .bind(to_i64(seal.invalid_rows))
        .bind(to_i64(outcome.inserted))
        .bind(to_i64(outcome.already_present))
        .bind(&loaded_at)
        .execute(&mut *tx)
        .await
        .map_err(not_migrated_or(load_err))?;
        if ledger.rows_affected() == 0 {
            // The same content from the same URI was committed before: load nothing again.
            tx.rollback().await.map_err(load_err)?;
            let valid = outcome.inserted + outcome.already_present;
            return Ok(LoadOutcome { inserted: 0, already_present: valid, already_loaded: true });
        }
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

async fn insert_batch(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    source_uri: &str,
    loaded_at: &str,
    batch: &sift_validator::CustomerBatch,
    outcome: &mut LoadOutcome,
) -> Result<()> {
    let rows = batch.len();
    let mut start = 0;
    while start < rows {
        let end = (start + ROWS_PER_STATEMENT).min(rows);
        let mut insert: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO dim_customer (customer_id, full_name, email, age, date_of_birth, \
             phone_number, country, source_uri, loaded_at) ",
        );
        insert.push_values(start..end, |mut row, i| {
            row.push_bind(batch.customer_id[i])
                .push_bind(&batch.full_name[i])
                .push_bind(&batch.email[i])
                .push_bind(batch.age[i])
                .push_bind(batch.date_of_birth[i].format("%Y-%m-%d").to_string())
                .push_bind(&batch.phone_number[i])
                .push_bind(&batch.country[i])
                .push_bind(source_uri)
                .push_bind(loaded_at);
        });
        insert.push(" ON CONFLICT (customer_id) DO NOTHING");
        let done = insert
            .build()
            .execute(&mut **tx)
            .await
            .map_err(not_migrated_or(|source| Error::Load { source_uri: source_uri.to_owned(), source }))?;
        outcome.inserted += done.rows_affected();
        outcome.already_present += (end - start) as u64 - done.rows_affected();
        start = end;
    }
    Ok(())
}

/// Maps "no such table" to [`Error::NotMigrated`], anything else with `other`.
fn not_migrated_or(other: impl Fn(sqlx::Error) -> Error) -> impl Fn(sqlx::Error) -> Error {
    move |e| match &e {
        sqlx::Error::Database(db) if db.message().contains("no such table") => Error::NotMigrated,
        _ => other(e),
    }
}
