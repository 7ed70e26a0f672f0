//! Quality policy (issue 15): rules that warn instead of rejecting their row, and limits that
//! hold a whole file. The compiled `sift` binary on the customer example, with the customer
//! contract edited as a team would edit it.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::Path;

use serde_json::Value;
use sift_tests::{example, example_path, repo, sift_run_json};

/// `contracts/customer.toml` with `edit` applied (a plain text replacement that must match).
fn customer_contract_with(dir: &Path, name: &str, from: &str, to: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("contracts/customer.toml")).unwrap();
    assert!(text.contains(from), "contracts/customer.toml has no {from:?}");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    path
}

/// Rows of `dim_customer` in the run's SQLite warehouse (0 when the table is missing).
fn rows_loaded(out: &Path) -> i64 {
    use sqlx::Connection;
    let db = out.join("warehouse.db");
    if !db.exists() {
        return 0;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    runtime.block_on(async {
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM dim_customer").fetch_one(&mut c).await.unwrap_or(0)
    })
}

/// The subject and text part of the one report in the run's outbox.
fn report(out: &Path) -> (String, String) {
    let mut reports = sift_tests::outbox_reports(out);
    assert_eq!(reports.len(), 1, "{reports:?}");
    reports.remove(0)
}

fn count(json: &Value, map: &str, id: &str) -> u64 {
    json[map][id].as_u64().unwrap_or(0)
}

/// The oracle: the validator library on the same bytes with the unchanged contract.
fn baseline() -> sift_validator::FileReport {
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    sift_validator::validate_bytes(sift_tests::customer_contract(), as_of, &example(), 4096).unwrap()
}

#[test]
fn a_warn_rule_loads_its_rows_counts_them_apart_and_writes_them_beside_the_invalid_records() {
    let dir = tempfile::tempdir().unwrap();
    let contract = customer_contract_with(
        dir.path(),
        "warn",
        "pattern = \"^[0-9]{10}$\"",
        "pattern = \"^[0-9]{10}$\"\nseverity = \"warn\"\ndescription = \"ten digits, no separators\"",
    );
    let out = dir.path().join("out");
    let (code, json) = sift_run_json(&example_path(), &out, &["--contract", contract.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{json}");
    let base = baseline();
    let phone_failures = base.tally.failures.iter().find(|(id, _)| id == "phone_number").unwrap().1;
    assert!(phone_failures > 0, "the example has bad phone numbers");
    // Warnings are counted on the rows that load; phone failures are never invalid now.
    let warned = count(&json, "rule_warnings", "phone_number");
    assert!(warned > 0 && warned <= phone_failures, "{json}");
    assert_eq!(count(&json, "rule_failures", "phone_number"), 0, "{json}");
    assert!(
        json["invalid"].as_u64().unwrap() < base.tally.invalid,
        "rows that failed only the phone rule are valid"
    );
    assert_eq!(json["total"], base.tally.total);
    assert_eq!(json["valid"].as_u64().unwrap() + json["invalid"].as_u64().unwrap(), base.tally.total);
    assert_eq!(rows_loaded(&out), json["inserted"].as_i64().unwrap(), "the warned rows are loaded");

    // The warned rows: raw values, row_number, warned_rules, beside the invalid records.
    let warnings_uri = json["warnings_uri"].as_str().expect("a warnings file");
    sift_tests::quarantined(warnings_uri, "", "invalid/2026-11-26/customers", "_warnings.csv");
    let invalid_uri = json["invalid_records_uri"].as_str().unwrap();
    assert_eq!(
        invalid_uri.strip_suffix("_invalid_records.csv"),
        warnings_uri.strip_suffix("_warnings.csv"),
        "the warnings sit beside the invalid records, with the same tag"
    );
    let text = std::fs::read_to_string(warnings_uri).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().ends_with(",row_number,warned_rules"));
    let body: Vec<&str> = lines.collect();
    assert_eq!(
        body.len() as u64,
        warned,
        "one line per warned row (the example has no line breaks in fields)"
    );
    assert!(body.iter().all(|l| l.ends_with(",phone_number")), "{body:?}");
    // A warned row is not an invalid one.
    let invalid = std::fs::read_to_string(json["invalid_records_uri"].as_str().unwrap()).unwrap();
    let invalid_rows: std::collections::HashSet<&str> =
        invalid.lines().skip(1).filter_map(|l| l.rsplit(',').nth(1)).collect();
    for line in &body {
        let row = line.rsplit(',').nth(1).unwrap();
        assert!(!invalid_rows.contains(row), "row {row} is both warned and invalid");
    }

    // The report shows the warnings apart from the failures.
    let (_, email) = report(&out);
    let warnings =
        email.split("Warnings per rule (valid rows with a warning):").nth(1).expect("a warnings section");
    let first = warnings.lines().map(str::trim).find(|l| !l.is_empty()).unwrap();
    // The count and share, then the rule's own description.
    let share = warned as f64 * 100.0 / 5000.0;
    assert_eq!(first, format!("phone_number  {warned} ({share:.1}%)  ten digits, no separators"));
    assert!(email.contains("Warned rows: "), "{email}");
    // Rules failing together, with their share of the invalid rows.
    let pairs = email.split("Rules failing together (most frequent pairs):").nth(1).expect("a pairs section");
    assert!(
        pairs.lines().nth(1).is_some_and(|l| l.contains(" + ") && l.ends_with("of the invalid rows)")),
        "{pairs}"
    );
}

#[test]
fn a_file_over_max_invalid_pct_is_held_loads_nothing_and_still_writes_its_invalid_records() {
    let dir = tempfile::tempdir().unwrap();
    let contract = customer_contract_with(
        dir.path(),
        "limit",
        "name = \"customer\"",
        "name = \"customer\"\n\n[limits]\nmax_invalid_pct = 2",
    );
    let out = dir.path().join("out");
    let (code, json) = sift_run_json(&example_path(), &out, &["--contract", contract.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{json}");
    assert_eq!(json["status"], "rejected");
    let error = json["error"].as_str().unwrap();
    let base = baseline();
    let share = base.tally.invalid as f64 * 100.0 / base.tally.total as f64;
    assert!(share > 2.0, "the example is over the limit ({share}%)");
    assert_eq!(
        error,
        format!(
            "file held: max_invalid_pct = 2% exceeded: {share:.2}% of the rows are invalid ({} of {})",
            base.tally.invalid, base.tally.total
        )
    );
    // The counts stand; nothing is loaded; the invalid records are written, byte for byte.
    assert_eq!((json["invalid"].as_u64(), json["inserted"].as_u64()), (Some(base.tally.invalid), Some(0)));
    assert_eq!(rows_loaded(&out), 0);
    let invalid = std::fs::read(json["invalid_records_uri"].as_str().expect("the invalid records")).unwrap();
    assert_eq!(invalid, base.invalid_csv);
    let (subject, email) = report(&out);
    assert!(subject.starts_with("[HELD] "), "{subject}");
    assert!(
        email.contains("HELD: the file is over a limit of its contract and nothing was loaded."),
        "{email}"
    );
    assert!(email.contains("Limit: max_invalid_pct = 2% exceeded"), "{email}");

    // Within the limit (at 99%), the same file loads.
    let relaxed = customer_contract_with(
        dir.path(),
        "relaxed",
        "name = \"customer\"",
        "name = \"customer\"\n\n[limits]\nmax_invalid_pct = 99",
    );
    let (code, json) = sift_run_json(
        &example_path(),
        &dir.path().join("out2"),
        &["--contract", relaxed.to_str().unwrap()],
        &[],
    );
    assert_eq!((code, json["status"].as_str()), (0, Some("ok")), "{json}");
}

#[test]
fn a_file_over_a_rule_s_max_failure_pct_is_held_and_names_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let contract = customer_contract_with(
        dir.path(),
        "rule-limit",
        "pattern = '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$'",
        "pattern = '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$'\nmax_failure_pct = 0.1",
    );
    let out = dir.path().join("out");
    let (code, json) = sift_run_json(&example_path(), &out, &["--contract", contract.to_str().unwrap()], &[]);
    assert_eq!(code, 2, "{json}");
    let error = json["error"].as_str().unwrap();
    assert!(error.starts_with("file held: rule `email` max_failure_pct = 0.1% exceeded: "), "{error}");
    assert_eq!(rows_loaded(&out), 0);
    assert!(json["invalid_records_uri"].as_str().is_some_and(|u| Path::new(u).exists()), "{json}");
    // A malformed file keeps its file-level rejection (nothing written), limits or not.
    let broken = dir.path().join("broken.csv");
    std::fs::write(&broken, "customer_id,full_name\n1,Ann\n").unwrap();
    let (code, json) =
        sift_run_json(&broken, &dir.path().join("out3"), &["--contract", contract.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert!(json["error"].as_str().unwrap().starts_with("file rejected:"), "{json}");
    assert!(json["invalid_records_uri"].is_null());
}
