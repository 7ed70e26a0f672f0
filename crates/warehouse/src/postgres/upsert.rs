//! `on_conflict = "update"`: a batch's rows whose keys the table may hold are copied (binary
//! `COPY`) into a staging table of the transaction, then upserted from it in one statement;
//! rows whose keys it cannot hold (an empty table; for one integer key, ids outside its range)
//! are copied straight into the table, as a skipping load sends them. A row whose key is new is
//! inserted; one whose key is in the table replaces the row's loaded columns when any differs
//! (`IS DISTINCT FROM`: a NULL equals a NULL), and is left alone when none does. Which of the
//! two each row was is read from the statement's `RETURNING` (`xmax = 0` on an inserted row).
//!
//! `on_conflict = "history"` keeps every version: the staged rows close their key's current
//! version when it differs (`valid_to`, `is_current` false), then every staged key without a
//! current version gets one (the changed keys and the new ones), valid from the load's time.
//!
//! Loads that update one table take turns (the table's advisory lock, held exclusively, is
//! granted in the order they ask): the file whose load starts later writes its values last, so
//! an older file's version never lands after a younger one's.

use bytes::BytesMut;
use sift_model::{Batch, OnConflict, TableSpec};

use super::copy::Rows;
use super::{CopyJob, copy_rows_with};
use crate::error::{Error, Result};
use crate::schema::{non_key_columns, pg_table, quote, row_columns};

/// The staging table of one load (dropped at its commit or rollback).
const STAGE: &str = "pg_temp.sift_stage";

/// The statements of one table's updating load.
pub(super) struct Upsert {
    create: String,
    copy: String,
    change: Change,
    clear: String,
}

/// What the staged rows do to the table.
enum Change {
    /// `update`: one upsert, counting inserted and updated rows.
    Upsert(String),
    /// `history`: close the changed current versions (none to close when every column is
    /// the key), then open a version for each staged key without a current one.
    Version { close: Option<String>, open: String },
}

impl Upsert {
    pub(super) fn new(table: &TableSpec) -> Self {
        let list = row_columns(table);
        let target = pg_table(table);
        let key: Vec<String> = table.key.iter().map(|k| quote(k)).collect();
        let others = non_key_columns(table);
        let differs = |old: &str, new: &str| {
            let side =
                |alias: &str| others.iter().map(|c| format!("{alias}.{c}")).collect::<Vec<_>>().join(", ");
            format!("({}) IS DISTINCT FROM ({})", side(old), side(new))
        };
        let change = if table.on_conflict == OnConflict::History {
            // A version's validity is the load's: `now()` is the transaction's start, as
            // `loaded_at` and the new versions' `valid_from` default are.
            let same_key = |a: &str, b: &str| {
                key.iter().map(|k| format!("{a}.{k} = {b}.{k}")).collect::<Vec<_>>().join(" AND ")
            };
            let close = (!others.is_empty()).then(|| {
                format!(
                    "UPDATE {target} AS t SET valid_to = now(), is_current = false FROM {STAGE} AS s \
                     WHERE {} AND t.is_current AND {}",
                    same_key("t", "s"),
                    differs("t", "s")
                )
            });
            let open = format!(
                "INSERT INTO {target} ({list}) SELECT {list} FROM {STAGE} AS s WHERE NOT EXISTS \
                 (SELECT 1 FROM {target} AS c WHERE {} AND c.is_current)",
                same_key("c", "s")
            );
            Change::Version { close, open }
        } else {
            let action = if others.is_empty() {
                "DO NOTHING".to_owned()
            } else {
                let set: Vec<String> = others
                    .iter()
                    .map(String::as_str)
                    .chain(["source_uri", "loaded_at"])
                    .map(|c| format!("{c} = EXCLUDED.{c}"))
                    .collect();
                format!("DO UPDATE SET {} WHERE {}", set.join(", "), differs("t", "EXCLUDED"))
            };
            Change::Upsert(format!(
                "WITH done AS (INSERT INTO {target} AS t ({list}) SELECT {list} FROM {STAGE} \
                 ON CONFLICT ({}) {action} RETURNING (t.xmax = 0) AS inserted) \
                 SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM done",
                key.join(", ")
            ))
        };
        Self {
            create: format!(
                "CREATE TEMP TABLE sift_stage ON COMMIT DROP AS SELECT {list} FROM {target} WITH NO DATA"
            ),
            copy: format!("COPY {STAGE} ({list}) FROM STDIN (FORMAT binary)"),
            change,
            clear: format!("TRUNCATE {STAGE}"),
        }
    }

    /// Creates the staging table (once per load).
    pub(super) async fn stage(&self, tx: &mut sqlx::PgConnection) -> sqlx::Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(self.create.clone())).execute(tx).await.map(drop)
    }

    /// Stages rows `rows` of `batch` and applies them; returns (inserted, updated).
    pub(super) async fn send(
        &self,
        tx: &mut sqlx::PgConnection,
        job: &CopyJob<'_>,
        batch: &Batch,
        rows: &[usize],
        buf: &mut BytesMut,
    ) -> Result<(u64, u64)> {
        if rows.is_empty() {
            return Ok((0, 0));
        }
        let load_err = |source| Error::Load { source_uri: job.source_uri.to_owned(), source };
        copy_rows_with(tx, &self.copy, job, &Rows::of(batch, job.table)?, rows, buf)
            .await
            .map_err(|e| e.into_error(&load_err))?;
        let run = |sql: &str| sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
        let counts = match &self.change {
            Change::Upsert(upsert) => {
                let (inserted, updated): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(upsert.clone()))
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(load_err)?;
                (u64::try_from(inserted).unwrap_or(0), u64::try_from(updated).unwrap_or(0))
            }
            Change::Version { close, open } => {
                // Close the changed current versions first: their new versions then find no
                // current row for their key.
                let closed = match close {
                    Some(close) => run(close).execute(&mut *tx).await.map_err(load_err)?.rows_affected(),
                    None => 0,
                };
                let opened = run(open).execute(&mut *tx).await.map_err(load_err)?.rows_affected();
                (opened.saturating_sub(closed), closed)
            }
        };
        run(&self.clear).execute(&mut *tx).await.map_err(load_err)?;
        Ok(counts)
    }
}
