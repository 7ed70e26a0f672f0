//! An existing table's shape, read from PostgreSQL's catalog: its columns (with
//! `format_type`, NOT NULL and defaults) and the column sets of its unique indexes (a primary
//! key is one).

use sift_model::TableSpec;
use sqlx::PgConnection;

use crate::error::{Error, Result};
use crate::schema::{ExistingColumn, ExistingTable, pg_table};

/// The table as the catalog sees it, or `None` when the search path has no such table.
pub(crate) async fn existing(conn: &mut PgConnection, table: &TableSpec) -> Result<Option<ExistingTable>> {
    let schema_err = |source| Error::Schema { table: table.name.clone(), source };
    let oid: Option<i64> = sqlx::query_scalar("SELECT to_regclass($1)::oid::int8")
        .bind(pg_table(table))
        .fetch_one(&mut *conn)
        .await
        .map_err(schema_err)?;
    let Some(oid) = oid else { return Ok(None) };
    let columns: Vec<(String, String, bool, bool)> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef \
         FROM pg_attribute a WHERE a.attrelid = $1::int8::oid AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(schema_err)?;
    let unique_keys: Vec<Vec<String>> = sqlx::query_scalar(
        "SELECT array_agg(a.attname::text ORDER BY a.attname::text) \
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = $1::int8::oid AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL \
         GROUP BY i.indexrelid",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(schema_err)?;
    // A history table's key: a unique index partial on `is_current`.
    let current_keys: Vec<Vec<String>> = sqlx::query_scalar(
        "SELECT array_agg(a.attname::text ORDER BY a.attname::text) \
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = $1::int8::oid AND i.indisunique AND i.indexprs IS NULL \
         AND pg_get_expr(i.indpred, i.indrelid) = 'is_current' GROUP BY i.indexrelid",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(schema_err)?;
    Ok(Some(ExistingTable {
        current_keys,
        columns: columns
            .into_iter()
            .map(|(name, ty, not_null, has_default)| ExistingColumn { name, ty, not_null, has_default })
            .collect(),
        unique_keys,
    }))
}
