//! Columnar validation of record files with polars, driven by a contract.
//!
//! `sift-validator` reads CSV bytes (pushed in pieces of any size), checks every row against a
//! [`Contract`], and splits the rows into valid ones (trimmed, typed: a [`sift_table::Batch`]
//! in the contract's table shape) and invalid ones (raw, with `row_number` and
//! `failed_rules`). It does no I/O: bytes in, frames and counts out.
//!
//! ```
//! use chrono::NaiveDate;
//! use sift_validator::{customer_contract, validate_bytes, DEFAULT_CHUNK_ROWS};
//!
//! let csv = b"customer_id,full_name,email,age,date_of_birth,phone_number\n\
//!             1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\n\
//!             2,Bob,not-an-email,36,1990-05-17,0123456789\n";
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
//! let report = validate_bytes(customer_contract(None), as_of, csv, DEFAULT_CHUNK_ROWS)?;
//! assert_eq!((report.tally.valid, report.tally.invalid), (1, 1));
//! let failed: Vec<_> = report.tally.nonzero_failures().collect();
//! assert_eq!(failed, [("email", 1)]);
//! # Ok::<(), sift_validator::Error>(())
//! ```
//!
//! The pieces, each private with its items re-exported here: `csv.rs` reads bytes into raw
//! columnar chunks and enforces the file-level rules, and writes the invalid-records CSV;
//! `contract.rs` is the contract data model (Rust or TOML) and derives the table;
//! `engine/` evaluates a contract on chunks (`plan.rs` compiles it, `kernels.rs` checks,
//! `outputs.rs` splits); `customer.rs` is the built-in customer contract; `file.rs` drives a
//! whole file ([`FileValidator`]).

mod calendar;
mod contract;
mod csv;
mod customer;
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

pub use crate::contract::{
    Check, ColumnSpec, Contract, DEFAULT_FALSE_VALUES, DEFAULT_TRUE_VALUES, Encoding, Format, Hold,
    HoldLimit, KeyPart, Limits, NUL_BYTE, OnConflict, Rule, Severity, TableTarget,
};
pub use crate::csv::{
    CsvDecoder, DEFAULT_CHUNK_ROWS, Dialect, Header, InputLimits, RawChunk, column_name, normalise,
    write_field, write_record,
};
pub use crate::customer::{ISO_3166_ALPHA2, customer_contract};
pub use crate::engine::{
    FAILED_RULES, ValidatedChunk, Validator, WARNED_RULES, completed_years, date_from_days, parse_date,
};
pub use crate::error::{Error, Rejection, Result};
pub use crate::file::{CHUNKS_AHEAD, FileReport, FileValidator, InvalidRecords, Tally, validate_bytes};
pub use crate::odcs::{Imported, import_odcs};
