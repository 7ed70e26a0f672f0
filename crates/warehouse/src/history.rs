//! sift's memory of the files it validated: what [`crate::Warehouse::record_history`] writes and
//! [`crate::Warehouse::history`] reads back (tables `sift_file_history` and `sift_rule_history`,
//! the same in both backends).

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One validated file's counts, per failure id, as the history keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileHistory {
    /// The contract's name: files of one dataset are compared with each other.
    pub dataset: String,
    /// Where the file was read.
    pub source_uri: String,
    /// SHA-256 of the file's bytes, lower-case hex: with the dataset and URI, a file is
    /// recorded once however often it is delivered.
    pub checksum: String,
    /// Held by a contract limit: nothing of it was loaded.
    pub held: bool,
    /// Data rows.
    pub total_rows: u64,
    /// Valid rows.
    pub valid_rows: u64,
    /// Invalid rows.
    pub invalid_rows: u64,
    /// Every failure id of the contract, in the contract's order, zeros included.
    pub rules: Vec<RuleHistory>,
    /// When the file was recorded: set by the warehouse (ignored when recording).
    pub recorded_at: Option<DateTime<Utc>>,
}

/// One failure id's counts in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleHistory {
    /// The failure id, e.g. `email` or `not_null:age`.
    pub rule: String,
    /// Rows failing it (an `error` rule).
    pub failures: u64,
    /// Valid rows warned by it (a `warn` rule).
    pub warnings: u64,
}

impl RuleHistory {
    /// The rows it flagged, failed or warned (a rule is one or the other).
    pub fn hits(&self) -> u64 {
        self.failures + self.warnings
    }
}

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
