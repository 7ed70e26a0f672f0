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
use sift_model::{Batch, TableSpec};

use super::copy::Rows;
use super::{COPY_FLUSH_BYTES, CopyJob};
use crate::error::{Error, Result};
use crate::schema::{non_key_columns, pg_table, quote};

/// The staging table of one load (dropped at its commit or rollback).
const STAGE: &str = "pg_temp.sift_stage";

/// The statements of one table's updating load.
pub(super) struct Upsert {
    create: String,
    copy: String,
    /// `update`: the upsert, counting inserted and updated rows. `history`: closing the
    /// changed current versions (their count is the updated rows).
    upsert: String,
    /// `history`: inserting the new versions of the closed keys and the new keys.
    open: Option<String>,
    clear: String,
}

impl Upsert {
    pub(super) fn new(table: &TableSpec) -> Self {
        let mut columns: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
        columns.extend(["source_uri".to_owned(), "loaded_at".to_owned()]);
        let list = columns.join(", ");
        let target = pg_table(table);
        let key: Vec<String> = table.key.iter().map(|k| quote(k)).collect();
        let others = non_key_columns(table);
        let action = if others.is_empty() {
            "DO NOTHING".to_owned()
        } else {
            let mut set: Vec<String> = others.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect();
            set.extend([
                "source_uri = EXCLUDED.source_uri".to_owned(),
                "loaded_at = EXCLUDED.loaded_at".to_owned(),
            ]);
            let old: Vec<String> = others.iter().map(|c| format!("t.{c}")).collect();
            let new: Vec<String> = others.iter().map(|c| format!("EXCLUDED.{c}")).collect();
            format!("DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})", set.join(", "), row(&old), row(&new))
        };
        let create = format!(
            "CREATE TEMP TABLE sift_stage ON COMMIT DROP AS SELECT {list} FROM {target} WITH NO DATA"
        );
        let copy = format!("COPY {STAGE} ({list}) FROM STDIN (FORMAT binary)");
        let clear = format!("TRUNCATE {STAGE}");
        if table.on_conflict == sift_model::OnConflict::History {
            // A version's validity is the load's: `now()` is the transaction's start, as
            // `loaded_at` and the new versions' `valid_from` default are.
            let same_key: Vec<String> = key.iter().map(|k| format!("t.{k} = s.{k}")).collect();
            let old: Vec<String> = others.iter().map(|c| format!("t.{c}")).collect();
            let new: Vec<String> = others.iter().map(|c| format!("s.{c}")).collect();
            let close = if others.is_empty() {
                "SELECT 0 WHERE false".to_owned()
            } else {
                format!(
                    "UPDATE {target} AS t SET valid_to = now(), is_current = false FROM {STAGE} AS s \
                     WHERE {} AND t.is_current AND ({}) IS DISTINCT FROM ({})",
                    same_key.join(" AND "),
                    row(&old),
                    row(&new)
                )
            };
            let current: Vec<String> = key.iter().map(|k| format!("c.{k} = s.{k}")).collect();
            let open = format!(
                "INSERT INTO {target} ({list}) SELECT {list} FROM {STAGE} AS s WHERE NOT EXISTS \
                 (SELECT 1 FROM {target} AS c WHERE {} AND c.is_current)",
                current.join(" AND ")
            );
            return Self { create, copy, upsert: close, open: Some(open), clear };
        }
        let upsert = format!(
            "WITH done AS (INSERT INTO {target} AS t ({list}) SELECT {list} FROM {STAGE} \
             ON CONFLICT ({}) {action} RETURNING (t.xmax = 0) AS inserted) \
             SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM done",
            key.join(", ")
        );
        Self { create, copy, upsert, open: None, clear }
    }

    /// Creates the staging table (once per load).
    pub(super) async fn stage(&self, tx: &mut sqlx::PgConnection) -> sqlx::Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(self.create.clone())).execute(tx).await.map(drop)
    }

    /// Upserts rows `rows` of `batch`; returns (inserted, updated).
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
        buf.clear();
        Rows::of(batch, job.table)?.encode(rows, job.source_uri, job.loaded_at, buf)?;
        let mut copy = tx.copy_in_raw(&self.copy).await.map_err(load_err)?;
        let mut rest = buf.split().freeze();
        while !rest.is_empty() {
            let part = rest.split_to(rest.len().min(COPY_FLUSH_BYTES));
            copy.send(part).await.map_err(load_err)?;
        }
        copy.finish().await.map_err(load_err)?;
        let counts = match &self.open {
            None => {
                let (inserted, updated): (i64, i64) =
                    sqlx::query_as(sqlx::AssertSqlSafe(self.upsert.clone()))
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(load_err)?;
                (u64::try_from(inserted).unwrap_or(0), u64::try_from(updated).unwrap_or(0))
            }
            Some(open) => {
                // Close the changed current versions first: their new versions then find no
                // current row for their key.
                let run = |sql: &str| sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
                let closed = run(&self.upsert).execute(&mut *tx).await.map_err(load_err)?.rows_affected();
                let opened = run(open).execute(&mut *tx).await.map_err(load_err)?.rows_affected();
                (opened.saturating_sub(closed), closed)
            }
        };
        sqlx::query(sqlx::AssertSqlSafe(self.clear.clone())).execute(&mut *tx).await.map_err(load_err)?;
        Ok(counts)
    }
}

/// A row constructor of `items` (a single value needs `ROW(...)` to be one).
fn row(items: &[String]) -> String {
    if items.len() == 1 { format!("ROW({})", items[0]) } else { items.join(", ") }
}
