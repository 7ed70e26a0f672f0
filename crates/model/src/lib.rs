//! The model every layer of sift shares: nothing here does I/O, names a dataset or an SQL
//! dialect.
//!
//! - **The table** (`table.rs`): a [`TableSpec`] is a target table, its name, its loaded columns
//!   with their [`ColumnType`] (the type the contract's checks prove, SPEC section 7) and its
//!   key. A [`Batch`] is a run of valid rows, in file order, as typed polars columns in the
//!   spec's column order, each column's physical type fixed by its [`ColumnType`] (see
//!   [`ColumnType::physical`]). [`Decimal`] is an exact decimal.
//! - **The outcome of a run** (`run.rs`): the [`Summary`] of one file (SPEC section 4: the
//!   Lambda's return value and the CLI's `--json`), its [`Counts`] and [`FileRun`].
//! - **The history** (`history.rs`): a validated file's counts per failure id
//!   ([`FileHistory`]), each rule's [`Trend`] against the dataset's recent files, and the
//!   [`AnomalyTest`] that flags a rule far above its history.
//!
//! The validator derives tables and fills batches; the warehouses create, check and load them
//! and keep the history; the pipeline builds the summary; the notifier renders it.
//!
//! ```
//! use sift_model::{ColumnType, OnConflict, TableColumn, TableSpec};
//!
//! let table = TableSpec {
//!     name: "sales.fact_order".into(),
//!     columns: vec![
//!         TableColumn::new("order_id", ColumnType::Int64, false),
//!         TableColumn::new("amount", ColumnType::Decimal { precision: 12, scale: 2 }, false),
//!         TableColumn::new("note", ColumnType::Text, true),
//!     ],
//!     key: vec!["order_id".into()],
//!     on_conflict: OnConflict::Skip,
//! };
//! assert_eq!(table.key_positions(), Some(vec![0]));
//! assert_eq!(table.unqualified_name(), "fact_order");
//! ```

mod decimal;
mod history;
mod run;
mod table;

pub use crate::decimal::Decimal;
pub use crate::history::{AnomalyTest, FileHistory, RuleHistory, Trend, rate_pct, trends};
pub use crate::run::{Counts, FileRun, NotificationStatus, Status, Summary, Updates, thousands};
pub use crate::table::{Batch, ColumnType, OnConflict, ROW_NUMBER, TableColumn, TableSpec, VALIDITY_COLUMNS};
