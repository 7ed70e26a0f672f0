//! One CloudWatch Embedded Metric Format (EMF) line per file, written to standard out beside the
//! logs: CloudWatch Logs turns it into metrics, so dashboards and alarms need no code (the
//! template's `InvalidShareAlarm` is one).
//!
//! Namespace `sift`, one dimension, `Dataset` (the contract's name: as many series as
//! contracts). Metrics: `Rows`, `Valid`, `Invalid`, `Inserted` (Count; with `Updated` and
//! `Unchanged` for a table with `on_conflict = "update"`), `InvalidPercent`
//! (Percent), `RowsPerSecond` (Count/Second), `Duration` (Milliseconds), `Rejected` and `Held`
//! (Count, 0 or 1), `Anomalies` (Count: rules far above their history), and per rule `Failures.<id>` and `Warnings.<id>` (Count) for the ids that
//! failed or warned: the rule ids are the contract's, so bounded, and they are metric names
//! rather than a dimension, which would need one document per rule. A directive holds at most
//! 100 metrics; rules past that are left out of the line (the summary has them all).
//! No customer value is ever in a line: names, counts and times only.

use serde_json::{Map, Value, json};
use sift_model::{Status, Summary};

/// The metrics' namespace.
pub(crate) const NAMESPACE: &str = "sift";

/// Most metrics one EMF directive may hold (the specification's limit).
const MAX_METRICS: usize = 100;

/// The EMF document of one file's summary, at `timestamp_ms` (milliseconds since the epoch).
pub(crate) fn document(summary: &Summary, timestamp_ms: i64) -> Value {
    let share = if summary.total == 0 { 0.0 } else { summary.invalid as f64 * 100.0 / summary.total as f64 };
    let seconds = summary.duration_ms as f64 / 1000.0;
    let rate = if seconds > 0.0 { summary.total as f64 / seconds } else { 0.0 };
    let held = summary.is_held();
    let rejected = summary.status == Status::Rejected && !held;
    let mut root = Map::new();
    let mut metrics = Vec::new();
    let mut put = |name: String, unit: &str, value: Value| {
        if metrics.len() < MAX_METRICS {
            metrics.push(json!({"Name": name, "Unit": unit}));
            root.insert(name, value);
        }
    };
    put("Rows".into(), "Count", json!(summary.total));
    put("Valid".into(), "Count", json!(summary.valid));
    put("Invalid".into(), "Count", json!(summary.invalid));
    put("Inserted".into(), "Count", json!(summary.inserted));
    // A table that updates (`on_conflict = "update"`) also counts its updated and unchanged rows.
    if let (Some(updated), Some(unchanged)) = (summary.updated, summary.unchanged) {
        put("Updated".into(), "Count", json!(updated));
        put("Unchanged".into(), "Count", json!(unchanged));
    }
    put("InvalidPercent".into(), "Percent", json!(share));
    put("RowsPerSecond".into(), "Count/Second", json!(rate));
    put("Duration".into(), "Milliseconds", json!(summary.duration_ms));
    put("Rejected".into(), "Count", json!(u8::from(rejected)));
    put("Held".into(), "Count", json!(u8::from(held)));
    put("Anomalies".into(), "Count", json!(summary.rule_anomalies.len()));
    for (id, n) in &summary.rule_failures {
        put(format!("Failures.{id}"), "Count", json!(n));
    }
    for (id, n) in &summary.rule_warnings {
        put(format!("Warnings.{id}"), "Count", json!(n));
    }
    root.insert("Dataset".into(), json!(summary.dataset));
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [["Dataset"]], "Metrics": metrics}]
        }),
    );
    Value::Object(root)
}

/// Writes the document of `summary` as one line on standard out (the function's log stream).
pub(crate) fn emit(summary: &Summary) {
    let line = document(summary, chrono::Utc::now().timestamp_millis());
    println!("{line}");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use chrono::NaiveDate;
    use sift_model::{Counts, FileRun, NotificationStatus};

    use super::*;

    fn file() -> FileRun {
        FileRun {
            source: "s3://b/in/c.csv".into(),
            dataset: "customer".into(),
            table: Some("dim_customer".into()),
            as_of: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        }
    }

    #[test]
    fn a_processed_file_gives_one_valid_document_with_its_counts_and_rules() {
        let counts = Counts {
            total: 5000,
            valid: 4759,
            invalid: 241,
            inserted: 4748,
            already_present: 11,
            updates: None,
            rule_failures: vec![("not_null:email".into(), 8), ("email".into(), 28)],
            rule_warnings: vec![("phone_number".into(), 27)],
            co_failures: Vec::new(),
            duplicate_groups: Vec::new(),
            already_loaded: false,
        };
        let summary = Summary::processed(
            file(),
            counts,
            None,
            NotificationStatus::Sent,
            std::time::Duration::from_millis(250),
        );
        assert_eq!(document(&summary, 0)["Anomalies"].as_u64(), Some(0));
        let flagged = sift_model::AnomalyTest::default().assess("email", 28, 5000, &[0.0; 5]);
        let summary = summary.with_anomalies(&[flagged]);
        let doc = document(&summary, 1_764_144_900_000);
        assert_eq!(doc["Anomalies"].as_u64(), Some(1));
        assert_eq!(
            (doc["Rows"].as_u64(), doc["Invalid"].as_u64(), doc["Dataset"].as_str()),
            (Some(5000), Some(241), Some("customer"))
        );
        assert!((doc["InvalidPercent"].as_f64().unwrap() - 4.82).abs() < 1e-9);
        assert_eq!(doc["RowsPerSecond"].as_f64(), Some(20_000.0));
        assert_eq!(
            (doc["Failures.email"].as_u64(), doc["Failures.not_null:email"].as_u64()),
            (Some(28), Some(8))
        );
        assert_eq!(doc["Warnings.phone_number"].as_u64(), Some(27));
        assert_eq!((doc["Held"].as_u64(), doc["Rejected"].as_u64()), (Some(0), Some(0)));
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], NAMESPACE);
        assert!(doc.get("Updated").is_none(), "a table that skips has no update counts");
        // A table that updates counts its updated and unchanged rows too.
        let updating = Counts {
            updates: Some(sift_model::Updates { updated: 7, unchanged: 4 }),
            ..Counts { total: 20, valid: 20, inserted: 9, ..Counts::default() }
        };
        let summary = Summary::processed(
            file(),
            updating,
            None,
            NotificationStatus::Sent,
            std::time::Duration::from_millis(250),
        );
        let doc = document(&summary, 0);
        assert_eq!((doc["Updated"].as_u64(), doc["Unchanged"].as_u64()), (Some(7), Some(4)));
    }

    #[test]
    fn held_and_rejected_files_are_counted_apart_and_a_directive_stays_within_100_metrics() {
        let held = Summary::held(
            file(),
            Counts { total: 10, valid: 5, invalid: 5, ..Counts::default() },
            None,
            "max_invalid_pct = 1% exceeded",
            NotificationStatus::Sent,
            std::time::Duration::ZERO,
        );
        let doc = document(&held, 0);
        assert_eq!(
            (doc["Held"].as_u64(), doc["Rejected"].as_u64(), doc["RowsPerSecond"].as_f64()),
            (Some(1), Some(0), Some(0.0))
        );
        let rejected = Summary::rejected(
            file(),
            "file rejected: empty".into(),
            NotificationStatus::Sent,
            std::time::Duration::ZERO,
        );
        assert_eq!(document(&rejected, 0)["Rejected"].as_u64(), Some(1));
        let many = Counts {
            rule_failures: (0..150).map(|i| (format!("rule_{i}"), 1)).collect(),
            ..Counts::default()
        };
        let summary =
            Summary::processed(file(), many, None, NotificationStatus::Sent, std::time::Duration::ZERO);
        let doc = document(&summary, 0);
        assert_eq!(doc["_aws"]["CloudWatchMetrics"][0]["Metrics"].as_array().unwrap().len(), 100);
    }
}
