//! What the load benchmarks share: valid rows from the repository's generator, their CSV for
//! `psql \copy`, fresh databases, peak RSS.

#![allow(dead_code)] // Each benchmark uses its part.

use std::collections::HashSet;
use std::io::Write;

use chrono::NaiveDate;
use polars::prelude::{AnyValue, BooleanChunked, NewChunkedArray};
use sift_model::{Batch, ColumnType, TableSpec};
use sift_validator::{Contract, FileValidator};
use sqlx::Connection;

/// This process's peak resident memory.
pub(crate) fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// `rows` valid rows with distinct keys of `contract`, as the validator hands them to a
/// warehouse.
pub(crate) fn valid_rows(contract: &Contract, orders: bool, rows: usize) -> Vec<Batch> {
    let mut csv = Vec::with_capacity(rows * 100);
    let made = rows + rows / 20 + 100;
    if orders {
        sift_datagen::generate_orders(7, 0.0, made as u64, &mut csv).unwrap();
    } else {
        let config = sift_datagen::Config { seed: 7, invalid_pct: 0.0, country: true };
        let mut generator = sift_datagen::Generator::new(&config);
        generator.write_header(&mut csv);
        for _ in 0..made {
            generator.next_row(&mut csv);
        }
    }
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut file = FileValidator::new(contract.clone(), as_of, 65_536).unwrap();
    let mut chunks = file.push(&csv).unwrap();
    chunks.extend(file.finish().unwrap());
    // Keep the first occurrence of each key (a few generated rows repeat one on purpose) so that
    // `\copy` into a table with a primary key accepts the very same rows.
    let table = contract.table().unwrap();
    let keys = table.key_positions().unwrap();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut left = rows;
    for chunk in chunks {
        let frame = chunk.valid.frame();
        let keep: Vec<bool> = (0..frame.height())
            .map(|i| {
                let key: Vec<String> =
                    keys.iter().map(|&k| frame.columns()[k].get(i).unwrap().to_string()).collect();
                let kept = left > 0 && seen.insert(key);
                left -= usize::from(kept);
                kept
            })
            .collect();
        let mask = BooleanChunked::from_slice("keep".into(), &keep);
        out.push(Batch::new(frame.filter(&mask).unwrap()));
    }
    assert_eq!(left, 0, "the generator made enough valid rows");
    out
}

/// The same rows as CSV for `\copy`, in the table's column order, then `source_uri`: each
/// value in the text form PostgreSQL reads for its type.
pub(crate) fn write_csv(batches: &[Batch], table: &TableSpec, path: &std::path::Path, source: &str) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let quoted = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for b in batches {
        let columns: Vec<_> = (0..table.columns.len()).map(|i| b.column(i).unwrap().rechunk()).collect();
        for i in 0..b.len() {
            let mut fields = Vec::with_capacity(columns.len() + 1);
            for (column, spec) in columns.iter().zip(&table.columns) {
                let field = match (column.get(i).unwrap(), spec.ty) {
                    (AnyValue::Null, _) => String::new(),
                    (AnyValue::Int64(v), ColumnType::Timestamp) => chrono::DateTime::from_timestamp_micros(v)
                        .unwrap()
                        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                    (AnyValue::Int64(v), _) => v.to_string(),
                    (AnyValue::Boolean(v), _) => if v { "t" } else { "f" }.to_owned(),
                    (AnyValue::Date(days), _) => sift_validator::date_from_days(days).unwrap().to_string(),
                    (AnyValue::String(s), ColumnType::Decimal { .. }) => s.to_owned(),
                    (AnyValue::String(s), _) => quoted(s),
                    (other, _) => panic!("a value sift does not load: {other:?}"),
                };
                fields.push(field);
            }
            fields.push(quoted(source));
            writeln!(out, "{}", fields.join(",")).unwrap();
        }
    }
    out.flush().unwrap();
}

pub(crate) async fn fresh_database(server: &str, name: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.unwrap();
    }
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let root = &base[..base.rfind('/').unwrap()];
    query.map_or_else(|| format!("{root}/{name}"), |q| format!("{root}/{name}?{q}"))
}
