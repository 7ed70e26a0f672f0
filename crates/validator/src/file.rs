//! Whole-file driving: the CSV reader, the rule engine and the outputs of one file.

use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::csv::{self, CsvDecoder, Header};
use crate::engine::{FAILED_RULES, ROW_NUMBER, ValidatedChunk, Validator};
use crate::error::Result;
use crate::rules::RuleSet;

/// Validates one file pushed as bytes, in pieces of any size, and yields validated chunks.
///
/// Nothing here is final until [`FileValidator::finish`] returns `Ok`: a file-level rejection
/// can come from the last byte, so callers keep what they do with earlier chunks undoable
/// (one database transaction, an unwritten invalid-records file).
#[derive(Debug)]
pub struct FileValidator {
    decoder: CsvDecoder,
    validator: Validator,
    bound: bool,
    tally: Tally,
}

impl FileValidator {
    /// A validator for one file with chunks of `chunk_rows` rows.
    pub fn new(rules: RuleSet, as_of: NaiveDate, chunk_rows: usize) -> Result<Self> {
        let validator = Validator::new(rules, as_of)?;
        let tally = Tally::new(validator.failure_ids().to_vec());
        Ok(Self { decoder: CsvDecoder::new(chunk_rows), validator, bound: false, tally })
    }

    /// Feeds the next bytes; returns the chunks they completed, validated.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<ValidatedChunk>> {
        let raw = self.decoder.push(bytes);
        self.run(raw)
    }

    /// Ends the file; returns the last validated chunks. After `Ok`, the file is accepted.
    pub fn finish(&mut self) -> Result<Vec<ValidatedChunk>> {
        let raw = self.decoder.finish();
        self.run(raw)
    }

    fn run(&mut self, raw: Result<Vec<csv::RawChunk>>) -> Result<Vec<ValidatedChunk>> {
        // The header is checked before a decoding error is returned: a bad header (line 1) is
        // the file's first problem even when a later row in the same bytes is bad too, so the
        // rejection does not depend on how the bytes were split.
        if !self.bound
            && let Some(header) = self.decoder.header()
        {
            let header = header.clone();
            self.validator.bind(&header)?;
            self.bound = true;
        }
        let raw = raw?;
        let mut out = Vec::with_capacity(raw.len());
        for chunk in raw {
            let validated = self.validator.validate(chunk)?;
            self.tally.add(&validated);
            out.push(validated);
        }
        Ok(out)
    }

    /// The header, once read.
    pub fn header(&self) -> Option<&Header> {
        self.validator.header()
    }

    /// Counts so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Bytes consumed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.decoder.bytes_seen()
    }

    /// The engine (failure ids, rule set, as-of date).
    pub fn validator(&self) -> &Validator {
        &self.validator
    }
}

/// Row and failure counts of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Rows read.
    pub total: u64,
    /// Rows with no failure.
    pub valid: u64,
    /// Rows with at least one failure.
    pub invalid: u64,
    /// Rows failing each id, in report order (every id, zero counts included).
    pub failures: Vec<(String, u64)>,
}

impl Tally {
    fn new(ids: Vec<String>) -> Self {
        Self { total: 0, valid: 0, invalid: 0, failures: ids.into_iter().map(|id| (id, 0)).collect() }
    }

    fn add(&mut self, chunk: &ValidatedChunk) {
        self.total += chunk.rows as u64;
        self.valid += chunk.valid.height() as u64;
        self.invalid += chunk.invalid.height() as u64;
        for ((_, n), add) in self.failures.iter_mut().zip(&chunk.failures) {
            *n += add;
        }
    }

    /// The ids that failed at least once, with their counts, in report order.
    pub fn nonzero_failures(&self) -> impl Iterator<Item = (&str, u64)> {
        self.failures.iter().filter(|(_, n)| *n > 0).map(|(id, n)| (id.as_str(), *n))
    }
}

/// The invalid-records CSV of SPEC section 4: the original header and raw values in the
/// original column order, then `row_number` and `failed_rules`; rows in file order.
#[derive(Debug, Default)]
pub struct InvalidRecords {
    bytes: Vec<u8>,
    rows: u64,
}

impl InvalidRecords {
    /// Starts the file with the header line.
    pub fn new(header: &Header) -> Self {
        let mut bytes = Vec::with_capacity(1 << 16);
        csv::write_record(
            &mut bytes,
            header.raw().iter().map(String::as_str).chain([ROW_NUMBER, FAILED_RULES]),
        );
        Self { bytes, rows: 0 }
    }

    /// Appends the invalid rows of a chunk.
    pub fn append(&mut self, invalid: &DataFrame) -> Result<()> {
        let columns = invalid.columns();
        let n = columns.len();
        if n < 2 {
            return Ok(());
        }
        let raw: Vec<_> = columns[..n - 2].iter().map(|c| c.str()).collect::<Result<_, _>>()?;
        let rows = columns[n - 2].u64()?;
        let failed = columns[n - 1].str()?;
        for i in 0..invalid.height() {
            for (j, ca) in raw.iter().enumerate() {
                if j > 0 {
                    self.bytes.push(b',');
                }
                csv::write_field(&mut self.bytes, ca.get(i).unwrap_or(""));
            }
            if !raw.is_empty() {
                self.bytes.push(b',');
            }
            self.bytes.extend_from_slice(rows.get(i).unwrap_or(0).to_string().as_bytes());
            self.bytes.push(b',');
            csv::write_field(&mut self.bytes, failed.get(i).unwrap_or(""));
            self.bytes.push(b'\n');
            self.rows += 1;
        }
        Ok(())
    }

    /// Invalid rows written.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The CSV bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The CSV bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Everything one whole file gives: the header, the counts, the valid rows per chunk and the
/// invalid-records CSV. For files that fit in memory, tests and tools; the pipeline streams.
#[derive(Debug)]
pub struct FileReport {
    /// The header as read.
    pub header: Header,
    /// Counts.
    pub tally: Tally,
    /// Valid rows, one frame per chunk, in file order.
    pub valid: Vec<DataFrame>,
    /// The invalid-records CSV (header line only when every row is valid).
    pub invalid_csv: Vec<u8>,
}

/// Validates a whole file held in memory.
pub fn validate_bytes(
    rules: RuleSet,
    as_of: NaiveDate,
    bytes: &[u8],
    chunk_rows: usize,
) -> Result<FileReport> {
    let mut file = FileValidator::new(rules, as_of, chunk_rows)?;
    let mut chunks = file.push(bytes)?;
    chunks.extend(file.finish()?);
    let header = file.header().cloned().unwrap_or_else(|| Header::new(Vec::new()));
    let mut invalid = InvalidRecords::new(&header);
    let mut valid = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        invalid.append(&chunk.invalid)?;
        valid.push(chunk.valid);
    }
    Ok(FileReport { header, tally: file.tally().clone(), valid, invalid_csv: invalid.into_bytes() })
}
