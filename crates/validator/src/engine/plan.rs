//! Compiling a contract, bound to a file's header, into what the kernels run: one step per
//! failure id, the columns parsed once, and the valid rows' columns.

use std::collections::HashSet;

use chrono::NaiveDate;
use sift_model::{ColumnType, Decimal};

use super::kernels::Parsed;
use crate::calendar::Day;
use crate::contract::{Check, Contract};
use crate::csv::Header;
use crate::error::{Error, Result};
use crate::keys::{KeyColumn, SeenKeys};
use crate::pattern::Pattern;

/// A contract column the file has.
#[derive(Debug)]
pub(super) struct Bound {
    /// Name in the contract.
    pub name: String,
    /// Position in the file's header.
    pub position: usize,
}

/// How one failure id is evaluated. `column` fields index [`Plan::columns`]; `int`, `date`,
/// `decimal`, `boolean` and `instant` index the parsed columns of their kind.
#[derive(Debug)]
pub(super) enum Step {
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
    Decimal {
        column: usize,
        decimal: usize,
        /// Digits allowed before the point, and after it.
        integer_digits: usize,
        fraction_digits: usize,
        min: Option<String>,
        max: Option<String>,
    },
    Boolean {
        column: usize,
        boolean: usize,
    },
    Date {
        column: usize,
        date: usize,
        /// Day numbers (days since 1970-01-01) the date must be after, and before.
        after: Option<i32>,
        before: Option<i32>,
    },
    Timestamp {
        column: usize,
        instant: usize,
        /// Microseconds since 1970-01-01 UTC the instant must be after, and before.
        after: Option<i64>,
        before: Option<i64>,
    },
    Length {
        column: usize,
        min: u64,
        max: u64,
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
    /// A value of one of these (loaded text) columns holds a NUL byte.
    NulByte {
        columns: Vec<usize>,
    },
    /// A check on an optional column the file does not have: every value is null, and a null
    /// passes every check (SQL `CHECK` semantics), so no row fails.
    Absent,
}

/// A step and its preconditions: the ids (positions) whose failure means the step is not
/// evaluated on that row.
#[derive(Debug)]
pub(super) struct Compiled {
    pub step: Step,
    pub guards: Vec<usize>,
}

/// A column of the valid rows: one per table column, in table order.
#[derive(Debug)]
pub(super) enum Output {
    /// Trimmed text of a bound column.
    Text { name: String, column: usize },
    /// The parsed integers of `ints[int]`.
    Int { name: String, int: usize },
    /// The parsed decimals of `decimals[decimal]`, as canonical text with `scale` digits.
    Decimal { name: String, decimal: usize, scale: usize },
    /// The parsed booleans of `booleans[boolean]`.
    Boolean { name: String, boolean: usize },
    /// The parsed dates of `dates[date]`.
    Date { name: String, date: usize },
    /// The parsed instants of `instants[instant]`, in microseconds.
    Timestamp { name: String, instant: usize },
    /// An optional column the file does not have: null in every row.
    Missing { name: String, ty: ColumnType },
}

/// The words a boolean column reads, lower-cased.
#[derive(Debug)]
pub(super) struct BooleanWords {
    pub column: usize,
    pub yes: HashSet<String>,
    pub no: HashSet<String>,
}

/// What to parse once per chunk, by kind: the bound columns read as each type.
#[derive(Debug, Default)]
pub(super) struct ToParse {
    /// Integer columns, each with whether a leading `-` is allowed.
    pub ints: Vec<(usize, bool)>,
    pub decimals: Vec<usize>,
    pub booleans: Vec<BooleanWords>,
    pub dates: Vec<usize>,
    pub instants: Vec<usize>,
}

#[derive(Debug)]
pub(super) struct Plan {
    pub header: Header,
    /// The contract columns the file has, in contract order.
    pub columns: Vec<Bound>,
    pub parse: ToParse,
    /// The as-of date, as date rules compare it.
    pub as_of: Day,
    /// One per failure id, in report order.
    pub steps: Vec<Compiled>,
    /// The valid rows' columns.
    pub outputs: Vec<Output>,
}

/// The index of `c` in `list` (by `key`), added when missing.
fn index_of<T>(list: &mut Vec<T>, c: usize, key: impl Fn(&T) -> usize, new: impl FnOnce() -> T) -> usize {
    match list.iter().position(|t| key(t) == c) {
        Some(i) => i,
        None => {
            list.push(new());
            list.len() - 1
        }
    }
}

impl Plan {
    pub(super) fn compile(
        contract: &Contract,
        ids: &[String],
        as_of: NaiveDate,
        header: Header,
        columns: Vec<Bound>,
    ) -> Result<Plan> {
        let at = |name: &str| {
            columns
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| Error::Contract(format!("column `{name}` is read by a rule but is not bound")))
        };
        let as_of_day = Day::from_date(as_of);
        let mut parse = ToParse::default();
        let want_int = |parse: &mut ToParse, c: usize, negative: bool| {
            let i = index_of(&mut parse.ints, c, |&(n, _)| n, || (c, negative));
            parse.ints[i].1 |= negative;
            i
        };

        let mut steps: Vec<Compiled> = Vec::with_capacity(ids.len());
        for spec in contract.columns.iter().filter(|c| c.required) {
            steps.push(Compiled { step: Step::NotNull { column: at(&spec.name)? }, guards: Vec::new() });
        }
        let n_not_null = steps.len();
        for rule in &contract.rules {
            // `Contract::check` makes every column a rule reads a declared one, and a required
            // column the file lacks rejects it: an unbound column is an optional one, absent.
            let absent = rule.check.columns().iter().any(|name| columns.iter().all(|b| b.name != *name));
            let step = match &rule.check {
                _ if absent => Step::Absent,
                Check::Regex { column, pattern } => Step::Regex {
                    column: at(column)?,
                    pattern: Box::new(
                        Pattern::new(pattern)
                            .map_err(|source| Error::Regex { rule: rule.id.clone(), source })?,
                    ),
                },
                Check::Integer { column, min, max } => {
                    let c = at(column)?;
                    Step::Integer { column: c, int: want_int(&mut parse, c, *min < 0), min: *min, max: *max }
                }
                Check::Decimal { column, precision, scale, min, max } => {
                    let c = at(column)?;
                    Step::Decimal {
                        column: c,
                        decimal: index_of(&mut parse.decimals, c, |&n| n, || c),
                        integer_digits: usize::from(precision - scale),
                        fraction_digits: usize::from(*scale),
                        min: min.clone(),
                        max: max.clone(),
                    }
                }
                Check::Boolean { .. } => {
                    let c = at(rule.check.columns()[0])?;
                    let (yes, no) = rule.check.boolean_words();
                    let boolean = index_of(
                        &mut parse.booleans,
                        c,
                        |b| b.column,
                        || BooleanWords {
                            column: c,
                            yes: yes.into_iter().collect(),
                            no: no.into_iter().collect(),
                        },
                    );
                    Step::Boolean { column: c, boolean }
                }
                Check::Date { column, after, before_as_of } => {
                    let c = at(column)?;
                    Step::Date {
                        column: c,
                        date: index_of(&mut parse.dates, c, |&n| n, || c),
                        after: after.map(crate::calendar::days_since_epoch),
                        before: before_as_of.then_some(as_of_day.days),
                    }
                }
                Check::Timestamp { column, after, before_as_of } => {
                    let c = at(column)?;
                    let after = match after {
                        Some(text) => Some(crate::instant::parse_instant(text).ok_or_else(|| {
                            Error::Contract(format!(
                                "rule `{}`: after {text:?} is not an RFC 3339 timestamp",
                                rule.id
                            ))
                        })?),
                        None => None,
                    };
                    Step::Timestamp {
                        column: c,
                        instant: index_of(&mut parse.instants, c, |&n| n, || c),
                        after,
                        before: before_as_of.then(|| crate::instant::day_start_micros(as_of_day.days)),
                    }
                }
                Check::Length { column, min, max } => {
                    Step::Length { column: at(column)?, min: min.unwrap_or(0), max: max.unwrap_or(u64::MAX) }
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
                        int: want_int(&mut parse, years, false),
                        date_column,
                        date: index_of(&mut parse.dates, date_column, |&n| n, || date_column),
                    }
                }
            };
            // `Contract::check` makes preconditions name earlier, non-uniqueness rules.
            let guards = rule
                .only_if_passed
                .iter()
                .filter_map(|pre| contract.rules.iter().position(|r| &r.id == pre))
                .map(|r| n_not_null + r)
                .collect();
            steps.push(Compiled { step, guards });
        }

        if ids.last().is_some_and(|id| id == crate::contract::NUL_BYTE) {
            let text: HashSet<String> = contract.text_columns().into_iter().collect();
            let columns =
                columns.iter().enumerate().filter(|(_, b)| text.contains(&b.name)).map(|(i, _)| i).collect();
            steps.push(Compiled { step: Step::NulByte { columns }, guards: Vec::new() });
        }

        // The valid rows: the table's columns, in order, each from what its check parsed.
        let outputs = contract
            .table_columns()
            .into_iter()
            .map(|column| {
                let name = column.name;
                let Some(c) = columns.iter().position(|b| b.name == name) else {
                    return Ok(Output::Missing { name, ty: column.ty });
                };
                let find = |list: &[usize]| list.iter().position(|&n| n == c);
                let parsed = match column.ty {
                    ColumnType::Text => Some(Output::Text { name: name.clone(), column: c }),
                    ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64 => parse
                        .ints
                        .iter()
                        .position(|&(n, _)| n == c)
                        .map(|int| Output::Int { name: name.clone(), int }),
                    ColumnType::Decimal { scale, .. } => find(&parse.decimals).map(|decimal| {
                        Output::Decimal { name: name.clone(), decimal, scale: usize::from(scale) }
                    }),
                    ColumnType::Boolean => parse
                        .booleans
                        .iter()
                        .position(|b| b.column == c)
                        .map(|boolean| Output::Boolean { name: name.clone(), boolean }),
                    ColumnType::Date => {
                        find(&parse.dates).map(|date| Output::Date { name: name.clone(), date })
                    }
                    ColumnType::Timestamp => {
                        find(&parse.instants).map(|instant| Output::Timestamp { name: name.clone(), instant })
                    }
                };
                parsed.ok_or_else(|| {
                    Error::Contract(format!("column `{name}` is typed {} but never parsed", column.ty))
                })
            })
            .collect::<Result<_>>()?;
        Ok(Plan { header, columns, parse, as_of: as_of_day, steps, outputs })
    }

    /// Parses the bound columns that are read as integers, decimals, booleans, dates and
    /// instants (each once, in parallel), from the chunk's trimmed `values`.
    pub(super) fn parse<'v>(&self, values: &[Vec<Option<&'v str>>]) -> Parsed<'v> {
        Parsed::of(&self.parse, values)
    }
}

/// A decimal bound of a step, parsed for a chunk's comparisons.
pub(super) fn bound(text: &Option<String>) -> Option<Decimal<'_>> {
    text.as_deref().and_then(Decimal::parse)
}
