//! `sift-datagen`: a deterministic generator of realistic customer CSV files for testing sift.
//!
//! The output follows SPEC section 2 (UTF-8, comma-separated, RFC 4180 quoting, LF line ends,
//! header first) with the columns `customer_id,full_name,email,age,date_of_birth,phone_number`
//! (plus `country` when [`Config::country`] is on).
//!
//! Most rows are valid under the default `customer` rule set of SPEC section 3 when validated
//! with `--as-of 2026-11-26` ([`AS_OF`]): names come from built-in lists, emails are derived from
//! the names, phone numbers have 10 digits (some with a leading zero), dates of birth run from
//! 1930-01-01 to 2008-12-31 and the age is the completed years at [`AS_OF`]. Customer ids are the
//! 1-based row number, so they increase and are unique (except where a [`Trick::RepeatedId`] is
//! planted on purpose).
//!
//! About [`Config::invalid_pct`] percent of the rows carry one (sometimes two) [`Defect`]s, drawn
//! from every failure kind of SPEC section 3. About [`TRICKY_PCT`] percent of the other rows are
//! valid but tricky ([`Trick`]): surrounding whitespace, needless quotes, leading zeros, a
//! customer id repeated by a different person, unusual letter case, and so on.
//!
//! No valid row shares its duplicate key (normalised full name + date of birth) with any other
//! row: the (first name, last name, date of birth) triple of row `i` is a keyed pseudo-random
//! permutation of `i` over all 62,220 names x 28,855 dates (about 1.8e9 triples), so keys only
//! repeat where a [`Defect::Duplicate`] is planted. Beyond that many rows, triples are drawn at
//! random and accidental duplicates become possible.
//!
//! Everything is derived from [`Config::seed`] with an inline xoshiro256** PRNG: the same
//! configuration always produces byte-identical output.
//!
//! ```
//! use sift_datagen::{Config, Generator};
//!
//! let mut generator = Generator::new(&Config::default());
//! let mut csv = Vec::new();
//! generator.write_header(&mut csv);
//! let info = generator.next_row(&mut csv);
//! assert!(csv.starts_with(b"customer_id,full_name,email,age,date_of_birth,phone_number\n1,"));
//! let _planted_defect: bool = info.is_defective();
//! ```

mod datasets;
mod date;
mod rng;
mod write;

pub use crate::datasets::{
    AS_OF, Config, DEFAULT_INVALID_PCT, DEFAULT_SEED, DOB_FIRST, DOB_LAST, DatasetSummary, Defect, Generator,
    HEADER, HEADER_WITH_COUNTRY, ORDERS_HEADER, PRODUCTS_HEADER, RowInfo, Summary, TRICKY_PCT, Trick,
    generate, generate_orders, generate_products,
};
pub use crate::date::Date;
pub use crate::write::push_csv_field;
