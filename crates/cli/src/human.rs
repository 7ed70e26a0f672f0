//! The short human-readable output and the progress bar.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use sift_model::{NotificationStatus, Status, Summary};
use sift_pipeline::Stage;

use crate::output::outln;

/// Files smaller than this finish before a bar is worth drawing.
const BAR_MIN_BYTES: u64 = 8 * 1024 * 1024;

/// A byte-based progress bar on stderr, for long files when stderr is a terminal.
pub(crate) fn progress_bar(input: &Path) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let len = std::fs::metadata(input).ok()?.len();
    if len < BAR_MIN_BYTES {
        return None;
    }
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{spinner} {bar:40} {bytes}/{total_bytes} {msg} [{elapsed}]")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

/// Moves the bar to `stage`.
pub(crate) fn show(bar: &ProgressBar, stage: Stage) {
    match stage {
        Stage::Reading { bytes, rows } => {
            bar.set_position(bytes);
            bar.set_message(format!("{rows} rows validated"));
        }
        Stage::WritingInvalid { rows } => bar.set_message(format!("writing {rows} invalid rows")),
        Stage::Loading { rows } => bar.set_message(format!("loading {rows} valid rows")),
        Stage::Reporting => bar.set_message("sending the report"),
    }
}

fn pct(part: u64, total: u64) -> f64 {
    if total == 0 { 0.0 } else { part as f64 * 100.0 / total as f64 }
}

/// Prints the summary for a person: counts, the per-rule table, where things went.
/// `delivered` says where a sent report went ("written to sift-out/outbox", "sent through SES").
pub(crate) fn print(summary: &Summary, delivered: &str) {
    // Names from outside (keys, file names, ids, reasons) with their control characters escaped.
    let p = sift_notifier::printable;
    if summary.status == Status::Rejected {
        eprintln!(
            "sift: {} ({}) REJECTED: {}",
            p(&summary.source),
            p(&summary.dataset),
            p(summary.error.as_deref().unwrap_or("no reason given"))
        );
        match &summary.invalid_records_uri {
            // A held file: read and counted, over a limit of its contract.
            Some(uri) => eprintln!("nothing was loaded; its invalid records are in {}", p(uri)),
            None => {
                eprintln!("nothing was loaded and no invalid-records file was written");
                return;
            }
        }
    }
    outln!("sift: {} (as of {})", p(&summary.source), summary.as_of.format("%Y-%m-%d"));
    match &summary.table {
        Some(table) => outln!("  dataset {} into table {}", p(&summary.dataset), p(table)),
        None => outln!("  dataset {} (validate only: nothing is loaded)", p(&summary.dataset)),
    }
    outln!("  total            {:>10}", summary.total);
    outln!("  valid            {:>10}  {:5.1}%", summary.valid, pct(summary.valid, summary.total));
    outln!("  invalid          {:>10}  {:5.1}%", summary.invalid, pct(summary.invalid, summary.total));
    outln!("  inserted         {:>10}", summary.inserted);
    outln!("  already present  {:>10}", summary.already_present);
    if let (Some(updated), Some(unchanged)) = (summary.updated, summary.unchanged) {
        outln!("  updated          {:>10}", updated);
        outln!("  unchanged        {:>10}", unchanged);
    }
    if !summary.rule_failures.is_empty() {
        let mut rules = summary.rule_failures.clone();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let rules: Vec<(String, u64)> = rules.into_iter().map(|(id, n)| (p(&id).into_owned(), n)).collect();
        let width = rules.iter().map(|(id, _)| id.len()).max().unwrap_or(0).max(4);
        outln!();
        outln!("  {:<width$}  {:>10}", "rule", "rows");
        for (id, n) in rules {
            outln!("  {id:<width$}  {n:>10}");
        }
    }
    if !summary.rule_warnings.is_empty() {
        outln!();
        outln!("  warnings (rows loaded with a warning)");
        for (id, n) in &summary.rule_warnings {
            outln!("  {:<24}  {n:>10}", p(id));
        }
    }
    if !summary.rule_anomalies.is_empty() {
        outln!();
        outln!("  far above their history: {} (see the report)", p(&summary.rule_anomalies.join(", ")));
    }
    outln!();
    match &summary.invalid_records_uri {
        Some(uri) => outln!("  invalid records: {}", p(uri)),
        None => outln!("  invalid records: none"),
    }
    if let Some(uri) = &summary.warnings_uri {
        outln!("  warned rows:     {}", p(uri));
    }
    let report = match summary.notification {
        NotificationStatus::Sent => delivered.to_owned(),
        NotificationStatus::Skipped => "skipped".to_owned(),
        NotificationStatus::Failed => "FAILED (see the log above)".to_owned(),
    };
    outln!("  report: {report}");
    outln!("  took {} ms", summary.duration_ms);
}
