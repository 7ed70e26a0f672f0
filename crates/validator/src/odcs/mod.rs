//! Open Data Contract Standard (ODCS v3) contracts, read as sift contracts and written from
//! them.
//!
//! [`import_odcs`] maps what sift can check and lists, by path, everything else: nothing is
//! dropped silently. The mapping (field names as the ODCS v3.1 JSON Schema spells them):
//!
//! - `name` (or the schema object's `name`) is the dataset; the one schema object's
//!   `physicalName` (else its `name`) is the table, keyed by the properties with
//!   `primaryKey: true` in `primaryKeyPosition` order;
//! - each property is a column, named by its `physicalName` when it has one (the name in the
//!   file's header and in the table; its `name` otherwise), `required` as given; its
//!   `logicalType` and `logicalTypeOptions` become checks: `integer` (`minimum`, `maximum`,
//!   `exclusiveMinimum`, `exclusiveMaximum`, `format`, an integer `physicalType`), `number` with
//!   a `physicalType` of `decimal(p,s)` or `numeric(p,s)` (`minimum`, `maximum`), `boolean`,
//!   `date` (`minimum`, `exclusiveMinimum`, `format: yyyy-MM-dd`), `timestamp`
//!   (`exclusiveMinimum`), `string` (`pattern`, `format: email`, `minLength`/`maxLength`);
//!   `unique: true` a uniqueness rule;
//! - library quality rules (`metric:`, or the deprecated `rule:`) `nullValues`,
//!   `invalidValues` (`arguments.validValues` or `arguments.pattern`) and `duplicateValues` (on
//!   a property, or on the object with `arguments.properties`), with `mustBe: 0` (every row
//!   must pass) or `mustBeLessThan` / `mustBeLessOrEqualTo` with `unit: percent` (a limit past
//!   which the file is held; sift holds strictly above it, so a share exactly at a
//!   `mustBeLessThan` value passes); `severity: warning` (or `warn`, `info`) makes a rule warn;
//!   `description` is the rule's description.
//!
//! Checked against the ODCS v3.1.0 JSON Schema (`schema/odcs-json-schema-v3.1.0.json` of
//! bitol-io/open-data-contract-standard): the field names, the per-type `logicalTypeOptions`,
//! `metric` replacing `rule`, and the operators.
//!
//! Every property's checks are mapped, required or not: a null passes a check (SQL `CHECK`
//! semantics), so an optional column's present values are checked and its nulls load. A YAML
//! `null` (or an empty string) in `validValues` allows the null, which passes anyway: it is
//! left out of the allowed set, never read as the text `null`.
//!
//! # sift's own terms in ODCS
//!
//! What ODCS cannot say is written in the places the standard keeps for it, and read back by
//! the import (other tools read past them):
//!
//! - a rule with no ODCS equivalent (`completed_years`, a folded or multi-part key, a check
//!   before the as-of date, `only_if_passed`, boolean words, a case-insensitive set, a rule id
//!   other than the one the import derives) is a quality rule `type: custom, engine: sift`
//!   whose `implementation` is the rule as sift's TOML spells it. When such a rule proves a
//!   column's type, the property's `logicalType` describes the column for other readers and
//!   makes no check of its own;
//! - `customProperties`: `siftFormat` (the contract's `[format]`) and `siftLimits` (its
//!   `[limits]`, beside the null limits `nullValues` carries) on the document, `siftTable:
//!   false` on a schema object that loads nowhere, `siftOnConflict: update` on one whose table
//!   updates, `siftLoad: false` on a property that is checked but not loaded.
//!
//! [`export_odcs`] writes a sift contract as ODCS v3.1 in those terms, natively wherever the
//! import reads the native field back to the same rule at the same place in the report order,
//! so that importing the export gives the contract back, equal.

mod export;
mod import;
mod types;

pub use self::export::export_odcs;
pub use self::import::{Imported, import_odcs, import_odcs_object};

/// The `engine` of a quality rule that is a sift rule.
const SIFT_ENGINE: &str = "sift";
/// The document's custom property holding the contract's `[format]`.
const SIFT_FORMAT: &str = "siftFormat";
/// The document's custom property holding the contract's `[limits]` (beyond null limits).
const SIFT_LIMITS: &str = "siftLimits";
/// A schema object's custom property: `false` when the contract loads no table.
const SIFT_TABLE: &str = "siftTable";
/// A schema object's custom property: the table's `on_conflict` when it is not `skip`.
const SIFT_ON_CONFLICT: &str = "siftOnConflict";
/// A property's custom property: `false` when the column is checked but not loaded.
const SIFT_LOAD: &str = "siftLoad";
