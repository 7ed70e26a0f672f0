//! Streaming RFC 4180 reader that turns bytes into columnar chunks of raw text, and the writer
//! for the invalid-records file.
//!
//! The reader is push-based: feed it byte slices of any size (a chunk boundary may fall inside
//! a field, a CRLF pair or a multi-byte character) and it hands back [`RawChunk`]s of up to
//! `chunk_rows` rows. It enforces the file-level rules of SPEC section 2 itself, because they
//! need exact line numbers and must hold even for the last byte of the file:
//! invalid UTF-8, an unterminated quote and a row with more fields than the header reject the
//! file. Everything else is read leniently, the way common CSV readers do: a quote inside an
//! unquoted field is literal, text after a closing quote is appended to the field, a lone CR
//! ends a line like LF or CRLF.

use polars::prelude::{Column, DataFrame, IntoColumn, PlSmallStr, StringChunkedBuilder};

use crate::error::{Rejection, Result};

/// The delimiter and quote of a CSV dialect (both ASCII; a contract's `[format]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Between fields.
    pub delimiter: u8,
    /// Around fields.
    pub quote: u8,
}

impl Default for Dialect {
    /// RFC 4180: `,` and `"`.
    fn default() -> Self {
        Self { delimiter: b',', quote: b'"' }
    }
}

/// Default rows per chunk: large enough that polars works on long columns, small enough that
/// memory stays bounded.
pub const DEFAULT_CHUNK_ROWS: usize = 64 * 1024;

/// Most cells (rows times header columns) in one chunk: a wide file gets fewer rows per chunk,
/// so the columns' buffers stay the same size whatever the header's width (six columns keep
/// [`DEFAULT_CHUNK_ROWS`]; 10,000 get 104 rows).
const CHUNK_CELLS: usize = 1 << 20;

/// Most bytes of values in one chunk before it is handed on, whatever its rows: long records
/// make short chunks, so a chunk's memory is bounded by this plus one record.
const CHUNK_BYTES: usize = 16 << 20;

/// What one file may hold, so that reading it takes bounded memory whatever its bytes: crossing
/// a limit rejects the file, naming the line and the limit (a contract's `[format]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputLimits {
    /// Bytes of one value (quotes and escapes not counted).
    pub max_field_bytes: u64,
    /// Bytes of one record: its values plus one per delimiter.
    pub max_record_bytes: u64,
    /// Columns in the header.
    pub max_columns: usize,
}

impl InputLimits {
    /// 1 MiB per value (Excel holds 32,767 characters in a cell; PostgreSQL 1 GB in a text).
    pub const DEFAULT_MAX_FIELD_BYTES: u64 = 1 << 20;
    /// 16 MiB per record.
    pub const DEFAULT_MAX_RECORD_BYTES: u64 = 16 << 20;
    /// 16,384 columns, Excel's width.
    pub const DEFAULT_MAX_COLUMNS: usize = 16_384;

    /// Bytes the first field of a record may take before a limit is crossed.
    fn first_field_room(&self) -> usize {
        usize::try_from(self.max_field_bytes.min(self.max_record_bytes)).unwrap_or(usize::MAX)
    }
}

impl Default for InputLimits {
    fn default() -> Self {
        Self {
            max_field_bytes: Self::DEFAULT_MAX_FIELD_BYTES,
            max_record_bytes: Self::DEFAULT_MAX_RECORD_BYTES,
            max_columns: Self::DEFAULT_MAX_COLUMNS,
        }
    }
}

/// The header line of a file: the names as written and their normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    raw: Vec<String>,
    /// Positions of the columns by normalised name, in header order: one lookup per contract
    /// column, whatever the header's width.
    positions: std::collections::HashMap<String, Vec<usize>>,
}

impl Header {
    /// Builds a header from the names as written in the file.
    pub fn new(raw: Vec<String>) -> Self {
        let mut positions: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::with_capacity(raw.len());
        for (i, name) in raw.iter().enumerate() {
            positions.entry(normalise(name)).or_default().push(i);
        }
        Self { raw, positions }
    }

    /// The header names as written in the file (byte-order mark removed).
    pub fn raw(&self) -> &[String] {
        &self.raw
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// True when the header has no column (never the case for a decoded file).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Positions of every column whose name normalises to `name` (trimmed, ASCII case ignored).
    pub fn find_all(&self, name: &str) -> &[usize] {
        self.positions.get(&normalise(name)).map_or(&[], Vec::as_slice)
    }
}

/// Header-name normalisation of SPEC section 2: trim whitespace, ignore ASCII case.
pub(crate) fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// The polars column name used for the file's column at `index`. Columns are named by
/// position because a file may repeat a (non-required) header name, which a DataFrame forbids.
pub fn column_name(index: usize) -> PlSmallStr {
    PlSmallStr::from(format!("c{index}"))
}

/// A run of consecutive data rows, columnar, every value raw (untrimmed) text. A field the row
/// did not have is null; a present but empty field is the empty string.
#[derive(Debug, Clone)]
pub struct RawChunk {
    /// 1-based data-row number of the first row (the header is not a row; blank lines are not rows).
    pub first_row: u64,
    /// One String column per header column, named by [`column_name`].
    pub frame: DataFrame,
}

impl RawChunk {
    /// Rows in the chunk.
    pub fn height(&self) -> usize {
        self.frame.height()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (nothing of it read yet).
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Inside a quoted field, just after a quote: either an escaped quote or the closing one.
    QuotedQuote,
}

/// The push-based CSV reader. See the module docs for the grammar.
pub struct CsvDecoder {
    chunk_rows: usize,
    limits: InputLimits,
    /// `record.len()` past which the current field is over `max_field_bytes` or the record
    /// over `max_record_bytes`.
    field_limit_at: usize,
    /// Fields of the current record past the header's, counted and not kept.
    extra_fields: usize,
    delimiter: u8,
    quote: u8,
    state: State,
    /// A CR ended the last record; an LF right after it belongs to the same line end.
    after_cr: bool,
    /// Bytes of the current record's fields, back to back.
    record: Vec<u8>,
    /// End offsets (into `record`) of the finished fields of the current record.
    ends: Vec<usize>,
    /// Physical line each finished field of the current record starts on.
    field_lines: Vec<u64>,
    /// True when the current record's only field so far was quoted (a quoted empty line is a row).
    any_quoted: bool,
    /// Something of the current record has been read.
    in_record: bool,
    /// 1-based physical line of the next byte.
    line: u64,
    /// Line the current record starts on.
    record_line: u64,
    /// Line the current field starts on.
    field_line: u64,
    /// Bytes seen so far, the byte-order mark included.
    bytes_seen: u64,
    /// Up to three leading bytes held back until we know whether they are a byte-order mark.
    prefix: Vec<u8>,
    prefix_done: bool,
    header: Option<Header>,
    builders: Vec<StringChunkedBuilder>,
    rows_in_chunk: usize,
    /// Bytes of the values in the chunk being built.
    bytes_in_chunk: usize,
    rows_total: u64,
    ready: Vec<RawChunk>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl std::fmt::Debug for CsvDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvDecoder")
            .field("chunk_rows", &self.chunk_rows)
            .field("line", &self.line)
            .field("rows_total", &self.rows_total)
            .field("bytes_seen", &self.bytes_seen)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl Default for CsvDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_CHUNK_ROWS)
    }
}

impl CsvDecoder {
    /// A reader that emits chunks of at most `chunk_rows` rows (at least 1).
    pub fn new(chunk_rows: usize) -> Self {
        Self::with_dialect(chunk_rows, Dialect::default())
    }

    /// A reader of `dialect` that emits chunks of at most `chunk_rows` rows (at least 1).
    pub fn with_dialect(chunk_rows: usize, dialect: Dialect) -> Self {
        Self::with_limits(chunk_rows, dialect, InputLimits::default())
    }

    /// A reader of `dialect` within `limits` that emits chunks of at most `chunk_rows` rows
    /// (at least 1; fewer for a wide header or long records).
    pub fn with_limits(chunk_rows: usize, dialect: Dialect, limits: InputLimits) -> Self {
        Self {
            chunk_rows: chunk_rows.max(1),
            limits,
            field_limit_at: limits.first_field_room(),
            extra_fields: 0,
            delimiter: dialect.delimiter,
            quote: dialect.quote,
            state: State::FieldStart,
            after_cr: false,
            record: Vec::with_capacity(256),
            ends: Vec::with_capacity(16),
            field_lines: Vec::with_capacity(16),
            any_quoted: false,
            in_record: false,
            line: 1,
            record_line: 1,
            field_line: 1,
            bytes_seen: 0,
            prefix: Vec::with_capacity(3),
            prefix_done: false,
            header: None,
            builders: Vec::new(),
            rows_in_chunk: 0,
            bytes_in_chunk: 0,
            rows_total: 0,
            ready: Vec::new(),
        }
    }

    /// The header, once its line has been read.
    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// Data rows decoded so far.
    pub fn rows(&self) -> u64 {
        self.rows_total
    }

    /// Bytes consumed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes_seen
    }

    /// Feeds the next bytes of the file; returns the chunks completed by them (often none).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<RawChunk>> {
        self.bytes_seen += bytes.len() as u64;
        if self.prefix_done {
            self.consume(bytes)?;
        } else {
            let take = (3 - self.prefix.len()).min(bytes.len());
            self.prefix.extend_from_slice(&bytes[..take]);
            if self.prefix.len() == 3 {
                self.release_prefix()?;
                self.consume(&bytes[take..])?;
            }
        }
        Ok(std::mem::take(&mut self.ready))
    }

    /// Ends the file: checks what only the end can tell (an open quote, a missing header) and
    /// returns the last chunks. The header is available through [`CsvDecoder::header`].
    pub fn finish(&mut self) -> Result<Vec<RawChunk>> {
        if !self.prefix_done {
            self.release_prefix()?;
        }
        match self.state {
            State::Quoted => {
                return Err(Rejection::UnterminatedQuote { line: self.field_line }.into());
            }
            _ if self.in_record => {
                self.end_field()?;
                self.end_record()?;
            }
            _ => {}
        }
        if self.header.is_none() {
            return Err(if self.bytes_seen == 0 { Rejection::Empty } else { Rejection::NoHeader }.into());
        }
        self.flush_chunk();
        Ok(std::mem::take(&mut self.ready))
    }

    fn release_prefix(&mut self) -> Result<()> {
        self.prefix_done = true;
        let prefix = std::mem::take(&mut self.prefix);
        if prefix.as_slice() == BOM { Ok(()) } else { self.consume(&prefix) }
    }

    fn consume(&mut self, mut bytes: &[u8]) -> Result<()> {
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
        }
        let (delimiter, quote) = (self.delimiter, self.quote);
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::FieldStart | State::Unquoted => {
                    if self.state == State::FieldStart {
                        if !self.in_record {
                            self.in_record = true;
                            self.record_line = self.line;
                        }
                        self.field_line = self.line;
                        if bytes[i] == quote {
                            self.state = State::Quoted;
                            self.any_quoted = true;
                            i += 1;
                            continue;
                        }
                        self.state = State::Unquoted;
                    }
                    // Copy up to the next delimiter or line end in one go.
                    let rest = &bytes[i..];
                    match memchr::memchr3(delimiter, b'\n', b'\r', rest) {
                        None => {
                            self.record.extend_from_slice(rest);
                            i = bytes.len();
                        }
                        Some(at) => {
                            self.record.extend_from_slice(&rest[..at]);
                            i += at + 1;
                            match rest[at] {
                                b'\n' => self.end_line(false)?,
                                b'\r' => {
                                    self.end_line(true)?;
                                    if i < bytes.len() {
                                        self.after_cr = false;
                                        if bytes[i] == b'\n' {
                                            i += 1;
                                        }
                                    }
                                }
                                // The delimiter.
                                _ => {
                                    self.end_field()?;
                                    self.state = State::FieldStart;
                                }
                            }
                        }
                    }
                }
                State::Quoted => {
                    let rest = &bytes[i..];
                    match memchr::memchr2(quote, b'\n', rest) {
                        None => {
                            self.record.extend_from_slice(rest);
                            i = bytes.len();
                        }
                        Some(at) => {
                            self.record.extend_from_slice(&rest[..at]);
                            i += at + 1;
                            if rest[at] == b'\n' {
                                self.record.push(b'\n');
                                self.line += 1;
                            } else {
                                self.state = State::QuotedQuote;
                            }
                        }
                    }
                }
                State::QuotedQuote => {
                    let b = bytes[i];
                    i += 1;
                    match b {
                        b if b == quote => {
                            self.record.push(quote);
                            self.state = State::Quoted;
                        }
                        b if b == delimiter => {
                            self.end_field()?;
                            self.state = State::FieldStart;
                        }
                        b'\n' => self.end_line(false)?,
                        b'\r' => {
                            self.end_line(true)?;
                            if i < bytes.len() {
                                self.after_cr = false;
                                if bytes[i] == b'\n' {
                                    i += 1;
                                }
                            }
                        }
                        other => {
                            // Text after a closing quote: kept, as common readers do.
                            self.record.push(other);
                            self.state = State::Unquoted;
                        }
                    }
                }
            }
            // The record grows by at most the rest of this piece before the check: memory stays
            // within the limits plus one piece.
            if self.record.len() > self.field_limit_at {
                return Err(self.over_limit());
            }
        }
        Ok(())
    }

    /// The rejection for a record over `max_field_bytes` or `max_record_bytes`.
    fn over_limit(&self) -> crate::error::Error {
        let field_start = self.ends.last().copied().unwrap_or(0);
        let field = (self.record.len() - field_start) as u64;
        if field > self.limits.max_field_bytes {
            Rejection::FieldTooLong { line: self.field_line, max: self.limits.max_field_bytes }.into()
        } else {
            Rejection::RecordTooLong { line: self.record_line, max: self.limits.max_record_bytes }.into()
        }
    }

    fn end_field(&mut self) -> Result<()> {
        if self.record.len() > self.field_limit_at {
            return Err(self.over_limit());
        }
        match &self.header {
            // Fields past the header's are only counted (the row is rejected at its end, with
            // the count): a line of delimiters alone never piles up field ends.
            Some(header) if self.ends.len() == header.len() => self.extra_fields += 1,
            None if self.ends.len() == self.limits.max_columns => {
                return Err(Rejection::TooManyColumns { max: self.limits.max_columns }.into());
            }
            _ => {
                self.ends.push(self.record.len());
                self.field_lines.push(self.field_line);
            }
        }
        let fields = self.ends.len() + self.extra_fields;
        // The next field may reach `max_field_bytes` unless the record would pass
        // `max_record_bytes` first (a delimiter counts as a byte of the record).
        let record_bytes = self.record.len() as u64 + fields as u64;
        let record_room = self.limits.max_record_bytes.saturating_sub(record_bytes);
        let room = self.limits.max_field_bytes.min(record_room);
        self.field_limit_at = self.record.len().saturating_add(usize::try_from(room).unwrap_or(usize::MAX));
        if record_bytes > self.limits.max_record_bytes {
            return Err(Rejection::RecordTooLong {
                line: self.record_line,
                max: self.limits.max_record_bytes,
            }
            .into());
        }
        Ok(())
    }

    /// A line end outside quotes: the record is complete.
    fn end_line(&mut self, cr: bool) -> Result<()> {
        if !self.in_record {
            // An empty line: nothing was read since the last record.
            self.record_line = self.line;
            self.field_line = self.line;
            self.in_record = true;
        }
        self.end_field()?;
        self.end_record()?;
        self.line += 1;
        self.after_cr = cr;
        self.state = State::FieldStart;
        Ok(())
    }

    fn end_record(&mut self) -> Result<()> {
        let result = self.take_record();
        self.record.clear();
        self.ends.clear();
        self.field_lines.clear();
        self.any_quoted = false;
        self.in_record = false;
        self.extra_fields = 0;
        self.field_limit_at = self.limits.first_field_room();
        result
    }

    fn is_blank(&self) -> bool {
        self.ends.len() == 1
            && self.extra_fields == 0
            && !self.any_quoted
            && self.record.iter().all(|b| matches!(b, b' ' | b'\t'))
    }

    fn take_record(&mut self) -> Result<()> {
        if self.is_blank() {
            return Ok(());
        }
        if self.header.is_none() {
            let mut names = Vec::with_capacity(self.ends.len());
            for f in 0..self.ends.len() {
                names.push(self.field_str(f)?.to_owned());
            }
            // A wide header gets fewer rows per chunk: the same cells, the same memory.
            self.chunk_rows = self.chunk_rows.min((CHUNK_CELLS / names.len().max(1)).max(1));
            self.builders = (0..names.len())
                .map(|i| StringChunkedBuilder::new(column_name(i), self.chunk_rows))
                .collect();
            self.header = Some(Header::new(names));
            return Ok(());
        }
        let found = self.ends.len();
        if self.extra_fields > 0 {
            let expected = found;
            let found = found + self.extra_fields;
            return Err(Rejection::TooManyFields { line: self.record_line, found, expected }.into());
        }
        // One UTF-8 pass over the whole record; fields must also start and end on character
        // boundaries. Checked before appending anything, so a chunk never holds half a row.
        let Self { record, ends, field_lines, builders, .. } = &mut *self;
        let text = match std::str::from_utf8(record) {
            Ok(text) if ends.iter().all(|&end| text.is_char_boundary(end)) => text,
            _ => return Err(first_invalid_field(record, ends, field_lines)),
        };
        let mut start = 0;
        for (builder, &end) in builders.iter_mut().zip(ends.iter()) {
            builder.append_value(&text[start..end]);
            start = end;
        }
        for builder in &mut self.builders[found..] {
            builder.append_null();
        }
        self.rows_in_chunk += 1;
        self.rows_total += 1;
        self.bytes_in_chunk += self.record.len();
        if self.rows_in_chunk == self.chunk_rows || self.bytes_in_chunk >= CHUNK_BYTES {
            self.flush_chunk();
        }
        Ok(())
    }

    /// Field `f` of the current record as text, or the file-level UTF-8 rejection naming the
    /// physical line of the first bad byte.
    fn field_str(&self, f: usize) -> Result<&str> {
        let start = if f == 0 { 0 } else { self.ends[f - 1] };
        let bytes = &self.record[start..self.ends[f]];
        std::str::from_utf8(bytes).map_err(|e| invalid_utf8(bytes, e, self.field_lines[f]))
    }

    fn flush_chunk(&mut self) {
        let Some(header) = &self.header else { return };
        if self.rows_in_chunk == 0 {
            return;
        }
        let capacity = self.chunk_rows;
        let columns: Vec<Column> = self
            .builders
            .iter_mut()
            .enumerate()
            .map(|(i, b)| {
                std::mem::replace(b, StringChunkedBuilder::new(column_name(i), capacity))
                    .finish()
                    .into_column()
            })
            .collect();
        debug_assert_eq!(columns.len(), header.len());
        let height = self.rows_in_chunk;
        let first_row = self.rows_total - height as u64 + 1;
        // Columns all have `height` rows by construction.
        let frame = DataFrame::new(height, columns).unwrap_or_else(|_| DataFrame::empty());
        self.ready.push(RawChunk { first_row, frame });
        self.rows_in_chunk = 0;
        self.bytes_in_chunk = 0;
    }
}

/// The UTF-8 rejection for a field's bytes, naming the physical line of the first bad byte.
fn invalid_utf8(bytes: &[u8], error: std::str::Utf8Error, field_line: u64) -> crate::error::Error {
    let before = &bytes[..error.valid_up_to()];
    let line = field_line + memchr::memchr_iter(b'\n', before).count() as u64;
    Rejection::InvalidUtf8 { line }.into()
}

/// The rejection for the first field of a record that is not UTF-8 on its own.
fn first_invalid_field(record: &[u8], ends: &[usize], field_lines: &[u64]) -> crate::error::Error {
    let mut start = 0;
    for (&end, &line) in ends.iter().zip(field_lines) {
        if let Err(e) = std::str::from_utf8(&record[start..end]) {
            return invalid_utf8(&record[start..end], e, line);
        }
        start = end;
    }
    // Unreachable: a record of valid fields is valid as a whole.
    Rejection::InvalidUtf8 { line: field_lines.first().copied().unwrap_or(1) }.into()
}

/// Writes `value` as one field of `dialect`: quoted when it holds the delimiter, the quote or a
/// line break, or starts with U+FEFF (unquoted at the start of a file, a reader takes it for a
/// byte-order mark and drops it).
pub(crate) fn write_field(out: &mut Vec<u8>, value: &str, dialect: Dialect) {
    let Dialect { delimiter, quote } = dialect;
    let special = |b: u8| b == delimiter || b == quote || b == b'\n' || b == b'\r';
    if value.starts_with('\u{feff}') || value.bytes().any(special) {
        out.push(quote);
        for &b in value.as_bytes() {
            out.push(b);
            if b == quote {
                out.push(quote);
            }
        }
        out.push(quote);
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

/// Writes one record of `dialect` (LF line end).
pub(crate) fn write_record<'a>(
    out: &mut Vec<u8>,
    fields: impl IntoIterator<Item = &'a str>,
    dialect: Dialect,
) {
    for (i, field) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(dialect.delimiter);
        }
        write_field(out, field, dialect);
    }
    out.push(b'\n');
}
