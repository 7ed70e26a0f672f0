//! The data behind a validation report email.

use chrono::{DateTime, Utc};
use serde::Serialize;

use sift_model::{Counts, Trend};

/// What became of the source file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Outcome {
    /// The file was validated and its valid records loaded.
    Processed,
    /// The file as a whole was rejected; nothing was loaded.
    Rejected {
        /// Why, in words a person can act on.
        reason: String,
    },
    /// The file was read and validated, but is over a limit of its contract: nothing was
    /// loaded; its invalid records were written.
    Held {
        /// Which limit, its value and the measured share.
        reason: String,
    },
    /// Processing stopped on an infrastructure error (storage, warehouse); nothing of the file
    /// was loaded and a re-run is safe.
    Failed {
        /// What went wrong, in words a person can act on.
        reason: String,
    },
}

/// How many rows failed one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    /// The rule's failure id, e.g. `email` or `not_null:age`.
    pub rule: String,
    /// Rows that failed it.
    pub count: u64,
}

/// Everything a report email says about one source file.
///
/// It carries counts and locations only, never a customer value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `sift` for the CLI, the Lambda's function name otherwise.
    pub function_name: String,
    /// When the run happened.
    pub executed_at: DateTime<Utc>,
    /// The source file, e.g. `s3://bucket/incoming/customers.csv` or a local path.
    pub source: String,
    /// Processed or rejected.
    pub outcome: Outcome,
    /// Data rows in the file.
    pub total: u64,
    /// Rows that passed every rule.
    pub valid: u64,
    /// Rows that failed at least one rule.
    pub invalid: u64,
    /// Valid rows newly inserted into the warehouse.
    pub inserted: u64,
    /// Valid rows whose key was already in the warehouse or earlier in the file.
    pub already_present: u64,
    /// Rows that updated their key's row, and rows that found it the same (a table with
    /// `on_conflict = "update"` only).
    pub updates: Option<sift_model::Updates>,
    /// Rows per failure id, in any order.
    pub rule_failures: Vec<RuleCount>,
    /// Valid rows per `warn` rule (loaded, with a warning), in any order.
    pub rule_warnings: Vec<RuleCount>,
    /// Where the warnings file was written, as shown to the reader.
    pub warnings_uri: Option<String>,
    /// What each failure id checks, in one line (the contract's descriptions).
    pub rule_descriptions: Vec<(String, String)>,
    /// The pairs of rules failing together most often, with their invalid rows.
    pub co_failures: Vec<(String, String, u64)>,
    /// Where the invalid records were written, as shown to the reader (`s3://...` or a path).
    pub invalid_records_uri: Option<String>,
    /// The clickable form of that location (`https://...` or `file:///...`).
    pub invalid_records_url: Option<String>,
    /// Alert when the invalid share is strictly above this percentage, e.g. `10.0`.
    pub alert_threshold_pct: f64,
    /// The file was loaded before with the same content (a re-delivered event): nothing was
    /// loaded again.
    pub already_loaded: bool,
    /// Each failure id's rate beside its history in the dataset's recent files (empty when
    /// there is no history to compare with).
    pub trends: Vec<Trend>,
    /// Duplicate groups: distinct keys found on more than one row of the file, per
    /// uniqueness rule (only rules with groups).
    pub duplicate_groups: Vec<RuleCount>,
}

fn rule_counts(counts: &[(String, u64)]) -> Vec<RuleCount> {
    counts.iter().map(|(rule, count)| RuleCount { rule: rule.clone(), count: *count }).collect()
}

/// `email: 10.2% of the rows, 10x its median of 1.0% over the last 10 files`, for alerts.
pub(crate) fn trend_sentence(trend: &Trend) -> String {
    let history = match trend.median_pct.filter(|m| *m > 0.0) {
        Some(median) => format!(
            "{:.0}x its median of {} over the last {} files",
            trend.rate_pct / median,
            share(median),
            trend.files
        ),
        None => format!("it did not fail in any of the last {} files", trend.files),
    };
    format!("{}: {} of the rows, {history}", trend.rule, share(trend.rate_pct))
}

/// A rate for people: one decimal (`1.0%`), two below a tenth of a percent so a small rate
/// does not read as none (`0.03%`).
pub(crate) fn share(pct: f64) -> String {
    if pct > 0.0 && pct < 0.1 { format!("{pct:.2}%") } else { format!("{pct:.1}%") }
}

/// `part` as a percentage of `total`; 0.0 when `total` is 0.
pub(crate) fn pct(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        // Row counts stay far below 2^53, so the conversions are exact.
        part as f64 * 100.0 / total as f64
    }
}

/// What every report of one run shares, whatever became of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportContext {
    /// `sift` for the CLI, the Lambda's function name otherwise.
    pub function_name: String,
    /// When the run happened.
    pub executed_at: DateTime<Utc>,
    /// Alert when the invalid share is strictly above this percentage.
    pub alert_threshold_pct: f64,
}

impl Report {
    /// The report of a processed file. `invalid_records_url` is the clickable form of
    /// `invalid_records_uri`.
    pub fn processed(
        context: &ReportContext,
        source: &str,
        counts: &Counts,
        invalid_records_uri: Option<String>,
        invalid_records_url: Option<String>,
    ) -> Self {
        Self {
            function_name: context.function_name.clone(),
            executed_at: context.executed_at,
            source: source.to_owned(),
            outcome: Outcome::Processed,
            total: counts.total,
            valid: counts.valid,
            invalid: counts.invalid,
            inserted: counts.inserted,
            already_present: counts.already_present,
            updates: counts.updates,
            rule_failures: rule_counts(&counts.rule_failures),
            rule_warnings: rule_counts(&counts.rule_warnings),
            warnings_uri: None,
            rule_descriptions: Vec::new(),
            co_failures: counts.co_failures.clone(),
            invalid_records_uri,
            invalid_records_url,
            alert_threshold_pct: context.alert_threshold_pct,
            already_loaded: counts.already_loaded,
            trends: Vec::new(),
            duplicate_groups: rule_counts(&counts.duplicate_groups),
        }
    }

    /// The same report, with each failure id's rate beside its history.
    pub fn with_trends(mut self, trends: Vec<Trend>) -> Self {
        self.trends = trends;
        self
    }

    /// The rules far above their history in this file.
    pub fn anomalies(&self) -> impl Iterator<Item = &Trend> {
        self.trends.iter().filter(|t| t.flagged)
    }

    /// `Far above their history: <each flagged trend's sentence>.`, when a rule is (the alert
    /// and both report parts say it in these words).
    pub fn anomaly_sentence(&self) -> Option<String> {
        let far: Vec<String> = self.anomalies().map(trend_sentence).collect();
        (!far.is_empty()).then(|| format!("Far above their history: {}.", far.join("; ")))
    }

    /// The trend of failure id `rule`, when there is one.
    pub fn trend(&self, rule: &str) -> Option<&Trend> {
        self.trends.iter().find(|t| t.rule == rule)
    }

    /// The same report, with what each failure id checks (shown beside its count).
    pub fn with_descriptions(mut self, descriptions: Vec<(String, String)>) -> Self {
        self.rule_descriptions = descriptions;
        self
    }

    /// The same report, naming the warnings file written.
    pub fn with_warnings_uri(mut self, uri: Option<String>) -> Self {
        self.warnings_uri = uri;
        self
    }

    /// The report of a file held by a contract limit: its counts, nothing loaded, its invalid
    /// records written.
    pub fn held(
        context: &ReportContext,
        source: &str,
        counts: &Counts,
        reason: String,
        invalid_records_uri: Option<String>,
        invalid_records_url: Option<String>,
    ) -> Self {
        Self {
            outcome: Outcome::Held { reason },
            inserted: 0,
            already_present: 0,
            ..Self::processed(context, source, counts, invalid_records_uri, invalid_records_url)
        }
    }

    /// Whether the file was held by a contract limit.
    pub fn is_held(&self) -> bool {
        matches!(self.outcome, Outcome::Held { .. })
    }

    /// The report of a file refused as a whole: no counts, nothing loaded or written.
    pub fn rejected(context: &ReportContext, source: &str, reason: String) -> Self {
        Self {
            outcome: Outcome::Rejected { reason },
            ..Self::processed(context, source, &Counts::default(), None, None)
        }
    }

    /// The report of a run stopped by an infrastructure error: nothing of the file loaded.
    pub fn failed(context: &ReportContext, source: &str, reason: String) -> Self {
        Self {
            outcome: Outcome::Failed { reason },
            ..Self::processed(context, source, &Counts::default(), None, None)
        }
    }

    /// Invalid share in percent (0.0 when total is 0).
    pub fn invalid_pct(&self) -> f64 {
        pct(self.invalid, self.total)
    }

    /// Valid share in percent (0.0 when total is 0).
    pub fn valid_pct(&self) -> f64 {
        pct(self.valid, self.total)
    }

    /// True when the invalid share is strictly above `alert_threshold_pct` (never for total == 0),
    /// or a rule is far above its history ([`Report::anomalies`]).
    pub fn is_alert(&self) -> bool {
        self.is_over_threshold() || self.anomalies().next().is_some()
    }

    /// True when the invalid share is strictly above `alert_threshold_pct` (never for total == 0).
    pub fn is_over_threshold(&self) -> bool {
        self.total > 0 && self.invalid_pct() > self.alert_threshold_pct
    }

    /// True for [`Outcome::Rejected`] and [`Outcome::Failed`]: nothing of the file was loaded.
    pub fn is_rejected(&self) -> bool {
        matches!(self.outcome, Outcome::Rejected { .. } | Outcome::Failed { .. })
    }

    /// `Lambda <fn> - Data Validation Report`, with `[ALERT] ` in front when [`is_alert`](Self::is_alert)
    /// (over the threshold, or a rule far above its history);
    /// `[FAILED] Lambda <fn> - Data Validation Report` for a rejected or failed file, `[HELD] ...`
    /// for a held one.
    pub fn subject(&self) -> String {
        let base = format!("Lambda {} - Data Validation Report", self.function_name);
        if self.is_rejected() {
            format!("[FAILED] {base}")
        } else if self.is_held() {
            format!("[HELD] {base}")
        } else if self.is_alert() {
            format!("[ALERT] {base}")
        } else {
            base
        }
    }

    /// Failures sorted most frequent first (ties: rule id ascending).
    pub fn sorted_failures(&self) -> Vec<RuleCount> {
        let mut failures = self.rule_failures.clone();
        failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_rates_keep_a_second_decimal() {
        assert_eq!(
            (share(0.0), share(0.03), share(0.1), share(12.345)),
            ("0.0%".into(), "0.03%".into(), "0.1%".into(), "12.3%".into())
        );
    }

    #[test]
    fn a_trend_reads_as_one_sentence() {
        let test = sift_model::AnomalyTest::default();
        let history = [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0, 0.9, 1.1];
        assert!(
            trend_sentence(&test.assess("email", 100, 1000, &history))
                .starts_with("email: 10.0% of the rows, 10x its median of 1.0% over the last 10 files")
        );
        assert!(
            trend_sentence(&test.assess("age", 10, 100_000, &[0.0; 8]))
                .contains("it did not fail in any of the last 8 files")
        );
    }
    use chrono::TimeZone;

    fn context(threshold: f64) -> ReportContext {
        ReportContext {
            function_name: "sift".into(),
            executed_at: Utc.with_ymd_and_hms(2026, 11, 26, 12, 10, 34).single().expect("valid date"),
            alert_threshold_pct: threshold,
        }
    }

    fn report(total: u64, invalid: u64, threshold: f64) -> Report {
        let counts =
            Counts { total, valid: total - invalid, invalid, inserted: total - invalid, ..Counts::default() };
        Report::processed(&context(threshold), "customers.csv", &counts, None, None)
    }

    #[test]
    fn constructors_say_what_became_of_the_file() {
        let counts = Counts {
            total: 10,
            valid: 8,
            invalid: 2,
            inserted: 7,
            already_present: 1,
            updates: None,
            rule_failures: vec![("email".into(), 2)],
            rule_warnings: Vec::new(),
            co_failures: Vec::new(),
            duplicate_groups: Vec::new(),
            already_loaded: true,
        };
        let processed = Report::processed(
            &context(10.0),
            "a.csv",
            &counts,
            Some("out/a.csv".into()),
            Some("file:///out/a.csv".into()),
        );
        assert_eq!(processed.outcome, Outcome::Processed);
        assert_eq!((processed.total, processed.valid, processed.invalid), (10, 8, 2));
        assert_eq!((processed.inserted, processed.already_present), (7, 1));
        assert_eq!(processed.rule_failures, vec![RuleCount { rule: "email".into(), count: 2 }]);
        assert_eq!(processed.invalid_records_url.as_deref(), Some("file:///out/a.csv"));
        assert!(processed.already_loaded && !processed.is_rejected());

        let rejected = Report::rejected(&context(10.0), "a.csv", "no header".into());
        assert_eq!(rejected.outcome, Outcome::Rejected { reason: "no header".into() });
        let failed = Report::failed(&context(10.0), "a.csv", "database gone".into());
        assert_eq!(failed.outcome, Outcome::Failed { reason: "database gone".into() });
        for r in [rejected, failed] {
            assert!(r.is_rejected() && !r.is_alert());
            assert_eq!((r.total, r.invalid, r.inserted), (0, 0, 0));
            assert!(r.rule_failures.is_empty() && r.invalid_records_uri.is_none());
            assert_eq!(r.executed_at, context(10.0).executed_at);
        }
    }

    #[test]
    fn subject_rules() {
        let plain = "Lambda sift - Data Validation Report";
        let alert = "[ALERT] Lambda sift - Data Validation Report";
        // (total, invalid, threshold, expected subject)
        let cases = [
            (1000, 50, 10.0, plain),
            (1000, 100, 10.0, plain), // exactly at the threshold: no alert
            (1000, 101, 10.0, alert), // strictly above
            (3, 3, 10.0, alert),
            (0, 0, 10.0, plain), // no rows: never an alert
            (0, 0, 0.0, plain),
            (10, 1, 0.0, alert),
            (10, 0, 0.0, plain), // 0% is not above 0%
        ];
        for (total, invalid, threshold, expected) in cases {
            let r = report(total, invalid, threshold);
            assert_eq!(r.subject(), expected, "total={total} invalid={invalid} threshold={threshold}");
            assert_eq!(r.is_alert(), expected == alert);
        }
    }

    #[test]
    fn rejected_subject_says_failed() {
        let mut r = report(1000, 500, 10.0);
        r.function_name = "sift-prod".into();
        r.outcome = Outcome::Rejected { reason: "missing column email".into() };
        assert_eq!(r.subject(), "[FAILED] Lambda sift-prod - Data Validation Report");
        assert!(r.subject().contains("FAILED"));
    }

    #[test]
    fn percentages() {
        let r = report(1000, 50, 10.0);
        assert!((r.invalid_pct() - 5.0).abs() < 1e-9);
        assert!((r.valid_pct() - 95.0).abs() < 1e-9);
        let empty = report(0, 0, 10.0);
        assert_eq!(empty.invalid_pct(), 0.0);
        assert_eq!(empty.valid_pct(), 0.0);
    }

    #[test]
    fn failures_sorted_by_count_then_rule() {
        let mut r = report(100, 20, 10.0);
        r.rule_failures = [("email", 5), ("not_null:age", 12), ("duplicate", 5), ("age", 1)]
            .into_iter()
            .map(|(rule, count)| RuleCount { rule: rule.into(), count })
            .collect();
        let order: Vec<_> = r.sorted_failures().into_iter().map(|f| f.rule).collect();
        assert_eq!(order, ["not_null:age", "duplicate", "email", "age"]);
    }
}
