//! Which of a batch's rows are new to the table: a key already in the table is
//! `already_present` (the file's own repeats are `crate::keys`'). `COPY` has no `ON CONFLICT`,
//! so the loader sends only rows that cannot conflict; concurrent loads name keys by their
//! claim hashes.

use hashbrown::HashSet;
use polars::prelude::*;
use sift_model::{Batch, ColumnType, TableSpec};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use crate::error::Result;
use crate::keys::{KeyArray, flip, key_column};

use crate::schema::{pg_table, quote};

/// Reads one batch's keys as the claims of concurrent loads name them (`claims.rs`): the
/// flipped id for one integer key column, else a stable 64-bit hash of the encoded key.
pub(crate) enum ClaimKeys {
    /// One integer key column.
    Ids(Int64Chunked),
    /// Any other key's columns.
    Hashed(Vec<KeyArray>),
}

impl ClaimKeys {
    /// `batch`'s keys under `table`'s key (which it has).
    pub(crate) fn of(batch: &Batch, table: &TableSpec) -> Result<Self> {
        let positions = table.key_positions().unwrap_or_default();
        Ok(match positions.as_slice() {
            [k] if table.columns[*k].ty.is_integer() => {
                ClaimKeys::Ids(key_column(batch, *k)?.i64()?.rechunk().into_owned())
            }
            _ => ClaimKeys::Hashed(
                positions.iter().map(|&p| KeyArray::of(key_column(batch, p)?)).collect::<Result<_>>()?,
            ),
        })
    }

    /// Row `i`'s key; `scratch` is reused between calls.
    pub(crate) fn key(&self, i: usize, scratch: &mut Vec<u8>) -> u64 {
        match self {
            ClaimKeys::Ids(ids) => flip(ids.get(i).unwrap_or_default()),
            ClaimKeys::Hashed(parts) => {
                scratch.clear();
                for part in parts {
                    part.encode(i, scratch);
                }
                key_hash(scratch)
            }
        }
    }
}

/// The claim hash of an encoded key ([`crate::fnv1a`]: two loads must name a key alike). A
/// collision only makes a load leave a key to another and probe it after that one ends.
pub(crate) fn key_hash(encoded: &[u8]) -> u64 {
    crate::fnv1a(encoded)
}

/// What a keyed table holds before a load, as far as probing goes.
#[derive(Debug)]
pub(crate) enum ExistingKeys {
    /// The table is empty (or has no key): no probe.
    None,
    /// One integer key column, whose values span `[low, high]`: only ids within it are probed.
    Span(i64, i64),
    /// Some rows: every candidate is probed.
    Some,
}

impl ExistingKeys {
    /// What `table` holds before the load (read under the load's lock, so it cannot change).
    pub(crate) async fn read(conn: &mut sqlx::PgConnection, table: &TableSpec) -> sqlx::Result<Self> {
        let positions = table.key_positions().unwrap_or_default();
        let name = pg_table(table);
        match positions.as_slice() {
            [] => Ok(ExistingKeys::None),
            [k] if table.columns[*k].ty.is_integer() => {
                let column = quote(&table.columns[*k].name);
                let sql = format!("SELECT min({column})::int8, max({column})::int8 FROM {name}");
                let (low, high): (Option<i64>, Option<i64>) =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await?;
                Ok(low.zip(high).map_or(ExistingKeys::None, |(low, high)| ExistingKeys::Span(low, high)))
            }
            _ => {
                let sql = format!("SELECT EXISTS (SELECT 1 FROM {name})");
                let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut *conn).await?;
                Ok(if any { ExistingKeys::Some } else { ExistingKeys::None })
            }
        }
    }

    /// Of `first` (rows of `batch` new to the file), those whose key may be in the table and must
    /// be probed: none when it was empty (this load's own rows are the ones `first` already tells
    /// apart), those within the span for one integer key, all of them otherwise.
    pub(crate) fn candidates(&self, batch: &Batch, table: &TableSpec, first: &[usize]) -> Result<Vec<usize>> {
        Ok(match (self, table.key_positions().as_deref()) {
            (ExistingKeys::None, _) => Vec::new(),
            (ExistingKeys::Span(low, high), Some([k])) => {
                let ids = key_column(batch, *k)?.i64()?.rechunk();
                first
                    .iter()
                    .copied()
                    .filter(|&i| ids.get(i).is_some_and(|id| (*low..=*high).contains(&id)))
                    .collect()
            }
            _ => first.to_vec(),
        })
    }
}

/// Of `candidates` (rows of `batch` new to the file), those whose key is already in the table:
/// one probe that joins the candidates' keys, sent as arrays, with the table.
pub(crate) async fn already_in_table(
    conn: &mut PgConnection,
    batch: &Batch,
    table: &TableSpec,
    candidates: &[usize],
    load_err: impl Fn(sqlx::Error) -> crate::error::Error,
) -> Result<HashSet<usize>> {
    let Some(positions) = table.key_positions() else { return Ok(HashSet::new()) };
    if candidates.is_empty() {
        return Ok(HashSet::new());
    }
    // SELECT u.ord FROM unnest($1::T1[], $2::T2[]) WITH ORDINALITY AS u(k0, k1, ord)
    // WHERE EXISTS (SELECT 1 FROM t WHERE t."a" = u.k0 AND t."b" = u.k1)
    let mut sql: QueryBuilder<Postgres> = QueryBuilder::new("SELECT u.ord FROM unnest(");
    let mut separated = sql.separated(", ");
    for &p in &positions {
        let column = key_column(batch, p)?;
        let series = column.as_materialized_series();
        let pick = |i: &usize| *i;
        match table.columns[p].ty {
            ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64 => {
                let ca = series.i64()?;
                let values: Vec<i64> =
                    candidates.iter().map(pick).map(|i| ca.get(i).unwrap_or_default()).collect();
                separated.push_bind(values).push_unseparated("::bigint[]");
            }
            ColumnType::Timestamp => {
                let ca = series.i64()?;
                let values: Vec<chrono::DateTime<chrono::Utc>> = candidates
                    .iter()
                    .map(|&i| {
                        chrono::DateTime::from_timestamp_micros(ca.get(i).unwrap_or_default())
                            .unwrap_or_default()
                    })
                    .collect();
                separated.push_bind(values).push_unseparated("::timestamptz[]");
            }
            ColumnType::Boolean => {
                let ca = series.bool()?;
                let values: Vec<bool> = candidates.iter().map(|&i| ca.get(i).unwrap_or_default()).collect();
                separated.push_bind(values).push_unseparated("::boolean[]");
            }
            ColumnType::Date => {
                let days = series.cast(&DataType::Int32)?;
                let ca = days.i32()?;
                let values: Vec<chrono::NaiveDate> = candidates
                    .iter()
                    .map(|&i| {
                        chrono::NaiveDate::from_num_days_from_ce_opt(ca.get(i).unwrap_or_default() + 719_163)
                            .unwrap_or_default()
                    })
                    .collect();
                separated.push_bind(values).push_unseparated("::date[]");
            }
            ColumnType::Decimal { .. } => {
                let ca = series.str()?;
                let values: Vec<String> =
                    candidates.iter().map(|&i| ca.get(i).unwrap_or_default().to_owned()).collect();
                separated.push_bind(values).push_unseparated("::numeric[]");
            }
            ColumnType::Text => {
                let ca = series.str()?;
                let values: Vec<String> =
                    candidates.iter().map(|&i| ca.get(i).unwrap_or_default().to_owned()).collect();
                separated.push_bind(values).push_unseparated("::text[]");
            }
        }
    }
    let aliases: Vec<String> = (0..positions.len()).map(|k| format!("k{k}")).collect();
    sql.push(format!(
        ") WITH ORDINALITY AS u({}, ord) WHERE EXISTS (SELECT 1 FROM {} t WHERE ",
        aliases.join(", "),
        pg_table(table)
    ));
    let conditions: Vec<String> = positions
        .iter()
        .enumerate()
        .map(|(k, &p)| format!("t.{} = u.k{k}", quote(&table.columns[p].name)))
        .collect();
    sql.push(conditions.join(" AND "));
    sql.push(")");
    let found: Vec<i64> = sql.build_query_scalar().fetch_all(conn).await.map_err(load_err)?;
    // Ordinals count from 1, in the order of `candidates`.
    Ok(found.into_iter().filter_map(|ord| candidates.get(usize::try_from(ord - 1).ok()?).copied()).collect())
}
