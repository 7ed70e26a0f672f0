//! Each rule's rate in a file beside its rates in the dataset's recent files, and the test that
//! flags a rule far above its history.
//!
//! The test is robust to a few odd files in the history: with `m` the median of the rule's
//! rates over the recent files and `MAD` the median of their absolute deviations from `m`, a
//! rule is flagged when, in this file,
//!
//! - it flagged at least `min_count` rows (a handful of rows is noise, whatever the rate), and
//! - its rate is above `ratio` times `m` (3x by default), and
//! - its rate is above `m + mads x MAD` (3 MADs by default: more than the files usually
//!   spread), and
//! - the history has at least `min_files` files (5 by default; fewer say little).
//!
//! A rule that never failed before (`m = 0`, `MAD = 0`) is flagged as soon as it fails on
//! `min_count` rows.

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

/// Each failure id's trend in `file` against `past`, other files of its dataset, newest first.
/// The baseline is the newest `test.files` of them that were not held and are not `file` itself
/// (same URI and checksum); a rule is compared with the files that had it.
pub fn trends(file: &FileHistory, past: &[FileHistory], test: &AnomalyTest) -> Vec<Trend> {
    let baseline: Vec<&FileHistory> = past
        .iter()
        .filter(|p| {
            p.dataset == file.dataset
                && !p.held
                && p.total_rows > 0
                && (p.source_uri != file.source_uri || p.checksum != file.checksum)
        })
        .take(test.files)
        .collect();
    file.rules
        .iter()
        .map(|rule| {
            let rates: Vec<f64> = baseline
                .iter()
                .filter_map(|p| {
                    let past_rule = p.rules.iter().find(|r| r.rule == rule.rule)?;
                    Some(rate_pct(past_rule.hits(), p.total_rows))
                })
                .collect();
            test.assess(&rule.rule, rule.hits(), file.total_rows, &rates)
        })
        .collect()
}

/// How a rule's rate in a file compares with the dataset's recent files.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trend {
    /// The failure id.
    pub rule: String,
    /// Rows it flagged in this file (failed, or warned for a `warn` rule).
    pub count: u64,
    /// Its rate in this file, in percent of the file's rows.
    pub rate_pct: f64,
    /// The median of its rates over the recent files, in percent (`None`: no history yet).
    pub median_pct: Option<f64>,
    /// The median absolute deviation of those rates, in percentage points.
    pub mad_pct: Option<f64>,
    /// How many recent files the median is taken over.
    pub files: usize,
    /// Far above its history, by [`AnomalyTest`].
    pub flagged: bool,
}

/// When a rule's rate is far above its history (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnomalyTest {
    /// Recent files of the dataset to compare with (the newest ones; held files left out).
    pub files: usize,
    /// Fewest files in the history for the test to say anything.
    pub min_files: usize,
    /// Fewest rows a rule must flag in the file to be flagged itself.
    pub min_count: u64,
    /// How many times its median the rate must be.
    pub ratio: f64,
    /// How many median absolute deviations above the median the rate must be.
    pub mads: f64,
}

impl Default for AnomalyTest {
    fn default() -> Self {
        Self { files: 20, min_files: 5, min_count: 10, ratio: 3.0, mads: 3.0 }
    }
}

impl AnomalyTest {
    /// The trend of `rule`, which flagged `count` of `rows` rows in this file, against its
    /// rates `history` (in percent) in the recent files.
    pub fn assess(&self, rule: &str, count: u64, rows: u64, history: &[f64]) -> Trend {
        let rate_pct = rate_pct(count, rows);
        let (median_pct, mad_pct) = match median(history) {
            Some(m) => {
                let deviations: Vec<f64> = history.iter().map(|r| (r - m).abs()).collect();
                (Some(m), median(&deviations))
            }
            None => (None, None),
        };
        let flagged = match (median_pct, mad_pct) {
            (Some(m), Some(mad)) => {
                history.len() >= self.min_files
                    && count >= self.min_count
                    && rate_pct > self.ratio * m
                    && rate_pct > m + self.mads * mad
            }
            _ => false,
        };
        Trend { rule: rule.to_owned(), count, rate_pct, median_pct, mad_pct, files: history.len(), flagged }
    }
}

/// A rule's rate: `count` of `rows` rows, in percent (0.0 when `rows` is 0).
pub fn rate_pct(count: u64, rows: u64) -> f64 {
    if rows == 0 { 0.0 } else { count as f64 * 100.0 / rows as f64 }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_tenfold_jump_is_flagged_and_usual_noise_is_not() {
        let test = AnomalyTest::default();
        let history = [1.0, 1.2, 0.9, 1.1, 1.0, 0.8, 1.3, 1.0, 0.9, 1.1];
        let jump = test.assess("email", 100, 1000, &history);
        assert!(jump.flagged, "{jump:?}");
        assert_eq!(jump.median_pct, Some(1.0));
        // Noise: twice the median is under 3x.
        assert!(!test.assess("email", 20, 1000, &history).flagged);
        // Too few rows flagged to say anything, whatever the rate.
        assert!(!test.assess("email", 9, 10, &history).flagged);
        // Too little history.
        assert!(!test.assess("email", 100, 1000, &history[..4]).flagged);
        assert_eq!(test.assess("email", 100, 1000, &[]).median_pct, None);
    }

    #[test]
    fn a_spread_history_needs_more_than_three_times_its_median() {
        // Median 1%, MAD 1 point: 3.5% is over 3x the median, yet within 3 MADs (4%).
        let history = [5.0, 0.0, 1.0, 3.0, 0.0, 6.0, 1.0, 4.0, 0.0];
        let test = AnomalyTest::default();
        let trend = test.assess("phone", 35, 1000, &history);
        assert_eq!((trend.median_pct, trend.mad_pct), (Some(1.0), Some(1.0)));
        assert!(!trend.flagged, "{trend:?}");
        assert!(test.assess("phone", 45, 1000, &history).flagged);
    }

    #[test]
    fn a_rule_that_never_failed_is_flagged_from_the_minimum_count() {
        let history = [0.0; 8];
        let test = AnomalyTest::default();
        assert!(test.assess("age", 10, 100_000, &history).flagged);
        assert!(!test.assess("age", 9, 100_000, &history).flagged);
    }

    fn file(uri: &str, held: bool, total: u64, email: u64) -> FileHistory {
        FileHistory {
            dataset: "customer".into(),
            source_uri: uri.into(),
            checksum: format!("sum of {uri}"),
            held,
            total_rows: total,
            valid_rows: total - email,
            invalid_rows: email,
            rules: vec![
                RuleHistory { rule: "email".into(), failures: email, warnings: 0 },
                RuleHistory { rule: "phone".into(), failures: 0, warnings: 3 },
            ],
            recorded_at: None,
        }
    }

    #[test]
    fn the_baseline_leaves_out_held_files_the_file_itself_and_other_datasets() {
        let today = file("in/11.csv", false, 1000, 100);
        let mut past: Vec<FileHistory> =
            (1..=10).map(|i| file(&format!("in/{i}.csv"), false, 1000, 10)).collect();
        past.insert(0, file("in/held.csv", true, 1000, 900));
        past.insert(0, today.clone());
        let mut other = file("in/x.csv", false, 1000, 500);
        other.dataset = "orders".into();
        past.push(other);
        let trends = trends(&today, &past, &AnomalyTest::default());
        let email = &trends[0];
        assert_eq!((email.rule.as_str(), email.files, email.median_pct), ("email", 10, Some(1.0)));
        assert!(email.flagged);
        // Warnings count as the rule's hits: 3 of 1000 every time, nothing unusual.
        let phone = &trends[1];
        assert_eq!((phone.count, phone.median_pct, phone.flagged), (3, Some(0.3), false));
    }

    #[test]
    fn the_window_takes_the_newest_files() {
        let test = AnomalyTest { files: 3, ..AnomalyTest::default() };
        let today = file("in/now.csv", false, 1000, 10);
        // Newest first: three files at 1%, then older ones at 50%.
        let past: Vec<FileHistory> =
            (0..8).map(|i| file(&format!("in/{i}.csv"), false, 1000, if i < 3 { 10 } else { 500 })).collect();
        let email = &trends(&today, &past, &test)[0];
        assert_eq!((email.files, email.median_pct), (3, Some(1.0)));
    }
}
