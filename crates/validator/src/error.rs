//! The validator's error type.

use std::fmt;

/// Why a whole file is refused. Nothing of a rejected file is loaded or written as invalid
/// records; the summary and the report carry this reason in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The object has no bytes at all.
    Empty,
    /// The object has bytes but no header line (only blank lines or a byte-order mark).
    NoHeader,
    /// Required columns are absent from the header.
    MissingColumns {
        /// The missing required column names, in rule-set order.
        columns: Vec<String>,
    },
    /// Header columns the contract does not declare, under `[format] extra_columns = "reject"`.
    ExtraColumns {
        /// The header names, as written, in header order.
        columns: Vec<String>,
    },
    /// Two header names normalise to the same required column.
    DuplicateColumn {
        /// The required column name both normalise to.
        column: String,
        /// 1-based positions of the clashing header fields.
        positions: (usize, usize),
    },
    /// A byte sequence that is not UTF-8.
    InvalidUtf8 {
        /// 1-based physical line of the offending byte.
        line: u64,
    },
    /// A byte sequence that is not valid in the contract's declared encoding.
    InvalidEncoding {
        /// The declared encoding (`UTF-16`, ...).
        encoding: &'static str,
        /// 1-based physical line of the offending byte.
        line: u64,
    },
    /// The declared encoding needs a byte-order mark (UTF-16) and the file does not start
    /// with one.
    MissingByteOrderMark {
        /// The declared encoding.
        encoding: &'static str,
    },
    /// A quoted field is still open at the end of the file.
    UnterminatedQuote {
        /// 1-based physical line where the quoted field starts.
        line: u64,
    },
    /// A row has more fields than the header (a trailing comma counts as a field).
    TooManyFields {
        /// 1-based physical line where the row starts.
        line: u64,
        /// Fields found on the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A value is longer than the contract's `[format] max_field_bytes`.
    FieldTooLong {
        /// 1-based physical line where the value starts.
        line: u64,
        /// The limit, in bytes.
        max: u64,
    },
    /// A record is longer than the contract's `[format] max_record_bytes`.
    RecordTooLong {
        /// 1-based physical line where the record starts.
        line: u64,
        /// The limit, in bytes.
        max: u64,
    },
    /// The header has more columns than the contract's `[format] max_columns`.
    TooManyColumns {
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Empty => write!(f, "the file is empty (0 bytes); upload the complete export"),
            Rejection::NoHeader => write!(
                f,
                "the file has no header line (only blank lines); the first line must name the columns"
            ),
            Rejection::ExtraColumns { columns } => write!(
                f,
                "the header has column{} the contract does not declare: {} (its [format] extra_columns = \"reject\"); \
                 declare {} in the contract, or fix the file",
                if columns.len() == 1 { "" } else { "s" },
                columns.join(", "),
                if columns.len() == 1 { "it" } else { "them" }
            ),
            Rejection::MissingColumns { columns } => write!(
                f,
                "missing required column{} {}; add {} to the header (names match ignoring case and surrounding spaces)",
                if columns.len() == 1 { "" } else { "s" },
                columns.join(", "),
                if columns.len() == 1 { "it" } else { "them" },
            ),
            Rejection::DuplicateColumn { column, positions } => write!(
                f,
                "header fields {} and {} both name the required column `{column}`; keep only one of them",
                positions.0, positions.1
            ),
            Rejection::InvalidUtf8 { line } => {
                write!(f, "line {line} is not valid UTF-8; re-export the file as UTF-8")
            }
            Rejection::InvalidEncoding { encoding, line } => write!(
                f,
                "line {line} is not valid {encoding} (the contract's [format] encoding); re-export the file in {encoding} or fix the encoding"
            ),
            Rejection::MissingByteOrderMark { encoding } => write!(
                f,
                "the file does not start with a byte-order mark, which {encoding} (the contract's [format] encoding) needs to tell its byte order"
            ),
            Rejection::UnterminatedQuote { line } => write!(
                f,
                "the quoted field starting on line {line} is never closed; the file is truncated or a quote is unbalanced"
            ),
            Rejection::TooManyFields { line, found, expected } => write!(
                f,
                "line {line} has {found} fields but the header has {expected} (a trailing comma counts as a field); fix the row or the header"
            ),
            Rejection::FieldTooLong { line, max } => write!(
                f,
                "line {line}: a value is longer than max_field_bytes = {max} bytes (a missing line end or quote makes one endless value); fix the file, or raise [format] max_field_bytes in the contract"
            ),
            Rejection::RecordTooLong { line, max } => write!(
                f,
                "line {line}: the record is longer than max_record_bytes = {max} bytes; fix the file, or raise [format] max_record_bytes in the contract"
            ),
            Rejection::TooManyColumns { max } => write!(
                f,
                "line 1: the header has more than max_columns = {max} columns; fix the file, or raise [format] max_columns in the contract"
            ),
        }
    }
}

/// Everything that can go wrong in the validator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input file is refused as a whole; see [`Rejection`].
    #[error("file rejected: {0}")]
    Rejected(Rejection),
    /// A contract is inconsistent (unknown column, bad regex, empty range, two type-proving
    /// checks on one column...).
    #[error("invalid contract: {0}")]
    Contract(String),
    /// A contract file is not valid TOML or does not match the contract's format (an unknown
    /// field, a missing one).
    #[error("cannot read the contract")]
    ContractToml(#[source] toml::de::Error),
    /// A regular expression in a contract does not compile.
    #[error("rule `{rule}`: the pattern does not compile")]
    Regex {
        /// The rule id.
        rule: String,
        /// What the regex engine said.
        #[source]
        source: regex::Error,
    },
    /// polars failed while evaluating the rules; this is a bug in sift, please report it.
    #[error("evaluating the rules failed (a bug in sift, please report it)")]
    Polars(#[from] polars::error::PolarsError),
    /// The file's validating thread could not start or stopped answering.
    #[error("the validating thread failed: {0}")]
    Worker(String),
    /// The sink of the valid rows ([`crate::FileValidator::with_rows_to`]) took no more: the
    /// load it feeds has ended.
    #[error("the valid rows' receiver has ended")]
    RowsRefused,
}

impl Error {
    /// The file-level rejection, when this error is one.
    pub fn rejection(&self) -> Option<&Rejection> {
        match self {
            Error::Rejected(r) => Some(r),
            _ => None,
        }
    }
}

impl From<Rejection> for Error {
    fn from(r: Rejection) -> Self {
        Error::Rejected(r)
    }
}

/// The validator's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
