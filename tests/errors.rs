//! What the real `sift` binary prints when things go wrong, at the default log level: each
//! failure once (the `error:` line, or the human summary of a rejected file, never also a log
//! line that says it again), each cause in its chain once, plurals right.
//!
//! The cases are the ones a user meets first: an unreachable database, a missing file, the
//! PostgreSQL connection cut in the middle of a load, a bad contract and a rejected file.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::HashMap;
use std::path::Path;
use std::process::Output;

use sift_tests::pg::{Strike, fresh_database, strike_mid_load};
use sift_tests::{example_path, sift};
use sqlx::Connection;

/// stdout and stderr together, as a person sees them.
fn printed(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Fails when a cause appears twice: every part of every line (split at `: `, the separator
/// of a cause chain) that is long enough to mean something must occur once in `text`.
fn assert_each_cause_once(text: &str, case: &str) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for part in text.lines().flat_map(|line| line.split(": ")).map(str::trim).filter(|p| p.len() >= 12) {
        *seen.entry(part).or_default() += 1;
    }
    for part in seen.keys() {
        let count = text.matches(part).count();
        assert_eq!(count, 1, "{case}: {part:?} is printed {count} times in:\n{text}");
    }
    assert!(!text.contains("1 attempts") && !text.contains("(s)"), "{case}: a plural is wrong in:\n{text}");
}

/// The one `error:` line of a failed run, with no log line beside it.
fn assert_one_error_line(text: &str, case: &str) -> String {
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{case}: one error line expected in:\n{text}");
    for level in [" ERROR ", " WARN "] {
        assert!(!text.contains(level), "{case}: a{level}log line repeats the failure in:\n{text}");
    }
    errors[0].to_owned()
}

fn run(args: &[&str], out: &Path) -> Output {
    sift()
        .args(["run"])
        .args(args)
        .args(["--out", out.to_str().unwrap(), "--as-of", "2026-11-26"])
        .output()
        .unwrap()
}

#[test]
fn an_unreachable_database_is_said_once_with_its_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let example = example_path();
    for (attempts, expected) in [("1", "at postgres://postgres@127.0.0.1:1/x: "), ("2", "after 2 attempts: ")]
    {
        let output = run(
            &[
                example.to_str().unwrap(),
                "--warehouse",
                "postgres://postgres@127.0.0.1:1/x",
                "--db-connect-attempts",
                attempts,
            ],
            dir.path(),
        );
        assert_eq!(output.status.code(), Some(1));
        let text = printed(&output);
        let case = format!("unreachable database, {attempts} attempt(s)");
        let line = assert_one_error_line(&text, &case);
        assert!(line.starts_with("error: cannot connect to the warehouse at "), "{line}");
        assert!(line.contains(expected) && line.contains("Connection refused"), "{line}");
        assert_each_cause_once(&text, &case);
    }
}

#[test]
fn a_missing_file_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-export.csv");
    let output = run(&[missing.to_str().unwrap()], &dir.path().join("out"));
    assert_eq!(output.status.code(), Some(1));
    let text = printed(&output);
    let line = assert_one_error_line(&text, "missing file");
    assert!(line.contains("reading the source failed: no object at ") && line.contains("no-such-export.csv"));
    assert_each_cause_once(&text, "missing file");
}

#[test]
fn a_bad_contract_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("orders.toml");
    std::fs::write(&rules, "name = \"orders\"\n\n[[columns]]\nname = \"order_id\"\nkind = \"int\"\n")
        .unwrap();
    let output = run(&[example_path().to_str().unwrap(), "--contract", rules.to_str().unwrap()], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let text = printed(&output);
    let line = assert_one_error_line(&text, "bad contract");
    assert!(line.contains("orders.toml") && line.contains("cannot read the contract"), "{line}");
    assert!(text.contains("unknown field `kind`"), "{text}");
    assert_each_cause_once(&text, "bad contract");
}

#[test]
fn a_rejected_file_is_said_once_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("short.csv");
    std::fs::write(
        &input,
        "customer_id,full_name,email,age,date_of_birth\n1,Ann Lee,ann@example.com,36,1990-05-17\n",
    )
    .unwrap();
    let output = run(&[input.to_str().unwrap()], &dir.path().join("out"));
    assert_eq!(output.status.code(), Some(2));
    let text = printed(&output);
    assert_eq!(text.matches("missing required column phone_number").count(), 1, "{text}");
    assert!(text.contains("REJECTED") && !text.contains("error: "), "{text}");
    assert!(!text.contains(" WARN ") && !text.contains(" ERROR "), "a log line repeats it:\n{text}");
    assert_each_cause_once(&text, "rejected file");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_mid_load_is_said_once_and_loads_nothing() {
    let url = fresh_database("sift_errors_cut").await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("customers.csv");
    let mut csv = Vec::new();
    sift_datagen::generate(&sift_datagen::Config { seed: 5, ..Default::default() }, 200_000, &mut csv)
        .unwrap();
    std::fs::write(&input, &csv).unwrap();
    // The schema first, so that the only transaction the strike can find is the load's.
    let migrated = sift().args(["migrate", "--warehouse", &url]).output().unwrap();
    assert!(migrated.status.success(), "{}", printed(&migrated));

    let admin = sift_tests::admin_url();
    let database = url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let strike = tokio::spawn(strike_mid_load(admin, database, Strike::CutConnection));
    let mut command = sift();
    command.arg("run").arg(&input).arg("--out").arg(dir.path().join("out")).args([
        "--warehouse",
        &url,
        "--no-migrate",
        "--as-of",
        "2026-11-26",
        "--notify",
        "none",
    ]);
    let output = tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap();
    assert!(strike.await.unwrap(), "the load's transaction was never seen");
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    let text = printed(&output);
    let line = assert_one_error_line(&text, "connection cut mid-load");
    assert!(line.contains("failed and was rolled back (nothing of it is loaded)"), "{line}");
    assert_each_cause_once(&text, "connection cut mid-load");

    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM dim_customer").fetch_one(&mut db).await.unwrap();
    assert_eq!(rows, 0, "nothing of the cut load is in the table");
}
