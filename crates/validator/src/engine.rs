//! The rule engine: binds a [`RuleSet`] to a file's header and evaluates it on chunks of raw
//! rows, column by column, over the chunk's polars string columns.
//!
//! Binding compiles the rule set into one `Step` per failure id. Per chunk:
//!
//! 1. every bound column is read once into trimmed views of its polars array (`&str` slices
//!    into the Arrow buffers: no copy; empty after trimming is null), and the integer and date
//!    columns are parsed once (dates into day numbers: `calendar.rs`);
//! 2. each step writes its "fails" mask over the whole column (regexes through
//!    `pattern.rs`, preconditions masked with the earlier steps' masks); uniqueness keys are
//!    built, hashed and checked against the rule's `SeenKeys` (`keys.rs`) in file order;
//! 3. the masks give the counts, the `failed_rules` text of the invalid rows, and the split:
//!    polars filters the raw frame into the invalid rows and the typed, trimmed columns into
//!    the valid ones. String outputs stay in the raw column's Arrow buffers: the kept views,
//!    with a new view (into the same buffer, or inline) for each value trimming changed.
//!
//! The kernels are plain loops over column slices rather than polars lazy expressions: polars'
//! `strip_chars` copies every column, its `str.contains` sets up a regex search per value, and
//! `failed_rules` was joined for every row; that made read + validate cost 4.3 times the read
//! alone (the benchmark table in the README, under `sift run`). Independent steps run on
//! rayon's pool.

use std::collections::HashSet;

use chrono::NaiveDate;
use polars::prelude::*;
use rayon::prelude::*;

use crate::calendar::{Day, parse_day};
use crate::csv::{Header, RawChunk, column_name};
use crate::error::{Error, Rejection, Result};
use crate::keys::{KeyColumn, SeenKeys};
use crate::pattern::Pattern;
use crate::rules::{Check, RuleSet};

/// Name of the 1-based data-row number column in both outputs.
pub const ROW_NUMBER: &str = "row_number";
/// Name of the `;`-joined failure ids column in the invalid rows.
pub const FAILED_RULES: &str = "failed_rules";

/// One validated chunk.
#[derive(Debug, Clone)]
pub struct ValidatedChunk {
    /// 1-based data-row number of the chunk's first row.
    pub first_row: u64,
    /// Rows in the chunk.
    pub rows: usize,
    /// Valid rows: one column per rule-set column the file has, trimmed and typed (`Int64` for
    /// integer-checked columns, `Date` for date-checked ones, `String` otherwise), then
    /// [`ROW_NUMBER`].
    pub valid: DataFrame,
    /// Invalid rows: the raw file columns (named by [`crate::csv::column_name`]), then
    /// [`ROW_NUMBER`] and [`FAILED_RULES`].
    pub invalid: DataFrame,
    /// Rows failing each id, in [`Validator::failure_ids`] order.
    pub failures: Vec<u64>,
}

/// Evaluates one rule set over the chunks of one file, in file order.
#[derive(Debug)]
pub struct Validator {
    rules: RuleSet,
    as_of: NaiveDate,
    ids: Vec<String>,
    /// The rule set bound to the file's header; it holds the keys seen so far.
    plan: Option<Plan>,
}

/// A rule-set column the file has.
#[derive(Debug)]
struct Bound {
    /// Name in the rule set.
    name: String,
    /// Position in the file's header.
    position: usize,
}

/// How one failure id is evaluated. `column` fields index [`Plan::columns`]; `int` and `date`
/// index the parsed columns ([`Plan::ints`], [`Plan::dates`]).
#[derive(Debug)]
enum Step {
    NotNull {
        column: usize,
    },
    Regex {
        column: usize,
        pattern: Box<Pattern>,
    },
    Integer {
        column: usize,
        int: usize,
        min: i64,
        max: i64,
    },
    Date {
        column: usize,
        date: usize,
        /// Day numbers (days since 1970-01-01) the date must be after, and before.
        after: Option<i32>,
        before: Option<i32>,
    },
    OneOf {
        column: usize,
        allowed: HashSet<String>,
        fold: bool,
    },
    /// The keys seen so far in the file live with the step.
    Unique {
        parts: Vec<KeyColumn>,
        seen: SeenKeys,
    },
    CompletedYears {
        years: usize,
        int: usize,
        date_column: usize,
        date: usize,
    },
}

/// A step and its preconditions: the ids (positions) whose failure means the step is not
/// evaluated on that row.
#[derive(Debug)]
struct Compiled {
    step: Step,
    guards: Vec<usize>,
}

/// A column of the valid rows, in rule-set order.
#[derive(Debug)]
enum Output {
    /// Trimmed text of a bound column.
    Text { column: usize },
    /// The parsed integers of `ints[int]`.
    Int { column: usize, int: usize },
    /// The parsed dates of `dates[date]`.
    Date { column: usize, date: usize },
}

#[derive(Debug)]
struct Plan {
    header: Header,
    /// The rule-set columns the file has, in rule-set order.
    columns: Vec<Bound>,
    /// Columns parsed as integers, each with whether a leading `-` is allowed.
    ints: Vec<(usize, bool)>,
    /// Columns parsed as dates.
    dates: Vec<usize>,
    /// The as-of date, as date rules compare it.
    as_of: Day,
    /// One per failure id, in report order.
    steps: Vec<Compiled>,
    /// The valid rows' columns.
    outputs: Vec<Output>,
}

impl Validator {
    /// A validator for `rules` with `as_of` as the reference date of date and age rules.
    pub fn new(rules: RuleSet, as_of: NaiveDate) -> Result<Self> {
        rules.check()?;
        let ids = rules.failure_ids();
        Ok(Self { rules, as_of, ids, plan: None })
    }

    /// Failure ids in report order.
    pub fn failure_ids(&self) -> &[String] {
        &self.ids
    }

    /// The rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The as-of date.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The bound header, after [`Validator::bind`].
    pub fn header(&self) -> Option<&Header> {
        self.plan.as_ref().map(|p| &p.header)
    }

    /// Checks the header against the rule set (missing or clashing required columns reject
    /// the file) and prepares the evaluation. Must be called before [`Validator::validate`].
    pub fn bind(&mut self, header: &Header) -> Result<()> {
        let mut columns = Vec::new();
        let mut missing = Vec::new();
        for spec in &self.rules.columns {
            let found = header.find_all(&spec.name);
            match (found.as_slice(), spec.required) {
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
        self.plan = Some(self.compile(header.clone(), columns)?);
        Ok(())
    }

    fn compile(&self, header: Header, columns: Vec<Bound>) -> Result<Plan> {
        let at = |name: &str| {
            columns
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| Error::RuleSet(format!("column `{name}` is read by a rule but is not bound")))
        };

        // Parsed columns, once each: integers (a leading `-` when any rule's range is
        // negative), then dates.
        let mut ints: Vec<(usize, bool)> = Vec::new();
        let mut dates: Vec<usize> = Vec::new();
        let mut want_int = |c: usize, negative: bool| match ints.iter_mut().position(|(n, _)| *n == c) {
            Some(i) => {
                ints[i].1 |= negative;
                i
            }
            None => {
                ints.push((c, negative));
                ints.len() - 1
            }
        };
        let mut want_date = |c: usize| match dates.iter().position(|&n| n == c) {
            Some(i) => i,
            None => {
                dates.push(c);
                dates.len() - 1
            }
        };

        let mut steps: Vec<Compiled> = Vec::with_capacity(self.ids.len());
        for spec in self.rules.columns.iter().filter(|c| c.required) {
            steps.push(Compiled { step: Step::NotNull { column: at(&spec.name)? }, guards: Vec::new() });
        }
        let n_not_null = steps.len();
        for rule in &self.rules.rules {
            let step = match &rule.check {
                Check::Regex { column, pattern } => Step::Regex {
                    column: at(column)?,
                    pattern: Box::new(
                        Pattern::new(pattern)
                            .map_err(|source| Error::Regex { rule: rule.id.clone(), source })?,
                    ),
                },
                Check::Integer { column, min, max } => {
                    let c = at(column)?;
                    Step::Integer { column: c, int: want_int(c, *min < 0), min: *min, max: *max }
                }
                Check::Date { column, after, before_as_of } => {
                    let c = at(column)?;
                    Step::Date {
                        column: c,
                        date: want_date(c),
                        after: after.map(crate::calendar::days_since_epoch),
                        before: before_as_of.then(|| Day::from_date(self.as_of).days),
                    }
                }
                Check::OneOf { column, values, case_insensitive } => {
                    let fold = *case_insensitive;
                    Step::OneOf {
                        column: at(column)?,
                        allowed: values
                            .iter()
                            .map(|v| if fold { v.to_lowercase() } else { v.clone() })
                            .collect(),
                        fold,
                    }
                }
                Check::Unique { key } => Step::Unique {
                    seen: SeenKeys::new(),
                    parts: key
                        .iter()
                        .map(|part| {
                            Ok(KeyColumn {
                                column: at(&part.column)?,
                                lowercase: part.lowercase,
                                collapse: part.collapse_spaces,
                            })
                        })
                        .collect::<Result<_>>()?,
                },
                Check::CompletedYears { years, date } => {
                    let (years, date_column) = (at(years)?, at(date)?);
                    Step::CompletedYears {
                        years,
                        int: want_int(years, false),
                        date_column,
                        date: want_date(date_column),
                    }
                }
            };
            // `RuleSet::check` makes preconditions name earlier, non-uniqueness rules.
            let guards = rule
                .only_if_passed
                .iter()
                .filter_map(|pre| self.rules.rules.iter().position(|r| &r.id == pre))
                .map(|r| n_not_null + r)
                .collect();
            steps.push(Compiled { step, guards });
        }

        let outputs = (0..columns.len())
            .map(|c| {
                if let Some(int) = ints.iter().position(|(n, _)| *n == c) {
                    Output::Int { column: c, int }
                } else if let Some(date) = dates.iter().position(|&n| n == c) {
                    Output::Date { column: c, date }
                } else {
                    Output::Text { column: c }
                }
            })
            .collect();
        Ok(Plan { header, columns, ints, dates, as_of: Day::from_date(self.as_of), steps, outputs })
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
    /// Independent work runs on rayon's pool: the columns are trimmed and the outputs built in
    /// parallel, and the uniqueness rules (the costliest step) run beside the other rules.
    pub fn validate(&mut self, chunk: RawChunk) -> Result<ValidatedChunk> {
        let Self { plan, ids, .. } = self;
        let plan = plan
            .as_mut()
            .ok_or_else(|| Error::RuleSet("validate called before bind: bind the header first".into()))?;
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
        let (ints, dates): (Vec<Parsed<i64>>, Vec<Parsed<Day>>) = rayon::join(
            || {
                plan.ints
                    .par_iter()
                    .map(|&(c, negative)| {
                        values[c].iter().map(|v| v.and_then(|s| parse_int(s, negative))).collect()
                    })
                    .collect()
            },
            || {
                plan.dates
                    .par_iter()
                    .map(|&c| values[c].iter().map(|v| v.and_then(parse_day)).collect())
                    .collect()
            },
        );
        let columns = Columns {
            raw: &raw,
            values: &values,
            trimmed: &trimmed,
            ints: &ints,
            dates: &dates,
            as_of: plan.as_of,
            rows,
        };

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

        // 3. Counts, failed_rules and the split.
        let mut invalid_mask = vec![false; rows];
        let failures = fails
            .iter()
            .map(|fail| {
                let mut n = 0u64;
                for (bad, &f) in invalid_mask.iter_mut().zip(fail) {
                    *bad |= f;
                    n += u64::from(f);
                }
                n
            })
            .collect();
        let invalid_rows = invalid_mask.iter().filter(|&&bad| bad).count();
        let (invalid, valid) = rayon::join(
            || invalid_rows_frame(frame, &fails, ids, &invalid_mask, invalid_rows, first_row),
            || valid_rows_frame(plan, &columns, &invalid_mask, invalid_rows, first_row),
        );
        Ok(ValidatedChunk { first_row, rows, valid: valid?, invalid: invalid?, failures })
    }
}

/// A parsed column: `None` where the value is null or does not parse.
type Parsed<T> = Vec<Option<T>>;

/// A chunk's bound columns: raw, trimmed (and whether trimming changed any value), parsed.
struct Columns<'a, 'v> {
    raw: &'a [&'v Column],
    values: &'a [Vec<Option<&'v str>>],
    trimmed: &'a [bool],
    ints: &'a [Parsed<i64>],
    dates: &'a [Parsed<Day>],
    as_of: Day,
    rows: usize,
}

impl Step {
    /// The step's "fails" mask over a chunk. `guards` are the masks of its preconditions: a row
    /// failing one is not evaluated (it does not fail, and takes no part in a uniqueness key).
    fn evaluate(&mut self, c: &Columns<'_, '_>, guards: &[&[bool]]) -> Vec<bool> {
        let mut fail = vec![false; c.rows];
        match self {
            Step::NotNull { column } => {
                for (f, v) in fail.iter_mut().zip(&c.values[*column]) {
                    *f = v.is_none();
                }
            }
            Step::Regex { column, pattern } => pattern.mark_mismatches(&c.values[*column], &mut fail),
            Step::Integer { column, int, min, max } => {
                for ((f, v), p) in fail.iter_mut().zip(&c.values[*column]).zip(&c.ints[*int]) {
                    *f = v.is_some() && !p.is_some_and(|p| (*min..=*max).contains(&p));
                }
            }
            Step::Date { column, date, after, before } => {
                for ((f, v), d) in fail.iter_mut().zip(&c.values[*column]).zip(&c.dates[*date]) {
                    *f = v.is_some()
                        && !d.is_some_and(|d| {
                            after.is_none_or(|after| d.days > after)
                                && before.is_none_or(|before| d.days < before)
                        });
                }
            }
            Step::OneOf { column, allowed, fold } => {
                let mut lower = String::new();
                for (f, v) in fail.iter_mut().zip(&c.values[*column]) {
                    *f = v.is_some_and(|v| !one_of(v, allowed, *fold, &mut lower));
                }
            }
            Step::CompletedYears { years, int, date_column, date } => {
                let present = c.values[*years].iter().zip(&c.values[*date_column]);
                for ((f, (y, d)), (p, born)) in
                    fail.iter_mut().zip(present).zip(c.ints[*int].iter().zip(&c.dates[*date]))
                {
                    *f = y.is_some()
                        && d.is_some()
                        && matches!((p, born), (Some(p), Some(born)) if *p != born.completed_years_at(c.as_of));
                }
            }
            Step::Unique { parts, seen } => {
                // A row that takes no part has no key and never fails.
                seen.check(parts, c.values, guards, &mut fail);
                return fail;
            }
        }
        for guard in guards {
            for (f, &pre_failed) in fail.iter_mut().zip(*guard) {
                *f &= !pre_failed;
            }
        }
        fail
    }
}

impl Output {
    fn column(&self) -> usize {
        match *self {
            Output::Text { column } | Output::Int { column, .. } | Output::Date { column, .. } => column,
        }
    }
}

/// The valid rows of a chunk: the rule-set columns the file has, trimmed and typed, then
/// [`ROW_NUMBER`].
fn valid_rows_frame(
    plan: &Plan,
    c: &Columns<'_, '_>,
    invalid_mask: &[bool],
    invalid_rows: usize,
    first_row: u64,
) -> PolarsResult<DataFrame> {
    let valid_mask = (invalid_rows > 0).then(|| {
        let keep: Vec<bool> = invalid_mask.iter().map(|bad| !bad).collect();
        BooleanChunked::from_slice("valid".into(), &keep)
    });
    let mut out: Vec<Column> = plan
        .outputs
        .par_iter()
        .map(|output| {
            let name = plan.columns[output.column()].name.as_str();
            Ok(match *output {
                Output::Text { column } if c.trimmed[column] => {
                    kept_trimmed_text(name, c.raw[column].str()?, &c.values[column], invalid_mask)
                        .into_column()
                }
                Output::Text { column } => {
                    // Nothing to trim: the same Arrow buffers, only the kept views.
                    let same = c.raw[column].clone().with_name(name.into());
                    match &valid_mask {
                        Some(mask) => same.filter(mask)?,
                        None => same,
                    }
                }
                Output::Int { int, .. } => {
                    kept_column::<i64, Int64Type>(name, c.ints[int].iter().copied(), invalid_mask)
                }
                Output::Date { date, .. } => {
                    let days = c.dates[date].iter().map(|d| d.map(|d| d.days));
                    kept_column::<i32, Int32Type>(name, days, invalid_mask)
                        .as_materialized_series()
                        .clone()
                        .into_date()
                        .into_column()
                }
            })
        })
        .collect::<PolarsResult<_>>()?;
    let numbers: Vec<u64> = (0..c.rows).filter(|&i| !invalid_mask[i]).map(|i| first_row + i as u64).collect();
    out.push(Column::new(ROW_NUMBER.into(), numbers));
    DataFrame::new(c.rows - invalid_rows, out)
}

/// The kept rows of a string column whose trimming changed some values, as views into the raw
/// column's Arrow buffers: a value trimming left alone keeps its view, a trimmed one gets a
/// view of its trimmed bytes in the same buffer (inline when 12 bytes or fewer). No value is
/// copied, only 16-byte views, and the text stays the raw column's, already checked UTF-8.
fn kept_trimmed_text(
    name: &str,
    raw: &StringChunked,
    values: &[Option<&str>],
    drop: &[bool],
) -> StringChunked {
    use polars_arrow::array::{MutableBinaryViewArray, View};

    let mut start = 0;
    let arrays = raw.downcast_iter().map(|array| {
        let rows = start..start + array.len();
        start = rows.end;
        let kept = drop[rows.clone()].iter().filter(|d| !**d).count();
        let mut out = MutableBinaryViewArray::<str>::with_capacity(kept);
        let (views, buffers) = (array.views(), array.data_buffers());
        let each = values[rows.clone()].iter().zip(&drop[rows]).enumerate();
        for (i, (value, _)) in each.filter(|(_, (_, d))| !**d) {
            let Some(value) = value else {
                out.push_null();
                continue;
            };
            let view = views[i];
            if value.len() == view.length as usize {
                out.push_view(view, buffers);
            } else {
                // `value` lies within the raw one: its offset there is what trimming took off
                // the front.
                let lead = (value.as_ptr() as usize).wrapping_sub(array.value(i).as_ptr() as usize);
                let offset = view.offset.wrapping_add(u32::try_from(lead).unwrap_or(u32::MAX));
                out.push_view(View::new_from_bytes(value.as_bytes(), view.buffer_idx, offset), buffers);
            }
        }
        out.freeze()
    });
    StringChunked::from_chunk_iter(name.into(), arrays.collect::<Vec<_>>())
}

/// The invalid rows of a chunk: the raw columns, [`ROW_NUMBER`] and [`FAILED_RULES`].
fn invalid_rows_frame(
    frame: &DataFrame,
    fails: &[Vec<bool>],
    ids: &[String],
    invalid_mask: &[bool],
    invalid_rows: usize,
    first_row: u64,
) -> PolarsResult<DataFrame> {
    if invalid_rows == 0 {
        let mut empty = frame.clear();
        empty.with_column(Column::new(ROW_NUMBER.into(), Vec::<u64>::new()))?;
        empty.with_column(Column::new(FAILED_RULES.into(), Vec::<String>::new()))?;
        return Ok(empty);
    }
    let mut numbers = Vec::with_capacity(invalid_rows);
    let mut failed_rules = Vec::with_capacity(invalid_rows);
    for (i, _) in invalid_mask.iter().enumerate().filter(|(_, bad)| **bad) {
        numbers.push(first_row + i as u64);
        let mut text = String::new();
        for (fail, id) in fails.iter().zip(ids) {
            if fail[i] {
                if !text.is_empty() {
                    text.push(';');
                }
                text.push_str(id);
            }
        }
        failed_rules.push(text);
    }
    let mask = BooleanChunked::from_slice("invalid".into(), invalid_mask);
    let mut invalid = frame.filter(&mask)?;
    invalid.with_column(Column::new(ROW_NUMBER.into(), numbers))?;
    invalid.with_column(Column::new(FAILED_RULES.into(), failed_rules))?;
    Ok(invalid)
}

/// The trimmed values of a raw column (empty after trimming is null), and whether any value
/// changed (so the raw column cannot stand for the trimmed one).
fn trim_column(ca: &StringChunked) -> (Vec<Option<&str>>, bool) {
    let mut changed = false;
    let mut values = Vec::with_capacity(ca.len());
    let no_nulls = ca.null_count() == 0;
    for array in ca.downcast_iter() {
        if no_nulls {
            values.extend(array.values_iter().map(|v| trim(v, &mut changed)));
        } else {
            values.extend(array.iter().map(|v| v.and_then(|v| trim(v, &mut changed))));
        }
    }
    (values, changed)
}

/// `value` trimmed of surrounding whitespace (`str::trim`), `None` when nothing is left;
/// `changed` is set when the result is not `value` itself.
#[inline]
fn trim<'a>(value: &'a str, changed: &mut bool) -> Option<&'a str> {
    // Whitespace is ASCII up to the space, or not ASCII: a value that starts and ends with
    // other ASCII bytes is already trimmed (the common case, without decoding characters).
    let plain = |b: u8| b > b' ' && b.is_ascii();
    let bytes = value.as_bytes();
    if let (Some(&first), Some(&last)) = (bytes.first(), bytes.last())
        && plain(first)
        && plain(last)
    {
        return Some(value);
    }
    let trimmed = value.trim();
    *changed |= trimmed.len() != value.len() || trimmed.is_empty();
    (!trimmed.is_empty()).then_some(trimmed)
}

/// The kept rows of `values` (one per row of the chunk) as a column; a column without nulls is
/// built from a plain vector (the fast path: valid rows have no null in a checked column),
/// compacted in one pass that writes every row and advances past the kept ones only.
fn kept_column<T, N>(name: &str, values: impl Iterator<Item = Option<T>> + Clone, drop: &[bool]) -> Column
where
    T: Copy + Default,
    N: PolarsNumericType<Native = T>,
    ChunkedArray<N>: IntoColumn,
{
    let mut out = vec![T::default(); drop.len()];
    let (mut kept, mut nulls) = (0, false);
    for (value, &dropped) in values.clone().zip(drop) {
        if let Some(slot) = out.get_mut(kept) {
            *slot = value.unwrap_or_default();
        }
        nulls |= !dropped && value.is_none();
        kept += usize::from(!dropped);
    }
    if nulls {
        let kept = values.zip(drop).filter(|(_, d)| !**d).map(|(v, _)| v);
        return ChunkedArray::<N>::from_iter_options(name.into(), kept).into_column();
    }
    out.truncate(kept);
    ChunkedArray::<N>::from_vec(name.into(), out).into_column()
}

/// Membership of a `OneOf` set; `lower` is scratch space for the case-folded value.
fn one_of(value: &str, allowed: &HashSet<String>, fold: bool, lower: &mut String) -> bool {
    if !fold {
        return allowed.contains(value);
    }
    if value.is_ascii() {
        lower.clear();
        lower.push_str(value);
        lower.make_ascii_lowercase();
        allowed.contains(lower.as_str())
    } else {
        allowed.contains(&value.to_lowercase())
    }
}

/// Parses a base-10 integer the way SPEC section 3 reads ids and ages: ASCII digits only (a
/// leading `-` when `negative`), leading zeros allowed, no sign, no spaces. `None` when the text
/// is not such a number or does not fit in an `i64`.
pub fn parse_int(text: &str, negative: bool) -> Option<i64> {
    let (minus, digits) = match text.strip_prefix('-') {
        Some(rest) if negative => (true, rest),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate the magnitude in a u64 (room for |i64::MIN|); any non-digit or overflow fails.
    let mut magnitude: u64 = 0;
    for b in digits.bytes() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        magnitude = magnitude.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    if minus { 0i64.checked_sub_unsigned(magnitude) } else { i64::try_from(magnitude).ok() }
}

pub use crate::calendar::date_from_days;

/// Parses exactly `YYYY-MM-DD` as a real calendar date (as the date rules read it).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    parse_day(text).and_then(|day| date_from_days(day.days))
}

/// Completed years from `born` to `as_of`: a birthday not yet reached this year does not count,
/// so a 29 February birthday is reached on 1 March in a non-leap year.
pub fn completed_years(born: NaiveDate, as_of: NaiveDate) -> i64 {
    Day::from_date(born).completed_years_at(Day::from_date(as_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_columns_compact_the_kept_rows_and_keep_their_nulls() {
        let values = [Some(1i64), None, Some(3), Some(4)];
        let kept = |drop: &[bool]| {
            let column = kept_column::<i64, Int64Type>("x", values.iter().copied(), drop);
            column.i64().map(|ca| ca.iter().collect::<Vec<_>>()).unwrap_or_default()
        };
        assert_eq!(kept(&[false, true, false, false]), [Some(1), Some(3), Some(4)]);
        assert_eq!(kept(&[false, false, true, false]), [Some(1), None, Some(4)]);
        assert_eq!(kept(&[true, true, true, true]), []);
        assert_eq!(kept(&[false; 4]), values);
    }

    #[test]
    fn integers_parse_as_the_spec_reads_them() {
        let cases = [
            ("0", false, Some(0)),
            ("007", false, Some(7)),
            ("9223372036854775807", false, Some(i64::MAX)),
            ("0000000000000000000000009223372036854775807", false, Some(i64::MAX)),
            ("9223372036854775808", false, None),
            ("99999999999999999999999", false, None),
            ("-5", false, None),
            ("-5", true, Some(-5)),
            ("-9223372036854775808", true, Some(i64::MIN)),
            ("-9223372036854775809", true, None),
            ("-", true, None),
            ("", false, None),
            ("+1", false, None),
            ("1a", false, None),
            ("1 2", false, None),
            ("١", false, None),
        ];
        for (text, negative, expected) in cases {
            assert_eq!(parse_int(text, negative), expected, "{text:?} (negative allowed: {negative})");
        }
    }
}
