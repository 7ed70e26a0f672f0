//! The rule engine: binds a [`Contract`] to a file's header and evaluates it on chunks of raw
//! rows, column by column, over the chunk's polars string columns.
//!
//! - `plan.rs` compiles the contract, bound to the header, into one `Step` per failure id, the
//!   columns to parse once, and the valid rows' columns (`Output`, one per table column);
//! - `kernels.rs` evaluates the steps: trimmed views of the columns (`&str` slices into the
//!   Arrow buffers: no copy; empty after trimming is null), the parsed columns (integers,
//!   decimals, booleans, dates as day numbers through `calendar.rs`, instants through
//!   `instant.rs`), one "fails" mask per step (regexes through `pattern.rs`, preconditions
//!   masked with the earlier steps' masks, uniqueness keys against `keys.rs`);
//! - `outputs.rs` builds the two frames of a chunk: the invalid rows (raw columns,
//!   `row_number`, `failed_rules`) and the valid ones, typed, in the table's column order, with
//!   string outputs left in the raw column's Arrow buffers (the kept views, and a new view into
//!   the same buffer, or inline, for each value trimming changed).
//!
//! The kernels are plain loops over column slices rather than polars lazy expressions: polars'
//! `strip_chars` copies every column, its `str.contains` sets up a regex search per value, and
//! `failed_rules` was joined for every row; that made read + validate cost 4.3 times the read
//! alone (docs/benchmarks.md, "Earlier builds"). Independent steps run on rayon's pool.

mod kernels;
mod outputs;
mod plan;

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;

use crate::calendar::parse_day;
use crate::contract::Contract;
use crate::csv::{Header, RawChunk, column_name};
use crate::error::{Error, Rejection, Result};

use self::kernels::Columns;
pub(crate) use self::kernels::{parse_int, trim_column};
use self::plan::{Bound, Plan, Step};

/// Name of the `;`-joined failure ids column in the invalid rows.
pub const FAILED_RULES: &str = "failed_rules";

/// Name of the `;`-joined warning ids column in the warned rows.
pub const WARNED_RULES: &str = "warned_rules";

/// The rules failing together are counted among the first this many `error` ids an invalid
/// row fails, in report order (at most 28 pairs a row).
pub(crate) const PAIR_IDS: usize = 8;

/// One validated chunk.
#[derive(Debug, Clone)]
pub struct ValidatedChunk {
    /// 1-based data-row number of the chunk's first row.
    pub first_row: u64,
    /// Rows in the chunk.
    pub rows: usize,
    /// Valid rows as a [`sift_model::Batch`] of the contract's table columns (the loaded
    /// columns, typed by their checks; all of them, a file lacking an optional one gets
    /// nulls), then [`sift_model::ROW_NUMBER`].
    pub valid: sift_model::Batch,
    /// Invalid rows: the raw file columns (named by [`crate::csv::column_name`]), then
    /// [`sift_model::ROW_NUMBER`] and [`FAILED_RULES`] (the `error` rules they fail).
    pub invalid: DataFrame,
    /// Valid rows that fail a `warn` rule: the raw file columns, then
    /// [`sift_model::ROW_NUMBER`] and [`WARNED_RULES`].
    pub warned: DataFrame,
    /// Rows failing each id, in [`Validator::failure_ids`] order (0 for a `warn` rule).
    pub failures: Vec<u64>,
    /// Valid rows warning on each id, in [`Validator::failure_ids`] order (0 for an `error`
    /// one).
    pub warnings: Vec<u64>,
    /// Duplicate groups that formed in this chunk per id, in [`Validator::failure_ids`] order:
    /// keys of a uniqueness rule seen for the second time (0 for other rules).
    pub duplicate_groups: Vec<u64>,
    /// Invalid rows failing both `error` ids of a pair (positions in
    /// [`Validator::failure_ids`], the lower first), for the pairs that failed together.
    pub pairs: std::collections::BTreeMap<(usize, usize), u64>,
}

/// Evaluates one contract over the chunks of one file, in file order.
#[derive(Debug)]
pub struct Validator {
    contract: Contract,
    as_of: NaiveDate,
    ids: Vec<String>,
    /// Whether each id is a `warn` rule's.
    warn: Vec<bool>,
    /// The contract bound to the file's header; it holds the keys seen so far.
    plan: Option<Plan>,
}

impl Validator {
    /// A validator for `contract` with `as_of` as the reference date of date, timestamp and
    /// age rules.
    pub fn new(contract: Contract, as_of: NaiveDate) -> Result<Self> {
        contract.check()?;
        let ids = contract.failure_ids();
        let warn = ids.iter().map(|id| contract.is_warning(id)).collect();
        Ok(Self { contract, as_of, ids, warn, plan: None })
    }

    /// Failure ids in report order.
    pub fn failure_ids(&self) -> &[String] {
        &self.ids
    }

    /// The contract.
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The as-of date.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The bound header, after [`Validator::bind`].
    pub fn header(&self) -> Option<&Header> {
        self.plan.as_ref().map(|p| &p.header)
    }

    /// Checks the header against the contract (missing or clashing required columns reject
    /// the file) and prepares the evaluation. Must be called before [`Validator::validate`].
    pub fn bind(&mut self, header: &Header) -> Result<()> {
        let mut columns = Vec::new();
        let mut missing = Vec::new();
        // The header positions some contract column names (for `extra_columns`).
        let mut declared = vec![false; header.len()];
        for spec in &self.contract.columns {
            let found = header.find_all(&spec.name);
            for &position in found {
                declared[position] = true;
            }
            match (found, spec.required) {
                ([], true) => missing.push(spec.name.clone()),
                ([], false) => {}
                ([a, b, ..], true) => {
                    return Err(Rejection::DuplicateColumn {
                        column: spec.name.clone(),
                        positions: (a + 1, b + 1),
                    }
                    .into());
                }
                // An optional column named twice: the first one is used.
                ([first, ..], _) => columns.push(Bound { name: spec.name.clone(), position: *first }),
            }
        }
        if !missing.is_empty() {
            return Err(Rejection::MissingColumns { columns: missing }.into());
        }
        if self.contract.format.extra_columns == crate::contract::ExtraColumns::Reject {
            let extra: Vec<String> = header
                .raw()
                .iter()
                .zip(&declared)
                .filter(|(_, d)| !**d)
                .map(|(name, _)| name.clone())
                .collect();
            if !extra.is_empty() {
                return Err(Rejection::ExtraColumns { columns: extra }.into());
            }
        }
        self.plan = Some(Plan::compile(&self.contract, &self.ids, self.as_of, header.clone(), columns)?);
        Ok(())
    }

    /// Sizes the state kept across chunks (the keys of uniqueness rules) for a file of about
    /// `rows` rows, so that it is allocated once instead of grown as rows arrive. Only a hint:
    /// a file with more rows grows the state as usual. Does nothing before
    /// [`Validator::bind`].
    pub fn reserve(&mut self, rows: usize) {
        for compiled in self.plan.iter_mut().flat_map(|plan| &mut plan.steps) {
            if let Step::Unique { seen, .. } = &mut compiled.step {
                seen.reserve(rows);
            }
        }
    }

    /// Validates the next chunk of the file. Chunks must come in file order: uniqueness rules
    /// remember the keys of earlier chunks.
    ///
    /// Independent work runs on rayon's pool: the columns are trimmed and parsed and the
    /// outputs built in parallel, and the uniqueness rules (the costliest step) run beside the
    /// other rules.
    pub fn validate(&mut self, chunk: RawChunk) -> Result<ValidatedChunk> {
        let Self { plan, ids, warn, .. } = self;
        let plan = plan
            .as_mut()
            .ok_or_else(|| Error::Contract("validate called before bind: bind the header first".into()))?;
        let rows = chunk.height();
        let first_row = chunk.first_row;
        let frame = &chunk.frame;

        // 1. Trimmed views of every bound column (empty is null); the parsed columns.
        let raw: Vec<&Column> = plan
            .columns
            .iter()
            .map(|bound| frame.column(column_name(bound.position).as_str()))
            .collect::<PolarsResult<_>>()?;
        let strings: Vec<&StringChunked> = raw.iter().map(|c| c.str()).collect::<PolarsResult<_>>()?;
        let (values, trimmed): (Vec<Vec<Option<&str>>>, Vec<bool>) =
            strings.par_iter().map(|ca| trim_column(ca)).unzip();
        let parsed = plan.parse(&values);
        let columns = Columns {
            raw: &raw,
            values: &values,
            trimmed: &trimmed,
            parsed: &parsed,
            as_of: plan.as_of,
            rows,
        };

        let groups_before: Vec<u64> = plan.steps.iter().map(|c| c.step.duplicate_groups()).collect();

        // 2. One "fails" mask per id. Uniqueness rules without preconditions run beside the
        // rest; the others go in report order, so a precondition's mask is ready before use.
        let (beside, in_order): (Vec<_>, Vec<_>) = plan
            .steps
            .iter_mut()
            .enumerate()
            .partition(|(_, c)| matches!(c.step, Step::Unique { .. }) && c.guards.is_empty());
        let (beside, in_order) = rayon::join(
            || beside.into_iter().map(|(k, c)| (k, c.step.evaluate(&columns, &[]))).collect::<Vec<_>>(),
            || {
                let mut done: Vec<(usize, Vec<bool>)> = Vec::with_capacity(in_order.len());
                for (k, compiled) in in_order {
                    let guards: Vec<&[bool]> = compiled
                        .guards
                        .iter()
                        .filter_map(|g| done.iter().find(|(d, _)| d == g).map(|(_, mask)| mask.as_slice()))
                        .collect();
                    let mask = compiled.step.evaluate(&columns, &guards);
                    done.push((k, mask));
                }
                done
            },
        );
        let mut fails: Vec<Vec<bool>> = vec![Vec::new(); ids.len()];
        for (k, mask) in beside.into_iter().chain(in_order) {
            fails[k] = mask;
        }
        let duplicate_groups: Vec<u64> = plan
            .steps
            .iter()
            .zip(groups_before)
            .map(|(c, before)| c.step.duplicate_groups() - before)
            .collect();

        // 3. Counts, failed_rules and the split: an `error` rule's failure makes its row
        // invalid; a `warn` rule's leaves it valid, with a warning.
        let mut invalid_mask = vec![false; rows];
        let mut failures = vec![0u64; ids.len()];
        for ((fail, n), _) in fails.iter().zip(&mut failures).zip(warn.iter()).filter(|(_, w)| !**w) {
            for (bad, &f) in invalid_mask.iter_mut().zip(fail) {
                *bad |= f;
                *n += u64::from(f);
            }
        }
        let invalid_rows = invalid_mask.iter().filter(|&&bad| bad).count();
        // Error ids failing the same invalid row, by pairs (the report's "rules failing
        // together"), among the first `PAIR_IDS` ids the row fails: linear in the rules,
        // whatever share of them a row fails.
        let error_ids: Vec<usize> = (0..ids.len()).filter(|&k| !warn[k]).collect();
        let mut pairs = std::collections::BTreeMap::new();
        let mut failing = Vec::with_capacity(PAIR_IDS);
        for (row, _) in invalid_mask.iter().enumerate().filter(|(_, bad)| **bad) {
            failing.clear();
            failing.extend(
                error_ids
                    .iter()
                    .copied()
                    .filter(|&k| fails[k].get(row).copied().unwrap_or(false))
                    .take(PAIR_IDS),
            );
            for (n, &a) in failing.iter().enumerate() {
                for &b in &failing[n + 1..] {
                    *pairs.entry((a, b)).or_default() += 1;
                }
            }
        }
        let mut warned_mask = vec![false; if warn.contains(&true) { rows } else { 0 }];
        let mut warnings = vec![0u64; ids.len()];
        for ((fail, n), _) in fails.iter().zip(&mut warnings).zip(warn.iter()).filter(|(_, w)| **w) {
            for ((warned, &f), &bad) in warned_mask.iter_mut().zip(fail).zip(&invalid_mask) {
                let warns = f && !bad;
                *warned |= warns;
                *n += u64::from(warns);
            }
        }
        let warned_rows = warned_mask.iter().filter(|&&w| w).count();
        let pick = |warning: bool| -> (Vec<&[bool]>, Vec<&str>) {
            fails
                .iter()
                .zip(ids.iter())
                .zip(warn.iter())
                .filter(|(_, w)| **w == warning)
                .map(|((fail, id), _)| (fail.as_slice(), id.as_str()))
                .unzip()
        };
        let (error_fails, error_ids) = pick(false);
        let (warn_fails, warn_ids) = pick(true);
        let ((invalid, warned), valid) = rayon::join(
            || {
                (
                    outputs::flagged_rows_frame(
                        frame,
                        (&error_fails, &error_ids),
                        &invalid_mask,
                        invalid_rows,
                        first_row,
                        FAILED_RULES,
                    ),
                    outputs::flagged_rows_frame(
                        frame,
                        (&warn_fails, &warn_ids),
                        &warned_mask,
                        warned_rows,
                        first_row,
                        WARNED_RULES,
                    ),
                )
            },
            || outputs::valid_rows_frame(plan, &columns, &invalid_mask, invalid_rows, first_row),
        );
        Ok(ValidatedChunk {
            first_row,
            rows,
            valid: sift_model::Batch::new(valid?),
            invalid: invalid?,
            warned: warned?,
            failures,
            warnings,
            duplicate_groups,
            pairs,
        })
    }
}

pub use crate::calendar::date_from_days;

/// Parses exactly `YYYY-MM-DD` as a real calendar date (as the date rules read it).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    parse_day(text).and_then(|day| date_from_days(day.days))
}
