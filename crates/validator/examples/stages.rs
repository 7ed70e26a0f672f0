//! sift's validation stages alone, timed, for `scripts/bench`:
//!
//! - `stages read FILE`: the CSV reader only (bytes to columnar raw chunks, every file-level
//!   rule enforced), as the pipeline reads a file: pieces of 256 KiB;
//! - `stages validate FILE [CHUNK_ROWS]`: reading plus the customer rules, split into valid and
//!   invalid rows (as of 2026-11-26, the generator's date), through `FileValidator` as the
//!   pipeline drives it (the file's size given up front): decoding on this thread while the
//!   file's worker thread (and rayon's pool) validates the chunks before.
//!
//! Prints one JSON line: `{"stage", "rows", "seconds"}`.

#![allow(clippy::print_stdout)] // A benchmark tool: its output is the result.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use sift_validator::CsvDecoder;
use sift_validator::{Contract, DEFAULT_CHUNK_ROWS, FileValidator};

/// The `sift` binary's allocator (and its settings, from `.cargo/config.toml`): the stages run
/// as they do in `sift run`.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Read size, the same as `LocalStore`'s.
const PIECE: usize = 256 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(stage), Some(path)) = (args.first(), args.get(1)) else {
        eprintln!("usage: stages read|validate FILE [CHUNK_ROWS]");
        return ExitCode::from(2);
    };
    let chunk_rows = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(DEFAULT_CHUNK_ROWS);
    match run(stage, path, chunk_rows) {
        Ok((rows, seconds)) => {
            println!("{{\"stage\":\"{stage}\",\"rows\":{rows},\"seconds\":{seconds:.4}}}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

fn run(stage: &str, path: &str, chunk_rows: usize) -> Result<(u64, f64), Box<dyn std::error::Error>> {
    let mut file = std::fs::File::open(path)?;
    let mut piece = vec![0u8; PIECE];
    let started = Instant::now();
    let mut rows = 0u64;
    match stage {
        "read" => {
            let mut decoder = CsvDecoder::new(chunk_rows);
            loop {
                let n = file.read(&mut piece)?;
                if n == 0 {
                    break;
                }
                rows += decoder.push(&piece[..n])?.iter().map(|c| c.height() as u64).sum::<u64>();
            }
            rows += decoder.finish()?.iter().map(|c| c.height() as u64).sum::<u64>();
        }
        "validate" => {
            let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).ok_or("bad date")?;
            let mut validator = FileValidator::new(
                Contract::from_toml(include_str!("../../../contracts/customer.toml"))
                    .expect("the shipped customer contract parses"),
                as_of,
                chunk_rows,
            )?;
            // As the pipeline does with the object's size.
            validator.expect_bytes(file.metadata()?.len());
            loop {
                let n = file.read(&mut piece)?;
                if n == 0 {
                    break;
                }
                rows += validator.push(&piece[..n])?.iter().map(|c| c.rows as u64).sum::<u64>();
            }
            rows += validator.finish()?.iter().map(|c| c.rows as u64).sum::<u64>();
        }
        other => return Err(format!("unknown stage {other:?}: use read or validate").into()),
    }
    Ok((rows, started.elapsed().as_secs_f64()))
}
