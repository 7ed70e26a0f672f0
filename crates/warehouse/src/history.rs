//! sift's memory of the files it validated: what [`crate::Warehouse::record_history`] writes and
//! [`crate::Warehouse::history`] reads back (tables `sift_file_history` and `sift_rule_history`,
//! the same in both backends).

use chrono::{DateTime, Utc};
use sift_model::{FileHistory, RuleHistory};

/// One `(file, rule)` row as both backends read the history: the file's columns, repeated on
/// each of its rules (the rule's columns `None` for a file without rules).
pub(crate) struct Row {
    pub file_id: i64,
    pub dataset: String,
    pub source_uri: String,
    pub checksum: String,
    pub held: bool,
    pub total_rows: i64,
    pub valid_rows: i64,
    pub invalid_rows: i64,
    pub recorded_at: Option<DateTime<Utc>>,
    pub rule_id: Option<String>,
    pub failures: Option<i64>,
    pub warnings: Option<i64>,
}

/// Groups rows (files in order, each file's rules next to each other) into files.
pub(crate) fn group(rows: impl IntoIterator<Item = Row>) -> Vec<FileHistory> {
    let mut files: Vec<(i64, FileHistory)> = Vec::new();
    for row in rows {
        if files.last().is_none_or(|(last, _)| *last != row.file_id) {
            let file = FileHistory {
                dataset: row.dataset,
                source_uri: row.source_uri,
                checksum: row.checksum,
                held: row.held,
                total_rows: to_u64(row.total_rows),
                valid_rows: to_u64(row.valid_rows),
                invalid_rows: to_u64(row.invalid_rows),
                rules: Vec::new(),
                recorded_at: row.recorded_at,
            };
            files.push((row.file_id, file));
        }
        if let (Some(rule), Some((_, file))) = (row.rule_id, files.last_mut()) {
            file.rules.push(RuleHistory {
                rule,
                failures: to_u64(row.failures.unwrap_or(0)),
                warnings: to_u64(row.warnings.unwrap_or(0)),
            });
        }
    }
    files.into_iter().map(|(_, file)| file).collect()
}

/// A count read back from a BIGINT (never negative: sift wrote it from a `u64`).
fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
