//! What one pass over a file's values shows about each column: nulls, lengths, the types every
//! value could be read as, the shape of codes, small sets of values, and whether a value ever
//! repeats. Memory stays bounded: a type is followed only while its values fit it, a set of
//! values only while it is small, and repeats only while a column has none (within a budget).

use std::collections::HashMap;

use chrono::NaiveDate;
use polars::prelude::StringChunked;
use sift_model::Decimal;

use crate::engine::{parse_date, parse_int, trim_column};
use crate::instant::parse_instant;
use crate::keys::{KeyColumn, SeenKeys};

/// Most distinct values a column may have to be proposed as a set.
pub(super) const SET_MAX: usize = 20;
/// Most keys kept in all to find columns whose values never repeat (16 to 43 bytes each).
pub(super) const KEY_BUDGET: u64 = 1 << 22;
/// Bytes of a value quoted in the evidence.
const EXCERPT: usize = 40;

/// A value that did not fit, for the evidence: its data row and (the start of) its text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Example {
    /// 1-based data row.
    pub row: u64,
    /// The value, trimmed, cut at [`EXCERPT`] bytes.
    pub value: String,
}

impl Example {
    fn new(row: u64, value: &str) -> Self {
        let mut end = value.len().min(EXCERPT);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        let cut = if end < value.len() { "..." } else { "" };
        Self { row, value: format!("{}{cut}", &value[..end]) }
    }
}

/// A reading the values may have (a type, a shape), followed while nearly all of them fit:
/// a few misses are counted (the evidence says which rows do not fit), more end it.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<T> {
    pub stats: T,
    /// Values that fit.
    pub fits: u64,
    /// Values that did not.
    pub misses: u64,
    pub first_miss: Option<Example>,
}

impl<T> Candidate<T> {
    fn new(stats: T) -> Self {
        Self { stats, fits: 0, misses: 0, first_miss: None }
    }

    /// Whether every value fit.
    pub(crate) fn holds(&self) -> bool {
        self.misses == 0
    }
}

/// Counts a miss; ends the candidate once misses pass 10 and 1% of the values.
fn miss<T>(slot: &mut Option<Candidate<T>>, row: u64, value: &str) {
    if let Some(c) = slot {
        c.misses += 1;
        if c.first_miss.is_none() {
            c.first_miss = Some(Example::new(row, value));
        }
        if c.misses > 10 && c.misses * 100 > c.fits + c.misses {
            *slot = None;
        }
    }
}

/// Whole numbers: their range, and a value written with a leading zero (a code, not a number).
#[derive(Debug, Clone)]
pub(crate) struct Integers {
    pub min: i64,
    pub max: i64,
    pub leading_zero: Option<Example>,
}

/// Decimals: the widest integer part (leading zeros not counted) and the most digits after
/// the point.
#[derive(Debug, Clone, Default)]
pub(crate) struct Decimals {
    pub integer_digits: usize,
    pub scale: usize,
    pub negative: bool,
}

/// Dates or instants: the earliest and the latest.
#[derive(Debug, Clone)]
pub(crate) struct Span<T> {
    pub min: T,
    pub max: T,
}

/// Boolean words: whether a word other than `0` and `1` was seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct Booleans {
    pub words: bool,
}

/// One column's profile.
#[derive(Debug)]
pub(crate) struct ColumnProfile {
    /// The header's name, trimmed.
    pub name: String,
    /// Values present (not null after trimming).
    pub present: u64,
    pub nulls: u64,
    /// Shortest and longest value, in Unicode scalar values.
    pub min_chars: u64,
    pub max_chars: u64,
    /// Values holding a NUL byte, and the first.
    pub nul_bytes: u64,
    pub first_nul: Option<Example>,
    pub integer: Option<Candidate<Integers>>,
    pub decimal: Option<Candidate<Decimals>>,
    pub boolean: Option<Candidate<Booleans>>,
    pub date: Option<Candidate<Option<Span<NaiveDate>>>>,
    pub timestamp: Option<Candidate<Option<Span<i64>>>>,
    /// Every value an email address (the customer contract's pattern).
    pub email: Option<Candidate<()>>,
    /// The shape every value has (`A` a capital, `a` a small letter, `9` a digit, anything
    /// else itself) and one value of it; `None` once two shapes were seen.
    pub shape: Option<(Vec<u8>, String)>,
    /// The distinct values and their counts, while there are at most [`SET_MAX`].
    pub set: Option<HashMap<String, u64>>,
    /// The values seen, while none repeated and none was null.
    pub keys: Option<SeenKeys>,
    /// The first repeated value (or why repeats stopped being followed).
    pub repeat: Option<Example>,
    /// Whether repeats stopped being followed for the key budget.
    pub over_budget: bool,
}

impl ColumnProfile {
    pub(crate) fn new(name: String) -> Self {
        Self {
            name,
            present: 0,
            nulls: 0,
            min_chars: u64::MAX,
            max_chars: 0,
            nul_bytes: 0,
            first_nul: None,
            integer: Some(Candidate::new(Integers { min: i64::MAX, max: i64::MIN, leading_zero: None })),
            decimal: Some(Candidate::new(Decimals::default())),
            boolean: Some(Candidate::new(Booleans::default())),
            date: Some(Candidate::new(None)),
            timestamp: Some(Candidate::new(None)),
            email: Some(Candidate::new(())),
            shape: Some((Vec::new(), String::new())),
            set: Some(HashMap::new()),
            keys: Some(SeenKeys::new()),
            repeat: None,
            over_budget: false,
        }
    }

    /// Profiles one chunk's values of this column (raw text; `first_row` is the chunk's first
    /// data row); `email` is the email pattern.
    pub(crate) fn observe(&mut self, column: &StringChunked, first_row: u64, email: &regex::Regex) {
        let (values, _) = trim_column(column);
        let mut shape = Vec::new();
        let mut lower = String::new();
        for (i, value) in values.iter().enumerate() {
            let Some(value) = *value else {
                self.nulls += 1;
                continue;
            };
            let row = first_row + i as u64;
            self.present += 1;
            let chars = if value.is_ascii() { value.len() } else { value.chars().count() } as u64;
            self.min_chars = self.min_chars.min(chars);
            self.max_chars = self.max_chars.max(chars);
            if value.as_bytes().contains(&0) {
                self.nul_bytes += 1;
                self.first_nul.get_or_insert_with(|| Example::new(row, value));
            }
            self.types(row, value, &mut lower);
            if let Some(c) = &mut self.email {
                if value.contains('@') && email.is_match(value) {
                    c.fits += 1;
                } else {
                    miss(&mut self.email, row, value);
                }
            }
            if let Some((seen, example)) = &mut self.shape {
                shape_of(value, &mut shape);
                if example.is_empty() {
                    *seen = shape.clone();
                    *example = Example::new(row, value).value;
                } else if *seen != shape {
                    self.shape = None;
                }
            }
            if let Some(set) = &mut self.set {
                if let Some(n) = set.get_mut(value) {
                    *n += 1;
                } else if set.len() < SET_MAX {
                    set.insert(value.to_owned(), 1);
                } else {
                    self.set = None;
                }
            }
        }
        self.repeats(std::slice::from_ref(&values), first_row);
    }

    /// Keys held to follow repeats.
    pub(crate) fn keys_held(&self) -> u64 {
        if self.keys.is_some() { self.present } else { 0 }
    }

    /// Stops following repeats (the key budget is spent).
    pub(crate) fn drop_keys(&mut self) {
        if self.keys.take().is_some() {
            self.over_budget = true;
        }
    }

    /// Follows each type the value may be read as.
    fn types(&mut self, row: u64, value: &str, lower: &mut String) {
        let int = self.integer.as_ref().and_then(|_| parse_int(value, true));
        match (&mut self.integer, int) {
            (Some(c), Some(n)) => {
                c.fits += 1;
                c.stats.min = c.stats.min.min(n);
                c.stats.max = c.stats.max.max(n);
                let digits = value.strip_prefix('-').unwrap_or(value);
                if digits.len() > 1 && digits.starts_with('0') && c.stats.leading_zero.is_none() {
                    c.stats.leading_zero = Some(Example::new(row, value));
                }
            }
            (Some(_), None) => miss(&mut self.integer, row, value),
            (None, _) => {}
        }
        if let Some(c) = &mut self.decimal {
            match Decimal::parse(value) {
                Some(d) => {
                    c.fits += 1;
                    c.stats.integer_digits = c.stats.integer_digits.max(d.integer_digits());
                    c.stats.scale = c.stats.scale.max(d.fraction_digits());
                    c.stats.negative |= d.is_negative();
                }
                None => miss(&mut self.decimal, row, value),
            }
        }
        if let Some(c) = &mut self.boolean {
            let word = fold(value, lower);
            if crate::contract::DEFAULT_TRUE_VALUES.contains(&word)
                || crate::contract::DEFAULT_FALSE_VALUES.contains(&word)
            {
                c.fits += 1;
                c.stats.words |= !matches!(word, "0" | "1");
            } else {
                miss(&mut self.boolean, row, value);
            }
        }
        if let Some(c) = &mut self.date {
            match parse_date(value) {
                Some(date) => {
                    c.fits += 1;
                    widen(&mut c.stats, date);
                }
                None => miss(&mut self.date, row, value),
            }
        }
        if let Some(c) = &mut self.timestamp {
            match parse_instant(value) {
                Some(micros) => {
                    c.fits += 1;
                    widen(&mut c.stats, micros);
                }
                None => miss(&mut self.timestamp, row, value),
            }
        }
    }

    /// Follows whether a value repeats (or is null), with sift's own uniqueness table: what
    /// a `unique` check on the column would find.
    fn repeats(&mut self, columns: &[Vec<Option<&str>>], first_row: u64) {
        let Some(keys) = &mut self.keys else { return };
        let values = columns[0].as_slice();
        if let Some(i) = values.iter().position(Option::is_none) {
            self.keys = None;
            self.repeat = Some(Example { row: first_row + i as u64, value: String::new() });
            return;
        }
        let part = [KeyColumn { column: 0, lowercase: false, collapse: false }];
        let mut dup = vec![false; values.len()];
        keys.check(&part, columns, &[], &mut dup);
        if let Some(i) = dup.iter().position(|d| *d) {
            self.keys = None;
            self.repeat = Some(Example::new(first_row + i as u64, values[i].unwrap_or_default()));
        }
    }
}

/// The value lower-cased (ASCII in `scratch`, else a new string).
fn fold<'s>(value: &'s str, scratch: &'s mut String) -> &'s str {
    if value.len() > 5 {
        // No boolean word is longer.
        return value;
    }
    scratch.clear();
    scratch.push_str(value);
    scratch.make_ascii_lowercase();
    scratch
}

fn widen<T: Copy + PartialOrd>(span: &mut Option<Span<T>>, value: T) {
    match span {
        Some(s) => {
            if value < s.min {
                s.min = value;
            }
            if value > s.max {
                s.max = value;
            }
        }
        None => *span = Some(Span { min: value, max: value }),
    }
}

/// A value's shape: `A` for an ASCII capital, `a` for a small one, `9` for a digit, any other
/// character as itself (bytes of UTF-8).
fn shape_of(value: &str, out: &mut Vec<u8>) {
    out.clear();
    out.extend(value.bytes().map(|b| match b {
        b'A'..=b'Z' => b'A',
        b'a'..=b'z' => b'a',
        b'0'..=b'9' => b'9',
        other => other,
    }));
}
