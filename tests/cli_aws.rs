//! The real `sift` binary against a real implementation of the S3, SES and SNS APIs (moto,
//! started by `scripts/test`; SIFT_MOTO_ENDPOINT names it). Nothing reaches live AWS.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::process::Output;

use assert_cmd::Command;
use bytes::Bytes;
use serde_json::Value;
use sift_storage::{ObjectStore, S3Store};
use sift_tests::{example_path as example, moto_endpoint as endpoint};

fn s3() -> aws_sdk_s3::Client {
    let config =
        aws_sdk_s3::config::Builder::from(&sift_aws::emulator_config(&endpoint(), 3)).force_path_style(true);
    aws_sdk_s3::Client::from_conf(config.build())
}

async fn bucket(name: &str) -> S3Store {
    let client = s3();
    let bucket = format!("{name}-{}", std::process::id());
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    S3Store::new(client, bucket)
}

/// `sift` with the emulator as its AWS (the standard variables, nothing else).
fn sift(args: &[&str], wrap_time: bool) -> Output {
    let mut command = if wrap_time {
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "peak_rss_kib=%M"]).arg(sift_tests::sift_path());
        c
    } else {
        Command::new(sift_tests::sift_path())
    };
    command
        .args(args)
        .envs(sift_tests::emulator_env())
        .env_remove("AWS_PROFILE")
        .env_remove("DATABASE_URL")
        .env_remove("SIFT_AUTO_MIGRATE")
        .output()
        .unwrap()
}

fn json(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout:?}\nstderr: {}", String::from_utf8_lossy(&output.stderr)))
}

fn emulator_state() -> Value {
    sift_aws::emulator_state(&endpoint()).unwrap()
}

/// Records in a CSV text (line breaks inside quotes do not end a record).
fn csv_records(text: &str) -> u64 {
    let mut quoted = false;
    let mut records = 0;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => records += 1,
            _ => {}
        }
    }
    records
}

async fn read_object(store: &S3Store, key: &str) -> Option<Vec<u8>> {
    use futures::TryStreamExt;
    let stream = store.get(key).await.ok()?;
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    Some(chunks.concat())
}

#[tokio::test]
async fn an_s3_object_with_an_awkward_key_runs_end_to_end_with_ses_and_sns() {
    let store = bucket("sift-e2e").await;
    let key = "incoming/my customers+2026 é.csv";
    store.put(key, Bytes::from(std::fs::read(example()).unwrap()), "text/csv").await.unwrap();
    let ses = aws_sdk_ses::Client::new(&sift_aws::emulator_config(&endpoint(), 3));
    let from = format!("sift-e2e-{}@example.com", std::process::id());
    ses.verify_email_identity().email_address(&from).send().await.unwrap();
    let sns = aws_sdk_sns::Client::new(&sift_aws::emulator_config(&endpoint(), 3));
    let topic = sns.create_topic().name(format!("sift-e2e-{}", std::process::id())).send().await.unwrap();
    let arn = topic.topic_arn().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let input = format!("s3://{}/{key}", store.bucket());
    let invalid_to = format!("s3://{}/Curoupt_Records/Customer", store.bucket());
    let args = [
        "run",
        &input,
        "--out",
        dir.path().to_str().unwrap(),
        "--as-of",
        "2026-11-26",
        "--json",
        "--invalid-to",
        &invalid_to,
        "--notify",
        "ses",
        "--email-from",
        &from,
        "--email-to",
        "data-team@example.com,oncall@example.com",
        "--alert-topic-arn",
        &arn,
        "--alert-invalid-pct",
        "1",
    ];
    let output = sift(&args, false);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let summary = json(&output);
    assert_eq!(summary["source"], input.as_str());
    assert_eq!(summary["notification"], "sent");
    let base = format!("s3://{}/", store.bucket());
    let invalid_key = sift_tests::invalid_key(
        summary["invalid_records_uri"].as_str().unwrap(),
        &base,
        "Curoupt_Records/Customer/2026-11-26/my customers+2026 é",
    );
    let invalid =
        String::from_utf8(read_object(&store, invalid_key).await.expect("invalid records in S3")).unwrap();
    assert_eq!(csv_records(&invalid), summary["invalid"].as_u64().unwrap() + 1);

    let state = emulator_state();
    let message = state["ses"]["RawMessage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["source"] == from.as_str())
        .expect("a report went through SES");
    let parsed = mail_parser::MessageParser::default()
        .parse(message["raw_data"].as_str().unwrap().as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), Some("[ALERT] Lambda sift - Data Validation Report"));
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("s3.console.aws.amazon.com/s3/object/"), "{html}");
    let example_text = std::fs::read_to_string(example()).unwrap();
    for line in example_text.lines().skip(1).take(50) {
        let email = line.split(',').nth(2).unwrap_or_default();
        if email.contains('@') {
            assert!(
                !html.contains(email) && !parsed.body_text(0).unwrap().contains(email),
                "no customer values"
            );
        }
    }
    let alerts = state["sns"]["Topic"].as_array().unwrap().iter().find(|t| t["arn"] == arn.as_str()).unwrap()
        ["sent_notifications"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(alerts, 1, "one SNS alert");
}

#[tokio::test]
async fn empty_and_missing_objects_are_clear() {
    let store = bucket("sift-edge").await;
    store.put("in/empty.csv", Bytes::new(), "text/csv").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let empty = format!("s3://{}/in/empty.csv", store.bucket());
    let output = sift(&["run", &empty, "--out", out, "--json", "--notify", "none"], false);
    assert_eq!(output.status.code(), Some(2));
    let summary = json(&output);
    assert_eq!(summary["status"], "rejected");
    assert!(summary["error"].as_str().unwrap().contains("empty (0 bytes)"), "{summary}");

    let missing = format!("s3://{}/in/nope here.csv", store.bucket());
    let output = sift(&["run", &missing, "--out", out, "--json", "--notify", "none"], false);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("s3://{}/in/nope here.csv", store.bucket())), "{stderr}");
}

#[tokio::test]
async fn an_ses_failure_keeps_the_load_and_a_rerun_reports_without_loading_twice() {
    let store = bucket("sift-ses-fail").await;
    store.put("in/customers.csv", Bytes::from(std::fs::read(example()).unwrap()), "text/csv").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let input = format!("s3://{}/in/customers.csv", store.bucket());
    let invalid_to = format!("s3://{}/invalid", store.bucket());
    let from = format!("not-yet-verified-{}@example.com", std::process::id());
    let args = [
        "run",
        &input,
        "--out",
        out,
        "--as-of",
        "2026-11-26",
        "--json",
        "--invalid-to",
        &invalid_to,
        "--notify",
        "ses",
        "--email-from",
        &from,
        "--email-to",
        "data-team@example.com",
    ];
    let output = sift(&args, false);
    assert_eq!(output.status.code(), Some(0), "a failed report does not fail the run");
    let first = json(&output);
    assert_eq!(first["notification"], "failed");
    assert!(first["inserted"].as_u64().unwrap() > 0);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sending the report failed"), "the error is logged: {stderr}");
    let base = format!("s3://{}/", store.bucket());
    let invalid_key = sift_tests::invalid_key(
        first["invalid_records_uri"].as_str().unwrap(),
        &base,
        "invalid/2026-11-26/customers",
    );
    assert!(read_object(&store, invalid_key).await.is_some(), "the invalid records stand");

    // The sender gets verified; the re-run sends the report and loads nothing twice.
    let ses = aws_sdk_ses::Client::new(&sift_aws::emulator_config(&endpoint(), 3));
    ses.verify_email_identity().email_address(&from).send().await.unwrap();
    let second = json(&sift(&args, false));
    assert_eq!(second["notification"], "sent");
    assert_eq!(second["inserted"], 0);
    assert_eq!(second["already_loaded"], true);
    assert_eq!(second["already_present"], first["valid"]);
}

#[tokio::test]
async fn a_200_mb_object_streams_through_with_bounded_memory() {
    // 3,000,000 generated rows: just over 200 MiB.
    let config = sift_datagen::Config { seed: 11, ..Default::default() };
    let mut csv = Vec::with_capacity(220 * 1024 * 1024);
    let summary = sift_datagen::generate(&config, 3_000_000, &mut csv).unwrap();
    assert!(csv.len() >= 200 * 1024 * 1024, "{} bytes", csv.len());
    let size = csv.len();
    let store = bucket("sift-large").await;
    store.put("in/large.csv", Bytes::from(csv), "text/csv").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let input = format!("s3://{}/in/large.csv", store.bucket());
    let output = sift(
        &[
            "run",
            &input,
            "--out",
            dir.path().to_str().unwrap(),
            "--as-of",
            "2026-11-26",
            "--json",
            "--notify",
            "none",
        ],
        true,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let result = json(&output);
    assert_eq!(result["total"].as_u64(), Some(summary.rows));
    let peak_kib: u64 = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .expect("/usr/bin/time reports the peak RSS (apt-get install time)")
        .trim()
        .parse()
        .unwrap();
    let peak_mib = peak_kib / 1024;
    eprintln!("200 MB object: {size} bytes, {} rows, peak RSS {peak_mib} MiB", summary.rows);
    // Holding the object, or its valid rows, would take far more than this.
    assert!(peak_mib < 600, "peak RSS {peak_mib} MiB for a {} MiB object", size / (1024 * 1024));
}

#[tokio::test]
async fn two_buckets_prefixes_with_one_file_name_keep_both_quarantines_in_s3() {
    let store = bucket("sift-tenants").await;
    let header = "customer_id,full_name,email,age,date_of_birth,phone_number";
    for tenant in ["tenantA", "tenantB"] {
        let body = format!("{header}\n1,Ann Lee,bad-email-of-{tenant},36,1990-05-17,0123456789\n");
        store.put(&format!("{tenant}/customers.csv"), Bytes::from(body), "text/csv").await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let invalid_to = format!("s3://{}/quarantine", store.bucket());
    let base = format!("s3://{}/", store.bucket());
    let mut keys = Vec::new();
    for tenant in ["tenantA", "tenantB"] {
        let input = format!("s3://{}/{tenant}/customers.csv", store.bucket());
        let args = [
            "run",
            &input,
            "--out",
            dir.path().to_str().unwrap(),
            "--as-of",
            "2026-11-26",
            "--json",
            "--invalid-to",
            &invalid_to,
        ];
        let summary = json(&sift(&args, false));
        let key = sift_tests::invalid_key(
            summary["invalid_records_uri"].as_str().unwrap(),
            &base,
            "quarantine/2026-11-26/customers",
        )
        .to_owned();
        keys.push((tenant, key));
    }
    assert_ne!(keys[0].1, keys[1].1);
    for (tenant, key) in &keys {
        let body = String::from_utf8(read_object(&store, key).await.unwrap()).unwrap();
        assert!(body.contains(&format!("bad-email-of-{tenant}")), "{key}: {body}");
    }
}
