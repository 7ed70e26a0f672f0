//! The kernels: trimming and parsing a chunk's columns once, and each step's "fails" mask
//! over a whole column.

use std::collections::HashSet;

use polars::prelude::{Column, StringChunked};
use rayon::prelude::*;
use sift_model::Decimal;

use super::plan::{BooleanWords, Step, ToParse, bound};
use crate::calendar::{Day, parse_day};
use crate::instant::parse_instant;

/// A parsed column: `None` where the value is null or does not parse.
pub(super) type ParsedColumn<T> = Vec<Option<T>>;

/// The columns of a chunk read as each type, indexed as [`ToParse`] lists them.
#[derive(Debug, Default)]
pub(super) struct Parsed<'v> {
    pub ints: Vec<ParsedColumn<i64>>,
    pub decimals: Vec<ParsedColumn<Decimal<'v>>>,
    pub booleans: Vec<ParsedColumn<bool>>,
    pub dates: Vec<ParsedColumn<Day>>,
    pub instants: Vec<ParsedColumn<i64>>,
}

impl<'v> Parsed<'v> {
    pub(super) fn of(what: &ToParse, values: &[Vec<Option<&'v str>>]) -> Self {
        let column = |c: usize| values[c].as_slice();
        let ((ints, decimals), ((booleans, dates), instants)) = rayon::join(
            || {
                rayon::join(
                    || {
                        what.ints
                            .par_iter()
                            .map(|&(c, negative)| {
                                column(c).iter().map(|v| v.and_then(|s| parse_int(s, negative))).collect()
                            })
                            .collect()
                    },
                    || {
                        what.decimals
                            .par_iter()
                            .map(|&c| column(c).iter().map(|v| v.and_then(Decimal::parse)).collect())
                            .collect()
                    },
                )
            },
            || {
                rayon::join(
                    || {
                        rayon::join(
                            || {
                                what.booleans
                                    .par_iter()
                                    .map(|words| parse_booleans(column(words.column), words))
                                    .collect()
                            },
                            || {
                                what.dates
                                    .par_iter()
                                    .map(|&c| column(c).iter().map(|v| v.and_then(parse_day)).collect())
                                    .collect()
                            },
                        )
                    },
                    || {
                        what.instants
                            .par_iter()
                            .map(|&c| column(c).iter().map(|v| v.and_then(parse_instant)).collect())
                            .collect()
                    },
                )
            },
        );
        Self { ints, decimals, booleans, dates, instants }
    }
}

/// A chunk's bound columns: raw, trimmed (and whether trimming changed any value), parsed.
pub(super) struct Columns<'a, 'v> {
    pub raw: &'a [&'v Column],
    pub values: &'a [Vec<Option<&'v str>>],
    pub trimmed: &'a [bool],
    pub parsed: &'a Parsed<'v>,
    pub as_of: Day,
    pub rows: usize,
}

impl Step {
    /// Distinct keys seen more than once so far in the file (a uniqueness rule's duplicate
    /// groups; 0 for any other step).
    pub(super) fn duplicate_groups(&self) -> u64 {
        match self {
            Step::Unique { seen, .. } => seen.groups(),
            _ => 0,
        }
    }

    /// The step's "fails" mask over a chunk. `guards` are the masks of its preconditions: a row
    /// failing one is not evaluated (it does not fail, and takes no part in a uniqueness key).
    pub(super) fn evaluate(&mut self, c: &Columns<'_, '_>, guards: &[&[bool]]) -> Vec<bool> {
        let mut fail = vec![false; c.rows];
        match self {
            Step::NotNull { column } => {
                for (f, v) in fail.iter_mut().zip(&c.values[*column]) {
                    *f = v.is_none();
                }
            }
            Step::Regex { column, pattern } => pattern.mark_mismatches(&c.values[*column], &mut fail),
            Step::Integer { column, int, min, max } => {
                let parsed = &c.parsed.ints[*int];
                mark(&mut fail, &c.values[*column], |i, _| {
                    parsed[i].is_some_and(|p| (*min..=*max).contains(&p))
                });
            }
            Step::Decimal { column, decimal, integer_digits, fraction_digits, min, max } => {
                let parsed = &c.parsed.decimals[*decimal];
                let (min, max) = (bound(min), bound(max));
                mark(&mut fail, &c.values[*column], |i, _| {
                    parsed[i].is_some_and(|d| {
                        d.integer_digits() <= *integer_digits
                            && d.fraction_digits() <= *fraction_digits
                            && min.is_none_or(|min| d >= min)
                            && max.is_none_or(|max| d <= max)
                    })
                });
            }
            Step::Boolean { column, boolean } => {
                let parsed = &c.parsed.booleans[*boolean];
                mark(&mut fail, &c.values[*column], |i, _| parsed[i].is_some());
            }
            Step::Date { column, date, after, before } => {
                let parsed = &c.parsed.dates[*date];
                mark(&mut fail, &c.values[*column], |i, _| {
                    parsed[i].is_some_and(|d| {
                        after.is_none_or(|after| d.days > after)
                            && before.is_none_or(|before| d.days < before)
                    })
                });
            }
            Step::Timestamp { column, instant, after, before } => {
                let parsed = &c.parsed.instants[*instant];
                mark(&mut fail, &c.values[*column], |i, _| {
                    parsed[i].is_some_and(|t| {
                        after.is_none_or(|after| t > after) && before.is_none_or(|before| t < before)
                    })
                });
            }
            Step::NulByte { columns } => {
                for column in columns.iter() {
                    for (f, v) in fail.iter_mut().zip(&c.values[*column]) {
                        *f |= v.is_some_and(|v| v.as_bytes().contains(&0));
                    }
                }
            }
            Step::Length { column, min, max } => {
                mark(&mut fail, &c.values[*column], |_, v| {
                    let length = if v.is_ascii() { v.len() } else { v.chars().count() } as u64;
                    (*min..=*max).contains(&length)
                });
            }
            Step::OneOf { column, allowed, fold } => {
                let mut lower = String::new();
                mark(&mut fail, &c.values[*column], |_, v| one_of(v, allowed, *fold, &mut lower));
            }
            Step::CompletedYears { years, int, date_column, date } => {
                let present = c.values[*years].iter().zip(&c.values[*date_column]);
                let parsed = c.parsed.ints[*int].iter().zip(&c.parsed.dates[*date]);
                for ((f, (y, d)), (p, born)) in fail.iter_mut().zip(present).zip(parsed) {
                    *f = y.is_some()
                        && d.is_some()
                        && matches!((p, born), (Some(p), Some(born)) if *p != born.completed_years_at(c.as_of));
                }
            }
            Step::Absent => {}
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

/// Marks each present value that `passes` rejects as failing; a null never fails (it fails
/// `not_null`). Generic, so each check's test is inlined into the loop.
#[inline]
fn mark(fail: &mut [bool], values: &[Option<&str>], mut passes: impl FnMut(usize, &str) -> bool) {
    for (i, (f, v)) in fail.iter_mut().zip(values).enumerate() {
        *f = v.is_some_and(|v| !passes(i, v));
    }
}

/// The trimmed values of a raw column (empty after trimming is null), and whether any value
/// changed (so the raw column cannot stand for the trimmed one).
pub(crate) fn trim_column(ca: &StringChunked) -> (Vec<Option<&str>>, bool) {
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

/// Membership of a `OneOf` set; `lower` is scratch space for the case-folded value.
fn one_of(value: &str, allowed: &HashSet<String>, fold: bool, lower: &mut String) -> bool {
    if !fold {
        return allowed.contains(value);
    }
    allowed.contains(fold_case(value, lower))
}

/// `value` lower-cased: in `scratch` for ASCII (no allocation), else a new string.
fn fold_case<'s>(value: &str, scratch: &'s mut String) -> &'s str {
    scratch.clear();
    if value.is_ascii() {
        scratch.push_str(value);
        scratch.make_ascii_lowercase();
    } else {
        scratch.push_str(&value.to_lowercase());
    }
    scratch
}

/// A boolean column: each present value's word looked up, ignoring case.
fn parse_booleans(values: &[Option<&str>], words: &BooleanWords) -> ParsedColumn<bool> {
    let mut lower = String::new();
    values
        .iter()
        .map(|v| {
            let word = fold_case((*v)?, &mut lower);
            if words.yes.contains(word) {
                Some(true)
            } else if words.no.contains(word) {
                Some(false)
            } else {
                None
            }
        })
        .collect()
}

/// Parses a base-10 integer the way SPEC section 3 reads ids and ages: ASCII digits only (a
/// leading `-` when `negative`), leading zeros allowed, no sign, no spaces. `None` when the text
/// is not such a number or does not fit in an `i64`.
pub(crate) fn parse_int(text: &str, negative: bool) -> Option<i64> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
