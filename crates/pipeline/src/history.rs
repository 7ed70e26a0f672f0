//! The history tail of a run: the file's counts remembered in the warehouse, and each rule's
//! rate set beside its rates in the dataset's recent files (the report's trends, and the alert
//! when a rule is far above its history: [`AnomalyTest`]).
//!
//! The history is advice, not a record of loads: trouble reading or writing it is logged and the
//! report goes without trends; it never fails a run or undoes a load. A file is remembered
//! after its load commits (or a limit held it), so a crash in between leaves that one file out
//! of the history; a re-delivered file is remembered once.

use sift_model::{FileHistory, RuleHistory, Trend, trends};
use sift_validator::Tally;

use crate::{ErrorChain, Pipeline};

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
