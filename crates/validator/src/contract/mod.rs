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

//!
//! The model is split by job: `check.rs` (the rules and their checks), `format.rs` (a file's
//! dialect), `limits.rs` (when a file is held), `table.rs` (the columns and the table they
//! derive), `validity.rs` (what a contract must hold together, and what text it may come from).

mod check;
mod format;
mod limits;
mod table;
mod validity;

use serde::{Deserialize, Serialize};
use sift_model::ColumnType;

use crate::error::{Error, Result};

pub use self::check::{Check, KeyPart, Rule, Severity};
pub(crate) use self::check::{DEFAULT_FALSE_VALUES, DEFAULT_TRUE_VALUES, EMAIL_PATTERN};
pub use self::format::{Encoding, ExtraColumns, Format};
pub use self::limits::{Hold, HoldLimit, Limits};
pub use self::table::{ColumnSpec, TableTarget};
pub(crate) use self::validity::check_text_shape;

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
}
