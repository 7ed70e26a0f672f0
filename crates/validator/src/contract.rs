//! Contracts: a dataset's columns, the checks on them, and the table their valid rows load.
//!
//! A [`Contract`] names the columns a file must (or may) have, the checks it runs in the order
//! their failure ids are reported, and optionally the target table (SPEC section 7). It is data:
//! built in Rust or read from TOML ([`Contract::from_toml`]); the customer contract of SPEC
//! section 3 (`contracts/customer.toml`) is one instance.
//!
//! ```toml
//! name = "orders"
//!
//! [table]
//! name = "sales.fact_order"
//! key = ["order_id", "line_no"]
//!
//! [[columns]]
//! name = "order_id"
//!
//! [[columns]]
//! name = "note"
//! required = false             # loaded as NULL when absent or empty, never checked
//!
//! [[rules]]
//! id = "order_id"
//! check = "integer"
//! column = "order_id"
//! min = 1
//! max = 9223372036854775807
//! ```
//!
//! A loaded column's type is the type its check proves ([`Contract::table`]): `integer` gives
//! the smallest integer type of its range, `decimal` a decimal, `boolean`, `date` and
//! `timestamp` their own, anything else text.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sift_model::{ColumnType, Decimal, TableColumn, TableSpec};

use crate::csv::InputLimits;
use crate::error::{Error, Result};

/// A dataset's columns and checks, and the table its valid rows load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// The dataset's name, for logs, reports and the summary's `dataset`.
    pub name: String,
    /// Where valid rows load; `None` validates only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<TableTarget>,
    /// The columns, in `not_null:<column>` order.
    pub columns: Vec<ColumnSpec>,
    /// The checks, in the order their failure ids are reported (after every `not_null` id).
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// How the files are written: delimiter, quote and encoding (`[format]`; RFC 4180 in
    /// UTF-8 when left out).
    #[serde(default, skip_serializing_if = "Format::is_default")]
    pub format: Format,
    /// When a file is held instead of loaded (`[limits]`; never when left out).
    #[serde(default, skip_serializing_if = "Limits::is_default")]
    pub limits: Limits,
}

/// The failure id of a loaded text value holding a NUL byte ([`Contract::failure_ids`]).
pub const NUL_BYTE: &str = "nul_byte";

/// The `[limits]` section: the share of bad rows past which a file is *held*: nothing of it is
/// loaded, its invalid records are still written, and its run ends rejected (`file held:`).
/// A rule's own limit is its `max_failure_pct`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Most invalid rows a file may have, in percent of its rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_invalid_pct: Option<f64>,
    /// Most rows failing a failure id, in percent, for ids that are not rules
    /// (`"not_null:email" = 1`); a rule's own limit is its `max_failure_pct`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub max_failure_pct: std::collections::BTreeMap<String, f64>,
}

impl Limits {
    /// No limit.
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// What held a file: the limit, its value and the measured share.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    /// The limit: `max_invalid_pct`, or a rule's `max_failure_pct`.
    pub limit: HoldLimit,
    /// The limit's value, in percent.
    pub max_pct: f64,
    /// The rows over it (invalid rows, or rows failing or warning on the rule).
    pub rows: u64,
    /// The file's rows.
    pub total: u64,
}

/// Which limit held a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldLimit {
    /// `[limits] max_invalid_pct`.
    Invalid,
    /// The rule's `max_failure_pct`.
    Rule(String),
}

impl Hold {
    /// The measured share, in percent.
    pub fn pct(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.rows as f64 * 100.0 / self.total as f64 }
    }
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (rows, total) = (self.rows, self.total);
        match &self.limit {
            HoldLimit::Invalid => write!(
                f,
                "max_invalid_pct = {}% exceeded: {:.2}% of the rows are invalid ({rows} of {total})",
                self.max_pct,
                self.pct()
            ),
            HoldLimit::Rule(id) => write!(
                f,
                "rule `{id}` max_failure_pct = {}% exceeded: {:.2}% of the rows fail it ({rows} of {total})",
                self.max_pct,
                self.pct()
            ),
        }
    }
}

/// What a rule's failure does to its row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The row is invalid: not loaded, written to the invalid records.
    #[default]
    Error,
    /// The row stays valid and loads; the failure is a warning, counted apart and the row
    /// written to the warnings file.
    Warn,
}

impl Severity {
    fn is_error(&self) -> bool {
        *self == Severity::Error
    }
}

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

/// The `[table]` section: where the valid rows go and what identifies a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableTarget {
    /// The table, optionally schema-qualified (`sales.fact_order`).
    pub name: String,
    /// The identity columns (required, loaded); empty for an append-only table.
    #[serde(default)]
    pub key: Vec<String>,
    /// What a row whose key is already loaded does.
    #[serde(default)]
    pub on_conflict: OnConflict,
}

/// What a row whose key is already in the table (or earlier in the file) does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// It is not loaded and counts as `already_present`: the first row with a key wins.
    #[default]
    Skip,
}

/// A column the contract knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Header name; matched after trimming, ignoring ASCII case.
    pub name: String,
    /// A required column must be in the header, and a null value fails `not_null:<name>`.
    /// An optional one is null in the table when the file lacks it or the value is empty.
    #[serde(default = "default_true")]
    pub required: bool,
    /// Whether the column loads into the table (it is always kept in the invalid records).
    #[serde(default = "default_true")]
    pub load: bool,
}

fn default_true() -> bool {
    true
}

impl ColumnSpec {
    /// A required, loaded column.
    pub fn required(name: impl Into<String>) -> Self {
        Self { name: name.into(), required: true, load: true }
    }

    /// An optional, loaded column.
    pub fn optional(name: impl Into<String>) -> Self {
        Self { name: name.into(), required: false, load: true }
    }

    /// The same column, checked but not loaded.
    pub fn not_loaded(mut self) -> Self {
        self.load = false;
        self
    }
}

/// One check and the id its failures are reported under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The failure id, e.g. `email` or `duplicate`.
    pub id: String,
    /// What is checked.
    #[serde(flatten)]
    pub check: Check,
    /// The check runs only on rows where every rule named here passes
    /// (`age_consistency` runs only when `age` and `date_of_birth` pass).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only_if_passed: Vec<String>,
    /// `error` (the default: a failing row is invalid) or `warn` (it loads, with a warning).
    #[serde(default, skip_serializing_if = "Severity::is_error")]
    pub severity: Severity,
    /// What the rule checks, in one line, for the report ([`Check::describe`] when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Most rows that may fail (or warn on) this rule, in percent of the file's rows; past it
    /// the file is held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_failure_pct: Option<f64>,
}

impl Rule {
    /// A rule with no precondition.
    pub fn new(id: impl Into<String>, check: Check) -> Self {
        Self {
            id: id.into(),
            check,
            only_if_passed: Vec::new(),
            severity: Severity::Error,
            description: None,
            max_failure_pct: None,
        }
    }

    /// The same rule as a warning.
    pub fn warn(mut self) -> Self {
        self.severity = Severity::Warn;
        self
    }

    /// Adds preconditions: the rule runs only where these rules pass.
    pub fn only_if_passed<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.only_if_passed.extend(ids.into_iter().map(Into::into));
        self
    }
}

/// The checks a rule can make. Column checks are not evaluated on a null value (after trimming,
/// empty is null): a null fails only `not_null:<column>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    /// The value matches a regular expression (Rust `regex` syntax; anchor it yourself).
    Regex {
        /// Column checked.
        column: String,
        /// The pattern.
        pattern: String,
    },
    /// The value is a base-10 integer (ASCII digits, a leading `-` only when `min` is negative;
    /// leading zeros allowed) within `min..=max`. Proves an integer type.
    Integer {
        /// Column checked.
        column: String,
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// The value is `-?[0-9]+(\.[0-9]+)?` with at most `scale` digits after the point and at
    /// most `precision - scale` before it (leading zeros not counted), within `min..=max`.
    /// Proves a decimal type.
    Decimal {
        /// Column checked.
        column: String,
        /// Digits in all (the sign not counted).
        precision: u8,
        /// Digits after the point.
        scale: u8,
        /// Smallest allowed value, as a decimal string.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<String>,
        /// Largest allowed value, as a decimal string.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<String>,
    },
    /// The value is one of `true_values` or `false_values`, ignoring case. Proves a boolean.
    Boolean {
        /// Column checked.
        column: String,
        /// What reads as true (replaces the default `true, t, yes, y, 1`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        true_values: Option<Vec<String>>,
        /// What reads as false (replaces the default `false, f, no, n, 0`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        false_values: Option<Vec<String>>,
    },
    /// The value is exactly `YYYY-MM-DD`, a real calendar date, strictly after `after` when
    /// given, and strictly before the as-of date when `before_as_of`. Proves a date.
    Date {
        /// Column checked.
        column: String,
        /// Exclusive lower bound.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<NaiveDate>,
        /// The date must be strictly before the run's as-of date.
        #[serde(default)]
        before_as_of: bool,
    },
    /// The value is `YYYY-MM-DD[T| ]HH:MM:SS[.fraction]` then `Z`, `±HH:MM` or nothing (UTC),
    /// a real date and time, strictly after `after` (RFC 3339) when given, and strictly before
    /// the as-of date's midnight UTC when `before_as_of`. Proves a timestamp.
    Timestamp {
        /// Column checked.
        column: String,
        /// Exclusive lower bound, RFC 3339.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<String>,
        /// The instant must be strictly before the as-of date's midnight UTC.
        #[serde(default)]
        before_as_of: bool,
    },
    /// The value's length in Unicode scalar values is within `min..=max`.
    Length {
        /// Column checked.
        column: String,
        /// Shortest allowed length.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<u64>,
        /// Longest allowed length.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<u64>,
    },
    /// The value is one of a fixed set.
    OneOf {
        /// Column checked.
        column: String,
        /// The allowed values.
        values: Vec<String>,
        /// Compare ignoring case (Unicode lower-casing).
        #[serde(default)]
        case_insensitive: bool,
    },
    /// Among rows whose key parts are all non-null, the first row with a key (in file order)
    /// claims it; every later row with the same key fails.
    Unique {
        /// The key, one part per column.
        key: Vec<KeyPart>,
    },
    /// The integer in `years` equals the completed years from the date in `date` to the
    /// as-of date (a 29 February birthday is reached on 1 March in a non-leap year).
    CompletedYears {
        /// Column holding a whole number of years.
        years: String,
        /// Column holding a `YYYY-MM-DD` date.
        date: String,
    },
}

/// One column of a uniqueness key and how it is normalised (after trimming).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPart {
    /// Column read.
    pub column: String,
    /// Lower-case the value (Unicode).
    #[serde(default)]
    pub lowercase: bool,
    /// Collapse runs of spaces to one space.
    #[serde(default)]
    pub collapse_spaces: bool,
}

impl KeyPart {
    /// The trimmed value as is.
    pub fn exact(column: impl Into<String>) -> Self {
        Self { column: column.into(), lowercase: false, collapse_spaces: false }
    }

    /// The trimmed value lower-cased with runs of spaces collapsed.
    pub fn folded(column: impl Into<String>) -> Self {
        Self { column: column.into(), lowercase: true, collapse_spaces: true }
    }
}

/// The default words of a `boolean` check.
pub(crate) const DEFAULT_TRUE_VALUES: &[&str] = &["true", "t", "yes", "y", "1"];
/// The default words of a `boolean` check.
pub(crate) const DEFAULT_FALSE_VALUES: &[&str] = &["false", "f", "no", "n", "0"];

impl Check {
    /// What the check verifies, in one line (the report's default description of a rule).
    pub fn describe(&self) -> String {
        match self {
            Check::Regex { column, pattern } => format!("{column} matches {pattern}"),
            Check::Integer { column, min, max } => format!("{column} is a whole number from {min} to {max}"),
            Check::Decimal { column, precision, scale, min, max } => {
                let mut text =
                    format!("{column} is a number of at most {precision} digits, {scale} after the point");
                match (min, max) {
                    (Some(min), Some(max)) => text.push_str(&format!(", from {min} to {max}")),
                    (Some(min), None) => text.push_str(&format!(", at least {min}")),
                    (None, Some(max)) => text.push_str(&format!(", at most {max}")),
                    (None, None) => {}
                }
                text
            }
            Check::Boolean { column, .. } => format!("{column} is a yes/no value"),
            Check::Date { column, after, before_as_of } => in_time(
                format!("{column} is a real YYYY-MM-DD date"),
                after.map(|a| a.to_string()),
                *before_as_of,
            ),
            Check::Timestamp { column, after, before_as_of } => {
                in_time(format!("{column} is a real date and time"), after.clone(), *before_as_of)
            }
            Check::Length { column, min, max } => match (min, max) {
                (Some(min), Some(max)) => format!("{column} has {min} to {max} characters"),
                (Some(min), None) => format!("{column} has at least {min} characters"),
                (None, Some(max)) => format!("{column} has at most {max} characters"),
                (None, None) => format!("{column} has any length"),
            },
            Check::OneOf { column, values, .. } => {
                format!("{column} is one of {} allowed values", values.len())
            }
            Check::Unique { key } => {
                let columns: Vec<&str> = key.iter().map(|k| k.column.as_str()).collect();
                format!("no earlier row has the same {}", columns.join(" + "))
            }
            Check::CompletedYears { years, date } => {
                format!("{years} equals the completed years since {date}")
            }
        }
    }

    /// The columns the check reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Check::Regex { column, .. }
            | Check::Integer { column, .. }
            | Check::Decimal { column, .. }
            | Check::Boolean { column, .. }
            | Check::Date { column, .. }
            | Check::Timestamp { column, .. }
            | Check::Length { column, .. }
            | Check::OneOf { column, .. } => vec![column.as_str()],
            Check::Unique { key } => key.iter().map(|k| k.column.as_str()).collect(),
            Check::CompletedYears { years, date } => vec![years.as_str(), date.as_str()],
        }
    }

    /// The column whose type the check proves, and the type; `None` for checks that prove no
    /// type (`regex`, `length`, `one_of`, `unique`, `completed_years`).
    pub fn proves(&self) -> Option<(&str, ColumnType)> {
        Some(match self {
            Check::Integer { column, min, max } => (column, ColumnType::integer(*min, *max)),
            Check::Decimal { column, precision, scale, .. } => {
                (column, ColumnType::Decimal { precision: *precision, scale: *scale })
            }
            Check::Boolean { column, .. } => (column, ColumnType::Boolean),
            Check::Date { column, .. } => (column, ColumnType::Date),
            Check::Timestamp { column, .. } => (column, ColumnType::Timestamp),
            _ => return None,
        })
    }

    /// The words of a `boolean` check, lower-cased: (true, false). Empty for other checks.
    pub fn boolean_words(&self) -> (Vec<String>, Vec<String>) {
        let Check::Boolean { true_values, false_values, .. } = self else {
            return (Vec::new(), Vec::new());
        };
        let words = |given: &Option<Vec<String>>, default: &[&str]| match given {
            Some(values) => values.iter().map(|v| v.trim().to_lowercase()).collect(),
            None => default.iter().map(|v| (*v).to_owned()).collect(),
        };
        (words(true_values, DEFAULT_TRUE_VALUES), words(false_values, DEFAULT_FALSE_VALUES))
    }
}

/// A date or time check's description, with its bounds.
fn in_time(mut text: String, after: Option<String>, before_as_of: bool) -> String {
    if let Some(after) = after {
        text.push_str(&format!(" after {after}"));
    }
    if before_as_of {
        text.push_str(" before the as-of date");
    }
    text
}

impl Contract {
    /// Reads a contract from TOML text and checks it.
    pub fn from_toml(text: &str) -> Result<Self> {
        check_text_shape(text, "TOML")?;
        let contract: Contract = toml::from_str(text).map_err(Error::ContractToml)?;
        contract.check()?;
        Ok(contract)
    }

    /// The contract as TOML text.
    pub fn to_toml(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        toml::to_string_pretty(self).unwrap_or_default()
    }

    /// The column spec named `name` (exact match).
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Every failure id, in report order: `not_null:<column>` for each required column, then
    /// each rule's id.
    ///
    /// When a text column loads, [`NUL_BYTE`] comes last: a value holding a NUL byte, which no
    /// warehouse's text column stores (PostgreSQL refuses it), makes its row invalid before the
    /// load, the same way for every backend.
    pub fn failure_ids(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.required)
            .map(|c| format!("not_null:{}", c.name))
            .chain(self.rules.iter().map(|r| r.id.clone()))
            .chain(self.loads_text().then(|| NUL_BYTE.to_owned()))
            .collect()
    }

    /// Whether a loaded column is text (no check proves another type): then [`NUL_BYTE`] checks it.
    fn loads_text(&self) -> bool {
        self.table_columns().iter().any(|c| c.ty == ColumnType::Text)
    }

    /// The loaded text columns, which [`NUL_BYTE`] checks.
    pub(crate) fn text_columns(&self) -> Vec<String> {
        self.table_columns().into_iter().filter(|c| c.ty == ColumnType::Text).map(|c| c.name).collect()
    }

    /// What failure id `id` checks, in one line: the rule's `description`, else its check's
    /// ([`Check::describe`]); `not_null:<column>` is the column being present.
    pub fn describe(&self, id: &str) -> String {
        if let Some(column) = id.strip_prefix("not_null:") {
            return format!("{column} is present and not empty");
        }
        // `check` keeps the id from rules.
        if id == NUL_BYTE {
            return "no loaded text value holds a NUL byte (0x00), which a text column cannot store".into();
        }
        self.rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.description.clone().unwrap_or_else(|| r.check.describe()))
            .unwrap_or_default()
    }

    /// Whether failure id `id` is a warning (a `severity = "warn"` rule).
    pub fn is_warning(&self, id: &str) -> bool {
        self.rules.iter().any(|r| r.id == id && r.severity == Severity::Warn)
    }

    /// The first limit a file with `tally`'s counts exceeds (`[limits]`, then each rule's
    /// `max_failure_pct` in report order), if any. A share equal to a limit is within it.
    pub fn hold(&self, tally: &crate::Tally) -> Option<Hold> {
        let over = |max_pct: f64, rows: u64| rows as f64 * 100.0 > max_pct * tally.total as f64;
        if let Some(max_pct) = self.limits.max_invalid_pct
            && over(max_pct, tally.invalid)
        {
            return Some(Hold {
                limit: HoldLimit::Invalid,
                max_pct,
                rows: tally.invalid,
                total: tally.total,
            });
        }
        let count =
            |counts: &[(String, u64)], id: &str| counts.iter().find(|(i, _)| i == id).map_or(0, |(_, n)| *n);
        for (id, &max_pct) in &self.limits.max_failure_pct {
            let rows = count(&tally.failures, id) + count(&tally.warnings, id);
            if over(max_pct, rows) {
                return Some(Hold { limit: HoldLimit::Rule(id.clone()), max_pct, rows, total: tally.total });
            }
        }
        self.rules.iter().find_map(|rule| {
            let max_pct = rule.max_failure_pct?;
            let count = |counts: &[(String, u64)]| {
                counts.iter().find(|(id, _)| *id == rule.id).map_or(0, |(_, n)| *n)
            };
            let rows = count(&tally.failures) + count(&tally.warnings);
            over(max_pct, rows).then(|| Hold {
                limit: HoldLimit::Rule(rule.id.clone()),
                max_pct,
                rows,
                total: tally.total,
            })
        })
    }

    /// The type of each column a check proves one for (at most one check per column, which
    /// [`Contract::check`] makes sure of).
    fn proven_types(&self) -> HashMap<&str, ColumnType> {
        self.rules.iter().filter_map(|r| r.check.proves()).collect()
    }

    /// The loaded columns in contract order, each of the type its check proves (text when none
    /// does), nullable when optional: the columns of the valid rows, with a table or without.
    pub fn table_columns(&self) -> Vec<TableColumn> {
        let types = self.proven_types();
        self.columns
            .iter()
            .filter(|c| c.load)
            .map(|c| {
                let ty = types.get(c.name.as_str()).copied().unwrap_or(ColumnType::Text);
                TableColumn::new(c.name.clone(), ty, !c.required)
            })
            .collect()
    }

    /// The target table, when the contract has one ([`Contract::table_columns`] and the key).
    pub fn table(&self) -> Option<TableSpec> {
        let target = self.table.as_ref()?;
        Some(TableSpec { name: target.name.clone(), columns: self.table_columns(), key: target.key.clone() })
    }

    /// Checks that the contract is consistent; the error names the first problem.
    ///
    /// Columns: at least one, unique names. Rules: unique ids, reading declared required
    /// columns only, compilable patterns, non-empty ranges and sets, at most one type-proving
    /// check per column, preconditions naming earlier column rules. Table: a name, key
    /// columns that are declared, required and loaded, each once. Format: the delimiter one of
    /// `,` `;` tab `|`, the quote `"` or `'`.
    pub fn check(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Contract(msg));
        let Format { delimiter, quote, .. } = self.format;
        if !matches!(delimiter, ',' | ';' | '\t' | '|') {
            return bad(format!(
                "[format] delimiter {delimiter:?} must be one of \",\", \";\", \"\\t\" (tab) or \"|\""
            ));
        }
        if !matches!(quote, '"' | '\'') {
            return bad(format!("[format] quote {quote:?} must be '\"' or \"'\""));
        }
        let Format { max_field_bytes, max_record_bytes, max_columns, .. } = self.format;
        if max_field_bytes == 0 || max_record_bytes == 0 || max_columns == 0 {
            return bad(format!(
                "[format] max_field_bytes = {max_field_bytes}, max_record_bytes = {max_record_bytes} and \
                 max_columns = {max_columns} must each be at least 1"
            ));
        }
        if self.columns.is_empty() {
            return bad(format!("contract `{}` declares no column", self.name));
        }
        if let Some(pct) = self.limits.max_invalid_pct
            && !(0.0..=100.0).contains(&pct)
        {
            return bad(format!("[limits] max_invalid_pct = {pct} must be a percentage from 0 to 100"));
        }
        let failure_ids = self.failure_ids();
        for (id, pct) in &self.limits.max_failure_pct {
            if !(0.0..=100.0).contains(pct) {
                return bad(format!(
                    "[limits.max_failure_pct] {id} = {pct} must be a percentage from 0 to 100"
                ));
            }
            if !failure_ids.contains(id) {
                return bad(format!(
                    "[limits.max_failure_pct] names `{id}`, which is not a failure id of the contract"
                ));
            }
        }
        let mut names = HashSet::new();
        for c in &self.columns {
            let n = crate::csv::normalise(&c.name);
            if n.is_empty() {
                return bad("a column has an empty name".into());
            }
            if !names.insert(n) {
                return bad(format!("column `{}` is declared twice", c.name));
            }
        }
        let mut ids: HashSet<String> =
            self.columns.iter().filter(|c| c.required).map(|c| format!("not_null:{}", c.name)).collect();
        let mut proven: HashMap<&str, &str> = HashMap::new();
        let mut earlier_unique = HashSet::new();
        for rule in &self.rules {
            let id = &rule.id;
            if id.is_empty() || id.contains(';') {
                return bad(format!("rule id `{id}` must be non-empty and contain no `;`"));
            }
            if id == NUL_BYTE {
                return bad(format!(
                    "rule id `{id}` is sift's own (a loaded text value holding a NUL byte); name the rule otherwise"
                ));
            }
            if !ids.insert(id.clone()) {
                return bad(format!("rule id `{id}` is used twice"));
            }
            for col in rule.check.columns() {
                match self.column(col) {
                    Some(c) if c.required => {}
                    Some(_) => {
                        return bad(format!(
                            "rule `{id}` checks column `{col}`, which is optional; mark it required"
                        ));
                    }
                    None => return bad(format!("rule `{id}` reads column `{col}`, which is not declared")),
                }
            }
            if let Some((column, _)) = rule.check.proves()
                && let Some(other) = proven.insert(column, id)
            {
                return bad(format!(
                    "column `{column}` has two type-proving checks, `{other}` and `{id}`; keep one \
                     (integer, decimal, boolean, date and timestamp each fix the column's type)"
                ));
            }
            check_parameters(rule)?;
            if rule.severity == Severity::Warn
                && let Some((column, ty)) = rule.check.proves()
            {
                return bad(format!(
                    "rule `{id}` fixes the type of column `{column}` ({ty}), so it cannot be `warn`: a row \
                     failing it could not load; keep it `error`, or warn with a `regex` or `length` check"
                ));
            }
            if let Some(pct) = rule.max_failure_pct
                && !(0.0..=100.0).contains(&pct)
            {
                return bad(format!(
                    "rule `{id}`: max_failure_pct = {pct} must be a percentage from 0 to 100"
                ));
            }
            for pre in &rule.only_if_passed {
                if self.rules.iter().any(|r| &r.id == pre && r.severity == Severity::Warn) {
                    return bad(format!(
                        "rule `{id}` runs only if `{pre}` passes, but `{pre}` only warns: a row failing \
                         it still loads, so `{id}` must check it; drop the precondition or make `{pre}` \
                         an error"
                    ));
                }
                let known = self.rules.iter().take_while(|r| &r.id != id).any(|r| &r.id == pre);
                if !known || earlier_unique.contains(pre) {
                    return bad(format!(
                        "rule `{id}` runs only if `{pre}` passes, but `{pre}` is not an earlier column rule"
                    ));
                }
            }
            if matches!(rule.check, Check::Unique { .. }) {
                earlier_unique.insert(id.clone());
            }
        }
        if let Some(table) = &self.table {
            let (schema, name) = match table.name.split_once('.') {
                Some((schema, name)) => (Some(schema), name),
                None => (None, table.name.as_str()),
            };
            if name.trim().is_empty() || schema.is_some_and(|s| s.trim().is_empty()) || name.contains('.') {
                return bad(format!(
                    "[table] name `{}` must be a table name, optionally schema-qualified (`schema.table`)",
                    table.name
                ));
            }
            for part in schema.into_iter().chain([name]) {
                check_identifier(&format!("[table] name `{}`", table.name), part)?;
            }
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("sift_") || lower.starts_with("sqlite_") || lower == "_sqlx_migrations" {
                return bad(format!(
                    "[table] name `{}`: tables named sift_*, sqlite_* and _sqlx_migrations are sift's own \
                     (its ledger, claims and history) or the database's; name the dataset's table otherwise",
                    table.name
                ));
            }
            for column in self.columns.iter().filter(|c| c.load) {
                check_identifier(&format!("column `{}`", column.name), &column.name)?;
            }
            let mut seen = HashSet::new();
            for key in &table.key {
                match self.column(key) {
                    None => return bad(format!("[table] key column `{key}` is not declared in [[columns]]")),
                    Some(c) if !c.required => {
                        return bad(format!(
                            "[table] key column `{key}` is optional; key columns must be required"
                        ));
                    }
                    Some(c) if !c.load => {
                        return bad(format!(
                            "[table] key column `{key}` is not loaded (load = false); key columns must load"
                        ));
                    }
                    Some(_) if !seen.insert(key) => {
                        return bad(format!("[table] key names column `{key}` twice"));
                    }
                    Some(_) => {}
                }
            }
            for reserved in ["source_uri", "loaded_at"] {
                if self.columns.iter().any(|c| c.load && c.name.eq_ignore_ascii_case(reserved)) {
                    return bad(format!(
                        "column `{reserved}` is one sift adds to every table; rename it or set load = false"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Longest identifier PostgreSQL keeps (`NAMEDATALEN` - 1, in bytes): a longer one is cut
/// silently, so the table sift creates would not be the one the contract names.
pub(crate) const MAX_IDENTIFIER_BYTES: usize = 63;

/// An identifier of the table (`what` says which) that every warehouse keeps as written: at most
/// [`MAX_IDENTIFIER_BYTES`] bytes, no control character.
fn check_identifier(what: &str, identifier: &str) -> Result<()> {
    if identifier.len() > MAX_IDENTIFIER_BYTES {
        return Err(Error::Contract(format!(
            "{what}: `{identifier}` is {} bytes; PostgreSQL keeps {MAX_IDENTIFIER_BYTES} and would cut it \
             (later runs would not find the table they created): shorten it",
            identifier.len()
        )));
    }
    if identifier.chars().any(char::is_control) {
        return Err(Error::Contract(format!(
            "{what} holds a control character; table and column names cannot"
        )));
    }
    Ok(())
}

/// Most bytes of a contract's text (TOML or YAML): contracts are a few kilobytes, the largest
/// real ones a few hundred.
pub(crate) const MAX_CONTRACT_BYTES: usize = 1 << 20;

/// Deepest nesting of a contract's text (mappings, sequences, arrays, inline tables).
pub(crate) const MAX_CONTRACT_DEPTH: usize = 64;

/// Refuses a contract text too large or nested too deep, before any parser sees it: a hostile
/// file costs a scan, never a parser's time or stack. The depth counts flow brackets (`[`, `{`
/// outside quotes and comments) and, for YAML, indentation levels and `- ` item markers.
pub(crate) fn check_text_shape(text: &str, kind: &str) -> Result<()> {
    if text.len() > MAX_CONTRACT_BYTES {
        return Err(Error::Contract(format!(
            "the {kind} contract is {} bytes, more than the {MAX_CONTRACT_BYTES} a contract may have",
            text.len()
        )));
    }
    let yaml = kind == "YAML";
    let (mut flow, mut quote) = (0usize, None::<char>);
    let mut indents: Vec<usize> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut block = 0;
        if yaml && flow == 0 && quote.is_none() {
            let content = line.trim_start_matches(' ');
            if !content.is_empty() && !content.starts_with('#') {
                let indent = line.len() - content.len();
                while indents.last().is_some_and(|&top| top >= indent) {
                    indents.pop();
                }
                indents.push(indent);
                let items = content.split_inclusive("- ").take_while(|part| part.trim() == "-").count();
                block = indents.len() + items;
            }
        }
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => flow += 1,
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        // A quote never spans lines in TOML's basic strings nor in YAML's plain scalars: a
        // stray one ends with its line (multi-line strings are rare in contracts, and only
        // make this count lower).
        quote = None;
        if block + flow > MAX_CONTRACT_DEPTH {
            return Err(Error::Contract(format!(
                "line {}: the {kind} contract nests deeper than {MAX_CONTRACT_DEPTH} levels",
                n + 1
            )));
        }
    }
    Ok(())
}

/// The parameters of one rule's check: compilable patterns, non-empty ranges and sets, valid
/// bounds.
fn check_parameters(rule: &Rule) -> Result<()> {
    let id = &rule.id;
    let bad = |msg: String| Err(Error::Contract(format!("rule `{id}`: {msg}")));
    match &rule.check {
        Check::Regex { pattern, .. } => {
            regex::Regex::new(pattern).map_err(|source| Error::Regex { rule: id.clone(), source })?;
        }
        Check::Integer { min, max, .. } if min > max => {
            return bad(format!("min {min} is greater than max {max}"));
        }
        Check::Decimal { precision, scale, min, max, .. } => {
            if *precision == 0 || scale > precision {
                return bad(format!(
                    "precision {precision} and scale {scale}: precision must be at least 1 and at least the scale"
                ));
            }
            let bound = |name: &str, text: &Option<String>| -> Result<Option<String>> {
                match text {
                    None => Ok(None),
                    Some(t) if Decimal::parse(t).is_some() => Ok(Some(t.clone())),
                    Some(t) => Err(Error::Contract(format!(
                        "rule `{id}`: {name} {t:?} is not a decimal (write it as a string like \"12.50\")"
                    ))),
                }
            };
            if let (Some(lo), Some(hi)) = (bound("min", min)?, bound("max", max)?)
                && Decimal::parse(&lo) > Decimal::parse(&hi)
            {
                return bad(format!("min {lo} is greater than max {hi}"));
            }
        }
        Check::Boolean { .. } => {
            let (yes, no) = rule.check.boolean_words();
            if yes.is_empty() || no.is_empty() || yes.iter().chain(&no).any(String::is_empty) {
                return bad("true_values and false_values must each name at least one non-empty word".into());
            }
            if let Some(both) = yes.iter().find(|w| no.contains(w)) {
                return bad(format!("{both:?} is both a true value and a false value"));
            }
        }
        Check::Timestamp { after: Some(after), .. } if crate::instant::parse_instant(after).is_none() => {
            return bad(format!(
                "after {after:?} is not an RFC 3339 timestamp (like \"2020-01-01T00:00:00Z\")"
            ));
        }
        Check::Length { min: Some(min), max: Some(max), .. } if min > max => {
            return bad(format!("min {min} is greater than max {max}"));
        }
        Check::OneOf { values, .. } if values.is_empty() => return bad("the allowed set is empty".into()),
        Check::Unique { key } if key.is_empty() => return bad("the uniqueness key has no column".into()),
        _ => {}
    }
    Ok(())
}
