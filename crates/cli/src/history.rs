//! `sift history`: each dataset's recent files and every rule's trend across them, as the
//! reports compare them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use sift_model::{AnomalyTest, FileHistory, Trend, rate_pct};
use sift_warehouse::Warehouse;

use crate::{aws, warehouse};

/// `sift history`: what to print, and from which warehouse.
#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    /// Only this dataset (a contract's `name`, e.g. customer).
    #[arg(long, value_name = "NAME")]
    dataset: Option<String>,
    /// How many recent files per dataset.
    #[arg(long, value_name = "N", default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    files: u16,
    /// Print JSON: {"datasets": [{"dataset", "files" (newest first), "trends"}]}.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    db: warehouse::WarehouseArgs,
    /// The folder of `sift run --out`, whose warehouse.db is read when no warehouse is named.
    #[arg(long, value_name = "DIR", default_value = "./sift-out")]
    out: PathBuf,
    #[command(flatten)]
    aws: aws::AwsArgs,
}

/// Opens the warehouse and prints its history.
pub(crate) async fn run(args: HistoryArgs) -> Result<()> {
    let aws = args.aws.clients()?;
    let warehouse = args.db.open(&args.out, &aws, warehouse::Default::Existing).await?;
    print(&*warehouse, args.dataset.as_deref(), usize::from(args.files), args.json).await
}

/// One dataset's recent files (newest first) and its rules' trends: the newest file against
/// the others.
#[derive(Debug, Serialize)]
struct DatasetHistory {
    dataset: String,
    files: Vec<FileHistory>,
    trends: Vec<Trend>,
}

/// Prints the `files` most recent files of `dataset` (of each dataset when `None`), as JSON
/// with `json`.
async fn print(warehouse: &dyn Warehouse, dataset: Option<&str>, files: usize, json: bool) -> Result<()> {
    let recent = warehouse.history(dataset, files).await?;
    let mut datasets: Vec<DatasetHistory> = Vec::new();
    for file in recent {
        match datasets.last_mut() {
            Some(last) if last.dataset == file.dataset => last.files.push(file),
            _ => datasets.push(DatasetHistory {
                dataset: file.dataset.clone(),
                files: vec![file],
                trends: Vec::new(),
            }),
        }
    }
    let test = AnomalyTest { files, ..AnomalyTest::default() };
    for history in &mut datasets {
        if let Some((newest, past)) = history.files.split_first() {
            history.trends = sift_model::trends(newest, past, &test);
        }
    }
    // Written whole at the end, through `output` (a closed pipe ends the process quietly).
    let mut out = Vec::new();
    if json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "datasets": datasets }))?;
        writeln!(out)?;
        crate::output::write_bytes(&out);
        return Ok(());
    }
    if datasets.is_empty() {
        match dataset {
            Some(name) => writeln!(out, "no file of dataset {name} is in the history yet")?,
            None => {
                writeln!(out, "no file is in the history yet: `sift run` records each file it validates")?
            }
        }
    }
    for (n, history) in datasets.iter().enumerate() {
        if n > 0 {
            writeln!(out)?;
        }
        write_dataset(&mut out, history)?;
    }
    crate::output::write_bytes(&out);
    Ok(())
}

/// The human form of one dataset's history.
fn write_dataset(out: &mut impl Write, history: &DatasetHistory) -> std::io::Result<()> {
    let count = history.files.len();
    writeln!(
        out,
        "{}: the last {count} {}, oldest first",
        history.dataset,
        if count == 1 { "file" } else { "files" }
    )?;
    writeln!(out, "  {:<20}  {:>12}  {:>8}  source", "recorded (UTC)", "rows", "invalid")?;
    for file in history.files.iter().rev() {
        let recorded =
            file.recorded_at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
        let held = if file.held { "  (held)" } else { "" };
        writeln!(
            out,
            "  {recorded:<20}  {:>12}  {:>7.1}%  {}{held}",
            file.total_rows,
            rate_pct(file.invalid_rows, file.total_rows),
            file.source_uri
        )?;
    }
    let width = history.trends.iter().map(|t| t.rule.len()).max().unwrap_or(0).max(4);
    writeln!(out)?;
    writeln!(
        out,
        "  {:<width$}  {:>7}  {:>7}  {:>6}  trend (oldest to newest)",
        "rule", "newest", "median", "MAD"
    )?;
    for trend in &history.trends {
        let rates: Vec<Option<f64>> = history
            .files
            .iter()
            .rev()
            .map(|f| f.rules.iter().find(|r| r.rule == trend.rule).map(|r| rate_pct(r.hits(), f.total_rows)))
            .collect();
        let dash = "-".to_owned();
        writeln!(
            out,
            "  {:<width$}  {:>6.2}%  {:>7}  {:>6}  {}{}",
            trend.rule,
            trend.rate_pct,
            trend.median_pct.map_or(dash.clone(), |m| format!("{m:.2}%")),
            trend.mad_pct.map_or(dash, |m| format!("{m:.2}")),
            sparkline(&rates),
            if trend.flagged { "  FAR ABOVE ITS HISTORY" } else { "" }
        )?;
    }
    Ok(())
}

/// One block per rate, its height relative to the largest (a space where the file did not
/// have the rule).
fn sparkline(rates: &[Option<f64>]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = rates.iter().flatten().copied().fold(0.0_f64, f64::max);
    rates
        .iter()
        .map(|rate| match rate {
            None => ' ',
            Some(_) if max <= 0.0 => BLOCKS[0],
            Some(rate) => {
                // In 0..=7 by construction: rate / max is in 0..=1.
                let step = (rate / max * 7.0).round().clamp(0.0, 7.0) as usize;
                BLOCKS[step.min(7)]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sparkline_scales_to_the_largest_rate() {
        assert_eq!(sparkline(&[Some(1.0), Some(1.0), None, Some(10.0)]), "▂▂ █");
        assert_eq!(sparkline(&[Some(0.0), Some(0.0)]), "▁▁");
        assert_eq!(sparkline(&[]), "");
    }
}
