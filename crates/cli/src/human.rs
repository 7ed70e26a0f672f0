//! The short human-readable output and the progress bar.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use sift_notifier::{NotificationStatus, Status, Summary};
use sift_pipeline::Stage;

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
    if summary.status == Status::Rejected {
        eprintln!(
            "sift: {} ({}) REJECTED: {}",
            summary.source,
            summary.dataset,
            summary.error.as_deref().unwrap_or("no reason given")
        );
        match &summary.invalid_records_uri {
            // A held file: read and counted, over a limit of its contract.
            Some(uri) => eprintln!("nothing was loaded; its invalid records are in {uri}"),
            None => {
                eprintln!("nothing was loaded and no invalid-records file was written");
                return;
            }
        }
    }
    println!("sift: {} (as of {})", summary.source, summary.as_of.format("%Y-%m-%d"));
    match &summary.table {
        Some(table) => println!("  dataset {} into table {table}", summary.dataset),
        None => println!("  dataset {} (validate only: nothing is loaded)", summary.dataset),
    }
    println!("  total            {:>10}", summary.total);
    println!("  valid            {:>10}  {:5.1}%", summary.valid, pct(summary.valid, summary.total));
    println!("  invalid          {:>10}  {:5.1}%", summary.invalid, pct(summary.invalid, summary.total));
    println!("  inserted         {:>10}", summary.inserted);
    println!("  already present  {:>10}", summary.already_present);
    if !summary.rule_failures.is_empty() {
        let mut rules = summary.rule_failures.clone();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let width = rules.iter().map(|(id, _)| id.len()).max().unwrap_or(0).max(4);
        println!();
        println!("  {:<width$}  {:>10}", "rule", "rows");
        for (id, n) in rules {
            println!("  {id:<width$}  {n:>10}");
        }
    }
    if !summary.rule_warnings.is_empty() {
        println!();
        println!("  warnings (rows loaded with a warning)");
        for (id, n) in &summary.rule_warnings {
            println!("  {id:<24}  {n:>10}");
        }
    }
    if !summary.rule_anomalies.is_empty() {
        println!();
        println!("  far above their history: {} (see the report)", summary.rule_anomalies.join(", "));
    }
    println!();
    match &summary.invalid_records_uri {
        Some(uri) => println!("  invalid records: {uri}"),
        None => println!("  invalid records: none"),
    }
    if let Some(uri) = &summary.warnings_uri {
        println!("  warned rows:     {uri}");
    }
    let report = match summary.notification {
        NotificationStatus::Sent => delivered.to_owned(),
        NotificationStatus::Skipped => "skipped".to_owned(),
        NotificationStatus::Failed => "FAILED (see the log above)".to_owned(),
    };
    println!("  report: {report}");
    println!("  took {} ms", summary.duration_ms);
}
