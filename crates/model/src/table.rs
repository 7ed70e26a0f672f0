//! A dataset's target table ([`TableSpec`]) and the typed valid rows that load it ([`Batch`]).

use polars::prelude::{Column, DataFrame, DataType};

/// Name of the 1-based data-row number column of a [`Batch`] (after the table's columns).
pub const ROW_NUMBER: &str = "row_number";

/// The type a loaded column holds: what its check proves about every valid value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// A whole number that fits 16 bits.
    Int16,
    /// A whole number that fits 32 bits.
    Int32,
    /// A whole number that fits 64 bits.
    Int64,
    /// An exact decimal with at most `precision` digits, `scale` of them after the point.
    Decimal {
        /// Total digits (at least `scale`).
        precision: u8,
        /// Digits after the point.
        scale: u8,
    },
    /// True or false.
    Boolean,
    /// A calendar date.
    Date,
    /// An instant, at microsecond precision.
    Timestamp,
    /// Text.
    Text,
}

impl ColumnType {
    /// The smallest integer type holding every value of `min..=max`.
    pub fn integer(min: i64, max: i64) -> Self {
        let fits = |lo: i64, hi: i64| min >= lo && max <= hi;
        if fits(i16::MIN.into(), i16::MAX.into()) {
            ColumnType::Int16
        } else if fits(i32::MIN.into(), i32::MAX.into()) {
            ColumnType::Int32
        } else {
            ColumnType::Int64
        }
    }

    /// Whether the type is one of the integer widths.
    pub fn is_integer(self) -> bool {
        matches!(self, ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64)
    }

    /// The polars type a [`Batch`] column of this type has: `Int64` for the integers,
    /// `String` for decimals (canonical text: `-` only when negative, no leading zero before
    /// other digits, exactly `scale` digits after the point), `Boolean`, `Date`, `Int64` for
    /// timestamps (microseconds since 1970-01-01 UTC) and `String` for text.
    pub fn physical(self) -> DataType {
        match self {
            ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64 | ColumnType::Timestamp => {
                DataType::Int64
            }
            ColumnType::Decimal { .. } | ColumnType::Text => DataType::String,
            ColumnType::Boolean => DataType::Boolean,
            ColumnType::Date => DataType::Date,
        }
    }
}

impl std::fmt::Display for ColumnType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnType::Int16 => f.write_str("16-bit integer"),
            ColumnType::Int32 => f.write_str("32-bit integer"),
            ColumnType::Int64 => f.write_str("64-bit integer"),
            ColumnType::Decimal { precision, scale } => write!(f, "decimal({precision}, {scale})"),
            ColumnType::Boolean => f.write_str("boolean"),
            ColumnType::Date => f.write_str("date"),
            ColumnType::Timestamp => f.write_str("timestamp"),
            ColumnType::Text => f.write_str("text"),
        }
    }
}

/// One loaded column of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// The column's name, as the contract declares it.
    pub name: String,
    /// What it holds.
    pub ty: ColumnType,
    /// Whether it may be null (an optional column; required ones never are in a valid row).
    pub nullable: bool,
}

impl TableColumn {
    /// A column.
    pub fn new(name: impl Into<String>, ty: ColumnType, nullable: bool) -> Self {
        Self { name: name.into(), ty, nullable }
    }
}

/// The table a contract's valid rows load into. Every table also has `source_uri` and
/// `loaded_at`, which the warehouses add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    /// The name as the contract writes it; may be schema-qualified (`sales.fact_order`).
    pub name: String,
    /// The loaded columns, in contract order.
    pub columns: Vec<TableColumn>,
    /// The identity columns (names of `columns`); empty for an append-only table.
    pub key: Vec<String>,
    /// What a valid row whose key is already in the table does.
    pub on_conflict: OnConflict,
}

/// What a valid row whose key is already in the table (or earlier in the file) does: the
/// contract's `[table] on_conflict`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// It is not loaded and counts as `already_present`: the first row with a key wins.
    #[default]
    Skip,
    /// It replaces the loaded columns of the table's row when any differs (`updated`), and
    /// leaves it alone when none does (`unchanged`): a type 1 dimension. A key repeated within
    /// the file: the first row wins, as in `skip`, and the later ones are `already_present`.
    Update,
    /// It closes the key's current row (`valid_to`, `is_current` false) when any loaded column
    /// differs and inserts the new version as current (`updated`), and leaves it alone when none
    /// does (`unchanged`): a type 2 dimension, every version kept. The table has
    /// [`VALIDITY_COLUMNS`], and the key is unique among its current rows.
    History,
}

/// The columns sift adds to a table with `on_conflict = "history"`: when a version became
/// current (the load's time), when it stopped being current (NULL while it is), and whether it
/// is.
pub const VALIDITY_COLUMNS: [&str; 3] = ["valid_from", "valid_to", "is_current"];

impl OnConflict {
    /// Whether a row whose key is in the table can change it (`update` or `history`).
    pub fn changes_rows(self) -> bool {
        matches!(self, OnConflict::Update | OnConflict::History)
    }
}

impl TableSpec {
    /// The schema qualifier and the table's own name: `(Some("sales"), "fact_order")`.
    pub fn qualified(&self) -> (Option<&str>, &str) {
        match self.name.split_once('.') {
            Some((schema, table)) => (Some(schema), table),
            None => (None, self.name.as_str()),
        }
    }

    /// The name without a schema qualifier.
    pub fn unqualified_name(&self) -> &str {
        self.qualified().1
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&TableColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Positions of the key columns in [`TableSpec::columns`]; `None` for an append-only
    /// table (or a key naming an unknown column, which a checked contract never has).
    pub fn key_positions(&self) -> Option<Vec<usize>> {
        if self.key.is_empty() {
            return None;
        }
        self.key.iter().map(|k| self.columns.iter().position(|c| &c.name == k)).collect()
    }
}

/// Valid rows of one file, in file order: one polars column per [`TableSpec`] column, in that
/// order and of its [`ColumnType::physical`] type, then [`ROW_NUMBER`] (`UInt64`).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    frame: DataFrame,
}

impl Batch {
    /// Wraps a frame already in a table's shape (the validator's valid rows).
    pub fn new(frame: DataFrame) -> Self {
        Self { frame }
    }

    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.frame.height()
    }

    /// True when the batch has no row.
    pub fn is_empty(&self) -> bool {
        self.frame.height() == 0
    }

    /// The frame: the table's columns then [`ROW_NUMBER`].
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    /// The `index`th table column.
    pub fn column(&self, index: usize) -> Option<&Column> {
        self.frame.columns().get(index)
    }
}
