//! The history tail of a run: the file's counts remembered in the warehouse, and each rule's
//! rate set beside its rates in the dataset's recent files (the report's trends, and the alert
//! when a rule is far above its history: [`AnomalyTest`]).
//!
//! The history is advice, not a record of loads: trouble reading or writing it is logged and the
//! report goes without trends; it never fails a run or undoes a load. A file is remembered
//! after its load commits (or a limit held it), so a crash in between leaves that one file out
//! of the history; a re-delivered file is remembered once.

use sift_notifier::{AnomalyTest, Trend, rate_pct};
use sift_validator::Tally;
use sift_warehouse::{FileHistory, RuleHistory};

use crate::{ErrorChain, Pipeline};

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

/// The history entry of a file of `dataset` validated as `tally`.
fn entry(dataset: &str, source: &str, checksum: &str, tally: &Tally, held: bool) -> FileHistory {
    FileHistory {
        dataset: dataset.to_owned(),
        source_uri: source.to_owned(),
        checksum: checksum.to_owned(),
        held,
        total_rows: tally.total,
        valid_rows: tally.valid,
        invalid_rows: tally.invalid,
        rules: tally
            .failures
            .iter()
            .zip(&tally.warnings)
            .map(|((rule, failures), (_, warnings))| RuleHistory {
                rule: rule.clone(),
                failures: *failures,
                warnings: *warnings,
            })
            .collect(),
        recorded_at: None,
    }
}

impl Pipeline {
    /// Reads the recent files of `dataset`, records this one (`source` with `checksum`,
    /// validated as `tally`, `held` or not), and returns its trends against them (empty when
    /// the history cannot be read).
    pub(crate) async fn remember(
        &self,
        dataset: &str,
        source: &str,
        checksum: &str,
        tally: &Tally,
        held: bool,
    ) -> Vec<Trend> {
        let file = &entry(dataset, source, checksum, tally, held);
        let test = &self.anomaly_test;
        // Twice the window: held files and this very file (a re-delivery) are left out of it.
        let past = match self.warehouse.history(Some(&file.dataset), test.files.saturating_mul(2)).await {
            Ok(past) => Some(past),
            Err(error) => {
                tracing::warn!(source = %file.source_uri, error = %ErrorChain(&error), "reading the dataset's history failed; the report goes without it");
                None
            }
        };
        match self.warehouse.record_history(file).await {
            Ok(true) => tracing::debug!(source = %file.source_uri, "file recorded in the history"),
            Ok(false) => tracing::debug!(source = %file.source_uri, "file already in the history"),
            Err(error) => {
                tracing::warn!(source = %file.source_uri, error = %ErrorChain(&error), "recording the file in the history failed; the load stands")
            }
        }
        let trends = past.map(|past| trends(file, &past, test)).unwrap_or_default();
        for trend in trends.iter().filter(|t| t.flagged) {
            tracing::warn!(source = %file.source_uri, rule = %trend.rule, rate_pct = trend.rate_pct, median_pct = trend.median_pct, "rule far above its history");
        }
        trends
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
