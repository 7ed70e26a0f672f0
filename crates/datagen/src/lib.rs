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
mod names;
mod rng;

use std::io::{self, Write};

pub use date::Date;
use date::is_leap;
use names::{FIRST, LAST};
use rng::{Permutation, Rng};

pub use crate::datasets::{
    DatasetSummary, ORDERS_HEADER, PRODUCTS_HEADER, generate_orders, generate_products,
};

/// The header without the optional `country` column.
pub const HEADER: &str = "customer_id,full_name,email,age,date_of_birth,phone_number";
/// The header with the `country` column.
pub const HEADER_WITH_COUNTRY: &str = "customer_id,full_name,email,age,date_of_birth,phone_number,country";
/// The reference date ages are computed at; validate with `--as-of 2026-11-26`.
pub const AS_OF: Date = Date::new(2026, 11, 26);
/// Earliest date of birth of a valid row.
pub const DOB_FIRST: Date = Date::new(1930, 1, 1);
/// Latest date of birth of a valid row.
pub const DOB_LAST: Date = Date::new(2008, 12, 31);
/// Seed used when none is given.
pub const DEFAULT_SEED: u64 = 42;
/// Share of defective rows, in percent, when none is given.
pub const DEFAULT_INVALID_PCT: f64 = 5.0;
/// Share, in percent, of the non-defective rows that are made valid but tricky.
pub const TRICKY_PCT: f64 = 2.0;

/// Share of defective rows that get a second defect (in another column).
const SECOND_DEFECT_SHARE: f64 = 0.2;
/// How many recent (name, date of birth) keys a duplicate may copy.
const KEY_HISTORY: usize = 4096;
/// How many recent valid customer ids a repeated id may copy.
const ID_HISTORY: usize = 256;

// Column bits, in header order.
const C_ID: u8 = 1;
const C_NAME: u8 = 1 << 1;
const C_EMAIL: u8 = 1 << 2;
const C_AGE: u8 = 1 << 3;
const C_DOB: u8 = 1 << 4;
const C_PHONE: u8 = 1 << 5;
const C_COUNTRY: u8 = 1 << 6;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Seed of every random choice.
    pub seed: u64,
    /// Probability, in percent (0 to 100), that a row carries a defect.
    pub invalid_pct: f64,
    /// Add a `country` column (ISO 3166-1 alpha-2 codes) and country defects.
    pub country: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { seed: DEFAULT_SEED, invalid_pct: DEFAULT_INVALID_PCT, country: false }
    }
}

/// A planted defect; each makes the row fail the SPEC section 3 rule named by [`Defect::rule_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Defect {
    /// Empty or whitespace-only `customer_id`.
    NullCustomerId,
    /// Empty or whitespace-only `full_name`.
    NullFullName,
    /// Empty or whitespace-only `email`.
    NullEmail,
    /// Empty or whitespace-only `age`.
    NullAge,
    /// Empty or whitespace-only `date_of_birth`.
    NullDateOfBirth,
    /// Empty or whitespace-only `phone_number`.
    NullPhoneNumber,
    /// Empty or whitespace-only `country` (only with the country column).
    NullCountry,
    /// Letters, 0, negative, decimal, or beyond 9223372036854775807.
    CustomerId,
    /// Digits, punctuation, non-ASCII letters or a line break in the name.
    FullName,
    /// A malformed email address.
    Email,
    /// 0, above 120, negative or not a whole number.
    Age,
    /// Not `YYYY-MM-DD`, not a calendar date, year 1900 or before, or not before [`AS_OF`].
    DateOfBirth,
    /// 9 or 11 digits, or formatted with dashes, dots, spaces, parentheses or `+`.
    PhoneNumber,
    /// The full name (maybe in another case, with doubled spaces) and date of birth of an
    /// earlier row, under another customer id.
    Duplicate,
    /// A valid age that is not the completed years from the date of birth to [`AS_OF`].
    AgeConsistency,
    /// Not an ISO 3166-1 alpha-2 code (only with the country column).
    Country,
}

impl Defect {
    /// Every defect kind.
    pub const ALL: [Defect; 16] = [
        Defect::NullCustomerId,
        Defect::NullFullName,
        Defect::NullEmail,
        Defect::NullAge,
        Defect::NullDateOfBirth,
        Defect::NullPhoneNumber,
        Defect::NullCountry,
        Defect::CustomerId,
        Defect::FullName,
        Defect::Email,
        Defect::Age,
        Defect::DateOfBirth,
        Defect::PhoneNumber,
        Defect::Duplicate,
        Defect::AgeConsistency,
        Defect::Country,
    ];

    /// The failure id of SPEC section 3 this defect triggers.
    pub fn rule_id(self) -> &'static str {
        match self {
            Defect::NullCustomerId => "not_null:customer_id",
            Defect::NullFullName => "not_null:full_name",
            Defect::NullEmail => "not_null:email",
            Defect::NullAge => "not_null:age",
            Defect::NullDateOfBirth => "not_null:date_of_birth",
            Defect::NullPhoneNumber => "not_null:phone_number",
            Defect::NullCountry => "not_null:country",
            Defect::CustomerId => "customer_id",
            Defect::FullName => "full_name",
            Defect::Email => "email",
            Defect::Age => "age",
            Defect::DateOfBirth => "date_of_birth",
            Defect::PhoneNumber => "phone_number",
            Defect::Duplicate => "duplicate",
            Defect::AgeConsistency => "age_consistency",
            Defect::Country => "country",
        }
    }

    /// Columns the defect rewrites or depends on; two defects of a row never share one.
    fn columns(self) -> u8 {
        match self {
            Defect::NullCustomerId | Defect::CustomerId => C_ID,
            Defect::NullFullName | Defect::FullName => C_NAME,
            Defect::NullEmail | Defect::Email => C_EMAIL,
            Defect::NullAge | Defect::Age => C_AGE,
            Defect::NullDateOfBirth | Defect::DateOfBirth => C_DOB,
            Defect::NullPhoneNumber | Defect::PhoneNumber => C_PHONE,
            Defect::NullCountry | Defect::Country => C_COUNTRY,
            Defect::Duplicate => C_NAME | C_DOB | C_AGE,
            Defect::AgeConsistency => C_AGE | C_DOB,
        }
    }

    /// Relative frequency among defective rows.
    fn weight(self) -> u64 {
        match self {
            Defect::NullCustomerId
            | Defect::NullFullName
            | Defect::NullEmail
            | Defect::NullAge
            | Defect::NullDateOfBirth
            | Defect::NullPhoneNumber
            | Defect::NullCountry => 3,
            Defect::CustomerId | Defect::FullName | Defect::Age | Defect::Country => 8,
            Defect::Duplicate | Defect::AgeConsistency => 8,
            Defect::Email | Defect::DateOfBirth | Defect::PhoneNumber => 10,
        }
    }

    fn needs_country(self) -> bool {
        matches!(self, Defect::NullCountry | Defect::Country)
    }
}

/// A valid-but-tricky variation: the row still passes every rule of SPEC section 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trick {
    /// Spaces around one to three values (trimmed before the rules run).
    Whitespace,
    /// Quotes around values that need none (`"Ann Lee"`).
    QuotedFields,
    /// Leading zeros on the row's own customer id (`000123`; identity is the integer).
    LeadingZeroId,
    /// The customer id of an earlier valid row, for a different person: valid, but
    /// `already_present` at load time.
    RepeatedId,
    /// Full name in upper or lower case, or with a doubled inner space.
    NameCase,
    /// Email with a `+tag`, a `%`, upper-case letters or a sub-domain.
    EmailVariant,
    /// Age with a leading zero (`042`).
    AgeLeadingZero,
    /// Country code in lower or mixed case (only with the country column).
    CountryCase,
}

impl Trick {
    /// Every trick kind.
    pub const ALL: [Trick; 8] = [
        Trick::Whitespace,
        Trick::QuotedFields,
        Trick::LeadingZeroId,
        Trick::RepeatedId,
        Trick::NameCase,
        Trick::EmailVariant,
        Trick::AgeLeadingZero,
        Trick::CountryCase,
    ];

    fn weight(self) -> u64 {
        match self {
            Trick::Whitespace | Trick::QuotedFields => 4,
            Trick::LeadingZeroId | Trick::RepeatedId | Trick::NameCase | Trick::EmailVariant => 2,
            Trick::AgeLeadingZero | Trick::CountryCase => 1,
        }
    }
}

/// What was planted in one generated row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowInfo {
    /// The row's defects: none, one, or two (in different columns).
    pub defects: [Option<Defect>; 2],
    /// The valid-but-tricky variation, if any (never on a defective row).
    pub trick: Option<Trick>,
}

impl RowInfo {
    /// Whether the row was made defective (so it should fail validation).
    pub fn is_defective(&self) -> bool {
        self.defects[0].is_some()
    }

    /// The planted defects.
    pub fn defects(&self) -> impl Iterator<Item = Defect> + '_ {
        self.defects.iter().flatten().copied()
    }
}

/// Counts of a [`generate`] run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Data rows written.
    pub rows: u64,
    /// Rows with at least one planted defect.
    pub defective: u64,
    /// Valid-but-tricky rows.
    pub tricky: u64,
}

/// Writes the header and `rows` data rows to `out`; see [`Generator`].
pub fn generate<W: Write>(config: &Config, rows: u64, out: &mut W) -> io::Result<Summary> {
    let mut generator = Generator::new(config);
    let mut buf = Vec::with_capacity(256);
    generator.write_header(&mut buf);
    out.write_all(&buf)?;
    let mut summary = Summary::default();
    for _ in 0..rows {
        buf.clear();
        let info = generator.next_row(&mut buf);
        out.write_all(&buf)?;
        summary.rows += 1;
        summary.defective += u64::from(info.is_defective());
        summary.tricky += u64::from(info.trick.is_some());
    }
    out.flush()?;
    Ok(summary)
}

/// The raw text of one row's fields.
#[derive(Debug, Default)]
struct Fields {
    id: String,
    name: String,
    email: String,
    age: String,
    dob: String,
    phone: String,
    country: String,
    /// Columns to quote even when they need no quotes.
    force_quote: u8,
}

/// The row generator: call [`Generator::write_header`] once, then [`Generator::next_row`].
#[derive(Debug)]
pub struct Generator {
    rng: Rng,
    perm: Permutation,
    country: bool,
    defect_p: f64,
    tricky_p: f64,
    /// Index of the next row (0-based); its customer id is `row + 1`.
    row: u64,
    /// Recent (first, last, date of birth) triples whose name and date were emitted untouched.
    keys: Vec<(usize, usize, Date)>,
    keys_pos: usize,
    /// Recent customer ids of valid rows.
    ids: Vec<u64>,
    ids_pos: usize,
    defects: Vec<(Defect, u64)>,
    tricks: Vec<(Trick, u64)>,
    fields: Fields,
}

const DOB_DAYS: u64 = 28_855; // DOB_FIRST..=DOB_LAST, checked by a test.

impl Generator {
    /// A generator for `config`; `invalid_pct` is clamped to 0..=100.
    pub fn new(config: &Config) -> Self {
        let pct = if config.invalid_pct.is_nan() { 0.0 } else { config.invalid_pct.clamp(0.0, 100.0) };
        let domain = FIRST.len() as u64 * LAST.len() as u64 * DOB_DAYS;
        let defects = Defect::ALL
            .iter()
            .filter(|d| config.country || !d.needs_country())
            .map(|&d| (d, d.weight()))
            .collect();
        let tricks = Trick::ALL
            .iter()
            .filter(|&&t| config.country || t != Trick::CountryCase)
            .map(|&t| (t, t.weight()))
            .collect();
        Self {
            rng: Rng::new(config.seed),
            perm: Permutation::new(domain, config.seed),
            country: config.country,
            defect_p: pct / 100.0,
            tricky_p: TRICKY_PCT / 100.0,
            row: 0,
            keys: Vec::with_capacity(KEY_HISTORY),
            keys_pos: 0,
            ids: Vec::with_capacity(ID_HISTORY),
            ids_pos: 0,
            defects,
            tricks,
            fields: Fields::default(),
        }
    }

    /// The header line, without its line end.
    pub fn header(&self) -> &'static str {
        if self.country { HEADER_WITH_COUNTRY } else { HEADER }
    }

    /// Appends the header line (with its LF) to `out`.
    pub fn write_header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.header().as_bytes());
        out.push(b'\n');
    }

    /// Appends the next data row (one CSV record ending in LF) to `out` and says what was
    /// planted in it.
    pub fn next_row(&mut self, out: &mut Vec<u8>) -> RowInfo {
        let index = self.row;
        self.row += 1;
        let id = index + 1;
        let (mut first, mut last, mut dob) = self.person(index);

        let mut info = RowInfo::default();
        let mut touched = 0u8;
        if self.rng.chance(self.defect_p) {
            let defect = self.pick_defect(0);
            touched |= defect.columns();
            info.defects[0] = Some(defect);
            if self.rng.chance(SECOND_DEFECT_SHARE) {
                for _ in 0..8 {
                    let second = self.pick_defect(touched);
                    if second.columns() & touched == 0 {
                        touched |= second.columns();
                        info.defects[1] = Some(second);
                        break;
                    }
                }
            }
        }
        if info.defects().any(|d| d == Defect::Duplicate) {
            // The person of an earlier row, so that the email is derived from the copied name.
            (first, last, dob) = *self.rng.pick(&self.keys);
        }
        self.fill_base(id, first, last, dob);
        for defect in info.defects.into_iter().flatten() {
            self.apply_defect(defect, first, last, dob);
        }
        if !info.is_defective() && self.rng.chance(self.tricky_p) {
            let trick = self.pick_trick();
            info.trick = Some(self.apply_trick(trick, id, first, last, dob));
        }

        if touched & (C_NAME | C_DOB) == 0 {
            push_ring(&mut self.keys, &mut self.keys_pos, KEY_HISTORY, (first, last, dob));
        }
        if !info.is_defective() && info.trick != Some(Trick::RepeatedId) {
            push_ring(&mut self.ids, &mut self.ids_pos, ID_HISTORY, id);
        }
        self.write_fields(out);
        info
    }

    /// The (first name, last name, date of birth) of row `index`: a permutation of the index
    /// while it fits in the domain, random beyond.
    fn person(&mut self, index: u64) -> (usize, usize, Date) {
        let p = if index < self.perm_domain() {
            self.perm.apply(index)
        } else {
            self.rng.below(self.perm_domain())
        };
        let day = p % DOB_DAYS;
        let rest = p / DOB_DAYS;
        let first = (rest % FIRST.len() as u64) as usize;
        let last = (rest / FIRST.len() as u64) as usize;
        let dob = Date::from_days(DOB_FIRST.to_days() + day as i64);
        (first, last, dob)
    }

    fn perm_domain(&self) -> u64 {
        FIRST.len() as u64 * LAST.len() as u64 * DOB_DAYS
    }

    fn fill_base(&mut self, id: u64, first: usize, last: usize, dob: Date) {
        let f = &mut self.fields;
        f.force_quote = 0;
        f.id.clear();
        push_u64(&mut f.id, id);
        set_name(&mut f.name, first, last);
        f.email.clear();
        base_email(&mut self.rng, &mut f.email, first, last, dob);
        f.age.clear();
        push_u64(&mut f.age, dob.completed_years_at(AS_OF) as u64);
        f.dob.clear();
        push_date(&mut f.dob, dob);
        f.phone.clear();
        base_phone(&mut self.rng, &mut f.phone);
        f.country.clear();
        if self.country {
            f.country.push_str(pick_weighted(&mut self.rng, COUNTRIES));
        }
    }

    fn pick_defect(&mut self, avoid: u8) -> Defect {
        let has_history = !self.keys.is_empty();
        let usable = |d: Defect| d.columns() & avoid == 0 && (has_history || d != Defect::Duplicate);
        let total: u64 = self.defects.iter().filter(|(d, _)| usable(*d)).map(|(_, w)| w).sum();
        let mut r = self.rng.below(total.max(1));
        for &(d, w) in self.defects.iter().filter(|(d, _)| usable(*d)) {
            if r < w {
                return d;
            }
            r -= w;
        }
        Defect::Email
    }

    fn pick_trick(&mut self) -> Trick {
        let total: u64 = self.tricks.iter().map(|(_, w)| w).sum();
        let mut r = self.rng.below(total);
        for &(t, w) in &self.tricks {
            if r < w {
                return t;
            }
            r -= w;
        }
        Trick::Whitespace
    }

    fn apply_defect(&mut self, defect: Defect, first: usize, last: usize, dob: Date) {
        let rng = &mut self.rng;
        let f = &mut self.fields;
        match defect {
            Defect::NullCustomerId => set_null(rng, &mut f.id),
            Defect::NullFullName => set_null(rng, &mut f.name),
            Defect::NullEmail => set_null(rng, &mut f.email),
            Defect::NullAge => set_null(rng, &mut f.age),
            Defect::NullDateOfBirth => set_null(rng, &mut f.dob),
            Defect::NullPhoneNumber => set_null(rng, &mut f.phone),
            Defect::NullCountry => set_null(rng, &mut f.country),
            Defect::CustomerId => bad_id(rng, &mut f.id),
            Defect::FullName => bad_name(rng, &mut f.name, first, last),
            Defect::Email => bad_email(rng, &mut f.email),
            Defect::Age => bad_age(rng, &mut f.age),
            Defect::DateOfBirth => bad_dob(rng, &mut f.dob, dob),
            Defect::PhoneNumber => bad_phone(rng, &mut f.phone),
            Defect::Country => {
                f.country.clear();
                let code = *rng.pick(BAD_COUNTRIES);
                f.country.push_str(code);
            }
            Defect::AgeConsistency => {
                let age = i64::from(dob.completed_years_at(AS_OF));
                let delta = if rng.chance(0.5) { 1 } else { rng.range(2, 10) as i64 };
                let wrong = if rng.chance(0.5) || age - delta < 1 { age + delta } else { age - delta };
                f.age.clear();
                push_u64(&mut f.age, wrong as u64);
            }
            Defect::Duplicate => {
                // Name, date of birth, age and email already come from the earlier row: vary
                // the name's case and spacing, which the duplicate key ignores.
                match rng.below(10) {
                    0 | 1 => f.name.make_ascii_uppercase(),
                    2 | 3 => f.name.make_ascii_lowercase(),
                    4 | 5 => f.name = f.name.replace(' ', "  "),
                    6 => {
                        f.name = f.name.replace(' ', "   ");
                        f.name.make_ascii_lowercase();
                    }
                    7 => f.name = format!("  {}  ", f.name.to_ascii_uppercase()),
                    _ => {}
                }
            }
        }
    }

    fn apply_trick(&mut self, trick: Trick, id: u64, first: usize, last: usize, dob: Date) -> Trick {
        let rng = &mut self.rng;
        let f = &mut self.fields;
        match trick {
            Trick::Whitespace => {
                let count = rng.range(1, 3);
                for _ in 0..count {
                    let column = rng.below(if self.country { 7 } else { 6 });
                    let value = match column {
                        0 => &mut f.id,
                        1 => &mut f.name,
                        2 => &mut f.email,
                        3 => &mut f.age,
                        4 => &mut f.dob,
                        5 => &mut f.phone,
                        _ => &mut f.country,
                    };
                    let before = *rng.pick(&["", " ", "  ", "   "]);
                    let after = *rng.pick(&[" ", "  ", "", " "]);
                    *value = format!("{before}{value}{after}");
                    if rng.chance(0.3) {
                        f.force_quote |= 1 << column;
                    }
                }
            }
            Trick::QuotedFields => {
                f.force_quote = if rng.chance(0.7) { C_NAME } else { 0xFF };
            }
            Trick::LeadingZeroId => {
                let zeros = rng.range(1, 4) as usize;
                f.id = format!("{}{id}", "0".repeat(zeros));
            }
            Trick::RepeatedId => {
                if self.ids.is_empty() {
                    f.id = format!("0{id}");
                    return Trick::LeadingZeroId;
                }
                let earlier = *rng.pick(&self.ids);
                f.id.clear();
                push_u64(&mut f.id, earlier);
            }
            Trick::NameCase => match rng.below(3) {
                0 => f.name.make_ascii_uppercase(),
                1 => f.name.make_ascii_lowercase(),
                _ => f.name = format!("{}  {}", FIRST[first], LAST[last]),
            },
            Trick::EmailVariant => {
                let (local, domain) = f.email.split_once('@').unwrap_or((&f.email, "example.com"));
                f.email = match rng.below(5) {
                    0 => format!("{local}+{}@{domain}", rng.pick(PLUS_TAGS)),
                    1 => format!("{}@{}", capitalise_parts(local), capitalise_parts(domain)),
                    2 => format!("{local}@mail.{domain}"),
                    3 => format!("{local}%{}@{domain}", rng.range(1, 99)),
                    _ => format!("{}@{domain}", local.to_ascii_uppercase()),
                };
            }
            Trick::AgeLeadingZero => {
                let age = dob.completed_years_at(AS_OF);
                f.age = format!("0{age}");
            }
            Trick::CountryCase => {
                f.country = if rng.chance(0.6) {
                    f.country.to_ascii_lowercase()
                } else {
                    let mut chars = f.country.chars();
                    let head = chars.next().map(|c| c.to_ascii_uppercase());
                    let tail: String = chars.map(|c| c.to_ascii_lowercase()).collect();
                    head.into_iter().chain(tail.chars()).collect()
                };
            }
        }
        trick
    }

    fn write_fields(&self, out: &mut Vec<u8>) {
        let f = &self.fields;
        let mut columns: [&str; 7] = [&f.id, &f.name, &f.email, &f.age, &f.dob, &f.phone, ""];
        let count = if self.country {
            columns[6] = &f.country;
            7
        } else {
            6
        };
        for (i, value) in columns.iter().take(count).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_csv_field(out, value, f.force_quote & (1 << i) != 0);
        }
        out.push(b'\n');
    }
}

/// Appends `value` to `out` as one CSV field, quoted (RFC 4180) when it holds a comma, a quote
/// or a line break, or when `force` is set.
pub fn push_csv_field(out: &mut Vec<u8>, value: &str, force: bool) {
    let needs = value.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if needs || force {
        out.push(b'"');
        for b in value.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

fn push_ring<T>(ring: &mut Vec<T>, pos: &mut usize, cap: usize, item: T) {
    if ring.len() < cap {
        ring.push(item);
    } else {
        ring[*pos] = item;
        *pos = (*pos + 1) % cap;
    }
}

fn push_u64(s: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        s.push(char::from(d));
    }
}

fn push_padded(s: &mut String, mut v: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = i.min(digits.len().saturating_sub(width));
    for &d in &digits[start..] {
        s.push(char::from(d));
    }
}

fn push_date(s: &mut String, d: Date) {
    push_ymd(s, i64::from(d.year), d.month, d.day);
}

/// `YYYY-MM-DD` from parts that need not form a real date.
fn push_ymd(s: &mut String, year: i64, month: u32, day: u32) {
    push_padded(s, year.unsigned_abs(), 4);
    s.push('-');
    push_padded(s, u64::from(month), 2);
    s.push('-');
    push_padded(s, u64::from(day), 2);
}

fn push_digits(rng: &mut Rng, s: &mut String, count: usize) {
    for _ in 0..count {
        s.push(char::from(b'0' + rng.below(10) as u8));
    }
}

fn set_name(s: &mut String, first: usize, last: usize) {
    s.clear();
    s.push_str(FIRST[first]);
    s.push(' ');
    s.push_str(LAST[last]);
}

fn set_null(rng: &mut Rng, s: &mut String) {
    s.clear();
    s.push_str(match rng.below(10) {
        0..=5 => "",
        6 => " ",
        7 => "  ",
        8 => "    ",
        _ => " \t ",
    });
}

fn pick_weighted<'a>(rng: &mut Rng, items: &[(&'a str, u64)]) -> &'a str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.below(total);
    for &(item, w) in items {
        if r < w {
            return item;
        }
        r -= w;
    }
    items[0].0
}

fn capitalise_parts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        out.push(if start { c.to_ascii_uppercase() } else { c });
        start = matches!(c, '.' | '_');
    }
    out
}

const DOMAINS: &[(&str, u64)] = &[
    ("gmail.com", 30),
    ("yahoo.com", 10),
    ("outlook.com", 8),
    ("hotmail.com", 7),
    ("icloud.com", 5),
    ("aol.com", 2),
    ("proton.me", 2),
    ("gmx.de", 2),
    ("web.de", 1),
    ("yahoo.co.uk", 2),
    ("btinternet.com", 1),
    ("orange.fr", 1),
    ("live.com", 2),
    ("mail.com", 1),
    ("fastmail.com", 1),
    ("example.org", 1),
    ("acme-corp.com", 1),
];

const PLUS_TAGS: &[&str] = &["news", "shop", "2024", "promo", "bank", "x"];

const COUNTRIES: &[(&str, u64)] = &[
    ("US", 30),
    ("GB", 12),
    ("CA", 6),
    ("AU", 5),
    ("DE", 6),
    ("FR", 5),
    ("IE", 2),
    ("NL", 3),
    ("ES", 3),
    ("IT", 3),
    ("IN", 5),
    ("NZ", 1),
    ("SE", 2),
    ("NO", 1),
    ("DK", 1),
    ("BR", 3),
    ("MX", 2),
    ("JP", 2),
    ("ZA", 1),
    ("SG", 1),
    ("PL", 2),
    ("PT", 1),
    ("BE", 1),
    ("CH", 1),
    ("AT", 1),
    ("NG", 1),
    ("KE", 1),
];

/// Country values that are not ISO 3166-1 alpha-2 codes (no reserved codes such as `UK`).
const BAD_COUNTRIES: &[&str] =
    &["USA", "GBR", "DEU", "XX", "ZZ", "U1", "E", "1", "Germany", "United States", "U.S.", "Frnace"];

fn base_email(rng: &mut Rng, s: &mut String, first: usize, last: usize, dob: Date) {
    let f = FIRST[first];
    let l = LAST[last];
    let push_lower = |s: &mut String, part: &str| {
        for c in part.chars() {
            s.push(c.to_ascii_lowercase());
        }
    };
    let initial = |part: &str| part.chars().next().map_or('x', |c| c.to_ascii_lowercase());
    match rng.below(8) {
        0 => {
            push_lower(s, f);
            s.push('.');
            push_lower(s, l);
        }
        1 => {
            push_lower(s, f);
            s.push('.');
            push_lower(s, l);
            push_u64(s, rng.range(1, 99));
        }
        2 => {
            push_lower(s, f);
            push_lower(s, l);
            push_padded(s, (dob.year % 100) as u64, 2);
        }
        3 => {
            s.push(initial(f));
            push_lower(s, l);
            push_u64(s, rng.range(1, 999));
        }
        4 => {
            push_lower(s, f);
            s.push('_');
            push_lower(s, l);
            push_u64(s, rng.range(1, 99));
        }
        5 => {
            push_lower(s, l);
            s.push('.');
            push_lower(s, f);
            push_u64(s, dob.year as u64);
        }
        6 => {
            push_lower(s, f);
            push_u64(s, rng.range(1, 9999));
        }
        _ => {
            push_lower(s, f);
            s.push('.');
            s.push(initial(l));
            push_u64(s, rng.range(10, 99));
        }
    }
    s.push('@');
    s.push_str(pick_weighted(rng, DOMAINS));
}

fn base_phone(rng: &mut Rng, s: &mut String) {
    if rng.chance(0.25) {
        // Trunk-prefixed national number, e.g. a UK mobile 07xxxxxxxx.
        s.push('0');
        s.push(if rng.chance(0.6) { '7' } else { char::from(b'1' + rng.below(9) as u8) });
        push_digits(rng, s, 8);
    } else {
        // NANP-style: area code and exchange start with 2-9.
        s.push(char::from(b'2' + rng.below(8) as u8));
        push_digits(rng, s, 2);
        s.push(char::from(b'2' + rng.below(8) as u8));
        push_digits(rng, s, 6);
    }
}

fn bad_id(rng: &mut Rng, s: &mut String) {
    let id = s.clone();
    s.clear();
    match rng.below(14) {
        0 | 1 => *s = format!("C{id}"),
        2 => *s = format!("{id}A"),
        3 => *s = format!("CUST-{id}"),
        4 | 5 => s.push('0'),
        6 => s.push_str("000"),
        7 | 8 => *s = format!("-{id}"),
        9 | 10 => {
            // 20 digits: always above 9223372036854775807 (and above u64::MAX half the time).
            s.push(char::from(b'1' + rng.below(9) as u8));
            push_digits(rng, s, 19);
        }
        11 => s.push_str("9223372036854775808"),
        12 => *s = format!("{id}.0"),
        _ => *s = format!("{id} {}", rng.range(1, 9)),
    }
}

const ACCENTED_FIRST: &[&str] = &[
    "José",
    "Zoë",
    "Renée",
    "Björn",
    "Łukasz",
    "Anaïs",
    "Søren",
    "Chloé",
    "Jürgen",
    "François",
    "Núria",
    "Siobhán",
    "Dóra",
    "Ångström",
];

fn bad_name(rng: &mut Rng, s: &mut String, first: usize, last: usize) {
    let f = FIRST[first];
    let l = LAST[last];
    *s = match rng.below(16) {
        0 | 1 => {
            let leet: String = f
                .chars()
                .map(|c| match c {
                    'o' => '0',
                    'e' => '3',
                    'i' => '1',
                    'a' => '4',
                    other => other,
                })
                .collect();
            if leet == f { format!("{f}{} {l}", rng.range(1, 9)) } else { format!("{leet} {l}") }
        }
        2 => format!("{f} {l} {}", rng.pick(&["2nd", "3rd", "4th", "5th"])),
        3 => format!("{f} O'{l}"),
        4 => format!("{f} {l}-{}", LAST[(last + 7) % LAST.len()]),
        5 | 6 => format!("{l}, {f}"),
        7 => format!("{f} {l} Jr."),
        8 => format!("Dr. {f} {l}"),
        9 => format!("{}. {l}", f.chars().next().unwrap_or('X')),
        10 => {
            let nick: String = f.chars().take(3).collect();
            format!("{f} \"{nick}\" {l}")
        }
        11 | 12 => format!("{} {l}", rng.pick(ACCENTED_FIRST)),
        13 => format!("{f}_{l}"),
        14 => {
            if rng.chance(0.5) {
                format!("{f}\n{l}")
            } else {
                format!("{f} {l} \u{1F600}")
            }
        }
        _ => format!("{f} & {} {l}", FIRST[(first + 11) % FIRST.len()]),
    };
}

fn bad_email(rng: &mut Rng, s: &mut String) {
    let email = s.clone();
    let (local, domain) = email.split_once('@').unwrap_or((&email, "example.com"));
    let (host, _) = domain.split_once('.').unwrap_or((domain, "com"));
    *s = match rng.below(14) {
        0 | 1 => format!("{local}{domain}"),
        2 => format!("{local}@@{domain}"),
        3 => format!("{local}@{host}"),
        4 => format!("{local}@{host}.c"),
        5 => format!("{local}@{host}.c0m"),
        6 => format!("{} @{domain}", local.replacen('.', " ", 1)),
        7 => format!("@{domain}"),
        8 => format!("{local}@"),
        9 => format!("{local}@{host},com"),
        10 => format!("{local}@{domain}."),
        11 => format!("<{local}@{domain}>"),
        12 => format!("{local}(at){domain}"),
        _ => format!("{local}é@{domain}"),
    };
}

fn bad_age(rng: &mut Rng, s: &mut String) {
    let age = s.clone();
    *s = match rng.below(12) {
        0..=2 => "0".to_string(),
        3..=5 => "121".to_string(),
        6 => rng.range(122, 999).to_string(),
        7 => format!("-{age}"),
        8 => format!("{age}.5"),
        9 => rng.pick(&["abc", "forty", "N/A", "unknown", "?"]).to_string(),
        10 => format!("{age} years"),
        _ => format!("{age}y"),
    };
}

const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn bad_dob(rng: &mut Rng, s: &mut String, dob: Date) {
    let (y, m, d) = (dob.year, dob.month, dob.day);
    s.clear();
    match rng.below(10) {
        // Not YYYY-MM-DD.
        0..=2 => {
            *s = match rng.below(10) {
                0 => format!("{d:02}/{m:02}/{y}"),
                1 => format!("{m:02}/{d:02}/{y}"),
                2 => format!("{y}/{m:02}/{d:02}"),
                3 => format!("{y}{m:02}{d:02}"),
                4 => format!("{d:02}-{m:02}-{y}"),
                5 => format!("{y}-{m:02}-{d:02}T00:00:00Z"),
                6 => format!("{y}-{m:02}-{d:02} 00:00"),
                7 => format!("{} {d}, {y}", MONTHS[(m as usize - 1) % 12]),
                8 => format!("{:02}-{m:02}-{d:02}", y % 100),
                _ if m < 10 || d < 10 => format!("{y}-{m}-{d}"),
                _ => format!("{y}.{m:02}.{d:02}"),
            }
        }
        // Not a calendar date.
        3..=5 => {
            let year = i64::from(y);
            match rng.below(8) {
                0 => s.push_str("2023-02-30"),
                1 => push_ymd(s, year, 2, rng.range(30, 31) as u32),
                2 => push_ymd(s, year, *rng.pick(&[4, 6, 9, 11]), 31),
                3 => push_ymd(s, year, 13, d),
                4 => push_ymd(s, year, 0, d),
                5 => push_ymd(s, year, m, 0),
                6 => push_ymd(s, year, m, 32),
                _ => {
                    let mut leapless = year;
                    while is_leap(leapless as i32) {
                        leapless += 1;
                    }
                    push_ymd(s, leapless, 2, 29);
                }
            }
        }
        // Year 1900 or before.
        6 | 7 => {
            let year = if rng.chance(0.4) { 1900 } else { rng.range(1850, 1899) as i32 };
            let day = if m == 2 && d == 29 && !is_leap(year) { 28 } else { d };
            push_date(s, Date::new(year, m, day));
        }
        // On or after the as-of date.
        _ => {
            let date = match rng.below(4) {
                0 => AS_OF,
                1 => Date::from_days(AS_OF.to_days() + 1),
                _ => {
                    let end = Date::new(2099, 12, 31).to_days();
                    let start = AS_OF.to_days();
                    Date::from_days(start + rng.below((end - start + 1) as u64) as i64)
                }
            };
            push_date(s, date);
        }
    }
}

fn bad_phone(rng: &mut Rng, s: &mut String) {
    let p = s.clone();
    *s = match rng.below(12) {
        0..=2 => p[..9].to_string(),
        3 | 4 => format!("1{p}"),
        5 => format!("{p}{}", rng.below(10)),
        6..=8 => format!("{}-{}-{}", &p[..3], &p[3..6], &p[6..]),
        9 => format!("({}) {}-{}", &p[..3], &p[3..6], &p[6..]),
        10 => format!("+1 {} {} {}", &p[..3], &p[3..6], &p[6..]),
        _ => format!("{}.{}.{}", &p[..3], &p[3..6], &p[6..]),
    };
}

#[cfg(test)]
mod tests;
