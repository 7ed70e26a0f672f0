//! The rules of a contract and the checks they run: what each checks, and how it reads.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sift_model::ColumnType;

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

/// The email pattern of ODCS's `format: email` and of a suggested contract (the customer
/// contract's).
pub(crate) const EMAIL_PATTERN: &str = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$";

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
