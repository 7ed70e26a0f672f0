//! `sift contract suggest`: a contract proposed from a file, read in one pass the way `sift
//! run` reads it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;
use futures::StreamExt;
use sift_storage::Compression;
use sift_validator::{DEFAULT_CHUNK_ROWS, Encoding, SuggestOptions, Suggester};

use crate::aws::AwsArgs;

/// `sift contract suggest`'s arguments.
#[derive(Debug, Args)]
pub(crate) struct SuggestArgs {
    /// The file: a local path or s3://BUCKET/KEY (gzip or zstd by suffix or Content-Encoding).
    #[arg(value_name = "FILE")]
    input: String,
    /// Write ODCS v3.1 YAML instead of sift TOML.
    #[arg(long)]
    odcs: bool,
    /// Profile only the first N rows (the rest is not read; the checks then hold on those).
    #[arg(long, value_name = "N")]
    sample_rows: Option<u64>,
    /// The delimiter [default: found from the header line: , ; tab |].
    #[arg(long, value_name = "CHAR")]
    delimiter: Option<char>,
    /// The encoding [default: found from the first bytes: UTF-8, UTF-16 with a byte-order
    /// mark, else Windows-1252].
    #[arg(long, value_name = "NAME", value_parser = parse_encoding)]
    encoding: Option<Encoding>,
    /// The dataset's name (and its table's) [default: the file's name, without extensions].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The date the evidence compares dates to [default: today, UTC].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = crate::run::parse_date)]
    as_of: Option<NaiveDate>,
    /// Write the contract here instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    aws: AwsArgs,
}

fn parse_encoding(text: &str) -> Result<Encoding, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "utf-8" | "utf8" => Encoding::Utf8,
        "utf-16" | "utf16" => Encoding::Utf16,
        "windows-1252" | "cp1252" => Encoding::Windows1252,
        "latin-1" | "latin1" | "iso-8859-1" => Encoding::Latin1,
        _ => return Err("expected utf-8, utf-16, windows-1252 or latin-1".into()),
    })
}

/// Reads the file once and writes the suggested contract; exit 2 when the file cannot be read
/// as CSV at all (as `sift run` rejects it).
pub(crate) async fn suggest(args: SuggestArgs) -> Result<ExitCode> {
    let (store, key, _) = crate::run::source(&args.input, &args.aws.clients()?).await?;
    let name = args.name.clone().unwrap_or_else(|| {
        let base = Compression::strip_suffix(&key);
        let file = base.rsplit('/').next().unwrap_or(base);
        file.split('.').next().filter(|s| !s.is_empty()).unwrap_or("dataset").to_owned()
    });
    let as_of = args.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let mut suggester = Suggester::new(SuggestOptions {
        name,
        delimiter: args.delimiter,
        encoding: args.encoding,
        sample_rows: args.sample_rows,
        as_of,
        chunk_rows: DEFAULT_CHUNK_ROWS,
    })?;
    let stream = store.get(&key).await.with_context(|| format!("reading {}", args.input))?;
    let mut stream = match Compression::detect(&key, stream.content_encoding()) {
        Some(compression) => stream.decompressed(compression, args.input.clone()),
        None => stream,
    };
    let rejected = |e: sift_validator::Error| -> Result<ExitCode> {
        if e.rejection().is_none() {
            return Err(e.into());
        }
        eprintln!("error: {}: {e}", args.input);
        if matches!(e.rejection(), Some(sift_validator::Rejection::InvalidUtf8 { .. })) {
            eprintln!("note: give the file's encoding with --encoding (windows-1252, latin-1, utf-16)");
        }
        Ok(ExitCode::from(2))
    };
    while let Some(bytes) = stream.next().await {
        let bytes = bytes.with_context(|| format!("reading {}", args.input))?;
        if let Err(e) = suggester.push(&bytes) {
            return rejected(e);
        }
        if suggester.is_full() {
            break;
        }
    }
    let suggestion = match suggester.finish() {
        Ok(suggestion) => suggestion,
        Err(e) => return rejected(e),
    };
    let text = if args.odcs { suggestion.to_odcs(&args.input)? } else { suggestion.to_toml(&args.input) };
    match &args.out {
        Some(out) => std::fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?,
        None => crate::output::out!("{text}"),
    }
    let contract = suggestion.contract();
    eprintln!(
        "suggested {}: {} checks, {} columns ({} required) from {} rows{}",
        contract.name,
        contract.rules.len(),
        contract.columns.len(),
        contract.columns.iter().filter(|c| c.required).count(),
        suggestion.rows(),
        if suggestion.sampled() { " (a sample)" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}
