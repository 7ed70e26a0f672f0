//! Load benchmark: sift's PostgreSQL loader against `psql \copy` of the same rows.
//!
//! Run with `scripts/bench-load` (it provides a PostgreSQL server), or directly with
//! `DATABASE_URL=postgres://... cargo bench -p sift-warehouse --bench load [-- ROWS] [--orders]`.
//!
//! It makes ROWS (default 1,000,000) valid rows with the repository's generator (customers, or
//! order lines with `--orders`: `contracts/orders.toml`, a composite key, NUMERIC, BOOLEAN and
//! TIMESTAMPTZ columns), validates them with sift's validator (untimed), keeps the first row of
//! each key, then, each into an empty database with the contract's table: (1) loads them with
//! `PgWarehouse` (one transaction, binary COPY); (2) loads the same trimmed, typed rows with
//! `psql \copy` straight into the same table. It prints rows/s for both, the ratio, and this
//! process's peak RSS.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark binary: fail loudly, print results.

use std::collections::HashSet;
use std::io::Write;
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use polars::prelude::{AnyValue, BooleanChunked, NewChunkedArray};
use sift_model::{Batch, ColumnType, TableSpec};
use sift_validator::{Contract, FileValidator};
use sift_warehouse::{FileSeal, LoadMode, PgWarehouse, Retry, Warehouse, sealed};
use sqlx::Connection;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// `rows` valid rows with distinct keys of `contract`, as the validator hands them to a
/// warehouse.
fn valid_rows(contract: &Contract, orders: bool, rows: usize) -> Vec<Batch> {
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
fn write_csv(batches: &[Batch], table: &TableSpec, path: &std::path::Path, source: &str) {
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

async fn fresh_database(server: &str, name: &str) -> String {
    let mut admin = sqlx::PgConnection::connect(server).await.unwrap();
    for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.unwrap();
    }
    let (base, query) = server.split_once('?').map_or((server, None), |(b, q)| (b, Some(q)));
    let root = &base[..base.rfind('/').unwrap()];
    query.map_or_else(|| format!("{root}/{name}"), |q| format!("{root}/{name}?{q}"))
}

/// Runs of each loader; the medians are compared.
const ROUNDS: usize = 3;

#[tokio::main]
async fn main() {
    let server = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must name a PostgreSQL server; run scripts/bench-load, which starts one");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: usize = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map_or(1_000_000, |a| a.parse().expect("ROWS must be a number"));
    let orders = args.iter().any(|a| a == "--orders");
    let contract = if orders {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contracts/orders.toml");
        Contract::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap()
    } else {
        Contract::from_toml(include_str!("../../../contracts/customer.toml"))
            .expect("the shipped customer contract parses")
    };
    let table = contract.table().unwrap();

    let t = Instant::now();
    let batches = valid_rows(&contract, orders, rows);
    println!("prepared {rows} valid rows of {} in {:.1} s (untimed)", table.name, t.elapsed().as_secs_f64());

    let csv = std::env::temp_dir().join(format!("sift-bench-{}.csv", std::process::id()));
    write_csv(&batches, &table, &csv, "bench.csv");
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let copy_sql = format!(
        "\\copy {} ({}, source_uri) FROM '{}' WITH (FORMAT csv)",
        table.name,
        columns.join(", "),
        csv.display()
    );

    // Alternate the two loaders, each into a fresh, empty, migrated database, and compare medians:
    // single runs on a 2-core machine vary by tens of percent.
    let mut sift_times = Vec::new();
    let mut copy_times = Vec::new();
    for round in 0..ROUNDS {
        // (1) sift's loader.
        let url = fresh_database(&server, "sift_bench_loader").await;
        let warehouse = PgWarehouse::connect(&url, Retry::default()).await.unwrap();
        warehouse.migrate().await.unwrap();
        warehouse.prepare(&table, true).await.unwrap();
        let seal = FileSeal { checksum: format!("bench-{round}"), total_rows: rows as u64, invalid_rows: 0 };
        let t = Instant::now();
        let outcome = warehouse
            .load(&table, "bench.csv", LoadMode::Concurrent, sealed(batches.clone(), seal))
            .await
            .unwrap();
        sift_times.push(t.elapsed().as_secs_f64());
        assert_eq!(outcome.inserted, rows as u64);
        warehouse.pool().close().await;

        // (2) psql \copy of the same rows into the same, empty table.
        let url = fresh_database(&server, "sift_bench_copy").await;
        let migrated = PgWarehouse::connect(&url, Retry::default()).await.unwrap();
        migrated.migrate().await.unwrap();
        migrated.prepare(&table, true).await.unwrap();
        migrated.pool().close().await;
        let t = Instant::now();
        let status = Command::new("psql")
            .args([url.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", &copy_sql])
            .status();
        copy_times.push(t.elapsed().as_secs_f64());
        assert!(status.expect("psql is installed").success(), "psql \\copy failed");
        println!("round {round}: sift {:.2} s, \\copy {:.2} s", sift_times[round], copy_times[round]);
    }
    std::fs::remove_file(&csv).ok();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (sift_secs, copy_secs) = (median(sift_times), median(copy_times));

    let sift_rate = rows as f64 / sift_secs;
    let copy_rate = rows as f64 / copy_secs;
    println!("sift loader : {rows} rows in {sift_secs:.2} s = {sift_rate:.0} rows/s (median of {ROUNDS})");
    println!("psql \\copy  : {rows} rows in {copy_secs:.2} s = {copy_rate:.0} rows/s (median of {ROUNDS})");
    println!("ratio       : sift at {:.2}x the speed of \\copy (target >= 0.8)", sift_rate / copy_rate);
    println!("peak RSS    : {:.0} MiB (this process, rows held in memory included)", peak_rss_mib());
}
