//! The rule engine: binds a [`RuleSet`] to a file's header and evaluates it on chunks of raw
//! rows with polars.
//!
//! Per chunk, one lazy query trims every column (empty becomes null), parses the typed columns
//! (integers, dates) once, and turns every rule into a boolean "fails" column. Uniqueness rules
//! need state across chunks (the first occurrence in the whole file wins), so their key columns
//! are computed by polars (trimmed, lowercased where asked), then each row's key is built
//! (runs of spaces collapsed), hashed and checked against the validator's set of seen keys in
//! one ordered pass; a seen key is kept as its 128-bit hash (`SeenKeys`), not its text. A second lazy
//! query joins the failing ids into `failed_rules` and splits the chunk into valid rows
//! (trimmed, typed) and invalid rows (raw, with `row_number` and `failed_rules`).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use polars::prelude::*;

use crate::csv::{Header, RawChunk, column_name};
use crate::error::{Error, Rejection, Result};
use crate::rules::{Check, RuleSet};

/// Name of the 1-based data-row number column in both outputs.
pub const ROW_NUMBER: &str = "row_number";
/// Name of the `;`-joined failure ids column in the invalid rows.
pub const FAILED_RULES: &str = "failed_rules";

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

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
    plan: Option<Plan>,
    /// Keys seen so far, one set per uniqueness rule (by rule position).
    seen: HashMap<usize, SeenKeys>,
}

/// The keys a uniqueness rule has seen, as 128-bit hashes: 16 bytes per slot of an
/// open-addressing table at most 3/4 full (21 to 43 bytes per distinct key), whatever the
/// key's length, so a 20,000,000-row file keeps well under 1 GiB of state.
///
/// The hash is XXH3-128 with a random seed per file. Two different keys would have to collide
/// in 127 bits (the lowest is set to mark a used slot) to be taken for one another: about
/// 10^-24 for 20,000,000 distinct keys, and no file can be crafted for it without knowing the
/// seed.
///
/// The table is linear-probed on the hash's high bits, and slots hold the hash itself: one
/// cache line per lookup in the common case. A chunk's hashes are computed first and then
/// inserted in order, touching the slot a few keys ahead so that the cache misses of a table
/// much larger than the cache overlap instead of queueing.
#[derive(Debug)]
struct SeenKeys {
    seed: u64,
    slots: Vec<u128>,
    len: usize,
}

/// How far ahead of the insert the table is touched.
const TOUCH_AHEAD: usize = 8;

impl SeenKeys {
    fn new() -> Self {
        use std::hash::{BuildHasher, Hasher};
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish();
        Self { seed, slots: vec![0; 1 << 12], len: 0 }
    }

    fn hash(&self, key: &[u8]) -> u128 {
        xxhash_rust::xxh3::xxh3_128_with_seed(key, self.seed) | 1
    }

    fn home(&self, hash: u128) -> usize {
        ((hash >> 64) as usize) & (self.slots.len() - 1)
    }

    /// Records every `Some` hash in order; `dup[i]` is set when `hashes[i]` was seen before
    /// (earlier in the file or earlier in `hashes`).
    fn insert_all(&mut self, hashes: &[Option<u128>], dup: &mut Vec<bool>) {
        dup.clear();
        for (i, hash) in hashes.iter().enumerate() {
            if let Some(Some(ahead)) = hashes.get(i + TOUCH_AHEAD) {
                std::hint::black_box(self.slots[self.home(*ahead)]);
            }
            dup.push(match hash {
                Some(hash) => !self.insert(*hash),
                None => false,
            });
        }
    }

    /// Records `hash` (low bit set); `false` when it was seen before.
    fn insert(&mut self, hash: u128) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = self.home(hash);
        loop {
            match self.slots[i] {
                0 => break,
                seen if seen == hash => return false,
                _ => i = (i + 1) & mask,
            }
        }
        self.slots[i] = hash;
        self.len += 1;
        if self.len * 4 > self.slots.len() * 3 {
            self.grow();
        }
        true
    }

    fn grow(&mut self) {
        let doubled = vec![0; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        let mask = self.slots.len() - 1;
        for hash in old.into_iter().filter(|&h| h != 0) {
            let mut i = self.home(hash);
            while self.slots[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = hash;
        }
    }
}

/// A uniqueness rule as evaluated: its key parts are columns of the evaluated chunk (trimmed,
/// lowercased where asked); runs of spaces are collapsed while the key is built.
#[derive(Debug)]
struct UniqueRule {
    /// Position in `ids`.
    k: usize,
    /// Position in the rule set (the key of its `SeenKeys`).
    r: usize,
    /// The key-part column names.
    names: Vec<String>,
    /// Per part: collapse runs of spaces to one.
    collapse: Vec<bool>,
}

#[derive(Debug)]
struct Plan {
    header: Header,
    /// Lazy expressions: trimmed and parsed columns, then the fail columns of non-unique rules.
    stage1: Vec<Vec<Expr>>,
    /// The uniqueness rules.
    unique: Vec<UniqueRule>,
    /// Output column expressions of the valid rows.
    valid_columns: Vec<Expr>,
}

impl Validator {
    /// A validator for `rules` with `as_of` as the reference date of date and age rules.
    pub fn new(rules: RuleSet, as_of: NaiveDate) -> Result<Self> {
        rules.check()?;
        let ids = rules.failure_ids();
        Ok(Self { rules, as_of, ids, plan: None, seen: HashMap::new() })
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
        let mut index = HashMap::new();
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
                ([first, ..], _) => {
                    index.insert(spec.name.clone(), *first);
                }
            }
        }
        if !missing.is_empty() {
            return Err(Rejection::MissingColumns { columns: missing }.into());
        }
        self.plan = Some(self.compile(header.clone(), index)?);
        Ok(())
    }

    fn compile(&self, header: Header, index: HashMap<String, usize>) -> Result<Plan> {
        let t = |c: &str| col(format!("t:{c}"));
        let p = |c: &str| col(format!("p:{c}"));
        let d = |c: &str| col(format!("d:{c}"));

        // Stage A: trimmed text of every bound column; empty after trimming is null.
        let trimmed: Vec<Expr> = index
            .iter()
            .map(|(name, &i)| {
                let s = col(column_name(i)).str().strip_chars(lit(NULL));
                when(s.clone().eq(lit(""))).then(lit(NULL)).otherwise(s).alias(format!("t:{name}"))
            })
            .collect();

        // Stage B: typed parses, once per column.
        let mut int_cols: Vec<(String, bool)> = Vec::new();
        let mut date_cols: Vec<String> = Vec::new();
        let mut want_int = |c: &str, negative: bool| match int_cols.iter_mut().find(|(n, _)| n == c) {
            Some(entry) => entry.1 |= negative,
            None => int_cols.push((c.to_owned(), negative)),
        };
        for rule in &self.rules.rules {
            match &rule.check {
                Check::Integer { column, min, .. } => want_int(column, *min < 0),
                Check::CompletedYears { years, date } => {
                    want_int(years, false);
                    if !date_cols.contains(date) {
                        date_cols.push(date.clone());
                    }
                }
                Check::Date { column, .. } if !date_cols.contains(column) => date_cols.push(column.clone()),
                _ => {}
            }
        }
        let mut parsed: Vec<Expr> = int_cols
            .iter()
            .map(|(c, negative)| {
                let negative = *negative;
                t(c).map(
                    move |column| parse_int_column(&column, negative),
                    |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
                )
                .alias(format!("p:{c}"))
            })
            .collect();
        parsed.extend(date_cols.iter().map(|c| {
            t(c).map(
                |column| parse_date_column(&column),
                |_, f| Ok(Field::new(f.name().clone(), DataType::Int32)),
            )
            .alias(format!("d:{c}"))
        }));

        // Stage C: one "fails" column per id (uniqueness rules come later, outside polars).
        let as_of_days = days_since_epoch(self.as_of);
        let mut fails: Vec<Expr> = Vec::new();
        let mut fail_by_id: HashMap<&str, Expr> = HashMap::new();
        let mut unique = Vec::new();
        let n_not_null = self.rules.columns.iter().filter(|c| c.required).count();
        for (k, spec) in self.rules.columns.iter().filter(|c| c.required).enumerate() {
            fails.push(t(&spec.name).is_null().alias(format!("f:{k}")));
        }
        for (r, rule) in self.rules.rules.iter().enumerate() {
            let k = n_not_null + r;
            let present = |c: &str| t(c).is_not_null();
            let fail = match &rule.check {
                Check::Regex { column, pattern } => {
                    present(column).and(t(column).str().contains(lit(pattern.as_str()), true).not())
                }
                Check::Integer { column, min, max } => present(column)
                    .and(p(column).is_null().or(p(column).lt(lit(*min))).or(p(column).gt(lit(*max)))),
                Check::Date { column, after, before_as_of } => {
                    let mut bad = d(column).is_null();
                    if let Some(after) = after {
                        bad = bad.or(d(column).lt_eq(lit(days_since_epoch(*after))));
                    }
                    if *before_as_of {
                        bad = bad.or(d(column).gt_eq(lit(as_of_days)));
                    }
                    present(column).and(bad)
                }
                Check::OneOf { column, values, case_insensitive } => {
                    let fold = *case_insensitive;
                    let allowed: Arc<std::collections::HashSet<String>> = Arc::new(
                        values.iter().map(|v| if fold { v.to_lowercase() } else { v.clone() }).collect(),
                    );
                    let member = t(column).map(
                        move |c| one_of_column(&c, &allowed, fold),
                        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
                    );
                    present(column).and(member.not())
                }
                Check::CompletedYears { years, date } => {
                    let as_of = self.as_of;
                    let completed = d(date).map(
                        move |c| completed_years_column(&c, as_of),
                        |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
                    );
                    present(years)
                        .and(present(date))
                        .and(p(years).is_not_null())
                        .and(d(date).is_not_null())
                        .and(p(years).neq(completed))
                }
                Check::Unique { key } => {
                    let names: Vec<String> = (0..key.len()).map(|i| format!("k:{r}:{i}")).collect();
                    for (part, name) in key.iter().zip(&names) {
                        let mut e = t(&part.column);
                        if part.lowercase {
                            e = e.str().to_lowercase();
                        }
                        fails.push(e.alias(name.as_str()));
                    }
                    let collapse = key.iter().map(|part| part.collapse_spaces).collect();
                    unique.push(UniqueRule { k, r, names, collapse });
                    continue;
                }
            };
            let guarded = rule
                .only_if_passed
                .iter()
                .filter_map(|pre| fail_by_id.get(pre.as_str()).cloned())
                .fold(fail, |acc, pre_fails| acc.and(pre_fails.not()));
            fail_by_id.insert(rule.id.as_str(), guarded.clone());
            fails.push(guarded.alias(format!("f:{k}")));
        }

        // Valid rows: trimmed, typed columns named as in the rule set.
        let mut valid_columns = Vec::new();
        for spec in &self.rules.columns {
            if !index.contains_key(&spec.name) {
                continue;
            }
            let name = spec.name.as_str();
            let e = if int_cols.iter().any(|(c, _)| c == name) {
                p(name)
            } else if date_cols.iter().any(|c| c == name) {
                d(name).cast(DataType::Date)
            } else {
                t(name)
            };
            valid_columns.push(e.alias(name));
        }
        valid_columns.push(col(ROW_NUMBER));

        Ok(Plan { header, stage1: vec![trimmed, parsed, fails], unique, valid_columns })
    }

    /// Validates the next chunk of the file. Chunks must come in file order: uniqueness rules
    /// remember the keys of earlier chunks.
    pub fn validate(&mut self, chunk: RawChunk) -> Result<ValidatedChunk> {
        let plan = self
            .plan
            .as_ref()
            .ok_or_else(|| Error::RuleSet("validate called before bind: bind the header first".into()))?;
        let rows = chunk.height();
        let first_row = chunk.first_row;
        let row_numbers: Vec<u64> = (first_row..first_row + rows as u64).collect();
        let mut frame = chunk.frame;
        frame.with_column(Column::new(ROW_NUMBER.into(), row_numbers))?;

        let mut lf = frame.lazy();
        for stage in &plan.stage1 {
            lf = lf.with_columns(stage.clone());
        }
        let mut evaluated = lf.collect()?;

        // Uniqueness: first occurrence in file order claims the key.
        let mut unique_fails = Vec::with_capacity(plan.unique.len());
        let mut hashes = Vec::with_capacity(rows);
        let mut dup = Vec::with_capacity(rows);
        for rule in &plan.unique {
            let parts: Vec<&StringChunked> = rule
                .names
                .iter()
                .map(|n| evaluated.column(n).and_then(|c| c.str()))
                .collect::<PolarsResult<_>>()?;
            let seen = self.seen.entry(rule.r).or_insert_with(SeenKeys::new);
            let mut key = Vec::with_capacity(64);
            let mut iters: Vec<_> = parts.iter().map(|ca| ca.iter()).collect();
            hashes.clear();
            for _ in 0..rows {
                key.clear();
                let mut complete = true;
                for (it, &collapse) in iters.iter_mut().zip(&rule.collapse) {
                    match it.next().flatten() {
                        Some(v) => {
                            let at = key.len();
                            key.extend_from_slice(&0u64.to_le_bytes());
                            push_key_part(&mut key, v, collapse);
                            let len = (key.len() - at - 8) as u64;
                            key[at..at + 8].copy_from_slice(&len.to_le_bytes());
                        }
                        None => complete = false,
                    }
                }
                hashes.push(complete.then(|| seen.hash(&key)));
            }
            seen.insert_all(&hashes, &mut dup);
            unique_fails.push(Column::new(format!("f:{}", rule.k).into(), dup.as_slice()));
        }
        for column in unique_fails {
            evaluated.with_column(column)?;
        }

        // Failure counts, failed_rules, and the split.
        let fail_cols: Vec<Expr> = (0..self.ids.len()).map(|k| col(format!("f:{k}"))).collect();
        let any_fail = fail_cols.iter().cloned().reduce(|a, b| a.or(b)).unwrap_or_else(|| lit(false));
        let labelled: Vec<Expr> = fail_cols
            .iter()
            .zip(&self.ids)
            .map(|(f, id)| when(f.clone()).then(lit(id.as_str())).otherwise(lit(NULL).cast(DataType::String)))
            .collect();
        let counts = evaluated
            .clone()
            .lazy()
            .select(fail_cols.iter().map(|f| f.clone().cast(DataType::UInt64).sum()).collect::<Vec<_>>())
            .collect()?;
        let failures =
            counts.columns().iter().map(|c| c.u64().ok().and_then(|ca| ca.get(0)).unwrap_or(0)).collect();

        let base = evaluated.lazy().with_column(any_fail.alias("invalid"));
        let mut invalid_columns: Vec<Expr> = (0..plan.header.len()).map(|i| col(column_name(i))).collect();
        invalid_columns.push(col(ROW_NUMBER));
        invalid_columns.push(concat_str(labelled, ";", true).alias(FAILED_RULES));
        let invalid = base.clone().filter(col("invalid")).select(invalid_columns).collect()?;
        let valid = base.filter(col("invalid").not()).select(plan.valid_columns.clone()).collect()?;

        Ok(ValidatedChunk { first_row, rows, valid, invalid, failures })
    }
}

/// Appends `value` to a key; with `collapse`, each run of spaces becomes one space (only the
/// space character: SPEC section 3's duplicate keys).
fn push_key_part(key: &mut Vec<u8>, value: &str, collapse: bool) {
    if !collapse {
        key.extend_from_slice(value.as_bytes());
        return;
    }
    let mut last_space = false;
    for &b in value.as_bytes() {
        let space = b == b' ';
        if !(space && last_space) {
            key.push(b);
        }
        last_space = space;
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
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 19 {
        return None;
    }
    let magnitude: i128 = if significant.is_empty() { 0 } else { significant.parse().ok()? };
    i64::try_from(if minus { -magnitude } else { magnitude }).ok()
}

/// Parses exactly `YYYY-MM-DD` as a real calendar date.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
    };
    let year = i32::try_from(num(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)
}

/// Completed years from `born` to `as_of`: a birthday not yet reached this year does not count,
/// so a 29 February birthday is reached on 1 March in a non-leap year.
pub fn completed_years(born: NaiveDate, as_of: NaiveDate) -> i64 {
    let before_birthday = (as_of.month(), as_of.day()) < (born.month(), born.day());
    i64::from(as_of.year() - born.year()) - i64::from(before_birthday)
}

fn days_since_epoch(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

/// The date `days` after 1970-01-01.
pub fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(EPOCH_DAYS_FROM_CE)?)
}

fn parse_int_column(column: &Column, negative: bool) -> PolarsResult<Column> {
    let ca = column.str()?;
    let out: Int64Chunked = ca.iter().map(|v| v.and_then(|s| parse_int(s, negative))).collect();
    Ok(out.with_name(column.name().clone()).into_column())
}

fn parse_date_column(column: &Column) -> PolarsResult<Column> {
    let ca = column.str()?;
    let out: Int32Chunked = ca.iter().map(|v| v.and_then(parse_date).map(days_since_epoch)).collect();
    Ok(out.with_name(column.name().clone()).into_column())
}

fn completed_years_column(column: &Column, as_of: NaiveDate) -> PolarsResult<Column> {
    let ca = column.i32()?;
    let out: Int64Chunked =
        ca.iter().map(|v| v.and_then(date_from_days).map(|born| completed_years(born, as_of))).collect();
    Ok(out.with_name(column.name().clone()).into_column())
}

fn one_of_column(
    column: &Column,
    allowed: &std::collections::HashSet<String>,
    fold: bool,
) -> PolarsResult<Column> {
    let ca = column.str()?;
    let out: BooleanChunked = ca
        .iter()
        .map(|v| v.map(|s| if fold { allowed.contains(&s.to_lowercase()) } else { allowed.contains(s) }))
        .collect();
    Ok(out.with_name(column.name().clone()).into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_keys_find_every_earlier_key_across_growth() {
        let mut seen = SeenKeys::new();
        let keys: Vec<Vec<u8>> = (0..100_000u32).map(|i| format!("key {i}").into_bytes()).collect();
        let mut hashes: Vec<Option<u128>> = keys.iter().map(|k| Some(seen.hash(k))).collect();
        hashes.insert(3, None); // an incomplete key is never a duplicate
        let mut dup = Vec::new();
        seen.insert_all(&hashes, &mut dup);
        assert!(dup.iter().all(|d| !d), "all new");
        assert_eq!(seen.len, 100_000);
        assert!(seen.slots.len() >= 100_000 * 4 / 3, "grown past 3/4 full: {}", seen.slots.len());
        // Again, in another order, with a new key and a repeat within the batch.
        let again: Vec<Option<u128>> =
            [b"fresh".to_vec(), keys[99_999].clone(), b"fresh".to_vec(), keys[0].clone()]
                .iter()
                .map(|k| Some(seen.hash(k)))
                .collect();
        seen.insert_all(&again, &mut dup);
        assert_eq!(dup, [false, true, true, true]);
    }

    #[test]
    fn key_parts_collapse_only_runs_of_spaces() {
        let mut key = Vec::new();
        push_key_part(&mut key, "ann   lee\t\tx  y ", true);
        assert_eq!(key, b"ann lee\t\tx y ");
        key.clear();
        push_key_part(&mut key, "a  b", false);
        assert_eq!(key, b"a  b");
    }
}
