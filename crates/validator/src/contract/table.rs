//! The contract's columns and the table their valid rows load: each loaded column's type is
//! the type its check proves.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sift_model::{ColumnType, OnConflict, TableColumn, TableSpec};

use super::Contract;

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

impl Contract {
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
        Some(TableSpec {
            name: target.name.clone(),
            columns: self.table_columns(),
            key: target.key.clone(),
            on_conflict: target.on_conflict,
        })
    }
}
