//! Load benchmark: sift's PostgreSQL loader against `psql \copy` of the same rows.
//!
//! Run with `scripts/bench-load` (it provides a PostgreSQL server), or directly with
//! `DATABASE_URL=postgres://... cargo bench -p sift-warehouse --bench load [-- ROWS]`.
//!
//! It makes ROWS (default 1,000,000) valid customers with the repository's generator, validates
//! them with sift's validator (untimed), then, each into an empty, freshly migrated database:
//! (1) loads them with `PgWarehouse` (one transaction, binary COPY into `dim_customer`);
//! (2) loads the same trimmed rows with `psql \copy` straight into `dim_customer`.
//! It prints rows/s for both, the ratio, and this process's peak RSS.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark binary: fail loudly, print results.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

use chrono::NaiveDate;
use polars::prelude::{BooleanChunked, DataType, NewChunkedArray};
use sift_table::Batch;
use sift_validator::{FileValidator, customer_contract};
use sift_warehouse::{FileSeal, PgWarehouse, Retry, Warehouse, sealed};
use sqlx::Connection;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// `rows` valid customers with distinct ids, as the validator hands them to a warehouse.
fn valid_customers(rows: usize) -> Vec<Batch> {
    let config = sift_datagen::Config { seed: 7, invalid_pct: 0.0, country: true };
    let mut generator = sift_datagen::Generator::new(&config);
    let mut csv = Vec::with_capacity(rows * 80);
    generator.write_header(&mut csv);
    for _ in 0..rows + rows / 50 + 100 {
        generator.next_row(&mut csv);
    }
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let mut file = FileValidator::new(customer_contract(None), as_of, 65_536).unwrap();
    let mut chunks = file.push(&csv).unwrap();
    chunks.extend(file.finish().unwrap());
    // Keep the first occurrence of each id (a few generated rows reuse an id on purpose) so that
    // `\copy` into a table with a primary key accepts the very same rows.
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut left = rows;
    for chunk in chunks {
        let frame = chunk.valid.frame();
        let ids = frame.column("customer_id").unwrap().i64().unwrap();
        let keep: Vec<bool> = ids
            .into_no_null_iter()
            .map(|id| {
                let kept = left > 0 && seen.insert(id);
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

/// The same rows as CSV for `\copy`, in the table's column order, then `source_uri`.
fn write_csv(batches: &[Batch], path: &std::path::Path, source: &str) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let field = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for b in batches {
        let frame = b.frame();
        let column = |name: &str| frame.column(name).unwrap();
        let (ids, names, emails) = (
            column("customer_id").i64().unwrap(),
            column("full_name").str().unwrap(),
            column("email").str().unwrap(),
        );
        let (ages, phones, countries) = (
            column("age").i64().unwrap(),
            column("phone_number").str().unwrap(),
            column("country").str().unwrap(),
        );
        let dobs = column("date_of_birth").cast(&DataType::Int32).unwrap();
        let dobs = dobs.i32().unwrap();
        for i in 0..b.len() {
            let dob = sift_validator::date_from_days(dobs.get(i).unwrap()).unwrap();
            writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                ids.get(i).unwrap(),
                field(names.get(i).unwrap()),
                field(emails.get(i).unwrap()),
                ages.get(i).unwrap(),
                dob,
                field(phones.get(i).unwrap()),
                countries.get(i).map(field).unwrap_or_default(),
                field(source)
            )
            .unwrap();
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
    let rows: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map_or(1_000_000, |a| a.parse().expect("ROWS must be a number"));

    let t = Instant::now();
    let batches = valid_customers(rows);
    println!("prepared {rows} valid rows in {:.1} s (untimed)", t.elapsed().as_secs_f64());

    let csv = std::env::temp_dir().join(format!("sift-bench-{}.csv", std::process::id()));
    write_csv(&batches, &csv, "bench.csv");
    let copy_sql = format!(
        "\\copy dim_customer (customer_id, full_name, email, age, date_of_birth, phone_number, country, source_uri) \
         FROM '{}' WITH (FORMAT csv)",
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
        let seal = FileSeal { checksum: format!("bench-{round}"), total_rows: rows as u64, invalid_rows: 0 };
        let t = Instant::now();
        let table = customer_contract(None).table().unwrap();
        let outcome = warehouse.load(&table, "bench.csv", sealed(batches.clone(), seal)).await.unwrap();
        sift_times.push(t.elapsed().as_secs_f64());
        assert_eq!(outcome.inserted, rows as u64);
        warehouse.pool().close().await;

        // (2) psql \copy of the same rows into an empty dim_customer.
        let url = fresh_database(&server, "sift_bench_copy").await;
        let migrated = PgWarehouse::connect(&url, Retry::default()).await.unwrap();
        migrated.migrate().await.unwrap();
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
