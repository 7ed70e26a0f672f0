//! Update benchmark: sift's `on_conflict = "update"` load against a hand-written baseline of
//! the same rows, in one run.
//!
//! Run with `scripts/bench-update` (it provides a durable PostgreSQL server), or directly with
//! `DATABASE_URL=postgres://... cargo bench -p sift-warehouse --bench update [-- ROWS] [--history]`.
//!
//! It makes ROWS (default 1,000,000) customers (the table) and a file of ROWS rows against
//! them: 10% of the table's rows with a changed email, 10% new keys, the other 80% unchanged.
//! Each round resets the table to its ROWS rows (untimed), then times (1) `PgWarehouse::load`
//! of the file into `dim_customer` with `on_conflict = "update"`, and (2), after another reset,
//! the baseline: in one transaction, `psql \copy` of the same rows into a temporary table,
//! then `INSERT ... SELECT ... ON CONFLICT (customer_id) DO UPDATE SET ... WHERE` the row
//! differs. With `--history`, the table keeps versions (`on_conflict = "history"`) and the
//! baseline is `UPDATE ... FROM` the temporary table (closing the changed current versions),
//! then `INSERT ... SELECT ... WHERE NOT EXISTS` a current version. It prints both medians,
//! sift's speed as a ratio of the baseline's (target >= 0.8), and this process's peak RSS.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // A benchmark binary: fail loudly, print results.

use std::process::Command;
use std::time::Instant;

use polars::prelude::{Column, DataFrame};
use sift_model::{Batch, OnConflict, TableSpec};
use sift_validator::Contract;
use sift_warehouse::{FileSeal, LoadMode, PgWarehouse, Retry, Warehouse, sealed};
use sqlx::Connection;

mod common;

use common::{fresh_database, peak_rss_mib, valid_rows, write_csv};

/// Runs of each load; the medians are compared.
const ROUNDS: usize = 3;
/// Rows a batch holds, as the validator hands them over.
const BATCH_ROWS: usize = 65_536;

/// All of `batches` as one frame.
fn concat(batches: &[Batch]) -> DataFrame {
    let mut frames = batches.iter().map(|b| b.frame().clone());
    let mut all = frames.next().unwrap();
    for frame in frames {
        all.vstack_mut(&frame).unwrap();
    }
    all.rechunk_mut();
    all
}

/// Rows `start..end` of `all` as batches, the emails of rows `changed` (absolute) rewritten.
fn batches(all: &DataFrame, start: usize, end: usize, changed: std::ops::Range<usize>) -> Vec<Batch> {
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let len = BATCH_ROWS.min(end - at);
        let mut frame = all.slice(at as i64, len);
        let emails: Vec<Option<String>> = frame
            .column("email")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, e)| {
                e.map(|e| if changed.contains(&(at + i)) { format!("new.{e}") } else { e.to_owned() })
            })
            .collect();
        frame.with_column(Column::new("email".into(), emails)).unwrap();
        out.push(Batch::new(frame));
        at += len;
    }
    out
}

/// Empties `dim_customer` and loads the table's rows again from `csv` (untimed).
fn reset(url: &str, table: &TableSpec, csv: &std::path::Path) {
    let columns: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let script = format!(
        "TRUNCATE {name};\n\\copy {name} ({}, source_uri) FROM '{}' WITH (FORMAT csv)\nVACUUM ANALYZE {name};\n",
        columns.join(", "),
        csv.display(),
        name = table.name,
    );
    psql(url, &script);
}

fn psql(url: &str, script: &str) {
    let path = std::env::temp_dir().join(format!("sift-bench-update-{}.sql", std::process::id()));
    std::fs::write(&path, script).unwrap();
    let status = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-q", "-f", path.to_str().unwrap()])
        .status()
        .expect("psql is installed");
    assert!(status.success(), "psql failed on:\n{script}");
}

/// The table's rows, and those with a changed email.
async fn changed(db: &mut sqlx::PgConnection) -> (i64, i64) {
    let query = "SELECT count(*), count(*) FILTER (WHERE email LIKE 'new.%') FROM dim_customer";
    sqlx::query_as(query).fetch_one(db).await.unwrap()
}

#[tokio::main]
async fn main() {
    let server = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must name a PostgreSQL server; run scripts/bench-update, which starts one");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: usize = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map_or(1_000_000, |a| a.parse().expect("ROWS must be a number"));
    let history = args.iter().any(|a| a == "--history");
    let text = include_str!("../../../contracts/customer_update.toml");
    let text = if history {
        text.replace("on_conflict = \"update\"", "on_conflict = \"history\"")
    } else {
        text.to_owned()
    };
    let contract = Contract::from_toml(&text).unwrap();
    let table = contract.table().unwrap();
    assert_eq!(table.on_conflict, if history { OnConflict::History } else { OnConflict::Update });

    let t = Instant::now();
    let tenth = rows / 10;
    let all = concat(&valid_rows(&contract, false, rows + tenth));
    // The table: rows 0..ROWS. The file: rows TENTH..ROWS+TENTH, the first TENTH of them with a
    // changed email (10% changed, 80% unchanged, 10% new).
    let base = batches(&all, 0, rows, 0..0);
    let file = batches(&all, tenth, rows + tenth, tenth..2 * tenth);
    let dir = std::env::temp_dir();
    let base_csv = dir.join(format!("sift-bench-update-base-{}.csv", std::process::id()));
    let file_csv = dir.join(format!("sift-bench-update-file-{}.csv", std::process::id()));
    write_csv(&base, &table, &base_csv, "base.csv");
    write_csv(&file, &table, &file_csv, "file.csv");
    println!(
        "prepared a table of {rows} customers and a file of {rows} rows in {:.1} s (untimed)",
        t.elapsed().as_secs_f64()
    );

    let url = fresh_database(&server, "sift_bench_update").await;
    let warehouse = PgWarehouse::connect(&url, Retry::default()).await.unwrap();
    warehouse.migrate().await.unwrap();
    warehouse.prepare(&table, true).await.unwrap();
    let columns: Vec<String> = table.columns.iter().map(|c| format!("\"{}\"", c.name)).collect();
    let others: Vec<&String> = columns.iter().filter(|c| c.as_str() != "\"customer_id\"").collect();
    let set: Vec<String> = others.iter().map(|c| format!("{c} = EXCLUDED.{c}")).collect();
    let old: Vec<String> = others.iter().map(|c| format!("t.{c}")).collect();
    let new: Vec<String> = others.iter().map(|c| format!("EXCLUDED.{c}")).collect();
    let stage = format!(
        "BEGIN;\nCREATE TEMP TABLE stage (LIKE dim_customer INCLUDING DEFAULTS) ON COMMIT DROP;\n\
         \\copy stage ({list}, source_uri) FROM '{csv}' WITH (FORMAT csv)\n",
        list = columns.join(", "),
        csv = file_csv.display(),
    );
    let change = if history {
        let staged: Vec<String> = others.iter().map(|c| format!("s.{c}")).collect();
        format!(
            "UPDATE dim_customer AS t SET valid_to = now(), is_current = false FROM stage AS s \
             WHERE t.customer_id = s.customer_id AND t.is_current AND ({old}) IS DISTINCT FROM ({staged});\n\
             INSERT INTO dim_customer ({list}, source_uri, loaded_at) SELECT {list}, source_uri, now() FROM stage AS s \
             WHERE NOT EXISTS (SELECT 1 FROM dim_customer AS c WHERE c.customer_id = s.customer_id AND c.is_current);\n",
            list = columns.join(", "),
            old = old.join(", "),
            staged = staged.join(", "),
        )
    } else {
        format!(
            "INSERT INTO dim_customer AS t ({list}, source_uri, loaded_at) SELECT {list}, source_uri, now() FROM stage \
             ON CONFLICT (customer_id) DO UPDATE SET {set}, source_uri = EXCLUDED.source_uri, loaded_at = EXCLUDED.loaded_at \
             WHERE ({old}) IS DISTINCT FROM ({new});\n",
            list = columns.join(", "),
            set = set.join(", "),
            old = old.join(", "),
            new = new.join(", "),
        )
    };
    let baseline = format!("{stage}{change}COMMIT;\n");
    // The table after either load: a version more per changed key with history.
    let after = ((rows + tenth + if history { tenth } else { 0 }) as i64, tenth as i64);
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut sift_times = Vec::new();
    let mut baseline_times = Vec::new();
    for round in 0..ROUNDS {
        reset(&url, &table, &base_csv);
        let seal = FileSeal { checksum: format!("bench-{round}"), total_rows: rows as u64, invalid_rows: 0 };
        let t = Instant::now();
        let outcome = warehouse
            .load(&table, "file.csv", LoadMode::Concurrent, sealed(file.clone(), seal))
            .await
            .unwrap();
        sift_times.push(t.elapsed().as_secs_f64());
        let expected = (tenth as u64, tenth as u64, (rows - 2 * tenth) as u64);
        assert_eq!((outcome.inserted, outcome.updated, outcome.unchanged), expected);
        assert_eq!(changed(&mut db).await, after);
        reset(&url, &table, &base_csv);
        let t = Instant::now();
        psql(&url, &baseline);
        baseline_times.push(t.elapsed().as_secs_f64());
        assert_eq!(changed(&mut db).await, after);
        println!("round {round}: sift {:.2} s, baseline {:.2} s", sift_times[round], baseline_times[round]);
    }
    std::fs::remove_file(&base_csv).ok();
    std::fs::remove_file(&file_csv).ok();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (sift_secs, baseline_secs) = (median(sift_times), median(baseline_times));
    let mode = if history { "history" } else { "update" };
    println!("mode        : on_conflict = {mode:?}");
    println!(
        "sift        : {rows} rows in {sift_secs:.2} s = {:.0} rows/s (median of {ROUNDS})",
        rows as f64 / sift_secs
    );
    println!(
        "baseline    : {rows} rows in {baseline_secs:.2} s = {:.0} rows/s (median of {ROUNDS})",
        rows as f64 / baseline_secs
    );
    println!(
        "ratio       : sift at {:.2}x the speed of the baseline (target >= 0.8)",
        baseline_secs / sift_secs
    );
    println!("peak RSS    : {:.0} MiB (this process, rows held in memory included)", peak_rss_mib());
}
