//! sift's history in SQLite: one row per validated file, its failure ids' counts beside it
//! (the queries are `sift_sqlite_queries`', checked against SQLite).

use sift_sqlite_queries as queries;
use sqlx::SqlitePool;

use super::not_migrated_or;
use crate::error::{Error, Result};
use crate::history;
use crate::to_i64;
use sift_model::FileHistory;

/// Records `file` and its rules in one transaction; `false` when it is there already.
pub(super) async fn record(pool: &SqlitePool, file: &FileHistory) -> Result<bool> {
    let history_err = |source| Error::History { action: "recording", dataset: file.dataset.clone(), source };
    let recorded_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let entry = queries::FileEntry {
        dataset: &file.dataset,
        source_uri: &file.source_uri,
        checksum: &file.checksum,
        held: file.held,
        total_rows: to_i64(file.total_rows),
        valid_rows: to_i64(file.valid_rows),
        invalid_rows: to_i64(file.invalid_rows),
        recorded_at: &recorded_at,
    };
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.map_err(history_err)?;
    let Some(file_id) = queries::record_file(&mut tx, &entry).await.map_err(not_migrated_or(history_err))?
    else {
        return Ok(false);
    };
    for (position, rule) in (0_i64..).zip(&file.rules) {
        queries::record_rule(
            &mut tx,
            file_id,
            position,
            &rule.rule,
            to_i64(rule.failures),
            to_i64(rule.warnings),
        )
        .await
        .map_err(history_err)?;
    }
    tx.commit().await.map_err(history_err)?;
    Ok(true)
}

/// The `files` most recent files of `dataset` (of each dataset when `None`), with their rules.
pub(super) async fn recent(
    pool: &SqlitePool,
    dataset: Option<&str>,
    files: usize,
) -> Result<Vec<FileHistory>> {
    let history_err = |source| Error::History {
        action: "reading",
        dataset: dataset.unwrap_or("every dataset").to_owned(),
        source,
    };
    let mut conn = pool.acquire().await.map_err(history_err)?;
    let datasets = match dataset {
        Some(dataset) => vec![dataset.to_owned()],
        None => queries::datasets(&mut conn).await.map_err(not_migrated_or(history_err))?,
    };
    let mut recent = Vec::new();
    for dataset in &datasets {
        let rows = queries::recent_files(&mut conn, dataset, to_i64(files as u64))
            .await
            .map_err(not_migrated_or(history_err))?;
        recent.extend(history::group(rows.into_iter().map(|row| {
            history::Row {
                file_id: row.file_id,
                dataset: row.dataset,
                source_uri: row.source_uri,
                checksum: row.checksum,
                held: row.held,
                total_rows: row.total_rows,
                valid_rows: row.valid_rows,
                invalid_rows: row.invalid_rows,
                recorded_at: chrono::DateTime::parse_from_rfc3339(&row.recorded_at)
                    .ok()
                    .map(|t| t.with_timezone(&chrono::Utc)),
                rule_id: row.rule_id,
                failures: row.failures,
                warnings: row.warnings,
            }
        })));
    }
    Ok(recent)
}
