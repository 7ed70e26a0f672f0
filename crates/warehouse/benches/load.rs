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

use std::process::Command;
use std::time::Instant;

use sift_validator::Contract;
use sift_warehouse::{FileSeal, LoadMode, PgWarehouse, Retry, Warehouse, sealed};

mod common;

use common::{fresh_database, peak_rss_mib, valid_rows, write_csv};

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
