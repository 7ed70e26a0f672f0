//! The products dataset (`contracts/products.toml`).

use std::io::{self, Write};

use super::rows::{DatasetSummary, WORDS, boolean, instant, price, write_rows};
use crate::rng::Rng;

/// The header of the products dataset.
pub const PRODUCTS_HEADER: &str = "sku,name,category,price,active,launched_on,discontinued_at";

const CATEGORIES: &[&str] = &["tools", "garden", "kitchen", "toys", "books"];
const THINGS: &[&str] =
    &["Hammer", "Kettle", "Lamp", "Chair", "Rake", "Puzzle", "Atlas", "Bucket", "Drill", "Mug"];

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
