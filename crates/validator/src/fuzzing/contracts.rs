//! Contracts drawn from fuzz bytes: columns of every type a check proves, text and free
//! columns, optional, unloaded and undeclared columns, uniqueness keys, table keys, with a
//! table or validate-only; and [`sample_input`], which writes plausible files for them.
//!
//! A contract fuzz input is laid out as:
//!
//! | bytes | meaning |
//! |---|---|
//! | 0, 1 | as for [`check`](super::check), except bit 6 of byte 0: optional columns are left out of the header; bit 7: the file is Windows-1252 |
//! | 2 | bits 0-2: columns, `1 + (b & 7) % 6`; bit 3: validate only (no table); bit 4: header in reverse order; bit 5: a `unique` rule; bits 6-7: the delimiter (`,` `;` tab `|`) |
//! | 2 per column | the column's kind and flags ([`draw_contract`]) |
//! | the rest | the file's body, after the header line the contract draws |

use chrono::NaiveDate;

use super::{Setup, compare};
use sift_model::OnConflict;

use crate::{Check, ColumnSpec, Contract, Encoding, Format, KeyPart, Rule, TableTarget, Tally};

/// What a drawn column holds, and so which check (if any) reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `integer` -5..=300 (a 16-bit column).
    SmallInt,
    /// `integer` 1..=i64::MAX, or the whole i64 range.
    BigInt,
    /// `decimal` (6, 2) from -100.5, or (3, 0) up to 500.
    Decimal,
    /// `boolean` with the default words, or `ja` / `nein`.
    Boolean,
    /// `date` after 1900-01-01, optionally before the as-of date.
    Date,
    /// `timestamp` after 2000-01-01, optionally before the as-of date.
    Timestamp,
    /// `length` 1..=5, or a `regex`.
    Text,
    /// `one_of` a, B, ç, optionally ignoring case.
    OneOf,
    /// No check: any text (the only kind an optional column can have).
    Free,
    /// In the header, not in the contract: ignored, kept in the invalid records.
    Undeclared,
}

const KINDS: [Kind; 9] = [
    Kind::SmallInt,
    Kind::BigInt,
    Kind::Decimal,
    Kind::Boolean,
    Kind::Date,
    Kind::Timestamp,
    Kind::Text,
    Kind::OneOf,
    Kind::Free,
];

/// A contract drawn from fuzz bytes, and the header line its files start with.
#[derive(Debug, Clone)]
struct DrawnContract {
    /// The contract (it always passes [`Contract::check`]).
    contract: Contract,
    /// The header line, with its line break: declared names in varied case and padding,
    /// undeclared columns among them, optional columns sometimes left out.
    header: Vec<u8>,
    /// The kind of each header column, in header order.
    kinds: Vec<Kind>,
}

/// Draws a contract from `bytes` (byte 2 onwards of a contract fuzz input; see the module
/// docs) and returns it with the bytes left over: the file's body.
///
/// Per column, two bytes `k` and `f`. `k % 9` picks the kind (integer, wide integer, decimal,
/// boolean, date, timestamp, text, one-of, free text); `k` bit 4 picks the kind's variant, bit 5
/// upper-cases the header name and bit 6 pads it with spaces. `f` bit 0 makes the column
/// optional (free text then: the generator checks required columns only), bit 1 leaves it unloaded,
/// bit 2 puts it in the table key (required and loaded then), bit 3 in the `unique` rule's key
/// (bit 4: folded), bit 5 runs its check only where the previous column's check passes, and
/// bit 6 adds an undeclared column after it in the header.
fn draw_contract(bytes: &[u8], optional_left_out: bool, encoding: Encoding) -> (DrawnContract, &[u8]) {
    let d = bytes.first().copied().unwrap_or(0);
    let delimiter = [',', ';', '\t', '|'][usize::from(d >> 6)];
    let format = Format { delimiter, encoding, ..Format::default() };
    let n = 1 + usize::from(d & 7) % 6;
    let rest = bytes.get(1..).unwrap_or_default();
    let (spec, body) = rest.split_at(rest.len().min(2 * n));

    let mut columns = Vec::with_capacity(n);
    let mut rules: Vec<Rule> = Vec::new();
    let mut table_key = Vec::new();
    let mut unique_key = Vec::new();
    // Header entries: (text, kind), in declaration order for now.
    let mut header: Vec<(String, Kind)> = Vec::new();
    // The previous rule, a precondition for the next one when it is an error (a contract may
    // not make a rule depend on a warning).
    let mut previous_rule: Option<String> = None;
    for i in 0..n {
        let k = spec.get(2 * i).copied().unwrap_or(0);
        let f = spec.get(2 * i + 1).copied().unwrap_or(0);
        let name = format!("c{i}");
        let in_table_key = f & 0x04 != 0;
        let in_unique = f & 0x08 != 0;
        let optional = f & 0x01 != 0 && !in_table_key && !in_unique;
        let kind = if optional { Kind::Free } else { KINDS[usize::from(k) % KINDS.len()] };
        let variant = k & 0x10 != 0;
        let load = f & 0x02 == 0 || in_table_key;
        let column = if optional { ColumnSpec::optional(&name) } else { ColumnSpec::required(&name) };
        columns.push(if load { column } else { column.not_loaded() });
        if let Some(check) = check_of(kind, variant, &name) {
            let mut rule = Rule::new(&name, check);
            if f & 0x20 != 0
                && let Some(pre) = &previous_rule
            {
                rule = rule.only_if_passed([pre.clone()]);
            }
            // A warning, where the check does not fix the column's type (a contract may not
            // warn on one that does).
            if f & 0x80 != 0 && rule.check.proves().is_none() {
                rule = rule.warn();
                previous_rule = None;
            } else {
                previous_rule = Some(name.clone());
            }
            rules.push(rule);
        }
        if in_table_key {
            table_key.push(name.clone());
        }
        if in_unique {
            unique_key.push(if f & 0x10 != 0 { KeyPart::folded(&name) } else { KeyPart::exact(&name) });
        }
        let mut text = if k & 0x20 != 0 { name.to_uppercase() } else { name.clone() };
        if k & 0x40 != 0 {
            text = format!(" {text}  ");
        }
        if !(optional && optional_left_out) {
            header.push((text, kind));
        }
        if f & 0x40 != 0 {
            header.push((format!("x{i}"), Kind::Undeclared));
        }
    }
    if d & 0x20 != 0 && !unique_key.is_empty() {
        rules.push(Rule::new("duplicate", Check::Unique { key: unique_key }));
    }
    if d & 0x10 != 0 {
        header.reverse();
    }
    let table = (d & 0x08 == 0).then(|| TableTarget {
        name: "fuzz.t_drawn".into(),
        key: table_key,
        on_conflict: OnConflict::Skip,
    });
    let contract =
        Contract { name: "drawn".into(), table, columns, rules, format, limits: Default::default() };
    let mut line: Vec<u8> = header
        .iter()
        .map(|(t, _)| t.as_str())
        .collect::<Vec<_>>()
        .join(delimiter.encode_utf8(&mut [0; 4]))
        .into();
    line.push(b'\n');
    let kinds = header.into_iter().map(|(_, kind)| kind).collect();
    (DrawnContract { contract, header: line, kinds }, body)
}

/// What byte 0 of a contract input says besides the setup: optional columns left out of the
/// header (bit 6), and the encoding (bit 7: Windows-1252, else UTF-8).
fn options(b0: u8) -> (bool, Encoding) {
    (b0 & 0x40 != 0, if b0 & 0x80 != 0 { Encoding::Windows1252 } else { Encoding::Utf8 })
}

/// The check a column of `kind` gets.
fn check_of(kind: Kind, variant: bool, column: &str) -> Option<Check> {
    let column = column.to_owned();
    Some(match kind {
        Kind::SmallInt => Check::Integer { column, min: -5, max: 300 },
        Kind::BigInt if variant => Check::Integer { column, min: i64::MIN, max: i64::MAX },
        Kind::BigInt => Check::Integer { column, min: 1, max: i64::MAX },
        Kind::Decimal if variant => {
            Check::Decimal { column, precision: 3, scale: 0, min: None, max: Some("500".into()) }
        }
        Kind::Decimal => {
            Check::Decimal { column, precision: 6, scale: 2, min: Some("-100.5".into()), max: None }
        }
        Kind::Boolean if variant => Check::Boolean {
            column,
            true_values: Some(vec!["ja".into()]),
            false_values: Some(vec!["nein".into()]),
        },
        Kind::Boolean => Check::Boolean { column, true_values: None, false_values: None },
        Kind::Date => {
            Check::Date { column, after: NaiveDate::from_ymd_opt(1900, 1, 1), before_as_of: variant }
        }
        Kind::Timestamp => {
            Check::Timestamp { column, after: Some("2000-01-01T00:00:00Z".into()), before_as_of: variant }
        }
        Kind::Text if variant => Check::Regex { column, pattern: "^[a-zç]{1,4}$".into() },
        Kind::Text => Check::Length { column, min: Some(1), max: Some(5) },
        Kind::OneOf => Check::OneOf {
            column,
            values: vec!["a".into(), "B".into(), "ç".into()],
            case_insensitive: variant,
        },
        Kind::Free | Kind::Undeclared => return None,
    })
}

/// Runs one contract fuzz input (see the module docs): the contract it draws must build, and
/// its file, the drawn header then the rest of the input, must keep every property of
/// [`check`](super::check). Returns the tally of an accepted file, `None` for a rejected one.
#[doc(hidden)]
pub fn check_contract(data: &[u8]) -> Option<Tally> {
    let (setup, rest) = Setup::split(data);
    let (optional_left_out, encoding) = options(data.first().copied().unwrap_or(0));
    let (drawn, body) = draw_contract(rest, optional_left_out, encoding);
    if let Err(e) = drawn.contract.check() {
        panic!("the drawn contract is inconsistent: {e}\n{}", drawn.contract.to_toml());
    }
    let mut csv = drawn.header.clone();
    csv.extend_from_slice(body);
    compare(|| drawn.contract.clone(), &csv, setup)
}

/// A contract fuzz input made from `seed`: a drawn contract and a body of up to 150 rows whose
/// values are mostly plausible for their column (valid, at the edges, just past them), with
/// empty, padded, quoted and multi-line values, repeated keys, and now and then a row with
/// too few or too many fields. The stable test runs hundreds; the fuzzer starts from them.
pub fn sample_input(seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let n = 1 + rng.below(6) as u8;
    let mut data = vec![rng.byte(), rng.byte(), (rng.byte() & 0xF8) | (n - 1)];
    for _ in 0..n {
        data.push(rng.byte());
        data.push(rng.byte());
    }
    let (optional_left_out, encoding) = options(data[0]);
    let (drawn, _) = draw_contract(&data[2..], optional_left_out, encoding);
    let delimiter = drawn.contract.format.delimiter.to_string();
    let rows = rng.below(150);
    let ragged = rng.below(30) == 0;
    let crlf = rng.below(4) == 0;
    for row in 0..rows {
        let mut fields: Vec<String> = drawn.kinds.iter().map(|&kind| value(&mut rng, kind)).collect();
        if ragged && row == rows / 2 {
            if rng.below(2) == 0 {
                fields.pop();
            } else {
                fields.push("extra".into());
            }
        }
        let line = fields.join(&delimiter);
        // A Windows-1252 file: the characters it has as themselves, the rest as `?`.
        match encoding {
            Encoding::Windows1252 => data.extend(line.chars().map(|c| match c {
                'é' => 0xE9,
                'ç' => 0xE7,
                'Ç' => 0xC7,
                'ü' => 0xFC,
                'ï' => 0xEF,
                c if c.is_ascii() => c as u8,
                _ => b'?',
            })),
            _ => data.extend_from_slice(line.as_bytes()),
        }
        if row + 1 < rows || rng.below(3) != 0 {
            data.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
    }
    data
}

/// A field for a column of `kind`: most often from the kind's own pool, else from values that
/// fit no column in particular.
fn value(rng: &mut Rng, kind: Kind) -> String {
    let own: &[&str] = match kind {
        Kind::SmallInt => &["1", "2", "3", "-5", "300", "301", "-6", "007", " 4 ", "+1", "1.0", "x"],
        Kind::BigInt => &[
            "1",
            "2",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "0",
            "-1",
            "00000000000000000001",
        ],
        Kind::Decimal => {
            &["1", "1.5", "1.50", "-100.5", "-100.51", "9999.99", "500", "501", "0.001", ".5", "5.", "-0"]
        }
        Kind::Boolean => &["true", "T", "yes", "N", "0", "1", "ja", "NEIN", "maybe", " y "],
        Kind::Date => &[
            "2020-02-29",
            "2021-02-29",
            "2026-11-25",
            "2026-11-26",
            "2026-11-27",
            "1900-01-01",
            "1900-01-02",
            "2020-1-5",
            "9999-12-31",
        ],
        Kind::Timestamp => &[
            "2026-11-25T23:59:59Z",
            "2026-11-26T00:00:00Z",
            "2025-01-01 10:00:00+02:00",
            "2000-01-01T00:00:00Z",
            "2000-01-01T00:00:00.000001Z",
            "2024-02-29T12:00:00.123456789",
            "2024-13-01T00:00:00Z",
            "2024-06-01T25:00:00Z",
        ],
        Kind::Text => &["a", "ab", "abcde", "abcdef", "ç", "çççç", "A", "a b", "ab1"],
        Kind::OneOf => &["a", "A", "B", "b", "ç", "Ç", "c"],
        Kind::Free | Kind::Undeclared => &["anything", "1", "x y", "ünïcode"],
    };
    let any: &[&str] = &["", "  ", "\"quoted, comma\"", "\"line\nbreak\"", "\"say \"\"hi\"\"\"", "é", "null"];
    let pick = if rng.below(8) == 0 { any[rng.below(any.len())] } else { own[rng.below(own.len())] };
    if rng.below(12) == 0 && !pick.starts_with('"') { format!("\"{pick}\"") } else { pick.to_owned() }
}

/// xorshift64*: enough randomness for test data, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[7]
    }
}
