//! Columnar validation of record files with polars.
//!
//! `sift-validator` reads CSV bytes (pushed in pieces of any size), checks every row against a
//! [`RuleSet`], and splits the rows into valid ones (trimmed, typed) and invalid ones (raw, with
//! `row_number` and `failed_rules`). It does no I/O: bytes in, frames and counts out.
//!
//! ```
//! use chrono::NaiveDate;
//! use sift_validator::{customer_rules, validate_bytes, DEFAULT_CHUNK_ROWS};
//!
//! let csv = b"customer_id,full_name,email,age,date_of_birth,phone_number\n\
//!             1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\n\
//!             2,Bob,not-an-email,36,1990-05-17,0123456789\n";
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
//! let report = validate_bytes(customer_rules(None), as_of, csv, DEFAULT_CHUNK_ROWS)?;
//! assert_eq!((report.tally.valid, report.tally.invalid), (1, 1));
//! let failed: Vec<_> = report.tally.nonzero_failures().collect();
//! assert_eq!(failed, [("email", 1)]);
//! # Ok::<(), sift_validator::Error>(())
//! ```
//!
//! The pieces: [`csv`] reads bytes into raw columnar chunks and enforces the file-level rules;
//! [`rules`] is the rule-set data model (Rust or TOML); [`engine`] evaluates a rule set on
//! chunks; [`customer`] is the default customer rule set and the typed batch that warehouses
//! load; [`FileValidator`] drives a whole file.

mod calendar;
pub mod csv;
pub mod customer;
pub mod engine;
mod error;
mod file;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod keys;
mod pattern;
pub mod rules;

pub use crate::csv::{DEFAULT_CHUNK_ROWS, Header};
pub use crate::customer::{CustomerBatch, ISO_3166_ALPHA2, customer_rules};
pub use crate::engine::{FAILED_RULES, ROW_NUMBER, ValidatedChunk, Validator};
pub use crate::error::{Error, Rejection, Result};
pub use crate::file::{CHUNKS_AHEAD, FileReport, FileValidator, InvalidRecords, Tally, validate_bytes};
pub use crate::rules::{Check, ColumnSpec, KeyPart, Rule, RuleSet};
