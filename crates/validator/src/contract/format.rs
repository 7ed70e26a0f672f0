//! A file's dialect as the contract gives it: delimiter, quote, encoding, input limits.

use serde::{Deserialize, Serialize};

use crate::csv::InputLimits;

/// The `[format]` section: how a dataset's files are written. The invalid-records file is
/// written with the same delimiter and quote, in UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Format {
    /// Between fields: `,` (the default), `;`, a tab or `|`.
    #[serde(default = "default_delimiter")]
    pub delimiter: char,
    /// Around a field that holds a delimiter, a quote or a line break: `"` (the default) or `'`.
    #[serde(default = "default_quote")]
    pub quote: char,
    /// The text encoding.
    #[serde(default)]
    pub encoding: Encoding,
    /// Most bytes of one value; a longer one rejects the file (memory stays bounded whatever
    /// the file holds, an endless line included).
    #[serde(default = "default_max_field_bytes", skip_serializing_if = "is_default_max_field_bytes")]
    pub max_field_bytes: u64,
    /// Most bytes of one record (values plus delimiters); a longer one rejects the file.
    #[serde(default = "default_max_record_bytes", skip_serializing_if = "is_default_max_record_bytes")]
    pub max_record_bytes: u64,
    /// Most columns in the header; a wider one rejects the file.
    #[serde(default = "default_max_columns", skip_serializing_if = "is_default_max_columns")]
    pub max_columns: usize,
    /// What a header column the contract does not declare does: ignored (the default), or the
    /// file rejected, so that a producer's added or renamed column stops the load on purpose.
    #[serde(default, skip_serializing_if = "ExtraColumns::is_default")]
    pub extra_columns: ExtraColumns,
}

/// `[format] extra_columns`: header drift as policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtraColumns {
    /// Columns the contract does not declare are read past and kept in the invalid records.
    #[default]
    Ignore,
    /// A column the contract does not declare rejects the file, naming it.
    Reject,
}

impl ExtraColumns {
    fn is_default(&self) -> bool {
        *self == Self::Ignore
    }
}

fn default_delimiter() -> char {
    ','
}

fn default_quote() -> char {
    '"'
}

fn default_max_field_bytes() -> u64 {
    InputLimits::DEFAULT_MAX_FIELD_BYTES
}

fn default_max_record_bytes() -> u64 {
    InputLimits::DEFAULT_MAX_RECORD_BYTES
}

fn default_max_columns() -> usize {
    InputLimits::DEFAULT_MAX_COLUMNS
}

fn is_default_max_field_bytes(n: &u64) -> bool {
    *n == InputLimits::DEFAULT_MAX_FIELD_BYTES
}

fn is_default_max_record_bytes(n: &u64) -> bool {
    *n == InputLimits::DEFAULT_MAX_RECORD_BYTES
}

fn is_default_max_columns(n: &usize) -> bool {
    *n == InputLimits::DEFAULT_MAX_COLUMNS
}

impl Default for Format {
    fn default() -> Self {
        let limits = InputLimits::default();
        Self {
            delimiter: default_delimiter(),
            quote: default_quote(),
            encoding: Encoding::default(),
            max_field_bytes: limits.max_field_bytes,
            max_record_bytes: limits.max_record_bytes,
            max_columns: limits.max_columns,
            extra_columns: ExtraColumns::Ignore,
        }
    }
}

impl Format {
    /// RFC 4180 in UTF-8.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// The delimiter and quote as the CSV reader and writer take them.
    pub fn dialect(&self) -> crate::csv::Dialect {
        // `check` allows ASCII characters only; anything else falls back to the default.
        let byte = |c: char, default: u8| u8::try_from(c).ok().filter(u8::is_ascii).unwrap_or(default);
        crate::csv::Dialect { delimiter: byte(self.delimiter, b','), quote: byte(self.quote, b'"') }
    }

    /// The bounds the CSV reader enforces.
    pub fn input_limits(&self) -> InputLimits {
        InputLimits {
            max_field_bytes: self.max_field_bytes,
            max_record_bytes: self.max_record_bytes,
            max_columns: self.max_columns,
        }
    }
}

/// A source text encoding; the file is converted to UTF-8 as it streams in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// UTF-8 (a leading byte-order mark is dropped).
    #[default]
    #[serde(rename = "utf-8", alias = "utf8", alias = "UTF-8")]
    Utf8,
    /// UTF-16, little- or big-endian as its byte-order mark says (the mark is required).
    #[serde(rename = "utf-16", alias = "utf16", alias = "UTF-16")]
    Utf16,
    /// Windows-1252 (the WHATWG mapping: 0x80 is the euro sign).
    #[serde(rename = "windows-1252", alias = "cp1252")]
    Windows1252,
    /// ISO 8859-1: each byte is the code point of the same number.
    #[serde(rename = "latin-1", alias = "latin1", alias = "iso-8859-1")]
    Latin1,
}

impl Encoding {
    /// The encoding's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf16 => "UTF-16",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::Latin1 => "ISO 8859-1",
        }
    }
}
