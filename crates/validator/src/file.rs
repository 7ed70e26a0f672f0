//! Whole-file driving: the CSV reader, the rule engine and the outputs of one file.

use chrono::NaiveDate;
use polars::prelude::DataFrame;

use crate::csv::{self, Dialect, Header, RawChunk};
use crate::encoding::Decoding;
use sift_model::{Batch, ROW_NUMBER};

use crate::contract::Contract;
use crate::engine::{FAILED_RULES, ValidatedChunk, Validator, WARNED_RULES};
use crate::error::{Error, Result};

/// Where the worker sends each chunk's valid rows, in file order, as soon as they are
/// validated ([`FileValidator::with_rows_to`]); `Err` when it takes no more.
pub type RowSink = Box<dyn FnMut(Batch) -> std::result::Result<(), ()> + Send>;

/// Validates one file pushed as bytes, in pieces of any size, and yields validated chunks.
///
/// Reading and validating overlap: the bytes are decoded into raw chunks on the caller's
/// thread while a worker thread of the file's own validates the chunks before them (the rule
/// engine's state, the seen keys, lives there). Chunks come back in file order, each from a
/// later `push` or from [`FileValidator::finish`]; at most `CHUNKS_AHEAD` raw chunks wait
/// for the worker, so memory stays bounded. With a [`RowSink`], the worker sends the valid
/// rows straight to it (a load), and the chunks come back without them.
///
/// Nothing here is final until [`FileValidator::finish`] returns `Ok`: a file-level rejection
/// can come from the last byte, so callers keep what they do with earlier chunks undoable
/// (one database transaction, an unwritten invalid-records file).
pub struct FileValidator {
    /// Converts a file in another encoding to UTF-8 before the reader; `None` for UTF-8.
    /// The bytes converted to UTF-8 and read as CSV.
    source: Decoding,
    dialect: Dialect,
    /// Bytes of the file pushed so far (before any conversion).
    bytes_in: u64,
    /// The engine until the header is bound; then it moves to the worker.
    unbound: Option<Box<Validator>>,
    /// The bound header and the worker validating the chunks.
    bound: Option<(Header, Worker)>,
    /// The file's size in bytes, until the validator's state has been sized from it.
    expected_bytes: Option<u64>,
    /// Where the worker sends the valid rows (none: they come back in the chunks).
    rows_to: Option<RowSink>,
    tally: Tally,
}

/// Raw chunks that may wait for the validating worker.
pub(crate) const CHUNKS_AHEAD: usize = 2;

/// What the worker is asked to do.
#[derive(Debug)]
enum Job {
    /// Size the engine's state for about this many rows ([`Validator::reserve`]).
    Reserve(usize),
    /// Validate the next chunk.
    Chunk(RawChunk),
}

/// The thread that validates one file's raw chunks, in order.
#[derive(Debug)]
struct Worker {
    /// Jobs; dropped to tell the worker the file has ended.
    chunks: Option<std::sync::mpsc::SyncSender<Job>>,
    /// Validated chunks (or the engine's error), in file order.
    validated: std::sync::mpsc::Receiver<Result<ValidatedChunk>>,
    /// Chunks sent and not yet received back.
    in_flight: usize,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    fn spawn(mut validator: Validator, mut rows_to: Option<RowSink>) -> Result<Self> {
        let (chunks, inbox) = std::sync::mpsc::sync_channel::<Job>(CHUNKS_AHEAD);
        // Unbounded, but never longer than the chunks in flight: `push` drains it.
        let (outbox, validated) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("sift-validate".into())
            .spawn(move || {
                for job in inbox {
                    let chunk = match job {
                        Job::Reserve(rows) => {
                            validator.reserve(rows);
                            continue;
                        }
                        Job::Chunk(chunk) => chunk,
                    };
                    let mut result = validator.validate(chunk);
                    if let (Ok(chunk), Some(sink)) = (&mut result, &mut rows_to)
                        && !chunk.valid.is_empty()
                        && sink(std::mem::take(&mut chunk.valid)).is_err()
                    {
                        result = Err(Error::RowsRefused);
                    }
                    let failed = result.is_err();
                    if outbox.send(result).is_err() || failed {
                        break;
                    }
                }
            })
            .map_err(|e| Error::Worker(format!("cannot start the validating thread: {e}")))?;
        Ok(Self { chunks: Some(chunks), validated, in_flight: 0, thread: Some(thread) })
    }

    /// Hands `job` to the worker; returns the chunks validated meanwhile (blocking only while
    /// [`CHUNKS_AHEAD`] jobs already wait).
    fn submit(&mut self, job: Job, out: &mut Vec<ValidatedChunk>) -> Result<()> {
        let chunk = matches!(job, Job::Chunk(_));
        let mut job = job;
        loop {
            let chunks = self.chunks.as_ref().ok_or_else(|| Error::Worker("the file has ended".into()))?;
            match chunks.try_send(job) {
                Ok(()) => {
                    self.in_flight += usize::from(chunk);
                    return self.ready(out);
                }
                Err(std::sync::mpsc::TrySendError::Full(back)) => {
                    job = back;
                    // The worker is busy with earlier chunks: wait for one of them.
                    out.push(self.recv()?);
                }
                Err(std::sync::mpsc::TrySendError::Disconnected(_)) => return Err(self.gone()),
            }
        }
    }

    /// The chunks validated so far, without waiting.
    fn ready(&mut self, out: &mut Vec<ValidatedChunk>) -> Result<()> {
        while self.in_flight > 0 {
            match self.validated.try_recv() {
                Ok(result) => {
                    self.in_flight -= 1;
                    out.push(result?);
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => break,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => return Err(self.gone()),
            }
        }
        Ok(())
    }

    /// Waits for the next validated chunk.
    fn recv(&mut self) -> Result<ValidatedChunk> {
        match self.validated.recv() {
            Ok(result) => {
                self.in_flight -= 1;
                result
            }
            Err(_) => Err(self.gone()),
        }
    }

    /// Waits for every chunk in flight.
    fn drain(&mut self, out: &mut Vec<ValidatedChunk>) -> Result<()> {
        while self.in_flight > 0 {
            out.push(self.recv()?);
        }
        Ok(())
    }

    /// Ends the input and waits for every chunk still in flight.
    fn finish(&mut self, out: &mut Vec<ValidatedChunk>) -> Result<()> {
        self.chunks = None;
        self.drain(out)
    }

    /// The error for a worker that stopped answering: the engine error it stopped on (still
    /// queued behind the chunks before it), or its panic, passed on.
    fn gone(&mut self) -> Error {
        self.chunks = None;
        while let Ok(result) = self.validated.try_recv() {
            if let Err(e) = result {
                return e;
            }
        }
        if let Some(thread) = self.thread.take()
            && let Err(panic) = thread.join()
        {
            std::panic::resume_unwind(panic);
        }
        Error::Worker("the validating thread stopped early".into())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the input ends the worker after its current chunk; its sends fail once
        // `validated` is gone.
        self.chunks = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for FileValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileValidator")
            .field("dialect", &self.dialect)
            .field("bytes_in", &self.bytes_in)
            .field("bound", &self.bound.is_some())
            .field("rows_to", &self.rows_to.is_some())
            .field("tally", &self.tally)
            .finish_non_exhaustive()
    }
}

impl FileValidator {
    /// A validator for one file with chunks of `chunk_rows` rows.
    pub fn new(contract: Contract, as_of: NaiveDate, chunk_rows: usize) -> Result<Self> {
        let format = contract.format;
        let validator = Validator::new(contract, as_of)?;
        let tally = Tally::new(validator.failure_ids().to_vec());
        Ok(Self {
            source: Decoding::new(&format, chunk_rows),
            dialect: format.dialect(),
            bytes_in: 0,
            unbound: Some(Box::new(validator)),
            bound: None,
            expected_bytes: None,
            rows_to: None,
            tally,
        })
    }

    /// The same validator, its worker sending each chunk's valid rows to `sink` as soon as
    /// they are validated (a load's channel), instead of handing them back in the chunks: the
    /// rows do not wait for the caller's thread, which may be waiting for bytes. A sink that
    /// fails stops the file with [`Error::RowsRefused`].
    pub fn with_rows_to(mut self, sink: RowSink) -> Self {
        self.rows_to = Some(sink);
        self
    }

    /// The file's size in bytes, when known before reading (an object store's metadata). Once
    /// the first chunk gives the bytes per row, the state kept across chunks (the keys of
    /// uniqueness rules) is sized for the whole file at once instead of grown as rows arrive.
    /// Only a hint: a wrong size costs memory or growth, never a result.
    pub fn expect_bytes(&mut self, total: u64) {
        self.expected_bytes = Some(total);
    }

    /// Feeds the next bytes; returns the chunks validated since the last call (often none).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<ValidatedChunk>> {
        self.bytes_in += bytes.len() as u64;
        let raw = self.source.push(bytes);
        self.run(raw, false)
    }

    /// Ends the file; returns the last validated chunks. After `Ok`, the file is accepted.
    pub fn finish(&mut self) -> Result<Vec<ValidatedChunk>> {
        let raw = self.source.finish();
        self.run(raw, true)
    }

    /// The delimiter and quote of the file (and of its invalid-records file).
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    fn run(&mut self, raw: Result<Vec<RawChunk>>, end: bool) -> Result<Vec<ValidatedChunk>> {
        // The header is checked before a decoding error is returned: a bad header (line 1) is
        // the file's first problem even when a later row in the same bytes is bad too, so the
        // rejection does not depend on how the bytes were split.
        if let Some(validator) = self.unbound.as_mut()
            && let Some(header) = self.source.decoder().header()
        {
            let header = header.clone();
            validator.bind(&header)?;
            if let Some(validator) = self.unbound.take() {
                self.bound = Some((header, Worker::spawn(*validator, self.rows_to.take())?));
            }
        }
        let raw = raw?;
        let mut out = Vec::new();
        if let Some((_, worker)) = &mut self.bound {
            if !raw.is_empty()
                && let Some(total) = self.expected_bytes.take()
            {
                // Rows decoded per byte read so far (the header and a partial row included): close
                // enough to size by.
                let seen = self.bytes_in.max(1);
                let rows = u128::from(total) * u128::from(self.source.decoder().rows()) / u128::from(seen);
                worker.submit(Job::Reserve(usize::try_from(rows).unwrap_or(usize::MAX)), &mut out)?;
            }
            for chunk in raw {
                worker.submit(Job::Chunk(chunk), &mut out)?;
            }
            if end {
                worker.finish(&mut out)?;
            } else {
                worker.ready(&mut out)?;
            }
        }
        Ok(self.counted(out))
    }

    /// Adds the chunks to the counts and hands them on.
    fn counted(&mut self, chunks: Vec<ValidatedChunk>) -> Vec<ValidatedChunk> {
        for chunk in &chunks {
            self.tally.add(chunk);
        }
        chunks
    }

    /// Waits until every chunk handed to the worker is validated, and returns them. For a
    /// caller about to wait for more bytes: nothing validated then sits unseen (the counts are
    /// current, the valid rows can go on to the load) while the source is slow.
    pub fn catch_up(&mut self) -> Result<Vec<ValidatedChunk>> {
        let mut out = Vec::new();
        if let Some((_, worker)) = &mut self.bound {
            worker.drain(&mut out)?;
        }
        Ok(self.counted(out))
    }

    /// The header, once read.
    pub fn header(&self) -> Option<&Header> {
        self.bound.as_ref().map(|(header, _)| header)
    }

    /// Counts of the chunks returned so far.
    pub fn tally(&self) -> &Tally {
        &self.tally
    }

    /// Bytes consumed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_in
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
    /// Rows failing each id, in report order (every id, zero counts included; 0 for a `warn`
    /// rule).
    pub failures: Vec<(String, u64)>,
    /// Valid rows with at least one warning.
    pub warned: u64,
    /// Valid rows warning on each id, in report order (every id; 0 for an `error` one).
    pub warnings: Vec<(String, u64)>,
    /// Invalid rows failing both ids of a pair (by position in `failures`, the lower first),
    /// for the pairs that failed together at least once.
    pub pairs: std::collections::BTreeMap<(usize, usize), u64>,
    /// Duplicate groups per id, in report order (every id; 0 for rules other than
    /// uniqueness): the distinct keys found on more than one row.
    pub duplicate_groups: Vec<(String, u64)>,
}

impl Tally {
    fn new(ids: Vec<String>) -> Self {
        let zeros = |ids: &[String]| ids.iter().map(|id| (id.clone(), 0)).collect();
        Self {
            total: 0,
            valid: 0,
            invalid: 0,
            failures: zeros(&ids),
            warned: 0,
            warnings: zeros(&ids),
            pairs: Default::default(),
            duplicate_groups: zeros(&ids),
        }
    }

    fn add(&mut self, chunk: &ValidatedChunk) {
        self.total += chunk.rows as u64;
        // Every row not invalid is valid (the valid rows may have gone to a sink already).
        self.valid += (chunk.rows - chunk.invalid.height()) as u64;
        self.invalid += chunk.invalid.height() as u64;
        self.warned += chunk.warned.height() as u64;
        for ((_, n), add) in self.failures.iter_mut().zip(&chunk.failures) {
            *n += add;
        }
        for ((_, n), add) in self.warnings.iter_mut().zip(&chunk.warnings) {
            *n += add;
        }
        for ((_, n), add) in self.duplicate_groups.iter_mut().zip(&chunk.duplicate_groups) {
            *n += add;
        }
        for (&pair, &n) in &chunk.pairs {
            *self.pairs.entry(pair).or_default() += n;
        }
    }

    /// The pairs of ids failing together most often, most frequent first (ties in report
    /// order), at most `n`.
    pub fn top_pairs(&self, n: usize) -> Vec<(&str, &str, u64)> {
        let mut pairs: Vec<_> = self.pairs.iter().map(|(&(a, b), &count)| (a, b, count)).collect();
        pairs.sort_by(|x, y| y.2.cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
        pairs
            .into_iter()
            .take(n)
            .map(|(a, b, count)| (self.failures[a].0.as_str(), self.failures[b].0.as_str(), count))
            .collect()
    }

    /// The ids that failed at least once, with their counts, in report order.
    pub fn nonzero_failures(&self) -> impl Iterator<Item = (&str, u64)> {
        self.failures.iter().filter(|(_, n)| *n > 0).map(|(id, n)| (id.as_str(), *n))
    }

    /// The `warn` ids that valid rows warned on at least once, with their counts, in report
    /// order.
    pub fn nonzero_warnings(&self) -> impl Iterator<Item = (&str, u64)> {
        self.warnings.iter().filter(|(_, n)| *n > 0).map(|(id, n)| (id.as_str(), *n))
    }

    /// The uniqueness ids with duplicate groups, with how many, in report order.
    pub fn nonzero_duplicate_groups(&self) -> impl Iterator<Item = (&str, u64)> {
        self.duplicate_groups.iter().filter(|(_, n)| *n > 0).map(|(id, n)| (id.as_str(), *n))
    }
}

/// The invalid-records CSV of SPEC section 4: the original header and raw values in the
/// original column order, then `row_number` and `failed_rules`; rows in file order. The
/// warnings file ([`InvalidRecords::warned`]) has the same shape, with `warned_rules`.
#[derive(Debug, Default)]
pub struct InvalidRecords {
    bytes: Vec<u8>,
    rows: u64,
    dialect: Dialect,
}

impl InvalidRecords {
    /// Starts the file with the header line, in the source's `dialect` (UTF-8 whatever the
    /// source's encoding).
    pub fn new(header: &Header, dialect: Dialect) -> Self {
        Self::with_rules_column(header, dialect, FAILED_RULES)
    }

    /// Starts the warnings file: the valid rows that warned ([`ValidatedChunk::warned`]), with
    /// `warned_rules`.
    pub fn warned(header: &Header, dialect: Dialect) -> Self {
        Self::with_rules_column(header, dialect, WARNED_RULES)
    }

    fn with_rules_column(header: &Header, dialect: Dialect, rules_column: &str) -> Self {
        let mut bytes = Vec::with_capacity(1 << 16);
        csv::write_record(
            &mut bytes,
            header.raw().iter().map(String::as_str).chain([ROW_NUMBER, rules_column]),
            dialect,
        );
        Self { bytes, rows: 0, dialect }
    }

    /// Appends the invalid (or warned) rows of a chunk.
    pub fn append(&mut self, invalid: &DataFrame) -> Result<()> {
        let columns = invalid.columns();
        let n = columns.len();
        if n < 2 {
            return Ok(());
        }
        let raw: Vec<_> = columns[..n - 2].iter().map(|c| c.str()).collect::<Result<_, _>>()?;
        let rows = columns[n - 2].u64()?;
        let failed = columns[n - 1].str()?;
        let dialect = self.dialect;
        for i in 0..invalid.height() {
            for (j, ca) in raw.iter().enumerate() {
                if j > 0 {
                    self.bytes.push(dialect.delimiter);
                }
                csv::write_field(&mut self.bytes, ca.get(i).unwrap_or(""), dialect);
            }
            if !raw.is_empty() {
                self.bytes.push(dialect.delimiter);
            }
            self.bytes.extend_from_slice(rows.get(i).unwrap_or(0).to_string().as_bytes());
            self.bytes.push(dialect.delimiter);
            csv::write_field(&mut self.bytes, failed.get(i).unwrap_or(""), dialect);
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
    /// Valid rows, one batch per chunk, in file order.
    pub valid: Vec<Batch>,
    /// The invalid-records CSV (header line only when every row is valid).
    pub invalid_csv: Vec<u8>,
    /// The warnings CSV (header line only when no valid row warned).
    pub warnings_csv: Vec<u8>,
}

/// Validates a whole file held in memory.
pub fn validate_bytes(
    contract: Contract,
    as_of: NaiveDate,
    bytes: &[u8],
    chunk_rows: usize,
) -> Result<FileReport> {
    let mut file = FileValidator::new(contract, as_of, chunk_rows)?;
    let mut chunks = file.push(bytes)?;
    chunks.extend(file.finish()?);
    let header = file.header().cloned().unwrap_or_else(|| Header::new(Vec::new()));
    let mut invalid = InvalidRecords::new(&header, file.dialect());
    let mut warned = InvalidRecords::warned(&header, file.dialect());
    let mut valid = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        invalid.append(&chunk.invalid)?;
        warned.append(&chunk.warned)?;
        valid.push(chunk.valid);
    }
    Ok(FileReport {
        header,
        tally: file.tally().clone(),
        valid,
        invalid_csv: invalid.into_bytes(),
        warnings_csv: warned.into_bytes(),
    })
}
