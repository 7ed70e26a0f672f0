//! The real `sift` binary, end to end on embedded defaults: local files, SQLite, the outbox.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use sift_tests::example_path as example;

const HEADER: &str = "customer_id,full_name,email,age,date_of_birth,phone_number";

fn sift(args: &[&str]) -> Output {
    sift_tests::sift().args(args).output().unwrap()
}

fn run_json(input: &Path, out: &Path, extra: &[&str]) -> (i32, Value) {
    sift_tests::sift_run_json(input, out, extra, &[])
}

/// A minimal RFC 4180 reader for checking output files.
fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[test]
fn the_example_runs_end_to_end_and_a_rerun_loads_nothing_new() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, first) = run_json(&example(), &out, &[]);
    assert_eq!(code, 0, "{first}");
    assert_eq!(first["status"], "ok");
    assert_eq!(first["as_of"], "2026-11-26");
    let total = first["total"].as_u64().unwrap();
    let valid = first["valid"].as_u64().unwrap();
    let invalid = first["invalid"].as_u64().unwrap();
    assert_eq!(total, 5000);
    assert_eq!(valid + invalid, total);
    assert!(invalid > 0 && valid > 0);
    assert_eq!(first["inserted"].as_u64().unwrap() + first["already_present"].as_u64().unwrap(), valid);
    let failures = first["rule_failures"].as_object().unwrap();
    for id in [
        "customer_id",
        "full_name",
        "email",
        "age",
        "date_of_birth",
        "phone_number",
        "duplicate",
        "age_consistency",
    ] {
        assert!(failures.get(id).and_then(Value::as_u64).unwrap_or(0) > 0, "the example exercises {id}");
    }
    assert_eq!(first["notification"], "sent");

    // The invalid-records file: original header + row_number + failed_rules, one row per invalid.
    let uri = first["invalid_records_uri"].as_str().unwrap();
    sift_tests::invalid_key(uri, "", "invalid/2026-11-26/customers");
    let rows = read_csv(&std::fs::read_to_string(uri).unwrap());
    assert_eq!(rows[0].join(","), format!("{HEADER},row_number,failed_rules"));
    assert_eq!(rows.len() as u64 - 1, invalid);
    let numbers: Vec<u64> = rows[1..].iter().map(|r| r[6].parse().unwrap()).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "rows are in file order");
    assert!(rows[1..].iter().all(|r| !r[7].is_empty()));

    // The warehouse holds exactly the inserted rows.
    let db = out.join("warehouse.db");
    assert!(db.exists());

    // Second run: nothing new.
    let (code, second) = run_json(&example(), &out, &[]);
    assert_eq!(code, 0);
    assert_eq!(second["inserted"], 0);
    assert_eq!(second["already_present"].as_u64().unwrap(), valid);

    // One .eml per run, multipart/alternative with both parts and no customer values.
    let mut emls: Vec<_> =
        std::fs::read_dir(out.join("outbox")).unwrap().map(|e| e.unwrap().path()).collect();
    emls.sort();
    assert_eq!(emls.len(), 2);
    let raw = std::fs::read(&emls[0]).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(message.subject(), Some("Lambda sift - Data Validation Report"));
    let text = message.body_text(0).unwrap();
    let html = message.body_html(0).unwrap();
    let with_separators = format!("{},{:03}", total / 1000, total % 1000);
    assert!(text.contains(&format!("Total:           {with_separators}")), "{text}");
    let file_name = uri.rsplit('/').next().unwrap();
    assert!(html.contains(&format!("{file_name}</a>")), "{html}");
    let example_text = std::fs::read_to_string(example()).unwrap();
    let some_email = example_text.lines().nth(1).unwrap().split(',').nth(2).unwrap();
    assert!(!text.contains(some_email) && !html.contains(some_email), "no customer value in the email");
}

#[test]
fn human_output_has_the_per_rule_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let output =
        sift(&["run", example().to_str().unwrap(), "--out", out.to_str().unwrap(), "--as-of", "2026-11-26"]);
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("total") && stdout.contains("5000"), "{stdout}");
    assert!(stdout.contains("age_consistency"), "{stdout}");
    assert!(stdout.contains("invalid records:"), "{stdout}");
}

#[test]
fn a_rejected_file_exits_2_with_the_reason_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    std::fs::write(&input, format!("{HEADER}\n1,Ann Lee,a@example.com,36,1990-05-17,0123456789\n2,Bo,b@example.com,36,1990-05-18,0123456789,\n")).unwrap();
    let out = dir.path().join("out");
    let (code, json) = run_json(&input, &out, &[]);
    assert_eq!(code, 2);
    assert_eq!(json["status"], "rejected");
    assert!(json["error"].as_str().unwrap().contains("line 3"), "{json}");
    assert_eq!(json["invalid_records_uri"], Value::Null);
    assert!(!out.join("invalid").exists(), "no invalid-records file for a rejected file");

    // Without --json: the reason on stderr, still exit 2.
    let output = sift(&["run", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("REJECTED"));

    // An empty file and a file missing columns are rejected too.
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let (code, json) = run_json(&empty, &out, &[]);
    assert_eq!((code, json["status"].as_str()), (2, Some("rejected")));
    assert!(json["error"].as_str().unwrap().contains("empty"));
}

#[test]
fn a_valid_file_loads_once_into_sqlite_with_trimmed_values() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    std::fs::write(&input, format!("{HEADER},country\n 007 , Ann Lee ,a@example.com,36,1990-05-17,0123456789, us \n7,Other Person,o@example.com,36,1990-05-18,0123456789,\n")).unwrap();
    let out = dir.path().join("out");
    let (code, json) = run_json(&input, &out, &[]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        (json["valid"].as_u64(), json["inserted"].as_u64(), json["already_present"].as_u64()),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(json["invalid_records_uri"], Value::Null);
    let dump = std::process::Command::new("python3")
        .args(["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select customer_id, full_name, country, date_of_birth from dim_customer').fetchall())"])
        .arg(out.join("warehouse.db"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(dump.stdout).unwrap().trim(), "[(7, 'Ann Lee', 'us', '1990-05-17')]");
}

#[test]
fn rules_from_toml_and_the_country_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let rules = sift_tests::repo().join("contracts/customer.toml");
    // --no-migrate on a fresh warehouse: the table does not exist, and the error says what to do.
    let output = sift(&["run", example().to_str().unwrap(), "--out", out.to_str().unwrap(), "--no-migrate"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("sift migrate"));
    let output = sift_tests::sift()
        .args(["run", example().to_str().unwrap(), "--out", out.to_str().unwrap()])
        .env("SIFT_AUTO_MIGRATE", "false")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "SIFT_AUTO_MIGRATE=false also skips the migration");
    let (code, a) = run_json(&example(), &out, &["--rules", rules.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (_, b) = run_json(&example(), &dir.path().join("out2"), &[]);
    assert_eq!(a["rule_failures"], b["rule_failures"], "the shipped TOML is the built-in set");

    // The country rule makes the column required.
    let (code, json) = run_json(&example(), &dir.path().join("out3"), &["--check-country"]);
    assert_eq!(code, 2);
    assert!(json["error"].as_str().unwrap().contains("missing required column country"), "{json}");
}

#[test]
fn operational_errors_exit_1_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.csv");
    let output =
        sift(&["run", missing.to_str().unwrap(), "--out", dir.path().join("o").to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.csv"));

    let output = sift(&["run", example().to_str().unwrap(), "--as-of", "26/11/2026"]);
    assert_eq!(output.status.code(), Some(2), "clap's usage errors exit 2");
    assert!(String::from_utf8_lossy(&output.stderr).contains("YYYY-MM-DD"));

    let output = sift(&[
        "run",
        example().to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
        "--warehouse",
        "mysql://x",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sqlite://PATH") && stderr.contains("postgres://"), "{stderr}");
}

#[test]
fn migrate_applies_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/w/warehouse.db", dir.path().display());
    let output = sift(&["migrate", "--warehouse", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let out = dir.path().join("w");
    let (code, json) = run_json(&example(), &out, &["--no-migrate"]);
    assert_eq!(code, 0, "{json}");
}

#[test]
fn two_sources_with_one_file_name_on_one_day_keep_both_quarantines() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let tenant = |name: &str, bad: &str| {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        let input = folder.join("customers.csv");
        std::fs::write(&input, format!("{HEADER}\n1,Ann Lee,{bad},36,1990-05-17,0123456789\n")).unwrap();
        input
    };
    let (a, b) = (tenant("tenantA", "not-an-email-a"), tenant("tenantB", "not-an-email-b"));
    let (_, first) = run_json(&a, &out, &[]);
    let (_, second) = run_json(&b, &out, &[]);
    let (uri_a, uri_b) =
        (first["invalid_records_uri"].as_str().unwrap(), second["invalid_records_uri"].as_str().unwrap());
    assert_ne!(uri_a, uri_b, "one file name, one day, two sources: two objects");
    assert!(std::fs::read_to_string(uri_a).unwrap().contains("not-an-email-a"), "tenant A's rows stand");
    assert!(std::fs::read_to_string(uri_b).unwrap().contains("not-an-email-b"));
    // Each report links its own; a re-run of the same file writes the same object.
    let reports = sift_tests::outbox_reports(&out);
    assert!(reports[0].1.contains(uri_a) && !reports[0].1.contains(uri_b), "{}", reports[0].1);
    assert!(reports[1].1.contains(uri_b) && !reports[1].1.contains(uri_a), "{}", reports[1].1);
    let (_, again) = run_json(&a, &out, &[]);
    assert_eq!(again["invalid_records_uri"].as_str(), Some(uri_a));
    // A corrected file under the same name keeps the first one's rows too.
    std::fs::write(&a, format!("{HEADER}\n1,Ann Lee,still-bad,36,1990-05-17,0123456789\n")).unwrap();
    let (_, corrected) = run_json(&a, &out, &[]);
    assert_ne!(corrected["invalid_records_uri"].as_str(), Some(uri_a));
    assert!(std::fs::read_to_string(uri_a).unwrap().contains("not-an-email-a"));
}
