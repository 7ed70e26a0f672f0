//! The customer dataset (SPEC sections 2 and 3), the crate's main job: its configuration, the
//! [`Generator`] that writes one row at a time, and [`generate`], which writes a whole file.
//! What a row may carry is in `planted`, and how its values are made in `values`.

mod names;
mod planted;
mod values;

use std::io::{self, Write};

use self::names::{FIRST, LAST};
pub use self::planted::{Defect, RowInfo, Trick};
use self::values::{
    BAD_COUNTRIES, COUNTRIES, PLUS_TAGS, bad_age, bad_dob, bad_email, bad_id, bad_name, bad_phone,
    base_email, base_phone, capitalise_parts, pick_weighted, set_name, set_null,
};
use crate::date::Date;
use crate::rng::{Permutation, Rng};
use crate::write::{push_csv_field, push_date, push_u64};

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

fn push_ring<T>(ring: &mut Vec<T>, pos: &mut usize, cap: usize, item: T) {
    if ring.len() < cap {
        ring.push(item);
    } else {
        ring[*pos] = item;
        *pos = (*pos + 1) % cap;
    }
}

#[cfg(test)]
mod tests;
