//! Contracts suggested from a file (`sift contract suggest`): one streaming pass profiles every
//! column, and each column gets the check its values show, with the evidence.
//!
//! The file is read as `sift run` reads it (the same CSV reader, limits and encodings); its
//! delimiter and encoding are found from its first bytes ([`SNIFF_BYTES`]) unless given. Memory
//! is bounded by the columns, not the rows: each column keeps counts, bounds, at most
//! [`profile::SET_MAX`] distinct values, and, while its values have not repeated, their hashes
//! in sift's own uniqueness table (at most `profile::KEY_BUDGET` over all columns; past it,
//! columns stop being followed as candidate keys, and the evidence says so).
//!
//! What is proposed ([`propose`]) holds on every row read, so the suggested contract run on
//! the same file finds no invalid row; the one exception, a text value holding a NUL byte, is
//! said in the evidence.

mod profile;
mod propose;
mod write;

use chrono::NaiveDate;
use rayon::prelude::*;

use self::profile::{ColumnProfile, KEY_BUDGET};
use self::propose::Proposal;
use crate::contract::{Contract, Encoding, Format, TableTarget};
use crate::csv::{RawChunk, column_name};
use crate::encoding::Decoding;
use crate::error::{Error, Rejection, Result};

/// Bytes read before the delimiter and the encoding are chosen.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What `suggest` is told.
#[derive(Debug, Clone)]
pub struct SuggestOptions {
    /// The dataset's name (and its table's).
    pub name: String,
    /// The delimiter, when not found from the file.
    pub delimiter: Option<char>,
    /// The encoding, when not found from the file.
    pub encoding: Option<Encoding>,
    /// Profile only the first rows (the rest is not read).
    pub sample_rows: Option<u64>,
    /// The date the evidence compares dates to (`before_as_of` would hold).
    pub as_of: NaiveDate,
    /// Rows per chunk read.
    pub chunk_rows: usize,
}

/// Profiles a file pushed as bytes, in pieces of any size; [`Suggester::finish`] proposes the
/// contract.
pub struct Suggester {
    options: SuggestOptions,
    /// The first bytes, until the dialect is chosen.
    head: Vec<u8>,
    reader: Option<Reader>,
    profiles: Vec<ColumnProfile>,
    /// The header position of each profiled column.
    positions: Vec<usize>,
    /// Header columns not profiled, and why.
    skipped: Vec<String>,
    /// Profiled columns whose name the header repeats: optional, since a file whose header
    /// repeats a required column is rejected.
    repeated: Vec<String>,
    rows: u64,
    bytes: u64,
    /// The sample is full: nothing more is read.
    full: bool,
    email: regex::Regex,
}

struct Reader {
    decoding: Decoding,
    format: Format,
    /// How the dialect was chosen, for the notes.
    found: Vec<String>,
}

impl std::fmt::Debug for Suggester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suggester")
            .field("rows", &self.rows)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

/// A suggested contract, with what each part of it rests on.
#[derive(Debug)]
pub struct Suggestion {
    contract: Contract,
    proposals: Vec<Proposal>,
    notes: Vec<String>,
    rows: u64,
    sampled: bool,
}

impl Suggester {
    /// A suggester for one file.
    pub fn new(options: SuggestOptions) -> Result<Self> {
        let email = regex::Regex::new(crate::contract::EMAIL_PATTERN)
            .map_err(|source| Error::Regex { rule: "email".into(), source })?;
        Ok(Self {
            options,
            head: Vec::new(),
            reader: None,
            profiles: Vec::new(),
            positions: Vec::new(),
            skipped: Vec::new(),
            repeated: Vec::new(),
            rows: 0,
            bytes: 0,
            full: false,
            email,
        })
    }

    /// Whether the sample is full: the rest of the file need not be read.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Feeds the next bytes.
    pub fn push(&mut self, bytes: &[u8]) -> Result<()> {
        if self.full {
            return Ok(());
        }
        self.bytes += bytes.len() as u64;
        if self.reader.is_none() {
            self.head.extend_from_slice(bytes);
            if self.head.len() < SNIFF_BYTES {
                return Ok(());
            }
            let head = std::mem::take(&mut self.head);
            self.start(&head);
            return self.feed(&head, false);
        }
        self.feed(bytes, false)
    }

    /// Ends the file and proposes the contract.
    pub fn finish(mut self) -> Result<Suggestion> {
        if self.reader.is_none() {
            let head = std::mem::take(&mut self.head);
            self.start(&head);
            self.feed(&head, false)?;
        }
        if !self.full {
            self.feed(&[], true)?;
        }
        let reader = self.reader.take().ok_or_else(|| Error::Worker("the reader never started".into()))?;
        let Some(header) = reader.decoding.decoder().header().cloned() else {
            return Err(if self.bytes == 0 { Rejection::Empty } else { Rejection::NoHeader }.into());
        };
        self.bind(&header);
        self.propose(reader)
    }

    /// Chooses the dialect from the first bytes and opens the reader.
    fn start(&mut self, head: &[u8]) {
        let mut found = Vec::new();
        let encoding = self.options.encoding.unwrap_or_else(|| {
            let encoding = sniff_encoding(head);
            if encoding != Encoding::Utf8 {
                found.push(format!("encoding {}: found from the first bytes", encoding.name()));
            }
            encoding
        });
        let delimiter = self.options.delimiter.unwrap_or_else(|| {
            let delimiter = sniff_delimiter(&first_line(head, encoding));
            if delimiter != ',' {
                found.push(format!("delimiter {delimiter:?}: the most frequent of , ; tab | in the header"));
            }
            delimiter
        });
        let format = Format { delimiter, encoding, ..Format::default() };
        self.reader =
            Some(Reader { decoding: Decoding::new(&format, self.options.chunk_rows), format, found });
    }

    /// Reads bytes (or the end, when `last`) and profiles the chunks they complete.
    fn feed(&mut self, bytes: &[u8], last: bool) -> Result<()> {
        let Some(reader) = &mut self.reader else { return Ok(()) };
        let chunks = if last { reader.decoding.finish()? } else { reader.decoding.push(bytes)? };
        if let Some(header) = reader.decoding.decoder().header().cloned() {
            self.bind(&header);
        }
        for chunk in chunks {
            if self.full {
                break;
            }
            self.profile(chunk)?;
        }
        Ok(())
    }

    /// Sets up a profile for each header column sift can declare (once).
    fn bind(&mut self, header: &crate::csv::Header) {
        if !self.profiles.is_empty() || !self.skipped.is_empty() {
            return;
        }
        let mut names: Vec<String> = Vec::new();
        for (position, raw) in header.raw().iter().enumerate() {
            let name = raw.trim();
            if name.is_empty() {
                self.skipped.push(format!("header column {} has no name: not declared", position + 1));
            } else if let Some(first) = names.iter().position(|n| n.eq_ignore_ascii_case(name)) {
                self.skipped.push(format!(
                    "header column {} repeats `{name}` (column {}): only the first is declared, and \
                     optional (sift rejects a file whose header repeats a required column)",
                    position + 1,
                    self.positions[first] + 1
                ));
                self.repeated.push(names[first].clone());
            } else {
                names.push(name.to_owned());
                self.positions.push(position);
                self.profiles.push(ColumnProfile::new(name.to_owned()));
            }
        }
    }

    /// Profiles one chunk (cut at the sample's end), its columns in parallel.
    fn profile(&mut self, chunk: RawChunk) -> Result<()> {
        let mut frame = chunk.frame;
        if let Some(sample) = self.options.sample_rows {
            let room = sample.saturating_sub(self.rows);
            if (frame.height() as u64) >= room {
                frame = frame.slice(0, usize::try_from(room).unwrap_or(usize::MAX));
                self.full = true;
            }
        }
        let columns = self
            .positions
            .iter()
            .map(|&p| frame.column(column_name(p).as_str()).and_then(|c| c.str()))
            .collect::<polars::prelude::PolarsResult<Vec<_>>>()?;
        let (first_row, email) = (chunk.first_row, &self.email);
        self.profiles.par_iter_mut().zip(columns.par_iter()).for_each(|(profile, column)| {
            profile.observe(column, first_row, email);
        });
        self.rows += frame.height() as u64;
        // Past the key budget, the columns last in the header stop being followed first.
        let mut held: u64 = self.profiles.iter().map(ColumnProfile::keys_held).sum();
        for profile in self.profiles.iter_mut().rev() {
            if held <= KEY_BUDGET {
                break;
            }
            held -= profile.keys_held();
            profile.drop_keys();
        }
        Ok(())
    }

    /// The contract the profiles show.
    fn propose(self, reader: Reader) -> Result<Suggestion> {
        let mut proposals: Vec<Proposal> =
            self.profiles.iter().map(|p| propose::propose(p, self.rows, self.options.as_of)).collect();
        for proposal in proposals.iter_mut().filter(|p| self.repeated.contains(&p.column.name)) {
            proposal.column.required = false;
            proposal.candidate_key = false;
        }
        let mut notes = reader.found;
        notes.extend(self.skipped);
        // The key: a candidate read as integers first, else one named like an identifier.
        let candidates: Vec<&Proposal> = proposals.iter().filter(|p| p.candidate_key).collect();
        let named = |p: &&&Proposal| {
            let name = p.column.name.to_ascii_lowercase();
            name == "id"
                || name.ends_with("_id")
                || name.ends_with("id") && name.len() <= 4
                || name.ends_with("key")
        };
        let key = candidates.iter().find(|p| p.integer).or_else(|| candidates.iter().find(named));
        let key: Vec<String> = key.map(|p| p.column.name.clone()).into_iter().collect();
        match (key.first(), candidates.len()) {
            (Some(key), _) => notes.push(format!("table key `{key}`: never null and never repeated")),
            (None, 0) => notes.push("no table key: no column is both never null and never repeated".into()),
            (None, _) => notes.push(format!(
                "no table key: {} never null and never repeated, but none reads as an identifier",
                candidates.iter().map(|p| format!("`{}`", p.column.name)).collect::<Vec<_>>().join(", ")
            )),
        }
        let contract = Contract {
            name: self.options.name.clone(),
            table: Some(TableTarget {
                name: table_name(&self.options.name),
                key,
                on_conflict: Default::default(),
            }),
            columns: proposals.iter().map(|p| p.column.clone()).collect(),
            rules: proposals.iter().filter_map(|p| p.rule.clone()).collect(),
            format: reader.format,
            limits: Default::default(),
        };
        contract.check()?;
        Ok(Suggestion { contract, proposals, notes, rows: self.rows, sampled: self.full })
    }
}

impl Suggestion {
    /// The suggested contract (checked).
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// Rows profiled.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether only the first rows were profiled (`sample_rows`).
    pub fn sampled(&self) -> bool {
        self.sampled
    }
}

/// A table name from a dataset name: lower-case ASCII letters, digits and `_`.
fn table_name(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 't');
    }
    out
}

/// The encoding of a file from its first bytes: a byte-order mark says UTF-8 or UTF-16;
/// otherwise UTF-8 when they are (a character cut at the end aside), else Windows-1252.
fn sniff_encoding(head: &[u8]) -> Encoding {
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Encoding::Utf16;
    }
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        // A character cut by the end of the sample is no evidence.
        Err(e) if e.error_len().is_none() => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

/// The first line of the file, decoded.
fn first_line(head: &[u8], encoding: Encoding) -> String {
    let text = match encoding {
        Encoding::Utf16 => {
            let big = head.starts_with(&[0xFE, 0xFF]);
            let codec = if big { encoding_rs::UTF_16BE } else { encoding_rs::UTF_16LE };
            codec.decode_without_bom_handling(head.get(2..).unwrap_or_default()).0.into_owned()
        }
        Encoding::Utf8 => String::from_utf8_lossy(head).into_owned(),
        Encoding::Windows1252 | Encoding::Latin1 => encoding_rs::WINDOWS_1252.decode(head).0.into_owned(),
    };
    text.lines().next().unwrap_or_default().to_owned()
}

/// The delimiter of a header line: the most frequent of `,` `;` tab `|` outside quotes (`,`
/// on a tie or when none is there).
fn sniff_delimiter(line: &str) -> char {
    let candidates = [',', ';', '\t', '|'];
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for c in line.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = candidates.iter().position(|d| *d == c) {
            counts[i] += 1;
        }
    }
    let best = (0..4).max_by_key(|&i| (counts[i], std::cmp::Reverse(i))).unwrap_or(0);
    if counts[best] == 0 { ',' } else { candidates[best] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialect_is_found_from_the_first_bytes() {
        assert_eq!(sniff_delimiter("a;b;c"), ';');
        assert_eq!(sniff_delimiter("a\tb|c\td"), '\t');
        assert_eq!(sniff_delimiter("\"a;b\",c"), ',');
        assert_eq!(sniff_delimiter("single"), ',');
        assert_eq!(sniff_encoding(b"a,b\n\xc3\xa9"), Encoding::Utf8);
        assert_eq!(sniff_encoding(b"a,b\n\xc3"), Encoding::Utf8, "a character cut at the end");
        assert_eq!(sniff_encoding(b"a,b\n\xe9t\xe9"), Encoding::Windows1252);
        assert_eq!(sniff_encoding(b"\xff\xfea\x00"), Encoding::Utf16);
        assert_eq!(first_line(b"\xff\xfea\x00;\x00b\x00\n\x00", Encoding::Utf16), "a;b");
        assert_eq!(table_name("Customer Orders-2026"), "customer_orders_2026");
        assert_eq!(table_name("2026"), "t2026");
    }
}
