//! The history of validated files (issue 15): the real `sift` binary on SQLite and on
//! PostgreSQL. Ten ordinary files, then one whose email failures jump tenfold: only that one is
//! flagged, in its summary, its report (`[ALERT]`, under the fixed threshold) and
//! `sift history`.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sift_tests::{sift, sift_run_json};

/// Rows per file.
const ROWS: u64 = 2000;

/// A customer file of `ROWS` valid rows (ids from `first_id`) where `bad_emails` rows, spread
/// through the file, have an email without `@`.
fn customers(dir: &Path, name: &str, first_id: u64, bad_emails: u64) -> PathBuf {
    let mut csv = String::from("customer_id,full_name,email,age,date_of_birth,phone_number\n");
    let every = ROWS / bad_emails.max(1);
    for n in 0..ROWS {
        let id = first_id + n;
        let email = if bad_emails > 0 && n % every == 0 && n / every < bad_emails {
            format!("person{id}-at-example.com")
        } else {
            format!("person{id}@example.com")
        };
        csv.push_str(&format!("{id},Person {},{email},36,1990-05-17,0123456789\n", letters(id)));
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

/// `id` in letters, lowest digit first (names have no digits): 1 is `B`, 27 is `Bb`.
fn letters(mut id: u64) -> String {
    let mut name = String::new();
    while id > 0 || name.is_empty() {
        name.push(char::from(b'a' + (id % 26) as u8));
        id /= 26;
    }
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect()
}

/// Ten ordinary files (0.8% to 1.2% bad emails), then a tenfold jump; `env` names the
/// warehouse (none: SQLite in the out folder).
fn ten_normal_files_then_a_jump(env: &[(&str, &str)], args: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // The alert threshold is far above every file: only the history can flag one.
    let extra: Vec<&str> = ["--alert-invalid-pct", "50"].iter().chain(args).copied().collect();
    for (day, bad) in [20, 18, 22, 16, 24, 20, 19, 21, 17, 23].into_iter().enumerate() {
        let file = customers(dir.path(), &format!("day-{day}.csv"), day as u64 * ROWS + 1, bad);
        let (code, summary) = sift_run_json(&file, &out, &extra, env);
        assert_eq!(code, 0, "{summary}");
        assert_eq!(summary["rule_failures"]["email"], bad, "{summary}");
        assert_eq!(summary["invalid"], bad, "only the planted emails fail: {summary}");
        assert!(summary.get("rule_anomalies").is_none(), "day {day} is ordinary: {summary}");
    }
    let jump = customers(dir.path(), "day-10.csv", 10 * ROWS + 1, 200);
    let (code, summary) = sift_run_json(&jump, &out, &extra, env);
    assert_eq!(code, 0, "a flag alerts; it does not hold the file: {summary}");
    assert_eq!(summary["rule_failures"]["email"], 200);
    assert_eq!(summary["rule_anomalies"], serde_json::json!(["email"]), "{summary}");
    assert_eq!(summary["inserted"], ROWS - 200, "the file still loads");

    let reports = sift_tests::outbox_reports(&out);
    let subjects: Vec<&str> = reports.iter().map(|(subject, _)| subject.as_str()).collect();
    assert_eq!(subjects.len(), 11);
    assert!(subjects[..10].iter().all(|s| !s.starts_with("[ALERT]")), "{subjects:?}");
    assert!(subjects[10].starts_with("[ALERT] "), "{subjects:?}");
    let text = &reports[10].1;
    assert!(
        text.contains("ALERT: Far above their history: email: 10.0% of the rows, 10x its median of 1.0% over the last 10 files."),
        "{text}"
    );
    assert!(text.contains("[median 1.0% over 10 files: FAR ABOVE]"), "{text}");
    assert_no_customer_value(text);
    (dir, out)
}

/// The leak scan of what the history adds: no email, name or id of the files' rows.
fn assert_no_customer_value(text: &str) {
    for value in ["@example.com", "-at-example.com", "Person ", "0123456789", "1990-05-17"] {
        assert!(!text.contains(value), "{value:?} leaked into:\n{text}");
    }
}

/// `sift history --json` for the customer dataset.
fn history_json(out: &Path, env: &[(&str, &str)]) -> Value {
    let output = sift()
        .args(["history", "--dataset", "customer", "--json", "--out", out.to_str().unwrap()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_no_customer_value(&String::from_utf8_lossy(&output.stdout));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn check_history(history: &Value) {
    let customer = &history["datasets"][0];
    assert_eq!(customer["dataset"], "customer");
    let files = customer["files"].as_array().unwrap();
    assert_eq!(files.len(), 11);
    assert!(files[0]["source_uri"].as_str().unwrap().ends_with("day-10.csv"), "newest first");
    assert_eq!(files[0]["total_rows"], ROWS);
    let email = customer["trends"].as_array().unwrap().iter().find(|t| t["rule"] == "email").unwrap();
    assert_eq!((email["files"].as_u64(), email["flagged"].as_bool()), (Some(10), Some(true)));
    assert_eq!(email["median_pct"], 1.0);
    let flagged: Vec<&Value> =
        customer["trends"].as_array().unwrap().iter().filter(|t| t["flagged"] == true).collect();
    assert_eq!(flagged.len(), 1, "only email: {flagged:?}");
}

#[test]
fn sqlite_flags_the_tenfold_jump_and_only_it() {
    let (_dir, out) = ten_normal_files_then_a_jump(&[], &[]);
    check_history(&history_json(&out, &[]));
    // The human form: the trend line of email ends flagged.
    let output = sift().args(["history", "--out", out.to_str().unwrap()]).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("customer: the last 11 files, oldest first"), "{text}");
    assert_no_customer_value(&text);
    let email = text.lines().find(|l| l.trim_start().starts_with("email ")).unwrap();
    assert!(email.contains("10.00%") && email.ends_with("FAR ABOVE ITS HISTORY"), "{email}");
}

#[tokio::test]
async fn postgres_flags_the_tenfold_jump_and_only_it_and_sns_hears_of_it_once() {
    let url = sift_tests::pg::fresh_database("sift_history").await;
    let endpoint = sift_tests::moto_endpoint();
    let sns = aws_sdk_sns::Client::new(&sift_aws::emulator_config(&endpoint, 3));
    let topic = sns.create_topic().name(format!("sift-history-{}", std::process::id())).send().await.unwrap();
    let arn = topic.topic_arn().unwrap().to_owned();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let (_dir, out) = ten_normal_files_then_a_jump(&env, &["--alert-topic-arn", &arn]);
    check_history(&history_json(&out, &env));
    // One alert, for the eleventh file, saying why; no customer value in it.
    let state = sift_aws::emulator_state(&endpoint).unwrap();
    let topic = state["sns"]["Topic"].as_array().unwrap().iter().find(|t| t["arn"] == arn.as_str()).unwrap();
    let sent = topic["sent_notifications"].as_array().unwrap();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let alert = sent[0].to_string();
    assert!(
        alert.contains("Far above their history: email: 10.0% of the rows, 10x its median of 1.0%"),
        "{alert}"
    );
    assert!(alert.contains("day-10.csv"), "{alert}");
    assert_no_customer_value(&alert);
}

#[test]
fn history_without_a_warehouse_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let output =
        sift().args(["history", "--out"]).arg(dir.path()).env_remove("DATABASE_URL").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no warehouse at") && stderr.contains("run `sift run` first"), "{stderr}");
}
