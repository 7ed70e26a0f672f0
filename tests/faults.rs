//! Fault injection against the real components: the compiled `bootstrap` binary, driven by a
//! local Lambda Runtime API, talks to moto through a fault-injecting proxy (`sift_tests::proxy`) and to a
//! PostgreSQL cluster of this test's own, which it can cut off and stop.
//!
//! Every fault is checked for the same three things: what the invocation result says, that
//! nothing of the file was loaded (no row with its `source_uri`, no ledger entry), and that a
//! re-run after the fault completes the work exactly once. The fault table of docs/faults.md is the
//! summary of this file.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::time::Duration;

use hyper::Method;
use serde_json::{Value, json};
use sift_tests::pg::{Cluster, Strike, pg_throwaway, strike_mid_load};
use sift_tests::proxy::{Fault, FaultProxy, Rule};
use sift_tests::runtime::{Lambda, Outcome};
use sift_tests::world::{World, alerts, assert_absent, customer_values, s3_record, ses_reports, ses_texts};
use sift_tests::{bootstrap, moto_endpoint as endpoint};

/// The binary, its world, the proxy in front of moto, and every file put so far (for the leak
/// scan at the end).
struct Harness {
    world: World,
    proxy: FaultProxy,
    lambda: Lambda,
    logs: tempfile::NamedTempFile,
    files: Vec<Vec<u8>>,
    /// Every event that completed, with its summary's `inserted`, for the final redelivery.
    loaded: Vec<(String, u64)>,
}

impl Harness {
    async fn put(&mut self, key: &str, seed: u64, rows: u64) -> usize {
        let mut csv = Vec::new();
        let config = sift_datagen::Config { seed, ..Default::default() };
        sift_datagen::generate(&config, rows, &mut csv).unwrap();
        self.world.put(key, csv.clone()).await;
        let len = csv.len();
        self.files.push(csv);
        len
    }

    fn event(&self, key: &str) -> Value {
        json!({"Records": [s3_record(&self.world.landing, key, 0)]})
    }

    fn source(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.world.landing)
    }

    /// Rows of `key` in `dim_customer` and its ledger entries.
    async fn loaded_rows(&self, key: &str) -> (i64, i64) {
        let mut db = self.world.db().await;
        let source = self.source(key);
        let rows = sqlx::query_scalar("SELECT count(*) FROM dim_customer WHERE source_uri = $1")
            .bind(&source)
            .fetch_one(&mut db)
            .await
            .unwrap();
        let ledger = sqlx::query_scalar("SELECT count(*) FROM sift_load_ledger WHERE source_uri = $1")
            .bind(&source)
            .fetch_one(&mut db)
            .await
            .unwrap();
        (rows, ledger)
    }

    /// The invocation for `key` fails as retryable, naming the file and `needle`, and leaves
    /// nothing of the file loaded; a `[FAILED]` report went out (unless SES is the fault).
    async fn fails_retryable(&self, outcome: Outcome, key: &str, needle: &str) {
        let error = outcome.error();
        assert_eq!(error["errorType"], "Sift.Retryable", "{error}");
        let message = error["errorMessage"].as_str().unwrap();
        println!("{key}: {}: {message}", error["errorType"]);
        assert!(message.contains(key) && message.contains(needle), "{needle:?} not in: {message}");
        assert_eq!(self.loaded_rows(key).await, (0, 0), "nothing of {key} is loaded");
        let reports = ses_reports(&self.world.sender);
        let last = reports.last().unwrap();
        assert!(last.subject().unwrap().starts_with("[FAILED]"), "{:?}", last.subject());
        assert!(last.body_text(0).unwrap().contains(key));
    }

    /// With every fault cleared, the invocation for `key` loads it, exactly once.
    async fn completes(&mut self, key: &str) -> Value {
        self.proxy.clear();
        let response = self.lambda.invoke(self.event(key)).await.response();
        let summary = response["files"][0].clone();
        assert_eq!(summary["status"], "ok", "{response}");
        assert_ne!(summary["already_loaded"], true, "{summary}");
        let inserted = summary["inserted"].as_u64().unwrap();
        assert!(inserted > 0, "{summary}");
        assert_eq!(self.loaded_rows(key).await, (inserted as i64, 1), "{key} loaded once");
        self.loaded.push((key.to_owned(), inserted));
        summary
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_leaves_nothing_half_loaded_and_a_rerun_completes_exactly_once() {
    let cluster = Cluster::start();
    let world = World::on(&cluster.url).await;
    let proxy = FaultProxy::start(&endpoint()).await;
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut env = world.env_via(&proxy.endpoint);
    // A small margin keeps the deadline case quick; SDK retries: 2 attempts per call.
    env.push(("SIFT_DEADLINE_MARGIN_MS", "1000".into()));
    env.push(("SIFT_DB_CONNECT_ATTEMPTS", "3".into()));
    // Small chunks: a 60,000-row file is 8 chunks, so mid-file faults find rows already
    // streamed into the load.
    env.push(("SIFT_CHUNK_ROWS", "8192".into()));
    // Every log line there is, for the leak scan at the end: even at trace level, no value.
    env.push(("SIFT_LOG", "trace".into()));
    let lambda = Lambda::start(&bootstrap(), &env, logs.path()).await;
    let mut h = Harness { world, proxy, lambda, logs, files: Vec::new(), loaded: Vec::new() };

    // 1. S3 answers 503 to the GET of the source (after the SDK's retries).
    let key = "incoming/get-503.csv";
    h.put(key, 11, 5_000).await;
    h.proxy.inject(Rule {
        service: "s3",
        method: Some(Method::GET),
        path_contains: Some(key.into()),
        fault: Fault::Status(503),
    });
    let outcome = h.lambda.invoke(h.event(key)).await;
    h.fails_retryable(outcome, key, "reading the source failed").await;
    assert_eq!(h.proxy.served().len(), 2, "the SDK tried twice (SIFT_AWS_MAX_ATTEMPTS=2)");
    h.completes(key).await;

    // 2. The connection drops mid-download, after some chunks streamed into the load.
    let key = "incoming/get-cut.csv";
    let len = h.put(key, 12, 60_000).await;
    h.proxy.inject(Rule {
        service: "s3",
        method: Some(Method::GET),
        path_contains: Some(key.into()),
        fault: Fault::CutBody(len * 6 / 10),
    });
    let outcome = h.lambda.invoke(h.event(key)).await;
    h.fails_retryable(outcome, key, "reading the source failed").await;
    h.completes(key).await;

    // 3. S3 refuses the invalid-records write.
    let key = "incoming/put-503.csv";
    h.put(key, 13, 5_000).await;
    let invalid_bucket = h.world.invalid.clone();
    for method in [Method::PUT, Method::POST] {
        h.proxy.inject(Rule {
            service: "s3",
            method: Some(method),
            path_contains: Some(invalid_bucket.clone()),
            fault: Fault::Status(503),
        });
    }
    let outcome = h.lambda.invoke(h.event(key)).await;
    h.fails_retryable(outcome, key, "writing the invalid records failed").await;
    let summary = h.completes(key).await;
    let invalid_uri = summary["invalid_records_uri"].as_str().unwrap();
    let invalid_key = invalid_uri.strip_prefix(&format!("s3://{invalid_bucket}/")).unwrap();
    assert!(!h.world.get(&invalid_bucket, invalid_key).await.is_empty());

    // 4. The load's connection is cut (pg_terminate_backend) in the middle of the load.
    let key = "incoming/pg-cut.csv";
    h.put(key, 14, 60_000).await;
    let killer = tokio::spawn(strike_mid_load(
        h.world.admin_url.clone(),
        h.world.database.clone(),
        Strike::CutConnection,
    ));
    let outcome = h.lambda.invoke(h.event(key)).await;
    assert!(killer.await.unwrap(), "the load was never seen in progress");
    h.fails_retryable(outcome, key, "").await;
    h.completes(key).await;

    // 5. PostgreSQL stops (a fast shutdown) in the middle of a load, and comes back.
    let key = "incoming/pg-stopped.csv";
    h.put(key, 15, 60_000).await;
    let stop = Strike::StopServer { dir: cluster.dir.clone() };
    let stopper = tokio::spawn(strike_mid_load(h.world.admin_url.clone(), h.world.database.clone(), stop));
    let outcome = h.lambda.invoke(h.event(key)).await;
    assert!(stopper.await.unwrap(), "the load was never seen in progress");
    let error = outcome.error();
    println!("{key}: {error}");
    assert_eq!(error["errorType"], "Sift.Retryable", "{error}");
    pg_throwaway(&["resume", &cluster.dir]);
    assert_eq!(h.loaded_rows(key).await, (0, 0), "nothing of {key} is loaded");
    h.completes(key).await;

    // 6. SES fails: the load and the invalid records stand; the summary says so.
    let key = "incoming/ses-503.csv";
    h.put(key, 16, 5_000).await;
    h.proxy.inject(Rule { service: "ses", method: None, path_contains: None, fault: Fault::Status(503) });
    let alerts_before = alerts(&h.world.topic_arn);
    let reports_before = ses_reports(&h.world.sender).len();
    let response = h.lambda.invoke(h.event(key)).await.response();
    let summary = &response["files"][0];
    assert_eq!((summary["status"].as_str(), summary["notification"].as_str()), (Some("ok"), Some("failed")));
    let inserted = summary["inserted"].as_u64().unwrap();
    assert_eq!(h.loaded_rows(key).await, (inserted as i64, 1));
    assert_eq!(ses_reports(&h.world.sender).len(), reports_before, "no report got through");
    assert_eq!(alerts(&h.world.topic_arn), alerts_before + 1, "the alert still goes out");
    h.loaded.push((key.to_owned(), inserted));
    // A re-run (the operator's replay) sends the report and loads nothing twice.
    h.proxy.clear();
    let response = h.lambda.invoke(h.event(key)).await.response();
    let summary = &response["files"][0];
    assert_eq!((summary["already_loaded"].as_bool(), summary["inserted"].as_u64()), (Some(true), Some(0)));
    assert_eq!(summary["notification"], "sent");
    assert_eq!(h.loaded_rows(key).await, (inserted as i64, 1));

    // 7. SNS fails: the alert is lost to a logged error; nothing else changes.
    let key = "incoming/sns-503.csv";
    h.put(key, 17, 5_000).await;
    h.proxy.inject(Rule { service: "sns", method: None, path_contains: None, fault: Fault::Status(503) });
    let alerts_before = alerts(&h.world.topic_arn);
    let response = h.lambda.invoke(h.event(key)).await.response();
    let summary = &response["files"][0];
    assert_eq!((summary["status"].as_str(), summary["notification"].as_str()), (Some("ok"), Some("sent")));
    assert_eq!(alerts(&h.world.topic_arn), alerts_before);
    let inserted = summary["inserted"].as_u64().unwrap();
    assert_eq!(h.loaded_rows(key).await, (inserted as i64, 1));
    h.loaded.push((key.to_owned(), inserted));
    h.proxy.clear();

    // 8. The invocation's deadline comes before the file is done (S3 answers its GET after 3 s,
    // the invocation has 1.2 s): it stops at the margin, and says the time it had.
    let key = "incoming/deadline.csv";
    h.put(key, 18, 100_000).await;
    h.proxy.inject(Rule {
        service: "s3",
        method: Some(Method::GET),
        path_contains: Some(key.to_owned()),
        fault: Fault::Delay(Duration::from_secs(3)),
    });
    let outcome = h.lambda.invoke_with_timeout(h.event(key), Duration::from_millis(1_200)).await;
    h.fails_retryable(outcome, key, "the invocation had 1.2 s and keeps a margin of 0.3 s").await;
    h.proxy.clear();
    h.completes(key).await;

    // Every event delivered again: nothing is loaded twice.
    let total: u64 = h.loaded.iter().map(|(_, n)| n).sum();
    for (key, inserted) in h.loaded.clone() {
        let response = h.lambda.invoke(h.event(&key)).await.response();
        assert_eq!(response["files"][0]["already_loaded"], true, "{response}");
        assert_eq!(h.loaded_rows(&key).await, (inserted as i64, 1));
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM dim_customer")
        .fetch_one(&mut h.world.db().await)
        .await
        .unwrap();
    assert_eq!(rows, total as i64, "dim_customer holds each file's rows once");

    // No credential and no customer value in any log line or email of all of the above.
    let Harness { world, lambda, logs, files, .. } = h;
    drop(lambda);
    let logs = std::fs::read_to_string(logs.path()).unwrap();
    assert!(logs.contains("publishing the alert failed"), "the lost alert is logged");
    let mut planted: Vec<String> = files.iter().flat_map(|f| customer_values(f)).collect();
    planted.push(world.password.clone());
    assert_absent(&logs, &planted, "the logs");
    assert_absent(&ses_texts(&world.sender), &planted, "the report emails");
    drop(cluster);
}

#[test]
fn the_leak_scan_finds_a_planted_value() {
    let csv = b"customer_id,full_name,email\n1,Ann Leeming,ann.lee@example.com\n";
    let planted = customer_values(csv);
    let scan = |text: &'static str| {
        let planted = planted.clone();
        std::panic::catch_unwind(move || assert_absent(text, &planted, "the logs"))
    };
    let leaked = scan("{\"level\":\"INFO\",\"fields\":{\"value\":\"ann.lee@example.com\"}}").unwrap_err();
    let message = leaked.downcast_ref::<String>().unwrap();
    assert!(message.contains("a planted value (\"ann.lee@example.com\") leaked into the logs"), "{message}");
    assert!(scan("{\"level\":\"INFO\",\"fields\":{\"rows\":1}}").is_ok(), "a clean log passes");
}
