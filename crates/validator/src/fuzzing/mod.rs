//! The fuzz checks (feature `fuzzing`): [`check`] (a contract the caller gives: the fuzz target
//! and the regression test give the shipped customer contract) and
//! [`check_contract`] (a contract drawn from the input), shared by the cargo-fuzz targets in
//! `fuzz/` and the stable regression tests `tests/fuzz_corpus.rs` and
//! `tests/fuzz_contracts.rs`, so a crash the fuzzer finds is replayed by `cargo test` with
//! exactly the same logic.
//!
//! The property, from the hardening issue: any byte string gives a summary or a clear
//! file-level rejection, never a panic or a hang; and the file pushed in small pieces and
//! chunks gives exactly what it gives whole. Both checks panic (with the reason) when it does
//! not hold.

mod contracts;

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::csv::{CsvDecoder, DEFAULT_CHUNK_ROWS, RawChunk};
use sift_model::ROW_NUMBER;

use crate::Contract;
use crate::engine::FAILED_RULES;
use crate::error::{Error, Rejection};
use crate::file::{FileValidator, InvalidRecords, Tally, validate_bytes};

pub use contracts::{check_contract, sample_input};

/// How one fuzz input is run, taken from its first two bytes; the rest is the CSV file.
///
/// Byte 0: bits 0-5 give `chunk_rows - 1` (1 to 64 rows per chunk), bit 6 turns the optional
/// country rule on (the caller's contract with its country rule). Byte 1 gives `piece - 1` (the file is pushed in pieces of 1 to 256 bytes).
/// An input shorter than two bytes uses 0 for the missing bytes and is an empty file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// Rows per chunk of the streamed run.
    pub chunk_rows: usize,
    /// Bytes per `push` of the streamed run.
    pub piece: usize,
    /// The country rule is on: the contract asked for with `true`.
    pub country: bool,
}

impl Setup {
    /// Splits a fuzz input into its setup and the CSV bytes.
    pub fn split(data: &[u8]) -> (Setup, &[u8]) {
        let (head, csv) = data.split_at(data.len().min(2));
        let b0 = head.first().copied().unwrap_or(0);
        let b1 = head.get(1).copied().unwrap_or(0);
        let setup = Setup {
            chunk_rows: usize::from(b0 & 0x3F) + 1,
            piece: usize::from(b1) + 1,
            country: b0 & 0x40 != 0,
        };
        (setup, csv)
    }
}

/// The fixed as-of date of the check (the date of the project's tests).
fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default()
}

/// What the streamed run gives on success.
struct Streamed {
    header: Vec<String>,
    tally: Tally,
    invalid_csv: Vec<u8>,
    warnings_csv: Vec<u8>,
    invalid_frames: Vec<DataFrame>,
    valid: Vec<DataFrame>,
}

/// Runs one fuzz input (see [`Setup`] for its layout) under `contract(country)` and panics when
/// the validator breaks its contract:
///
/// - the file pushed in pieces with small chunks and the same file validated whole with
///   [`validate_bytes`] must agree: both accepted with the same header, tally, invalid-records
///   CSV and valid rows, or both rejected with the same [`Rejection`];
/// - a rejection is file-level ([`Error::Rejected`], never a polars or rule-set error) with a
///   message, and the line it names exists in the file; an empty file, and only that, is
///   [`Rejection::Empty`];
/// - an accepted file's counts add up (total = valid + invalid, per-rule counts match the
///   `failed_rules` column), every data row is numbered once, in order, as valid or invalid,
///   and the invalid-records CSV reads back with the same reader to exactly the invalid rows.
///
/// Panics inside the validator itself (index out of range, overflow, polars) surface as they
/// are; a hang is caught by the fuzzer's per-input timeout.
#[doc(hidden)]
pub fn check(data: &[u8], contract: impl Fn(bool) -> Contract) {
    let (setup, csv) = Setup::split(data);
    compare(|| contract(setup.country), csv, setup);
}

/// Validates `csv` streamed (as `setup` says) and whole under the contract `contract` builds,
/// and checks that both agree and that the outcome keeps every invariant of [`check`]. Returns
/// the tally of an accepted file, `None` for a rejected one.
fn compare(contract: impl Fn() -> Contract, csv: &[u8], setup: Setup) -> Option<Tally> {
    let streamed = stream(&contract, csv, setup);
    let whole = validate_bytes(contract(), as_of(), csv, DEFAULT_CHUNK_ROWS);

    match (streamed, whole) {
        (Ok(s), Ok(w)) => {
            assert!(!csv.is_empty(), "an empty file was accepted");
            assert_eq!(s.header, w.header.raw(), "{setup:?}: the header depends on pieces and chunks");
            assert_eq!(s.tally, w.tally, "{setup:?}: the tally depends on pieces and chunks");
            assert!(
                s.invalid_csv == w.invalid_csv,
                "{setup:?}: the invalid-records CSV depends on pieces and chunks:\nstreamed: {:?}\nwhole:    {:?}",
                String::from_utf8_lossy(&s.invalid_csv),
                String::from_utf8_lossy(&w.invalid_csv),
            );
            assert!(
                s.warnings_csv == w.warnings_csv,
                "{setup:?}: the warnings CSV depends on pieces and chunks:\nstreamed: {:?}\nwhole:    {:?}",
                String::from_utf8_lossy(&s.warnings_csv),
                String::from_utf8_lossy(&w.warnings_csv),
            );
            let whole_valid: Vec<DataFrame> = w.valid.iter().map(|b| b.frame().clone()).collect();
            let (sv, wv) = (stack(&s.valid), stack(&whole_valid));
            assert!(sv == wv, "{setup:?}: the valid rows depend on pieces and chunks:\n{sv:?}\n{wv:?}");
            let ids: Vec<String> = w.tally.failures.iter().map(|(id, _)| id.clone()).collect();
            check_accepted(&s, &ids, w.header.raw(), contract().format.dialect());
            check_valid_columns(&contract(), &s.valid);
            Some(w.tally)
        }
        (Err(s), Err(w)) => {
            let (Some(sr), Some(wr)) = (s.rejection(), w.rejection()) else {
                panic!("{setup:?}: not a file-level rejection: streamed `{s}`, whole `{w}`");
            };
            assert_eq!(sr, wr, "{setup:?}: the rejection depends on pieces and chunks");
            assert!(!sr.to_string().trim().is_empty(), "a rejection without a message: {sr:?}");
            check_rejection(sr, csv);
            None
        }
        (s, w) => panic!(
            "{setup:?}: streamed and whole disagree: streamed {:?}, whole {:?}",
            s.map(|s| s.tally),
            w.map(|w| w.tally)
        ),
    }
}

/// The valid rows have the contract's loaded columns, in order, of the types its checks prove,
/// then the row number; a required column is never null.
fn check_valid_columns(contract: &Contract, valid: &[DataFrame]) {
    let columns = contract.table_columns();
    for frame in valid {
        let names: Vec<&str> = frame.get_column_names().into_iter().map(|n| n.as_str()).collect();
        let expected: Vec<&str> = columns.iter().map(|c| c.name.as_str()).chain([ROW_NUMBER]).collect();
        assert_eq!(names, expected, "the valid rows' columns are not the contract's loaded columns");
        for (column, spec) in frame.columns().iter().zip(&columns) {
            assert_eq!(
                column.dtype(),
                &spec.ty.physical(),
                "valid column {} holds {} values, its type is {}",
                spec.name,
                column.dtype(),
                spec.ty
            );
            if !spec.nullable {
                assert_eq!(
                    column.null_count(),
                    0,
                    "required column {} has nulls among valid rows",
                    spec.name
                );
            }
        }
    }
}

/// Pushes `csv` in pieces of `setup.piece` bytes through a [`FileValidator`] with
/// `setup.chunk_rows` rows per chunk, writing the invalid records as the pipeline does.
fn stream(contract: impl Fn() -> Contract, csv: &[u8], setup: Setup) -> Result<Streamed, Error> {
    let mut file = match FileValidator::new(contract(), as_of(), setup.chunk_rows) {
        Ok(file) => file,
        Err(e) => panic!("the contract does not build: {e}"),
    };
    let mut chunks = Vec::new();
    for piece in csv.chunks(setup.piece) {
        chunks.extend(file.push(piece)?);
    }
    chunks.extend(file.finish()?);
    assert_eq!(file.bytes_seen(), csv.len() as u64, "bytes_seen does not count every byte");
    let Some(header) = file.header() else { panic!("an accepted file has no bound header") };
    let mut invalid = InvalidRecords::new(header, file.dialect());
    let mut warned = InvalidRecords::warned(header, file.dialect());
    let mut invalid_frames = Vec::with_capacity(chunks.len());
    let mut valid = Vec::with_capacity(chunks.len());
    let mut next_row = 1;
    let last = chunks.len().saturating_sub(1);
    for (i, chunk) in chunks.into_iter().enumerate() {
        assert_eq!(chunk.first_row, next_row, "chunks are not contiguous");
        // Every chunk but the last is full; none is empty.
        let size_ok = if i < last {
            chunk.rows == setup.chunk_rows
        } else {
            (1..=setup.chunk_rows).contains(&chunk.rows)
        };
        assert!(
            size_ok,
            "chunk {i} of {} has {} rows (chunk_rows {})",
            last + 1,
            chunk.rows,
            setup.chunk_rows
        );
        assert_eq!(chunk.valid.len() + chunk.invalid.height(), chunk.rows, "a chunk lost rows");
        next_row += chunk.rows as u64;
        assert!(chunk.warned.height() <= chunk.valid.len(), "more warned rows than valid ones");
        if let Err(e) = warned.append(&chunk.warned) {
            panic!("writing warnings failed: {e}");
        }
        if let Err(e) = invalid.append(&chunk.invalid) {
            panic!("writing invalid records failed: {e}");
        }
        invalid_frames.push(chunk.invalid);
        valid.push(chunk.valid.frame().clone());
    }
    assert_eq!(invalid.rows(), file.tally().invalid, "invalid rows written vs counted");
    Ok(Streamed {
        header: header.raw().to_vec(),
        tally: file.tally().clone(),
        invalid_csv: invalid.into_bytes(),
        warnings_csv: warned.into_bytes(),
        invalid_frames,
        valid,
    })
}

/// All frames one under the other; `None` when there are no rows.
fn stack(frames: &[DataFrame]) -> Option<DataFrame> {
    let mut out: Option<DataFrame> = None;
    for frame in frames.iter().filter(|f| f.height() > 0) {
        out = Some(match out {
            None => frame.clone(),
            Some(acc) => match acc.vstack(frame) {
                Ok(stacked) => stacked,
                Err(e) => panic!("valid frames of one file do not stack: {e}"),
            },
        });
    }
    out
}

/// The invariants of an accepted file, on the streamed run (already equal to the whole one).
fn check_accepted(s: &Streamed, ids: &[String], header: &[String], dialect: crate::csv::Dialect) {
    let t = &s.tally;
    assert_eq!(t.total, t.valid + t.invalid, "total != valid + invalid: {t:?}");
    let valid_rows: u64 = s.valid.iter().map(|f| f.height() as u64).sum();
    assert_eq!(valid_rows, t.valid, "valid frames hold {valid_rows} rows, tally says {}", t.valid);
    if t.invalid == 0 {
        assert!(t.failures.iter().all(|(_, n)| *n == 0), "failures without invalid rows: {t:?}");
    }
    for (id, n) in &t.failures {
        assert!(*n <= t.invalid, "rule {id} failed {n} times but only {} rows are invalid", t.invalid);
    }

    // Every data row is numbered once, valid or invalid, and each side stays in file order.
    let valid_numbers: Vec<u64> = s.valid.iter().flat_map(|f| u64_column(f, ROW_NUMBER)).collect();
    let invalid_numbers: Vec<u64> = s.invalid_frames.iter().flat_map(|f| u64_column(f, ROW_NUMBER)).collect();
    for (side, numbers) in [("valid", &valid_numbers), ("invalid", &invalid_numbers)] {
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{side} row numbers out of order: {numbers:?}");
    }
    let mut all: Vec<u64> = valid_numbers.iter().chain(&invalid_numbers).copied().collect();
    all.sort_unstable();
    assert!(all.iter().copied().eq(1..=t.total), "row numbers are not 1..={}: {all:?}", t.total);

    // The invalid-records CSV reads back, with sift's own reader, to exactly the invalid rows.
    let expected = expected_invalid_rows(&s.invalid_frames);
    let mut decoder = CsvDecoder::with_dialect(DEFAULT_CHUNK_ROWS, dialect);
    let decoded = decoder.push(&s.invalid_csv).and_then(|mut a| {
        a.extend(decoder.finish()?);
        Ok(a)
    });
    let decoded = match decoded {
        Ok(chunks) => chunks,
        Err(e) => panic!(
            "the invalid-records CSV does not read back: {e}\n{:?}",
            String::from_utf8_lossy(&s.invalid_csv)
        ),
    };
    let Some(read_header) = decoder.header() else { panic!("the invalid-records CSV has no header") };
    let written: Vec<&str> = header.iter().map(String::as_str).chain([ROW_NUMBER, FAILED_RULES]).collect();
    assert_eq!(read_header.raw(), written, "the invalid-records header reads back differently");
    let rows: Vec<Vec<String>> = decoded.iter().flat_map(raw_rows).collect();
    assert!(
        rows == expected,
        "the invalid-records CSV reads back differently:\nread:    {rows:?}\nwritten: {expected:?}"
    );

    // failed_rules: known ids, in report order, counted as in the tally.
    let mut counted: HashMap<&str, u64> = HashMap::new();
    for row in &rows {
        let Some(failed) = row.last() else { continue };
        let positions: Vec<Option<usize>> =
            failed.split(';').map(|id| ids.iter().position(|known| known == id)).collect();
        assert!(positions.iter().all(Option::is_some), "unknown ids in failed_rules `{failed}`");
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "failed_rules `{failed}` not in report order");
        for id in failed.split(';') {
            *counted.entry(id).or_default() += 1;
        }
    }
    for (id, n) in &t.failures {
        let got = counted.get(id.as_str()).copied().unwrap_or(0);
        assert_eq!(got, *n, "rule {id}: tally {n}, failed_rules column {got}");
    }
}

/// The invalid rows as the writer must have written them: raw values (a missing field is
/// empty), then the row number and the failed rules.
fn expected_invalid_rows(frames: &[DataFrame]) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for frame in frames {
        let columns = frame.columns();
        let Some((raw, [row_number, failed])) = columns.split_last_chunk::<2>() else {
            panic!("an invalid frame without {ROW_NUMBER} and {FAILED_RULES}");
        };
        let text = |c: &polars::prelude::Column| {
            c.str().cloned().unwrap_or_else(|e| panic!("invalid frame column {} is not text: {e}", c.name()))
        };
        let raw: Vec<_> = raw.iter().map(text).collect();
        let failed = text(failed);
        let numbers = u64_column(frame, row_number.name().as_str());
        for (i, number) in numbers.into_iter().enumerate() {
            let mut row: Vec<String> =
                raw.iter().map(|ca| ca.get(i).unwrap_or_default().to_owned()).collect();
            row.push(number.to_string());
            row.push(failed.get(i).unwrap_or_default().to_owned());
            rows.push(row);
        }
    }
    rows
}

/// The rows of a decoded chunk as text; every field must be present.
fn raw_rows(chunk: &RawChunk) -> Vec<Vec<String>> {
    let columns: Vec<_> = chunk
        .frame
        .columns()
        .iter()
        .map(|c| c.str().unwrap_or_else(|e| panic!("a decoded column is not text: {e}")))
        .collect();
    (0..chunk.height())
        .map(|i| {
            columns
                .iter()
                .map(|ca| match ca.get(i) {
                    Some(v) => v.to_owned(),
                    None => panic!("row {} of the invalid-records CSV is short", chunk.first_row + i as u64),
                })
                .collect()
        })
        .collect()
}

fn u64_column(frame: &DataFrame, name: &str) -> Vec<u64> {
    match frame.column(name).and_then(|c| c.u64().cloned()) {
        Ok(ca) => ca.iter().map(|v| v.unwrap_or_else(|| panic!("a null {name}"))).collect(),
        Err(e) => panic!("no {name} column: {e}"),
    }
}

/// A rejection must describe the file it came from.
fn check_rejection(r: &Rejection, csv: &[u8]) {
    assert_eq!(matches!(r, Rejection::Empty), csv.is_empty(), "{r:?} for a file of {} bytes", csv.len());
    // Every line break (LF, CR or CRLF) starts a new line: the last line is at most this.
    let max_line = 1 + csv.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64;
    let line = match r {
        Rejection::Empty | Rejection::NoHeader => None,
        Rejection::MissingColumns { columns } | Rejection::ExtraColumns { columns } => {
            assert!(!columns.is_empty(), "{r:?} with no column");
            None
        }
        Rejection::DuplicateColumn { positions: (a, b), .. } => {
            assert!(1 <= *a && a < b, "DuplicateColumn positions {a}, {b}");
            None
        }
        Rejection::InvalidUtf8 { line }
        | Rejection::UnterminatedQuote { line }
        | Rejection::InvalidEncoding { line, .. } => Some(*line),
        Rejection::MissingByteOrderMark { .. } => None,
        Rejection::TooManyFields { line, found, expected } => {
            assert!(found > expected, "TooManyFields with {found} <= {expected}");
            Some(*line)
        }
        Rejection::FieldTooLong { line, .. } | Rejection::RecordTooLong { line, .. } => Some(*line),
        Rejection::TooManyColumns { .. } => None,
    };
    if let Some(line) = line {
        assert!((1..=max_line).contains(&line), "{r:?} names line {line}, the file has at most {max_line}");
    }
}
