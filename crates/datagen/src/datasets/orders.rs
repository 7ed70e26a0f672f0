//! The orders dataset (`contracts/orders.toml`).

use std::io::{self, Write};

use super::rows::{DatasetSummary, WORDS, boolean, instant, price, write_rows};
use crate::rng::Rng;

/// The header of the orders dataset.
pub const ORDERS_HEADER: &str =
    "order_id,line_no,customer_id,sku,quantity,unit_price,currency,paid,ordered_at,note";

const CURRENCIES: &[&str] = &["EUR", "USD", "GBP", "eur", "Usd"];

fn sku(rng: &mut Rng, n: u64) -> String {
    let letters = [b'A' + (n % 26) as u8, b'A' + ((n / 26) % 26) as u8, b'A' + (rng.below(26) as u8)];
    format!("{}-{:04}", String::from_utf8_lossy(&letters), n % 10_000)
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
