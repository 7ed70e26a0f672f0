//! The embedded SQLite warehouse.
//!
//! A contract's table is loaded with multi-row `INSERT ... ON CONFLICT (key) DO NOTHING` in
//! one `BEGIN IMMEDIATE` transaction (a plain `INSERT` for an append-only table; `ON CONFLICT
//! ... DO UPDATE ... WHERE` the row differs for `on_conflict = "update"`). Values are
//! stored as SPEC section 7 says: integers and booleans (0/1) as INTEGER; decimals as
//! canonical text with exactly `scale` digits after the point; dates as `YYYY-MM-DD`; instants
//! as RFC 3339 UTC text with six fraction digits (`2026-11-26T08:15:00.000000Z`), so that text
//! order is time order; text as is.

use std::str::FromStr;
use std::time::Duration;

use polars::prelude::*;
use sift_model::{Batch, ColumnType, OnConflict, TableSpec};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::error::{Error, Result};
use crate::keys::{FileKeys, first_occurrences};
use crate::schema::{
    ExistingColumn, ExistingTable, SqlDialect, differences, non_key_columns, quote, row_columns,
    sqlite_create, sqlite_table,
};
use crate::{LoadEvent, LoadMode, LoadOutcome, LoadStream, Warehouse, next_event, to_i64};
use sift_model::FileHistory;
use sift_sqlite_queries as queries;

mod history;

/// Most rows per INSERT statement (fewer for wide tables: SQLite binds at most 32,766 values
/// per statement).
const ROWS_PER_STATEMENT: usize = 1000;

/// SQLite's limit on bound values per statement.
const MAX_BOUND_VALUES: usize = 32_766;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// A SQLite file (`sqlite://PATH`) as the warehouse, created on first use.
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
    async fn prepare(&self, table: &TableSpec, create: bool) -> Result<()> {
        let schema_err = |source| Error::Schema { table: table.name.clone(), source };
        let mut conn = self.pool.acquire().await.map_err(schema_err)?;
        if existing(&mut conn, table).await?.is_none() {
            if !create {
                return Err(Error::TableMissing { table: table.name.clone() });
            }
            for statement in sqlite_create(table) {
                sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *conn).await.map_err(schema_err)?;
            }
            tracing::info!(table = %table.name, "table created from the contract");
        }
        let found = existing(&mut conn, table)
            .await?
            .ok_or_else(|| Error::TableMissing { table: table.name.clone() })?;
        let differences = differences(SqlDialect::Sqlite, table, &found);
        if !differences.is_empty() {
            return Err(Error::SchemaMismatch { table: table.name.clone(), differences });
        }
        Ok(())
    }

    /// SQLite has one writer at a time: every load runs alone, whatever `mode` says.
    async fn load(
        &self,
        table: &TableSpec,
        source_uri: &str,
        _mode: LoadMode,
        mut events: LoadStream,
    ) -> Result<LoadOutcome> {
        let load_err = |source| Error::Load { source_uri: source_uri.to_owned(), source };
        let loaded_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        // BEGIN IMMEDIATE: take the write lock now, so two loads queue instead of deadlocking.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(load_err)?;
        let mut outcome = LoadOutcome::default();
        let target = Target { table, source_uri, loaded_at: &loaded_at };
        // Updating, the first row with a key in the file wins, as it does skipping (where the
        // table's ON CONFLICT DO NOTHING decides): a later one would update it.
        let mut seen = table.on_conflict.changes_rows().then(|| FileKeys::for_table(table));
        let history = table.on_conflict == OnConflict::History;
        if history {
            stage(&mut tx, &target, true).await?;
        }
        let seal = loop {
            let batch = match next_event(&mut events).await {
                Ok(LoadEvent::Rows(batch)) => batch,
                Ok(LoadEvent::Seal(seal)) => break seal,
                Err(reason) => {
                    tx.rollback().await.map_err(load_err)?;
                    return Err(Error::Aborted { source_uri: source_uri.to_owned(), reason });
                }
            };
            match &mut seen {
                Some(seen) => {
                    let first = first_occurrences(&batch, table, seen)?;
                    outcome.already_present += (batch.len() - first.len()) as u64;
                    if history {
                        version_batch(&mut tx, &target, &batch, &first, &mut outcome).await?;
                    } else {
                        upsert_batch(&mut tx, &target, &batch, &first, &mut outcome).await?;
                    }
                }
                None => insert_batch(&mut tx, &target, &batch, &mut outcome).await?,
            }
        };
        if history {
            stage(&mut tx, &target, false).await?;
        }
        let valid_rows = outcome.inserted + outcome.already_present + outcome.updated + outcome.unchanged;
        let entry = queries::LedgerEntry {
            source_uri,
            table_name: &table.name,
            checksum: &seal.checksum,
            total_rows: to_i64(seal.total_rows),
            valid_rows: to_i64(valid_rows),
            invalid_rows: to_i64(seal.invalid_rows),
            inserted: to_i64(outcome.inserted),
            already_present: to_i64(outcome.already_present),
            loaded_at: &loaded_at,
        };
        let recorded = queries::record_load(&mut tx, &entry).await.map_err(not_migrated_or(load_err))?;
        if !recorded {
            // The same content from the same URI was committed before: load nothing again.
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

    async fn record_history(&self, file: &FileHistory) -> Result<bool> {
        history::record(&self.pool, file).await
    }

    async fn history<'a>(&self, dataset: Option<&'a str>, files: usize) -> Result<Vec<FileHistory>> {
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

/// The table as SQLite's catalog describes it, or `None` when it does not exist.
async fn existing(conn: &mut SqliteConnection, table: &TableSpec) -> Result<Option<ExistingTable>> {
    let schema_err = |source| Error::Schema { table: table.name.clone(), source };
    let name = table.unqualified_name();
    if !queries::table_exists(conn, name).await.map_err(schema_err)? {
        return Ok(None);
    }
    let quoted = sqlite_table(table);
    let info: Vec<(i64, String, String, bool, Option<String>, i64)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA table_info({quoted})")))
            .fetch_all(&mut *conn)
            .await
            .map_err(schema_err)?;
    let mut primary: Vec<(i64, String)> =
        info.iter().filter(|c| c.5 > 0).map(|c| (c.5, c.1.clone())).collect();
    primary.sort();
    let mut unique_keys = Vec::new();
    if !primary.is_empty() {
        let mut key: Vec<String> = primary.into_iter().map(|(_, n)| n).collect();
        key.sort();
        unique_keys.push(key);
    }
    let indexes: Vec<(i64, String, bool, String, bool)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA index_list({quoted})")))
            .fetch_all(&mut *conn)
            .await
            .map_err(schema_err)?;
    let mut current_keys = Vec::new();
    for (_, index, unique, _, partial) in indexes {
        if !unique {
            continue;
        }
        // A partial index backs a history table's key when its condition is `is_current`.
        let current = partial && {
            let sql: Option<String> =
                sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?")
                    .bind(&index)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(schema_err)?
                    .flatten();
            sql.is_some_and(|sql| sql.trim_end().to_ascii_lowercase().ends_with("where is_current"))
        };
        if partial && !current {
            continue;
        }
        let columns: Vec<(i64, i64, Option<String>)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("PRAGMA index_info({})", quote(&index))))
                .fetch_all(&mut *conn)
                .await
                .map_err(schema_err)?;
        // An index on an expression has a column without a name: it backs no key of columns.
        if let Some(mut key) = columns.into_iter().map(|c| c.2).collect::<Option<Vec<String>>>() {
            key.sort();
            if current { current_keys.push(key) } else { unique_keys.push(key) }
        }
    }
    Ok(Some(ExistingTable {
        columns: info
            .into_iter()
            .map(|(_, name, ty, not_null, default, pk)| ExistingColumn {
                name,
                ty,
                // A rowid alias (INTEGER PRIMARY KEY) is never null even when not declared so.
                not_null: not_null || pk > 0,
                has_default: default.is_some(),
            })
            .collect(),
        unique_keys,
        current_keys,
    }))
}

/// One value of a batch column, as SQLite stores it.
enum Value<'a> {
    Int(Option<i64>),
    Text(Option<std::borrow::Cow<'a, str>>),
}

/// The batch's columns, each rechunked and read by row as the table's types say.
struct Columns {
    columns: Vec<(Column, ColumnType)>,
}

impl Columns {
    fn of(batch: &Batch, table: &TableSpec) -> Result<Self> {
        let columns = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let column = batch
                    .column(i)
                    .filter(|c| c.name().as_str() == spec.name && c.dtype() == &spec.ty.physical())
                    .ok_or_else(|| {
                        Error::Batch(format!(
                            "column `{}` of {} is missing or mistyped",
                            spec.name, table.name
                        ))
                    })?;
                Ok((column.rechunk(), spec.ty))
            })
            .collect::<Result<_>>()?;
        Ok(Self { columns })
    }

    fn value(&self, column: usize, row: usize) -> Result<Value<'_>> {
        let (c, ty) = &self.columns[column];
        Ok(match ty {
            ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64 => Value::Int(c.i64()?.get(row)),
            ColumnType::Boolean => Value::Int(c.bool()?.get(row).map(i64::from)),
            ColumnType::Decimal { .. } | ColumnType::Text => Value::Text(c.str()?.get(row).map(Into::into)),
            ColumnType::Date => Value::Text(c.date()?.physical().get(row).and_then(|days| {
                chrono::NaiveDate::from_num_days_from_ce_opt(days.checked_add(719_163)?)
                    .map(|d| d.format("%Y-%m-%d").to_string().into())
            })),
            ColumnType::Timestamp => Value::Text(c.i64()?.get(row).and_then(|micros| {
                chrono::DateTime::from_timestamp_micros(micros)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true).into())
            })),
        })
    }
}

/// What one load writes with: the table, the source, the load's instant.
struct Target<'a> {
    table: &'a TableSpec,
    source_uri: &'a str,
    loaded_at: &'a str,
}

impl Target<'_> {
    fn load_err(&self) -> impl Fn(sqlx::Error) -> Error + '_ {
        not_migrated_or(|source| Error::Load { source_uri: self.source_uri.to_owned(), source })
    }

    /// Rows per statement: SQLite binds at most [`MAX_BOUND_VALUES`] values in one.
    fn per_statement(&self) -> usize {
        (MAX_BOUND_VALUES / (self.table.columns.len() + 2)).clamp(1, ROWS_PER_STATEMENT)
    }
}

/// Inserts every row of `batch`: a key already in the table (or earlier in the file) is
/// `already_present` (`ON CONFLICT DO NOTHING`, first row wins).
async fn insert_batch(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    target: &Target<'_>,
    batch: &Batch,
    outcome: &mut LoadOutcome,
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let columns = Columns::of(batch, target.table)?;
    let conflict = if target.table.key.is_empty() {
        String::new()
    } else {
        format!(" ON CONFLICT ({}) DO NOTHING", key_list(target.table))
    };
    let rows: Vec<usize> = (0..batch.len()).collect();
    for chunk in rows.chunks(target.per_statement()) {
        let done = insert_rows(tx, target, &sqlite_table(target.table), &columns, chunk, &conflict).await?;
        outcome.inserted += done;
        outcome.already_present += chunk.len() as u64 - done;
    }
    Ok(())
}

/// Upserts rows `rows` of `batch` (`on_conflict = "update"`; the first occurrences of their
/// keys in the file): a new key is inserted, a key in the table with other values updated, one
/// with the same values left alone. The keys in the table are counted first, so the inserted
/// and the updated rows are told apart.
async fn upsert_batch(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    target: &Target<'_>,
    batch: &Batch,
    rows: &[usize],
    outcome: &mut LoadOutcome,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let table = target.table;
    let columns = Columns::of(batch, table)?;
    let others = non_key_columns(table);
    let conflict = if others.is_empty() {
        format!(" ON CONFLICT ({}) DO NOTHING", key_list(table))
    } else {
        let mut set: Vec<String> = others.iter().map(|c| format!("{c} = excluded.{c}")).collect();
        set.extend([
            "source_uri = excluded.source_uri".to_owned(),
            "loaded_at = excluded.loaded_at".to_owned(),
        ]);
        let new: Vec<String> = others.iter().map(|c| format!("excluded.{c}")).collect();
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) IS NOT ({})",
            key_list(table),
            set.join(", "),
            others.join(", "),
            new.join(", ")
        )
    };
    let keys: Vec<usize> = table.key_positions().unwrap_or_default();
    for chunk in rows.chunks(target.per_statement()) {
        // The chunk's keys already in the table.
        let mut probe: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT count(*) FROM {} WHERE ({}) IN (VALUES ",
            sqlite_table(table),
            key_list(table)
        ));
        for (n, &row) in chunk.iter().enumerate() {
            probe.push(if n == 0 { "(" } else { ", (" });
            let mut values = probe.separated(", ");
            for &k in &keys {
                match columns.value(k, row)? {
                    Value::Int(v) => values.push_bind(v),
                    Value::Text(v) => values.push_bind(v.map(std::borrow::Cow::into_owned)),
                };
            }
            probe.push(")");
        }
        probe.push(")");
        let existing: i64 =
            probe.build_query_scalar().fetch_one(&mut **tx).await.map_err(target.load_err())?;
        let existing = u64::try_from(existing).unwrap_or(0);
        let done = insert_rows(tx, target, &sqlite_table(table), &columns, chunk, &conflict).await?;
        let inserted = chunk.len() as u64 - existing;
        let updated = done.saturating_sub(inserted);
        outcome.inserted += inserted;
        outcome.updated += updated;
        outcome.unchanged += existing - updated;
    }
    Ok(())
}

/// Creates (`create`) or drops the staging table of a history load: the table's loaded
/// columns, `source_uri` and `loaded_at`, in the connection's temporary schema.
async fn stage(tx: &mut sqlx::Transaction<'_, Sqlite>, target: &Target<'_>, create: bool) -> Result<()> {
    let mut statements = vec!["DROP TABLE IF EXISTS temp.sift_stage".to_owned()];
    if create {
        statements.push(format!(
            "CREATE TEMP TABLE sift_stage AS SELECT {} FROM {} WHERE 0",
            row_columns(target.table),
            sqlite_table(target.table)
        ));
    }
    for statement in statements {
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut **tx).await.map_err(target.load_err())?;
    }
    Ok(())
}

/// Versions rows `rows` of `batch` (`on_conflict = "history"`; the first occurrences of their
/// keys in the file): each chunk is staged, the current versions it changes are closed
/// (`valid_to`, `is_current` 0), and every staged key without a current version gets one,
/// valid from the load's time.
async fn version_batch(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    target: &Target<'_>,
    batch: &Batch,
    rows: &[usize],
    outcome: &mut LoadOutcome,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let table = target.table;
    let name = sqlite_table(table);
    let columns = Columns::of(batch, table)?;
    let others = non_key_columns(table);
    let same = |a: &str, b: &str| {
        table.key.iter().map(|k| format!("{a}.{k} = {b}.{k}", k = quote(k))).collect::<Vec<_>>().join(" AND ")
    };
    let close = (!others.is_empty()).then(|| {
        let old: Vec<String> = others.iter().map(|c| format!("{name}.{c}")).collect();
        let new: Vec<String> = others.iter().map(|c| format!("s.{c}")).collect();
        format!(
            "UPDATE {name} SET valid_to = ?, is_current = 0 WHERE is_current AND EXISTS \
             (SELECT 1 FROM temp.sift_stage AS s WHERE {} AND ({}) IS NOT ({}))",
            same("s", &name),
            old.join(", "),
            new.join(", ")
        )
    });
    let list = row_columns(table);
    let open = format!(
        "INSERT INTO {name} ({list}, valid_from, is_current) SELECT {list}, loaded_at, 1 FROM temp.sift_stage AS s \
         WHERE NOT EXISTS (SELECT 1 FROM {name} AS c WHERE {} AND c.is_current)",
        same("c", "s")
    );
    let run = |sql: String| sqlx::query(sqlx::AssertSqlSafe(sql));
    for chunk in rows.chunks(target.per_statement()) {
        insert_rows(tx, target, "temp.sift_stage", &columns, chunk, "").await?;
        let closed = match &close {
            Some(close) => run(close.clone())
                .bind(target.loaded_at)
                .execute(&mut **tx)
                .await
                .map_err(target.load_err())?
                .rows_affected(),
            None => 0,
        };
        let opened = run(open.clone()).execute(&mut **tx).await.map_err(target.load_err())?.rows_affected();
        run("DELETE FROM temp.sift_stage".to_owned()).execute(&mut **tx).await.map_err(target.load_err())?;
        outcome.inserted += opened.saturating_sub(closed);
        outcome.updated += closed;
        outcome.unchanged += chunk.len() as u64 - opened;
    }
    Ok(())
}

/// The key's columns, quoted, comma-separated.
fn key_list(table: &TableSpec) -> String {
    table.key.iter().map(|k| quote(k)).collect::<Vec<_>>().join(", ")
}

/// One multi-row `INSERT` into `into` of rows `rows` with `conflict` after it; returns the rows
/// it wrote.
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    target: &Target<'_>,
    into: &str,
    columns: &Columns,
    rows: &[usize],
    conflict: &str,
) -> Result<u64> {
    let width = target.table.columns.len();
    let mut values = Vec::with_capacity(rows.len() * width);
    for &row in rows {
        for column in 0..width {
            values.push(columns.value(column, row)?);
        }
    }
    let mut insert: QueryBuilder<Sqlite> =
        QueryBuilder::new(format!("INSERT INTO {into} ({}) ", row_columns(target.table)));
    let mut values = values.into_iter();
    insert.push_values(rows, |mut row, _| {
        for value in values.by_ref().take(width) {
            match value {
                Value::Int(v) => row.push_bind(v),
                Value::Text(v) => row.push_bind(v.map(std::borrow::Cow::into_owned)),
            };
        }
        row.push_bind(target.source_uri.to_owned()).push_bind(target.loaded_at.to_owned());
    });
    insert.push(conflict);
    let done = insert.build().execute(&mut **tx).await.map_err(target.load_err())?;
    Ok(done.rows_affected())
}

/// Maps "no such table" to [`Error::NotMigrated`], anything else with `other`.
pub(super) fn not_migrated_or(other: impl Fn(sqlx::Error) -> Error) -> impl Fn(sqlx::Error) -> Error {
    move |e| match &e {
        sqlx::Error::Database(db) if db.message().contains("no such table") => Error::NotMigrated,
        _ => other(e),
    }
}
