//! What the orders and products datasets share: the loop that writes their rows, the
//! [`DatasetSummary`] it returns, and the value generators both use.

use std::io::{self, Write};

use crate::rng::Rng;
use crate::write::push_record;

/// What a dataset generator planted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetSummary {
    /// Data rows written.
    pub rows: u64,
    /// Rows with a planted defect (each fails exactly one rule).
    pub invalid: u64,
    /// Valid rows whose key repeats an earlier valid row's.
    pub repeats: u64,
    /// Failures per rule id, in the order first seen.
    pub failures: Vec<(&'static str, u64)>,
}

impl DatasetSummary {
    pub(super) fn fail(&mut self, rule: &'static str) {
        self.invalid += 1;
        match self.failures.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => self.failures.push((rule, 1)),
        }
    }
}

pub(super) const WORDS: &[&str] =
    &["Red", "Blue", "Steel", "Oak", "Quick", "Small", "Large", "Solar", "Classic", "Mini"];

/// A decimal price between 0.01 and 9999.99, written in one of the forms the check accepts.
pub(super) fn price(rng: &mut Rng) -> String {
    let cents = rng.range(1, 999_999);
    let (whole, frac) = (cents / 100, cents % 100);
    match rng.below(4) {
        0 => format!("{whole}.{frac:02}"),
        1 if frac % 10 == 0 => format!("{whole}.{}", frac / 10),
        2 => format!("00{whole}.{frac:02}"),
        _ => format!("{whole}.{frac:02}"),
    }
}

/// An instant in 2021 to 2025, in one of the timestamp forms the check accepts.
pub(super) fn instant(rng: &mut Rng) -> String {
    let (y, m, d) = (rng.range(2021, 2025), rng.range(1, 12), rng.range(1, 28));
    let (h, mi, s) = (rng.below(24), rng.below(60), rng.below(60));
    match rng.below(4) {
        0 => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        1 => format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
        2 => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}+02:00", rng.below(1000)),
        _ => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}-05:30"),
    }
}

pub(super) fn boolean(rng: &mut Rng) -> String {
    (*rng.pick(&["true", "false", "Y", "n", "1", "0", "yes", "No"])).to_owned()
}

/// Writes `header` and `rows` records made by `row`, which fills the record's fields and
/// records what it planted in the summary.
pub(super) fn write_rows<W: Write + ?Sized>(
    header: &str,
    rows: u64,
    out: &mut W,
    mut row: impl FnMut(u64, &mut DatasetSummary) -> Vec<String>,
) -> io::Result<DatasetSummary> {
    let mut summary = DatasetSummary::default();
    let mut buf = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(header.as_bytes());
    buf.push(b'\n');
    for n in 0..rows {
        let fields = row(n, &mut summary);
        push_record(&mut buf, &fields);
        summary.rows += 1;
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    Ok(summary)
}
