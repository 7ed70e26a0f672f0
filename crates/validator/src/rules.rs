//! Rule sets as data.
//!
//! A [`RuleSet`] names the columns a pipeline reads and the checks it runs, in the order their
//! failure ids are reported. It can be built in Rust or read from TOML; the customer set of
//! SPEC section 3 ([`crate::customer::customer_rules`]) is one instance.
//!
//! ```toml
//! name = "orders"
//!
//! [[columns]]
//! name = "order_id"            # required: must be in the header; null fails not_null:order_id
//!
//! [[columns]]
//! name = "note"
//! required = false             # carried into the valid rows when present, never checked
//!
//! [[rules]]
//! id = "order_id"
//! check = "integer"
//! column = "order_id"
//! min = 1
//! max = 9223372036854775807
//! ```

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A named set of columns and checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// A short name, for logs and reports.
    pub name: String,
    /// The columns the rule set knows, in `not_null:<column>` order.
    pub columns: Vec<ColumnSpec>,
    /// The checks, in the order their failure ids are reported (after every `not_null` id).
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A column the rule set reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Header name; matched after trimming, ignoring ASCII case.
    pub name: String,
    /// A required column must be in the header, and a null value fails `not_null:<name>`.
    /// An optional one is carried (trimmed) into the valid rows when the file has it.
    #[serde(default = "default_true")]
    pub required: bool,
}

fn default_true() -> bool {
    true
}

impl ColumnSpec {
    /// A required column.
    pub fn required(name: impl Into<String>) -> Self {
        Self { name: name.into(), required: true }
    }

    /// An optional column.
    pub fn optional(name: impl Into<String>) -> Self {
        Self { name: name.into(), required: false }
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
}

impl Rule {
    /// A rule with no precondition.
    pub fn new(id: impl Into<String>, check: Check) -> Self {
        Self { id: id.into(), check, only_if_passed: Vec::new() }
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
#[serde(tag = "check", rename_all = "snake_case")]
pub enum Check {
    /// The value matches a regular expression (Rust `regex` syntax; anchor it yourself).
    Regex {
        /// Column checked.
        column: String,
        /// The pattern.
        pattern: String,
    },
    /// The value is a base-10 integer (ASCII digits, a leading `-` only when `min` is negative;
    /// leading zeros allowed) within `min..=max`.
    Integer {
        /// Column checked.
        column: String,
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// The value is exactly `YYYY-MM-DD`, a real calendar date, strictly after `after` when
    /// given, and strictly before the as-of date when `before_as_of`.
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

impl Check {
    /// The columns the check reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Check::Regex { column, .. }
            | Check::Integer { column, .. }
            | Check::Date { column, .. }
            | Check::OneOf { column, .. } => vec![column.as_str()],
            Check::Unique { key } => key.iter().map(|k| k.column.as_str()).collect(),
            Check::CompletedYears { years, date } => vec![years.as_str(), date.as_str()],
        }
    }
}

impl RuleSet {
    /// Reads a rule set from TOML text and checks it.
    pub fn from_toml(text: &str) -> Result<Self> {
        let set: RuleSet = toml::from_str(text)?;
        set.check()?;
        Ok(set)
    }

    /// The rule set as TOML text.
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
    pub fn failure_ids(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.required)
            .map(|c| format!("not_null:{}", c.name))
            .chain(self.rules.iter().map(|r| r.id.clone()))
            .collect()
    }

    /// Checks that the rule set is consistent: unique names and ids, rules reading known
    /// required columns, compilable patterns, non-empty ranges, preconditions naming earlier
    /// column rules.
    pub fn check(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::RuleSet(msg));
        if self.columns.is_empty() {
            return bad(format!("rule set `{}` declares no column", self.name));
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
        let mut earlier_unique = HashSet::new();
        for rule in &self.rules {
            if rule.id.is_empty() || rule.id.contains(';') {
                return bad(format!("rule id `{}` must be non-empty and contain no `;`", rule.id));
            }
            if !ids.insert(rule.id.clone()) {
                return bad(format!("rule id `{}` is used twice", rule.id));
            }
            for col in rule.check.columns() {
                match self.column(col) {
                    Some(c) if c.required => {}
                    Some(_) => {
                        return bad(format!(
                            "rule `{}` checks column `{col}`, which is optional; mark it required",
                            rule.id
                        ));
                    }
                    None => {
                        return bad(format!(
                            "rule `{}` reads column `{col}`, which is not declared",
                            rule.id
                        ));
                    }
                }
            }
            match &rule.check {
                Check::Regex { pattern, .. } => {
                    regex::Regex::new(pattern)
                        .map_err(|source| Error::Regex { rule: rule.id.clone(), source })?;
                }
                Check::Integer { min, max, .. } if min > max => {
                    return bad(format!("rule `{}`: min {min} is greater than max {max}", rule.id));
                }
                Check::OneOf { values, .. } if values.is_empty() => {
                    return bad(format!("rule `{}`: the allowed set is empty", rule.id));
                }
                Check::Unique { key } if key.is_empty() => {
                    return bad(format!("rule `{}`: the uniqueness key has no column", rule.id));
                }
                _ => {}
            }
            for pre in &rule.only_if_passed {
                let known = self.rules.iter().take_while(|r| r.id != rule.id).any(|r| &r.id == pre);
                if !known || earlier_unique.contains(pre) {
                    return bad(format!(
                        "rule `{}` runs only if `{pre}` passes, but `{pre}` is not an earlier column rule",
                        rule.id
                    ));
                }
            }
            if matches!(rule.check, Check::Unique { .. }) {
                earlier_unique.insert(rule.id.clone());
            }
        }
        Ok(())
    }
}
