//! From a column's profile to its proposed check, with the evidence in words.
//!
//! Every proposal holds on every value profiled: types only when every value is one, a set
//! only of the values seen, a pattern only of the one shape seen, bounds no tighter than what
//! the values show (integers get their type's range, lengths the next power of two). Tighter
//! bounds that would hold too are said in the evidence, for the user to choose.

use chrono::NaiveDate;
use sift_model::ColumnType;

use super::profile::{Candidate, ColumnProfile, SET_MAX};
use crate::contract::{Check, ColumnSpec, Rule};

/// Fewest values per distinct value for a column to be proposed as a set.
const SET_SPREAD: u64 = 5;
/// Fewest values for a shape to be proposed as a pattern.
const SHAPE_MIN: u64 = 20;
/// Largest decimal precision proposed (what every warehouse stores).
const MAX_PRECISION: usize = 38;

/// What is proposed for one column.
#[derive(Debug)]
pub(crate) struct Proposal {
    pub column: ColumnSpec,
    pub rule: Option<Rule>,
    /// What the values show, one line each.
    pub evidence: Vec<String>,
    /// Why the rule is what it is.
    pub because: Option<String>,
    /// Never null and never repeated.
    pub candidate_key: bool,
    /// Whether the rule proves an integer type.
    pub integer: bool,
}

use sift_model::thousands;

pub(crate) fn propose(p: &ColumnProfile, rows: u64, as_of: NaiveDate) -> Proposal {
    let name = p.name.clone();
    let mut evidence = Vec::new();
    let required = p.nulls == 0 && p.present > 0;
    let candidate_key = required && rows > 1 && p.keys.is_some();
    let mut line = if p.present == 0 {
        format!("always empty in {} rows: optional, nothing to check", thousands(rows))
    } else if required {
        format!("0 nulls in {} rows: required", thousands(rows))
    } else {
        format!("{} nulls in {} rows: optional", thousands(p.nulls), thousands(rows))
    };
    if p.present > 0 {
        match (&p.set, candidate_key) {
            (Some(set), _) => line.push_str(&format!("; {} distinct values", set.len())),
            (None, true) => line.push_str("; never repeated: a candidate key"),
            (None, false) if p.over_budget => {
                line.push_str("; more than 20 distinct values (repeats not followed past the key budget)")
            }
            (None, false) => line.push_str(&format!("; more than {SET_MAX} distinct values")),
        }
        let chars =
            |n: u64| if n == 1 { "1 character".to_owned() } else { format!("{} characters", thousands(n)) };
        if p.min_chars == p.max_chars {
            line.push_str(&format!("; every value {}", chars(p.max_chars)));
        } else {
            line.push_str(&format!("; {} to {}", thousands(p.min_chars), chars(p.max_chars)));
        }
    }
    evidence.push(line);
    if let Some(first) = &p.first_nul {
        evidence.push(format!(
            "{} values hold a NUL byte (the first on row {}): those rows fail `nul_byte`, since no \
             warehouse's text column stores one",
            thousands(p.nul_bytes),
            first.row
        ));
    }
    let column = if required { ColumnSpec::required(&name) } else { ColumnSpec::optional(&name) };
    if p.present == 0 {
        return Proposal {
            column,
            rule: None,
            evidence,
            because: None,
            candidate_key: false,
            integer: false,
        };
    }
    let (check, because) = typed(p, as_of, &mut evidence).unwrap_or_else(|| text(p, &mut evidence));
    let integer = check.proves().is_some_and(|(_, ty)| ty.is_integer());
    Proposal {
        column,
        rule: Some(Rule::new(name, check)),
        evidence,
        because: Some(because),
        candidate_key,
        integer,
    }
}

/// A type every value has, if any; the near misses are told in the evidence.
fn typed(p: &ColumnProfile, as_of: NaiveDate, evidence: &mut Vec<String>) -> Option<(Check, String)> {
    let column = p.name.clone();
    // Digits of one width, some with a leading zero, are a code (a postcode, a phone number):
    // read as a number, `02134` would load as 2134. Of varying widths, they are numbers.
    let zero = p.integer.as_ref().filter(|c| c.holds()).and_then(|c| c.stats.leading_zero.clone());
    let code = zero.as_ref().filter(|_| p.min_chars == p.max_chars);
    match (&zero, code) {
        (Some(zero), Some(_)) => evidence.push(format!(
            "digits of one width, and row {} writes `{}` with a leading zero: a code, kept as text so \
             its zeros stay",
            zero.row, zero.value
        )),
        (Some(zero), None) => evidence.push(format!(
            "row {} writes `{}` with a leading zero: read as a number, it loads without it",
            zero.row, zero.value
        )),
        _ => {}
    }
    let leading_zero = code.cloned();
    let words = p.boolean.as_ref().is_some_and(|c| c.holds() && c.stats.words);
    if words {
        return Some((
            Check::Boolean { column, true_values: None, false_values: None },
            "every value is a yes/no word (true, t, yes, y, 1 / false, f, no, n, 0, any case)".into(),
        ));
    }
    if let Some(c) = p.integer.as_ref().filter(|c| c.holds() && leading_zero.is_none()) {
        let (lo, hi) = (c.stats.min, c.stats.max);
        let (bits, type_min, type_max) = match ColumnType::integer(lo.min(0), hi) {
            ColumnType::Int16 => (16, i16::MIN.into(), i16::MAX.into()),
            ColumnType::Int32 => (32, i32::MIN.into(), i32::MAX.into()),
            _ => (64, i64::MIN, i64::MAX),
        };
        let min = if lo >= 0 { 0 } else { type_min };
        let from = if lo >= 0 { ", from 0 since none is negative" } else { "" };
        let mut because = format!(
            "whole numbers from {lo} to {hi}: the {bits}-bit range{from}; `min = {lo}, max = {hi}` would hold too"
        );
        if holds(&p.boolean) {
            because.push_str("; only 0 and 1: `check = \"boolean\"` would hold too");
        }
        return Some((Check::Integer { column, min, max: type_max }, because));
    }
    if let Some(c) = p.decimal.as_ref().filter(|c| c.holds() && leading_zero.is_none()) {
        let (digits, scale) = (c.stats.integer_digits.max(1), c.stats.scale);
        let precision = digits + 2 + scale;
        if precision <= MAX_PRECISION {
            let min = (!c.stats.negative).then(|| "0".to_owned());
            let sign = if min.is_some() { "; none negative: min = 0" } else { "" };
            let because = format!(
                "numbers of at most {digits} digits before the point and {scale} after: decimal({precision}, \
                 {scale}), 2 more digits before the point allowed{sign}"
            );
            return Some((
                Check::Decimal { column, precision: precision as u8, scale: scale as u8, min, max: None },
                because,
            ));
        }
    }
    if let Some(c) = p.date.as_ref().filter(|c| c.holds()) {
        let mut because = "every value a real YYYY-MM-DD date".to_owned();
        if let Some(span) = &c.stats {
            because.push_str(&format!(", from {} to {}", span.min, span.max));
            if span.max < as_of {
                because.push_str(&format!("; all before {as_of}: `before_as_of = true` would hold"));
            }
        }
        return Some((Check::Date { column, after: None, before_as_of: false }, because));
    }
    if let Some(c) = p.timestamp.as_ref().filter(|c| c.holds()) {
        let mut because = "every value a date and time (UTC unless it gives an offset)".to_owned();
        if let Some(span) = &c.stats {
            let at = |micros: i64| {
                chrono::DateTime::from_timestamp_micros(micros)
                    .map_or_else(String::new, |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            };
            because.push_str(&format!(", from {} to {}", at(span.min), at(span.max)));
        }
        return Some((Check::Timestamp { column, after: None, before_as_of: false }, because));
    }
    near_miss(p, evidence);
    None
}

/// Whether a candidate is followed and every value fits it.
fn holds<T>(candidate: &Option<Candidate<T>>) -> bool {
    candidate.as_ref().is_some_and(Candidate::holds)
}

/// A candidate's fits, misses and first miss.
fn seen<T>(candidate: &Option<Candidate<T>>) -> Option<(u64, u64, Option<super::profile::Example>)> {
    candidate.as_ref().map(|c| (c.fits, c.misses, c.first_miss.clone()))
}

/// The type most values have, when some do not: which row does not, so the user can fix the
/// rows or keep the column text.
fn near_miss(p: &ColumnProfile, evidence: &mut Vec<String>) {
    let readings = [
        ("whole numbers", seen(&p.integer)),
        ("numbers", seen(&p.decimal)),
        ("YYYY-MM-DD dates", seen(&p.date)),
        ("dates and times", seen(&p.timestamp)),
        ("email addresses", seen(&p.email)),
    ];
    // The first of the readings most values fit (whole numbers before numbers).
    let best = readings
        .into_iter()
        .rev()
        .filter_map(|(what, reading)| match reading? {
            (fits, misses, Some(first)) if misses > 0 => Some((what, fits, misses, first)),
            _ => None,
        })
        .max_by_key(|(_, fits, _, _)| *fits);
    if let Some((what, fits, misses, first)) = best {
        evidence.push(format!(
            "{} of {} values are {what}, {} not (the first on row {}: `{}`): checked as text; fix those \
             rows to check them as {what}",
            thousands(fits),
            thousands(fits + misses),
            thousands(misses),
            first.row,
            first.value
        ));
    }
}

/// The check of a text column: a set, a pattern, an email address, or a length.
fn text(p: &ColumnProfile, evidence: &mut Vec<String>) -> (Check, String) {
    let column = p.name.clone();
    if let Some(set) = &p.set
        && p.present >= SET_SPREAD * set.len() as u64
    {
        let mut values: Vec<(&String, &u64)> = set.iter().collect();
        values.sort();
        let listed: Vec<String> = values.iter().map(|(v, n)| format!("{v} ({})", thousands(**n))).collect();
        evidence.push(format!("values: {}", listed.join(", ")));
        let values = values.into_iter().map(|(v, _)| v.clone()).collect();
        return (
            Check::OneOf { column, values, case_insensitive: false },
            format!("a small set: the {} values seen", set.len()),
        );
    }
    if let Some((shape, example)) = &p.shape
        && p.present >= SHAPE_MIN
        && p.set.is_none()
        && let Some(pattern) = pattern(shape)
    {
        return (
            Check::Regex { column, pattern },
            format!("every value has one shape, a fixed-length code (e.g. `{example}`)"),
        );
    }
    if p.email.as_ref().is_some_and(Candidate::holds) {
        return (
            Check::Regex { column, pattern: crate::contract::EMAIL_PATTERN.to_owned() },
            "every value is an email address".into(),
        );
    }
    let max = p.max_chars.max(1).next_power_of_two();
    (
        Check::Length { column, min: None, max: Some(max) },
        format!("the longest value has {} characters: at most {max} allowed", thousands(p.max_chars)),
    )
}

/// The pattern of a shape (`AAA-9999` is `^[A-Z]{3}-[0-9]{4}$`); `None` for a shape with no
/// letter or digit, or one that is not UTF-8.
fn pattern(shape: &[u8]) -> Option<String> {
    let shape = std::str::from_utf8(shape).ok()?;
    if !shape.bytes().any(|b| matches!(b, b'A' | b'a' | b'9')) {
        return None;
    }
    let mut out = String::from("^");
    let mut chars = shape.chars().peekable();
    while let Some(c) = chars.next() {
        let mut n = 1;
        while chars.peek() == Some(&c) {
            chars.next();
            n += 1;
        }
        let class = match c {
            'A' => "[A-Z]".to_owned(),
            'a' => "[a-z]".to_owned(),
            '9' => "[0-9]".to_owned(),
            // Literal outside a class (regex::escape escapes them for use inside one).
            '-' | '#' | '&' | '~' => c.to_string(),
            other => regex::escape(&other.to_string()),
        };
        let single = class.chars().count() == 1 || class.starts_with('[');
        match n {
            1 => out.push_str(&class),
            n if single => out.push_str(&format!("{class}{{{n}}}")),
            n => out.push_str(&format!("(?:{class}){{{n}}}")),
        }
    }
    out.push('$');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shape_is_a_pattern_of_its_runs() {
        assert_eq!(pattern(b"AAA-9999").as_deref(), Some("^[A-Z]{3}-[0-9]{4}$"));
        assert_eq!(pattern(b"A#a+").as_deref(), Some(r"^[A-Z]#[a-z]\+$"));
        assert_eq!(pattern(b"A9.a").as_deref(), Some(r"^[A-Z][0-9]\.[a-z]$"));
        assert_eq!(pattern(b"99..9").as_deref(), Some(r"^[0-9]{2}(?:\.){2}[0-9]$"));
        assert_eq!(pattern(b"--"), None);
    }
}
