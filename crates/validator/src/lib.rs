//! Columnar validation of record files with polars, driven by a contract.
//!
//! `sift-validator` reads CSV bytes (pushed in pieces of any size), checks every row against a
//! [`Contract`], and splits the rows into valid ones (trimmed, typed: a [`sift_model::Batch`]
//! in the contract's table shape) and invalid ones (raw, with `row_number` and
//! `failed_rules`). It does no I/O: bytes in, frames and counts out.
//!
//! ```
//! use chrono::NaiveDate;
//! use sift_validator::{Contract, validate_bytes, DEFAULT_CHUNK_ROWS};
//!
//! let contract = Contract::from_toml(
//!     r#"
//!     name = "people"
//!     columns = [{ name = "id" }, { name = "email" }]
//!     rules = [
//!         { id = "id", check = "integer", column = "id", min = 1, max = 1000000 },
//!         { id = "email", check = "regex", column = "email", pattern = "^[^@ ]+@[^@ ]+$" },
//!     ]
//!     "#,
//! )?;
//! let csv = b"id,email\n1,ann@example.com\n2,not-an-email\n";
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
//! let report = validate_bytes(contract, as_of, csv, DEFAULT_CHUNK_ROWS)?;
//! assert_eq!((report.tally.valid, report.tally.invalid), (1, 1));
//! let failed: Vec<_> = report.tally.nonzero_failures().collect();
//! assert_eq!(failed, [("email", 1)]);
//! # Ok::<(), sift_validator::Error>(())
//! ```
//!
//! The pieces, each private with its items re-exported here: `csv.rs` reads bytes into raw
//! columnar chunks and enforces the file-level rules, and writes the invalid-records CSV;
//! `contract/` is the contract data model (Rust or TOML) and derives the table; `engine/`
//! evaluates a contract on chunks (`plan.rs` compiles it, `kernels.rs` checks, `outputs.rs`
//! splits); `file.rs` drives a whole file ([`FileValidator`]); `odcs/` reads and writes Open
//! Data Contract Standard documents ([`import_odcs`], [`export_odcs`]); `suggest/` proposes a
//! contract from a file ([`Suggester`]).

mod calendar;
mod contract;
mod csv;
mod encoding;
mod engine;
mod error;
mod file;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod instant;
mod keys;
mod odcs;
mod pattern;
mod suggest;

pub use crate::contract::{
    Check, ColumnSpec, Contract, Encoding, ExtraColumns, Format, Hold, HoldLimit, KeyPart, Limits, NUL_BYTE,
    Rule, Severity, TableTarget,
};
pub use crate::csv::{CsvDecoder, DEFAULT_CHUNK_ROWS, Dialect, Header, InputLimits, RawChunk, column_name};
pub use crate::engine::{FAILED_RULES, ValidatedChunk, Validator, WARNED_RULES, date_from_days, parse_date};
pub use crate::error::{Error, Rejection, Result};
pub use crate::file::{FileReport, FileValidator, InvalidRecords, RowSink, Tally, validate_bytes};
pub use crate::odcs::{Imported, export_odcs, import_odcs, import_odcs_object};
pub use crate::suggest::{SNIFF_BYTES, SuggestOptions, Suggester, Suggestion};
