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

use serde::Serialize;

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

impl Trend {
    /// `email: 10.2% of the rows, 10x its median of 1.0% over the last 10 files`, for alerts.
    pub fn sentence(&self) -> String {
        let history = match self.median_pct.filter(|m| *m > 0.0) {
            Some(median) => format!(
                "{:.0}x its median of {} over the last {} files",
                self.rate_pct / median,
                share(median),
                self.files
            ),
            None => format!("it did not fail in any of the last {} files", self.files),
        };
        format!("{}: {} of the rows, {history}", self.rule, share(self.rate_pct))
    }
}

/// A rate for people: one decimal (`1.0%`), two below a tenth of a percent so a small rate
/// does not read as none (`0.03%`).
pub(crate) fn share(pct: f64) -> String {
    if pct > 0.0 && pct < 0.1 { format!("{pct:.2}%") } else { format!("{pct:.1}%") }
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
    crate::report::pct(count, rows)
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
    fn small_rates_keep_a_second_decimal() {
        assert_eq!(
            (share(0.0), share(0.03), share(0.1), share(12.345)),
            ("0.0%".into(), "0.03%".into(), "0.1%".into(), "12.3%".into())
        );
    }

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
        assert!(
            jump.sentence()
                .starts_with("email: 10.0% of the rows, 10x its median of 1.0% over the last 10 files")
        );
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
        assert!(
            test.assess("age", 10, 100_000, &history)
                .sentence()
                .contains("it did not fail in any of the last 8 files")
        );
    }
}
