//! The JSON summary of one file: the Lambda's return value and the CLI's `--json` output
//! (SPEC section 4), with the counts the report email is built from.

use chrono::NaiveDate;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Whether the file was processed or rejected as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Validated and loaded (invalid records may exist).
    Ok,
    /// Refused as a whole: nothing loaded, nothing written; `error` says why.
    Rejected,
}

/// What became of the report email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationStatus {
    /// Delivered to the notifier.
    Sent,
    /// No notifier configured.
    Skipped,
    /// The notifier failed (the load and the invalid-records file stand).
    Failed,
}

/// The summary of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// `ok` or `rejected`.
    pub status: Status,
    /// Why the file was rejected; absent when `status` is `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The source file (`s3://bucket/key` or a path).
    pub source: String,
    /// The contract's dataset name (`customer` for the built-in contract).
    pub dataset: String,
    /// The table the valid rows load, as the contract names it; `None` for a validate-only
    /// contract.
    pub table: Option<String>,
    /// The as-of date of the date and age rules.
    #[serde(serialize_with = "iso_date")]
    pub as_of: NaiveDate,
    /// Data rows read.
    pub total: u64,
    /// Rows with no failure.
    pub valid: u64,
    /// Rows with at least one failure.
    pub invalid: u64,
    /// Valid rows inserted into the warehouse.
    pub inserted: u64,
    /// Valid rows whose key was already in the warehouse or earlier in the file (with
    /// `on_conflict = "update"`: earlier in the file).
    pub already_present: u64,
    /// With `on_conflict = "update"` only: valid rows that replaced their key's row in the
    /// table, its values being others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<u64>,
    /// With `on_conflict = "update"` only: valid rows whose key's row in the table had the same
    /// values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchanged: Option<u64>,
    /// Rows per failure id, in rule order; ids that never failed are left out.
    #[serde(serialize_with = "ordered_map")]
    pub rule_failures: Vec<(String, u64)>,
    /// Valid rows warning on each `warn` rule that warned at least once, in report order;
    /// left out of the JSON when none did (the SPEC's shape for contracts without `warn` rules).
    #[serde(serialize_with = "ordered_map", skip_serializing_if = "Vec::is_empty")]
    pub rule_warnings: Vec<(String, u64)>,
    /// The failure ids far above their history in the dataset's recent files (the report's
    /// trends), in report order; left out of the JSON when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_anomalies: Vec<String>,
    /// Where the invalid records were written; null when there is none.
    pub invalid_records_uri: Option<String>,
    /// Where the warnings file was written (valid rows that warned), when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings_uri: Option<String>,
    /// What became of the report email.
    pub notification: NotificationStatus,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// The warehouse's load ledger already had this file (same source, same content), so
    /// nothing was loaded again: a re-delivered event. Only present when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_loaded: bool,
}

/// What a summary is about: one source file under one contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRun {
    /// The source file (`s3://bucket/key` or a path).
    pub source: String,
    /// The contract's dataset name.
    pub dataset: String,
    /// The table the contract loads; `None` for a validate-only contract.
    pub table: Option<String>,
    /// The as-of date of the date and age rules.
    pub as_of: NaiveDate,
}

/// What processing a file counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Data rows read.
    pub total: u64,
    /// Rows with no failure.
    pub valid: u64,
    /// Rows with at least one failure.
    pub invalid: u64,
    /// Valid rows inserted into the warehouse.
    pub inserted: u64,
    /// Valid rows whose key was already in the warehouse or earlier in the file.
    pub already_present: u64,
    /// Rows that updated their key's row, and rows that found it the same (`on_conflict =
    /// "update"` only).
    pub updates: Option<Updates>,
    /// Rows per failure id, in rule order; ids that never failed are left out.
    pub rule_failures: Vec<(String, u64)>,
    /// Valid rows per `warn` rule, in rule order; rules that never warned are left out.
    pub rule_warnings: Vec<(String, u64)>,
    /// The pairs of rules failing together most often (the report's; not in the JSON).
    pub co_failures: Vec<(String, String, u64)>,
    /// Per uniqueness rule, the distinct keys found on more than one row (the report's; not
    /// in the JSON); rules without duplicates are left out.
    pub duplicate_groups: Vec<(String, u64)>,
    /// The warehouse's ledger already had this file: nothing was loaded again.
    pub already_loaded: bool,
}

/// What a load into a table with `on_conflict = "update"` did to the rows already there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Updates {
    /// Rows that replaced their key's row (other values).
    pub updated: u64,
    /// Rows whose key's row had the same values.
    pub unchanged: u64,
}

impl Summary {
    /// The summary of a processed file (`status: ok`).
    pub fn processed(
        file: FileRun,
        counts: Counts,
        invalid_records_uri: Option<String>,
        notification: NotificationStatus,
        duration: std::time::Duration,
    ) -> Self {
        let Counts {
            total,
            valid,
            invalid,
            inserted,
            already_present,
            updates,
            rule_failures,
            rule_warnings,
            co_failures: _,
            duplicate_groups: _,
            already_loaded,
        } = counts;
        let FileRun { source, dataset, table, as_of } = file;
        Self {
            status: Status::Ok,
            error: None,
            source,
            dataset,
            table,
            as_of,
            total,
            valid,
            invalid,
            inserted,
            already_present,
            updated: updates.map(|u| u.updated),
            unchanged: updates.map(|u| u.unchanged),
            rule_failures,
            rule_warnings,
            invalid_records_uri,
            warnings_uri: None,
            rule_anomalies: Vec::new(),
            notification,
            duration_ms: millis(duration),
            already_loaded,
        }
    }

    /// The same summary, naming the warnings file written.
    pub fn with_warnings_uri(mut self, uri: Option<String>) -> Self {
        self.warnings_uri = uri;
        self
    }

    /// The same summary, naming the failure ids of `trends` far above their history (the
    /// report's trends).
    pub fn with_anomalies(mut self, trends: &[crate::Trend]) -> Self {
        self.rule_anomalies = trends.iter().filter(|t| t.flagged).map(|t| t.rule.clone()).collect();
        self
    }

    /// The summary of a file *held* by a contract limit (`status: rejected`, `error`
    /// [`Summary::held_error`] of `limit`): its counts, nothing loaded, its invalid records
    /// written.
    pub fn held(
        file: FileRun,
        counts: Counts,
        invalid_records_uri: Option<String>,
        limit: &str,
        notification: NotificationStatus,
        duration: std::time::Duration,
    ) -> Self {
        // Nothing of a held file is loaded, whatever `counts` says about a load.
        let counts =
            Counts { inserted: 0, already_present: 0, updates: None, already_loaded: false, ..counts };
        Self {
            status: Status::Rejected,
            error: Some(Self::held_error(limit)),
            ..Self::processed(file, counts, invalid_records_uri, notification, duration)
        }
    }

    /// The `error` of a file held by `limit` (which limit, its value, the measured share):
    /// `file held: <limit>`.
    pub fn held_error(limit: &str) -> String {
        format!("{HELD}{limit}")
    }

    /// Whether the file was held by a contract limit.
    pub fn is_held(&self) -> bool {
        self.status == Status::Rejected && self.error.as_deref().is_some_and(|e| e.starts_with(HELD))
    }

    /// The summary of a file refused as a whole (`status: rejected`): no counts, nothing
    /// written; `reason` is its `error`.
    pub fn rejected(
        file: FileRun,
        reason: String,
        notification: NotificationStatus,
        duration: std::time::Duration,
    ) -> Self {
        Self {
            status: Status::Rejected,
            error: Some(reason),
            ..Self::processed(file, Counts::default(), None, notification, duration)
        }
    }

    /// The summary as one line of JSON.
    pub fn to_json(&self) -> String {
        // Plain data with string keys: serialisation cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What a held file's `error` starts with.
const HELD: &str = "file held: ";

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn iso_date<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&date.format("%Y-%m-%d"))
}

fn ordered_map<S: Serializer>(entries: &[(String, u64)], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// `n` with a comma between groups of three digits (`1,234,567`), as the report and the
/// evidence of a suggested contract write counts.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_to_the_spec_shape() {
        let file = FileRun {
            source: "s3://bucket/incoming/customers.csv".into(),
            dataset: "customer".into(),
            table: Some("dim_customer".into()),
            as_of: NaiveDate::from_ymd_opt(2026, 11, 26).expect("a date"),
        };
        let counts = Counts {
            total: 1000,
            valid: 950,
            invalid: 50,
            inserted: 940,
            already_present: 10,
            updates: None,
            rule_failures: vec![("not_null:age".into(), 3), ("email".into(), 12), ("duplicate".into(), 5)],
            rule_warnings: Vec::new(),
            co_failures: Vec::new(),
            duplicate_groups: Vec::new(),
            already_loaded: false,
        };
        let took = std::time::Duration::from_micros(812_400);
        let summary = Summary::processed(
            file.clone(),
            counts.clone(),
            Some("s3://b/x_invalid_records.csv".into()),
            NotificationStatus::Sent,
            took,
        );
        assert_eq!(
            summary.to_json(),
            r#"{"status":"ok","source":"s3://bucket/incoming/customers.csv","dataset":"customer","table":"dim_customer","as_of":"2026-11-26","total":1000,"valid":950,"invalid":50,"inserted":940,"already_present":10,"rule_failures":{"not_null:age":3,"email":12,"duplicate":5},"invalid_records_uri":"s3://b/x_invalid_records.csv","notification":"sent","duration_ms":812}"#
        );
        let warned = Summary::processed(
            file.clone(),
            Counts { rule_warnings: vec![("phone".into(), 4)], ..counts.clone() },
            None,
            NotificationStatus::Sent,
            took,
        )
        .with_warnings_uri(Some("s3://b/x_warnings.csv".into()));
        let json: serde_json::Value = serde_json::from_str(&warned.to_json()).expect("json");
        assert_eq!(
            (json["rule_warnings"]["phone"].as_u64(), json["warnings_uri"].as_str()),
            (Some(4), Some("s3://b/x_warnings.csv"))
        );
        let held = Summary::held(
            file.clone(),
            counts.clone(),
            Some("s3://b/x_invalid_records.csv".into()),
            "max_invalid_pct = 1% exceeded: 5.00% of the rows are invalid (50 of 1000)",
            NotificationStatus::Sent,
            took,
        );
        let json: serde_json::Value = serde_json::from_str(&held.to_json()).expect("json");
        assert_eq!(
            (json["status"].as_str(), json["invalid"].as_u64(), json["inserted"].as_u64()),
            (Some("rejected"), Some(50), Some(0))
        );
        assert!(json["error"].as_str().unwrap_or_default().starts_with("file held: "));
        let rejected = Summary::rejected(
            file.clone(),
            "file rejected: the file is empty (0 bytes)".into(),
            NotificationStatus::Skipped,
            took,
        );
        let json: serde_json::Value = serde_json::from_str(&rejected.to_json()).expect("json");
        assert_eq!(json["status"], "rejected");
        assert_eq!(json["error"], "file rejected: the file is empty (0 bytes)");
        assert_eq!(json["total"], 0);
        assert_eq!(json["notification"], "skipped");
        assert_eq!(json["invalid_records_uri"], serde_json::Value::Null);
        assert_eq!(json["rule_failures"], serde_json::json!({}));
        assert!(json.get("already_loaded").is_none());
        let redelivered = Summary::processed(
            file,
            Counts { already_loaded: true, ..counts },
            None,
            NotificationStatus::Failed,
            took,
        );
        let json: serde_json::Value = serde_json::from_str(&redelivered.to_json()).expect("json");
        assert_eq!(json["already_loaded"], true);
        assert_eq!(json["notification"], "failed");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
