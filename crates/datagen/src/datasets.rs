//! Two more datasets besides customers, for contracts other than the built-in one (the orders
//! and products examples): deterministic rows with planted defects, each defect making the row
//! fail exactly one rule of `contracts/orders.toml` or `contracts/products.toml`, and planted
//! repeats of a key (valid rows whose key an earlier valid row already has: `already_present`).
//! `examples/orders.csv` and `examples/products.csv` are seed 42, 5% defects.

use std::io::{self, Write};

use crate::push_csv_field;
use crate::rng::Rng;

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
    fn fail(&mut self, rule: &'static str) {
        self.invalid += 1;
        match self.failures.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, n)) => *n += 1,
            None => self.failures.push((rule, 1)),
        }
    }
}

/// The header of the orders dataset.
pub const ORDERS_HEADER: &str =
    "order_id,line_no,customer_id,sku,quantity,unit_price,currency,paid,ordered_at,note";

/// The header of the products dataset.
pub const PRODUCTS_HEADER: &str = "sku,name,category,price,active,launched_on,discontinued_at";

const CURRENCIES: &[&str] = &["EUR", "USD", "GBP", "eur", "Usd"];
const CATEGORIES: &[&str] = &["tools", "garden", "kitchen", "toys", "books"];
const WORDS: &[&str] =
    &["Red", "Blue", "Steel", "Oak", "Quick", "Small", "Large", "Solar", "Classic", "Mini"];
const THINGS: &[&str] =
    &["Hammer", "Kettle", "Lamp", "Chair", "Rake", "Puzzle", "Atlas", "Bucket", "Drill", "Mug"];

fn sku(rng: &mut Rng, n: u64) -> String {
    let letters = [b'A' + (n % 26) as u8, b'A' + ((n / 26) % 26) as u8, b'A' + (rng.below(26) as u8)];
    format!("{}-{:04}", String::from_utf8_lossy(&letters), n % 10_000)
}

fn field(out: &mut Vec<u8>, first: bool, value: &str) {
    if !first {
        out.push(b',');
    }
    push_csv_field(out, value, false);
}

fn record(out: &mut Vec<u8>, values: &[String]) {
    for (i, v) in values.iter().enumerate() {
        field(out, i == 0, v);
    }
    out.push(b'\n');
}

/// A decimal price between 0.01 and 9999.99, written in one of the forms the check accepts.
fn price(rng: &mut Rng) -> String {
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
fn instant(rng: &mut Rng) -> String {
    let (y, m, d) = (rng.range(2021, 2025), rng.range(1, 12), rng.range(1, 28));
    let (h, mi, s) = (rng.below(24), rng.below(60), rng.below(60));
    match rng.below(4) {
        0 => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        1 => format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
        2 => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:03}+02:00", rng.below(1000)),
        _ => format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}-05:30"),
    }
}

fn boolean(rng: &mut Rng) -> String {
    (*rng.pick(&["true", "false", "Y", "n", "1", "0", "yes", "No"])).to_owned()
}

/// Writes `header` and `rows` records made by `row`, which fills the record's fields and
/// records what it planted in the summary.
fn write_rows<W: Write + ?Sized>(
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
        record(&mut buf, &fields);
        summary.rows += 1;
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    Ok(summary)
}

/// `rows` order lines (`contracts/orders.toml`): orders of one to four lines, keyed by
/// `(order_id, line_no)`, with `invalid_pct` percent of rows carrying one defect and about 1%
/// repeating an earlier valid line's key.
pub fn generate_orders<W: Write + ?Sized>(
    seed: u64,
    invalid_pct: f64,
    rows: u64,
    out: &mut W,
) -> io::Result<DatasetSummary> {
    let mut rng = Rng::new(seed ^ 0x6f72_6465_7273);
    let (mut order, mut line, mut lines_left) = (1000u64, 0u64, 0u64);
    let mut valid_keys: Vec<(u64, u64)> = Vec::new();
    let p = invalid_pct.clamp(0.0, 100.0) / 100.0;
    write_rows(ORDERS_HEADER, rows, out, |_, summary| {
        if lines_left == 0 {
            order += rng.range(1, 3);
            line = 0;
            lines_left = rng.range(1, 4);
        }
        lines_left -= 1;
        line += 1;
        let mut v = vec![
            order.to_string(),
            line.to_string(),
            rng.range(1, 50_000).to_string(),
            sku(&mut rng, order + line),
            rng.range(1, 20).to_string(),
            price(&mut rng),
            (*rng.pick(CURRENCIES)).to_owned(),
            boolean(&mut rng),
            instant(&mut rng),
            if rng.chance(0.3) { format!("gift wrap, \"{}\"", rng.pick(WORDS)) } else { String::new() },
        ];
        if rng.chance(p) {
            let (column, value, rule): (usize, &str, &'static str) = match rng.below(9) {
                0 => (0, "", "not_null:order_id"),
                1 => (1, "0", "line_no"),
                2 => (3, "abc-1234", "sku"),
                3 => (4, *rng.pick(&["0", "-1", "three", "10001"]), "quantity"),
                4 => (5, *rng.pick(&["12.345", "abc", "-5.00", "0.00", "123456789.00"]), "unit_price"),
                5 => (6, *rng.pick(&["XYZ", "euro", "$"]), "currency"),
                6 => (7, *rng.pick(&["maybe", "2", "ja"]), "paid"),
                7 => (
                    8,
                    *rng.pick(&[
                        "2026-13-01T00:00:00Z",
                        "yesterday",
                        "2019-12-31T23:59:59Z",
                        "2027-01-01T00:00:00Z",
                    ]),
                    "ordered_at",
                ),
                _ => (2, "", "not_null:customer_id"),
            };
            v[column] = value.to_owned();
            summary.fail(rule);
        } else if !valid_keys.is_empty() && rng.chance(0.01) {
            // A valid line repeating an earlier valid line's key: already present.
            let (o, l) = valid_keys[rng.index(valid_keys.len())];
            v[0] = o.to_string();
            v[1] = l.to_string();
            summary.repeats += 1;
        } else if valid_keys.len() < 4096 {
            valid_keys.push((order, line));
        } else {
            let i = rng.index(valid_keys.len());
            valid_keys[i] = (order, line);
        }
        v
    })
}

/// `rows` products (`contracts/products.toml`), keyed by `sku`, with `invalid_pct` percent of
/// rows carrying one defect and about 1% repeating an earlier valid product's sku.
pub fn generate_products<W: Write + ?Sized>(
    seed: u64,
    invalid_pct: f64,
    rows: u64,
    out: &mut W,
) -> io::Result<DatasetSummary> {
    let mut rng = Rng::new(seed ^ 0x7072_6f64);
    let mut valid_skus: Vec<String> = Vec::new();
    let p = invalid_pct.clamp(0.0, 100.0) / 100.0;
    write_rows(PRODUCTS_HEADER, rows, out, |n, summary| {
        let (y, m, d) = (rng.range(2001, 2025), rng.range(1, 12), rng.range(1, 28));
        let mut v = vec![
            format!("P{:07}", n + 1),
            format!("{} {}", rng.pick(WORDS), rng.pick(THINGS)),
            (*rng.pick(CATEGORIES)).to_owned(),
            price(&mut rng),
            boolean(&mut rng),
            format!("{y:04}-{m:02}-{d:02}"),
            if rng.chance(0.1) { instant(&mut rng) } else { String::new() },
        ];
        if rng.chance(p) {
            let (column, value, rule): (usize, String, &'static str) = match rng.below(6) {
                0 => (0, format!("p{n}"), "sku"),
                1 => (1, "x".repeat(81), "name"),
                2 => (2, "weapons".into(), "category"),
                3 => (3, "-1.00".into(), "price"),
                4 => (4, "perhaps".into(), "active"),
                _ => (5, "1999-12-31".into(), "launched_on"),
            };
            v[column] = value;
            summary.fail(rule);
        } else if !valid_skus.is_empty() && rng.chance(0.01) {
            v[0] = valid_skus[rng.index(valid_skus.len())].clone();
            summary.repeats += 1;
        } else if valid_skus.len() < 4096 {
            valid_skus.push(v[0].clone());
        }
        v
    })
}
