//! The pipeline's composition with mocked seams: the order of effects and what each failure
//! leaves behind.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::NaiveDate;
use mockall::Sequence;
use sift_model::{NotificationStatus, Status};
use sift_notifier::{Delivery, MockAlerter, MockNotifier, Outcome, Report};
use sift_pipeline::{Config, Error, Job, Pipeline, Stage};
use sift_storage::{ByteStream, MockObjectStore};
use sift_validator::Contract;
use sift_warehouse::{LoadEvent, LoadOutcome, MockWarehouse};

const CSV: &str = "customer_id,full_name,email,age,date_of_birth,phone_number\n\
                   1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\n\
                   2,Bo Li,bad-email,36,1990-05-18,0123456789\n\
                   3,Cy Ma,cy@example.com,36,1990-05-19,0123456789\n";

fn config() -> Config {
    Config {
        function_name: "sift-test".into(),
        create_tables: true,
        alert_threshold_pct: 10.0,
        chunk_rows: 2,
    }
}

/// The customer contract, as the shells embed it.
fn customer() -> Contract {
    Contract::from_toml(include_str!("../../../contracts/customer.toml")).unwrap()
}

/// The job of `key` in `sources` under the customer contract, as of 2026-11-26.
fn job(sources: MockObjectStore, key: &str) -> Job {
    Job::new(
        Arc::new(sources),
        key,
        Arc::new(customer()),
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
        "Curoupt_Records/Customer",
    )
}

fn body(text: &'static str) -> ByteStream {
    // Split in odd places to exercise the streaming reader.
    let parts: Vec<sift_storage::Result<Bytes>> =
        text.as_bytes().chunks(7).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    ByteStream::new(futures::stream::iter(parts))
}

fn source(text: &'static str, seq: &mut Sequence) -> MockObjectStore {
    let mut store = MockObjectStore::new();
    store.expect_uri().returning(|k| format!("s3://in/{k}"));
    store.expect_get().times(1).in_sequence(seq).returning(move |_| Ok(body(text)));
    store
}

fn invalid_store() -> MockObjectStore {
    let mut store = MockObjectStore::new();
    store.expect_uri().returning(|k| format!("s3://out/{k}"));
    store.expect_url().returning(|k| format!("https://out.example/{k}"));
    store
}

/// The dataset has no history yet; the file is recorded.
fn no_history(w: &mut MockWarehouse) {
    w.expect_history().returning(|_, _| Ok(Vec::new()));
    w.expect_record_history().returning(|_| Ok(true));
}

/// A warehouse that drains the event stream and counts rows, like a real one. The load starts
/// as soon as the source is open; when `written` is given, the invalid-records file must have
/// been written before the seal (the commit) arrives.
fn loading(
    seq: &mut Sequence,
    written: Option<Arc<AtomicBool>>,
    result: fn(u64) -> sift_warehouse::Result<LoadOutcome>,
) -> MockWarehouse {
    let mut w = MockWarehouse::new();
    w.expect_describe().return_const("mock".to_owned());
    w.expect_prepare().returning(|_, _| Ok(()));
    no_history(&mut w);
    w.expect_load().times(1).in_sequence(seq).returning(move |_, _, _, stream| {
        let written = written.clone();
        let rows: u64 = futures::executor::block_on(async move {
            use futures::StreamExt;
            let events: Vec<_> = stream
                .map(Result::unwrap)
                .inspect(|e| {
                    if let (LoadEvent::Seal(_), Some(flag)) = (e, &written) {
                        assert!(flag.load(Ordering::SeqCst), "invalid records are written before the commit");
                    }
                })
                .collect()
                .await;
            assert!(
                matches!(events.last(), Some(LoadEvent::Seal(seal)) if seal.checksum.len() == 64),
                "sealed"
            );
            events.iter().map(|e| if let LoadEvent::Rows(b) = e { b.len() as u64 } else { 0 }).sum()
        });
        result(rows)
    });
    w
}

/// A warehouse whose load must end without a seal (abandoned): it checks that and rolls back.
fn abandoned_load() -> MockWarehouse {
    let mut w = MockWarehouse::new();
    w.expect_describe().return_const("mock".to_owned());
    w.expect_prepare().returning(|_, _| Ok(()));
    // A file that did not load is not remembered.
    w.expect_record_history().never();
    w.expect_load().times(1).returning(|_, source, _, stream| {
        let events: Vec<_> = futures::executor::block_on(futures::StreamExt::collect::<Vec<_>>(stream));
        assert!(
            events.iter().all(|e| !matches!(e, Ok(LoadEvent::Seal(_)))),
            "an abandoned load is never sealed"
        );
        assert!(matches!(events.last(), Some(Err(_))), "the producer says why it gave up");
        Err(sift_warehouse::Error::Aborted { source_uri: source.to_owned(), reason: "abandoned".into() })
    });
    w
}

fn recording_notifier(seq: &mut Sequence, reports: Arc<Mutex<Vec<Report>>>, fail: bool) -> MockNotifier {
    let mut n = MockNotifier::new();
    n.expect_send().times(1).in_sequence(seq).returning(move |r| {
        reports.lock().unwrap().push(r.clone());
        if fail { Err(sift_notifier::Error::NoRecipients) } else { Ok(Delivery { id: "m-1".into() }) }
    });
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn effects_happen_in_order_and_the_summary_adds_up() {
    let mut seq = Sequence::new();
    let sources = source(CSV, &mut seq);
    let mut invalid = invalid_store();
    let flag = Arc::new(AtomicBool::new(false));
    let warehouse = loading(&mut seq, Some(flag.clone()), |rows| {
        Ok(LoadOutcome {
            inserted: rows - 1,
            already_present: 1,
            already_loaded: false,
            ..LoadOutcome::default()
        })
    });
    let written = Arc::new(Mutex::new(Vec::new()));
    let w2 = written.clone();
    invalid.expect_put().times(1).in_sequence(&mut seq).returning(move |k, b, _| {
        w2.lock().unwrap().push((k.to_owned(), b));
        flag.store(true, Ordering::SeqCst);
        Ok(())
    });
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports.clone(), false);

    let stages = Arc::new(Mutex::new(Vec::new()));
    let s2 = stages.clone();
    let pipeline = Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse))
        .with_notifier(Arc::new(notifier))
        .with_progress(Arc::new(move |stage| s2.lock().unwrap().push(stage)));
    let summary = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap();

    let stages = stages.lock().unwrap();
    let n = stages.len();
    assert!(matches!(stages[n - 4], Stage::Reading { bytes, rows: 3 } if bytes == CSV.len() as u64));
    assert_eq!(
        stages[n - 3..],
        [Stage::WritingInvalid { rows: 1 }, Stage::Loading { rows: 2 }, Stage::Reporting]
    );
    assert_eq!(summary.status, Status::Ok);
    assert_eq!((summary.total, summary.valid, summary.invalid), (3, 2, 1));
    assert_eq!((summary.inserted, summary.already_present), (1, 1));
    assert_eq!(summary.rule_failures, [("email".to_owned(), 1)]);
    assert_eq!(summary.notification, NotificationStatus::Sent);
    assert_eq!(summary.source, "s3://in/incoming/customers.csv");
    let written = written.lock().unwrap();
    let key = written[0].0.as_str();
    assert!(
        key.starts_with("Curoupt_Records/Customer/2026-11-26/customers_")
            && key.ends_with("_invalid_records.csv"),
        "{key}"
    );
    assert_eq!(summary.invalid_records_uri.as_deref(), Some(format!("s3://out/{key}").as_str()));
    assert_eq!(
        std::str::from_utf8(&written[0].1).unwrap(),
        "customer_id,full_name,email,age,date_of_birth,phone_number,row_number,failed_rules\n\
         2,Bo Li,bad-email,36,1990-05-18,0123456789,2,email\n"
    );
    let reports = reports.lock().unwrap();
    assert_eq!(reports[0].outcome, Outcome::Processed);
    assert_eq!(
        reports[0].invalid_records_url.as_deref(),
        Some(format!("https://out.example/{key}").as_str())
    );
    assert!(reports[0].is_alert(), "1 of 3 invalid is above 10%");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_load_never_leaves_a_report_that_claims_success() {
    let mut seq = Sequence::new();
    let sources = source(CSV, &mut seq);
    let mut invalid = invalid_store();
    let warehouse = loading(&mut seq, None, |_| {
        Err(sift_warehouse::Error::Aborted { source_uri: "x".into(), reason: "connection reset".into() })
    });
    invalid.expect_put().times(1).in_sequence(&mut seq).returning(|_, _, _| Ok(()));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports.clone(), false);
    let pipeline =
        Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse)).with_notifier(Arc::new(notifier));

    let err = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap_err();
    assert!(matches!(err, Error::Warehouse(_)), "{err}");
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1);
    assert!(matches!(&reports[0].outcome, Outcome::Failed { reason } if reason.contains("connection reset")));
    assert!(reports[0].subject().starts_with("[FAILED]"));
    assert_eq!(reports[0].inserted, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_notifier_never_loses_the_load_or_the_invalid_file() {
    let mut seq = Sequence::new();
    let sources = source(CSV, &mut seq);
    let mut invalid = invalid_store();
    let warehouse = loading(&mut seq, None, |rows| {
        Ok(LoadOutcome {
            inserted: rows,
            already_present: 0,
            already_loaded: false,
            ..LoadOutcome::default()
        })
    });
    invalid.expect_put().times(1).in_sequence(&mut seq).returning(|_, _, _| Ok(()));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports, true);
    let pipeline =
        Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse)).with_notifier(Arc::new(notifier));

    let summary = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap();
    assert_eq!(summary.status, Status::Ok);
    assert_eq!(summary.notification, NotificationStatus::Failed);
    assert_eq!(summary.inserted, 2);
    assert!(summary.invalid_records_uri.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_invalid_records_write_loads_nothing() {
    let mut seq = Sequence::new();
    let sources = source(CSV, &mut seq);
    let mut invalid = invalid_store();
    invalid.expect_put().times(1).in_sequence(&mut seq).returning(|k, _, _| {
        Err(sift_storage::Error::Backend {
            action: "writing",
            uri: k.to_owned(),
            message: "SlowDown".into(),
            retryable: true,
        })
    });
    let warehouse = abandoned_load();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports.clone(), false);
    let pipeline =
        Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse)).with_notifier(Arc::new(notifier));

    let err = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRecords(_)), "{err}");
    assert!(err.is_retryable());
    assert!(reports.lock().unwrap()[0].is_rejected());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_file_writes_and_loads_nothing_and_reports_failed() {
    let bad: &'static str = "customer_id,full_name,email,age,date_of_birth,phone_number\n\
                             1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\n\
                             2,Bo Li,b@example.com,36,1990-05-18,0123456789,\n";
    let mut seq = Sequence::new();
    let sources = source(bad, &mut seq);
    let mut invalid = invalid_store();
    invalid.expect_put().never();
    let warehouse = abandoned_load();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports.clone(), false);
    let pipeline =
        Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse)).with_notifier(Arc::new(notifier));

    let summary = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap();
    assert_eq!(summary.status, Status::Rejected);
    let error = summary.error.as_deref().unwrap();
    assert!(error.contains("line 3 has 7 fields"), "{error}");
    assert_eq!((summary.total, summary.inserted), (0, 0));
    assert_eq!(summary.invalid_records_uri, None);
    let json: serde_json::Value = serde_json::from_str(&summary.to_json()).unwrap();
    assert_eq!(json["status"], "rejected");
    let reports = reports.lock().unwrap();
    assert!(matches!(&reports[0].outcome, Outcome::Rejected { reason } if reason == error));
    assert!(reports[0].subject().contains("FAILED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_source_is_an_error_and_touches_nothing() {
    let mut sources = MockObjectStore::new();
    sources.expect_uri().returning(|k| format!("s3://in/{k}"));
    sources.expect_get().returning(|k| Err(sift_storage::Error::NotFound { uri: format!("s3://in/{k}") }));
    let mut invalid = invalid_store();
    invalid.expect_put().never();
    let mut warehouse = MockWarehouse::new();
    warehouse.expect_prepare().returning(|_, _| Ok(()));
    warehouse.expect_load().never();
    warehouse.expect_describe().return_const("mock".to_owned());
    let pipeline = Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse));

    let err = pipeline.run(&job(sources, "incoming/missing.csv")).await.unwrap_err();
    let shown = sift_pipeline::ErrorChain(&err).to_string();
    assert_eq!(
        shown,
        "reading the source failed: no object at s3://in/incoming/missing.csv; check the path or key (and the bucket) and that it was uploaded"
    );
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_valid_writes_no_invalid_file_and_no_notifier_means_skipped() {
    let good: &'static str = "customer_id,full_name,email,age,date_of_birth,phone_number\n\
                              1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\n";
    let mut seq = Sequence::new();
    let sources = source(good, &mut seq);
    let mut invalid = invalid_store();
    invalid.expect_put().never();
    let warehouse = loading(&mut seq, None, |rows| {
        Ok(LoadOutcome {
            inserted: rows,
            already_present: 0,
            already_loaded: false,
            ..LoadOutcome::default()
        })
    });
    let pipeline = Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse));

    let summary = pipeline.run(&job(sources, "customers.csv")).await.unwrap();
    assert_eq!((summary.valid, summary.inserted), (1, 1));
    assert_eq!(summary.invalid_records_uri, None);
    assert_eq!(summary.notification, NotificationStatus::Skipped);
    assert!(summary.rule_failures.is_empty());
}

#[test]
fn invalid_keys_use_the_as_of_date_and_the_source_stem_and_are_unique_per_source_and_content() {
    let cases = [
        ("incoming/customers.csv", "Curoupt_Records/Customer/2026-11-26/customers_"),
        ("a/b/my file.v2.csv", "Curoupt_Records/Customer/2026-11-26/my file.v2_"),
        ("a/b/day.csv.gz", "Curoupt_Records/Customer/2026-11-26/day_"),
        ("noext", "Curoupt_Records/Customer/2026-11-26/noext_"),
        (".hidden", "Curoupt_Records/Customer/2026-11-26/.hidden_"),
    ];
    for (key, start) in cases {
        let job = job(MockObjectStore::new(), key);
        let invalid = job.invalid_key(&format!("s3://land/{key}"), "c0ffee");
        let tag = invalid
            .strip_prefix(start)
            .and_then(|rest| rest.strip_suffix("_invalid_records.csv"))
            .unwrap_or_else(|| panic!("{invalid} is not {start}<tag>_invalid_records.csv"));
        assert!(tag.len() == 12 && tag.bytes().all(|b| b.is_ascii_hexdigit()), "{invalid}");
        let warnings = job.warnings_key(&format!("s3://land/{key}"), "c0ffee");
        assert_eq!(warnings, format!("{start}{tag}_warnings.csv"));
        assert!(sift_pipeline::is_own_output(&invalid) && sift_pipeline::is_own_output(&warnings));
    }
    // Same name and day: another source, or other content, never shares the object; the same
    // file again writes the same one.
    let job = job(MockObjectStore::new(), "customers.csv");
    let key = |source: &str, checksum: &str| job.invalid_key(source, checksum);
    let tenant_a = key("s3://land/tenantA/customers.csv", "aaaa");
    assert_eq!(tenant_a, key("s3://land/tenantA/customers.csv", "aaaa"));
    assert_ne!(tenant_a, key("s3://land/tenantB/customers.csv", "aaaa"));
    assert_ne!(tenant_a, key("s3://land/tenantA/customers.csv", "bbbb"));
    assert!(!sift_pipeline::is_own_output("incoming/customers.csv"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_goes_out_only_above_the_threshold_and_its_failure_changes_nothing() {
    for (threshold, alerts) in [(10.0, 1), (50.0, 0)] {
        let mut seq = Sequence::new();
        let sources = source(CSV, &mut seq);
        let mut invalid = invalid_store();
        let warehouse = loading(&mut seq, None, |rows| {
            Ok(LoadOutcome {
                inserted: rows,
                already_present: 0,
                already_loaded: false,
                ..LoadOutcome::default()
            })
        });
        invalid.expect_put().returning(|_, _, _| Ok(()));
        let mut alerter = MockAlerter::new();
        alerter
            .expect_alert()
            .times(alerts)
            .withf(|r| r.invalid == 1 && r.total == 3)
            .returning(|_| Err(sift_notifier::Error::NoRecipients));
        let config = Config { alert_threshold_pct: threshold, ..config() };
        let pipeline =
            Pipeline::new(config, Arc::new(invalid), Arc::new(warehouse)).with_alerter(Arc::new(alerter));
        let summary = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap();
        assert_eq!((summary.status, summary.inserted), (Status::Ok, 2), "threshold {threshold}");
    }
}

/// A source that sends `text` and then neither ends nor fails: a stalled read.
fn stalled_body(text: &'static str) -> ByteStream {
    use futures::StreamExt;
    ByteStream::new(body(text).chain(futures::stream::pending()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_stops_a_stalled_run_rolls_back_and_reports_failed() {
    let mut sources = MockObjectStore::new();
    sources.expect_uri().returning(|k| format!("s3://in/{k}"));
    sources.expect_get().times(1).returning(|_| Ok(stalled_body(CSV)));
    let mut invalid = invalid_store();
    invalid.expect_put().never();
    let mut seq = Sequence::new();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports.clone(), false);
    let pipeline = Pipeline::new(config(), Arc::new(invalid), Arc::new(abandoned_load()))
        .with_notifier(Arc::new(notifier));
    let job = job(sources, "incoming/customers.csv")
        .with_deadline(tokio::time::Instant::now() + std::time::Duration::from_millis(300));

    let started = std::time::Instant::now();
    let err = pipeline.run(&job).await.unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "stopped near the deadline");
    match &err {
        Error::Deadline { bytes_read, rows_validated } => {
            assert_eq!(*bytes_read, CSV.len() as u64, "everything sent was read");
            assert_eq!(
                *rows_validated, 2,
                "one chunk of two rows; the third row waits for its chunk to fill"
            );
        }
        other => panic!("expected the deadline, got {other}"),
    }
    assert!(err.is_retryable());
    assert!(err.to_string().contains("nothing was loaded"), "{err}");
    let reports = reports.lock().unwrap();
    assert!(matches!(&reports[0].outcome, Outcome::Failed { reason } if reason.contains("deadline")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_error_after_rows_streamed_into_the_load_rolls_it_back() {
    let mut sources = MockObjectStore::new();
    sources.expect_uri().returning(|k| format!("s3://in/{k}"));
    sources.expect_get().times(1).returning(|_| {
        use futures::StreamExt;
        let cut = futures::stream::iter([Err(sift_storage::Error::Backend {
            action: "reading",
            uri: "s3://in/incoming/customers.csv".into(),
            message: "connection reset by peer".into(),
            retryable: true,
        })]);
        Ok(ByteStream::new(body(CSV).chain(cut)))
    });
    let mut invalid = invalid_store();
    invalid.expect_put().never();
    let pipeline = Pipeline::new(config(), Arc::new(invalid), Arc::new(abandoned_load()));

    let err = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap_err();
    assert!(matches!(err, Error::Source(_)), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_conflict_with_a_concurrent_load_runs_the_file_again_alone() {
    use sift_warehouse::LoadMode;
    let mut sources = MockObjectStore::new();
    sources.expect_uri().returning(|k| format!("s3://in/{k}"));
    // The file is read twice: once for each load.
    sources.expect_get().times(2).returning(|_| Ok(body(CSV)));
    let mut invalid = invalid_store();
    // Written by each attempt (the same bytes: a pure function of the file).
    invalid.expect_put().times(2).returning(|_, _, _| Ok(()));
    let modes = Arc::new(Mutex::new(Vec::new()));
    let mut warehouse = MockWarehouse::new();
    warehouse.expect_prepare().returning(|_, _| Ok(()));
    no_history(&mut warehouse);
    let seen = modes.clone();
    warehouse.expect_load().times(2).returning(move |_, source, mode, stream| {
        seen.lock().unwrap().push(mode);
        let events: Vec<_> = futures::executor::block_on(futures::StreamExt::collect::<Vec<_>>(stream));
        let rows: u64 = events
            .iter()
            .map(|e| match e {
                Ok(LoadEvent::Rows(batch)) => batch.len() as u64,
                _ => 0,
            })
            .sum();
        match mode {
            LoadMode::Concurrent => Err(sift_warehouse::Error::KeyConflict {
                source_uri: source.to_owned(),
                table: "dim_customer".into(),
                source: sqlx::Error::Protocol("deadlock detected".into()),
            }),
            LoadMode::Exclusive => Ok(LoadOutcome {
                inserted: rows,
                already_present: 0,
                already_loaded: false,
                ..LoadOutcome::default()
            }),
        }
    });
    let pipeline = Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse));

    let summary = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap();
    assert_eq!(*modes.lock().unwrap(), [LoadMode::Concurrent, LoadMode::Exclusive]);
    assert_eq!(summary.status, Status::Ok);
    assert_eq!((summary.total, summary.valid, summary.inserted), (3, 2, 2), "counted once, not twice");
}

/// Ten past files of the customer dataset where 1% of the rows fail `email`.
fn usual_history() -> Vec<sift_model::FileHistory> {
    (0..10)
        .map(|i| sift_model::FileHistory {
            dataset: "customer".into(),
            source_uri: format!("s3://in/incoming/day-{i}.csv"),
            checksum: format!("{i:064}"),
            held: false,
            total_rows: 1000,
            valid_rows: 990,
            invalid_rows: 10,
            rules: vec![sift_model::RuleHistory { rule: "email".into(), failures: 10, warnings: 0 }],
            recorded_at: None,
        })
        .collect()
}

/// A warehouse that loads the two valid rows of `CSV` (its history expectations are the test's).
fn loads_the_two_valid_rows() -> MockWarehouse {
    let mut warehouse = MockWarehouse::new();
    warehouse.expect_describe().return_const("mock".to_owned());
    warehouse.expect_prepare().returning(|_, _| Ok(()));
    warehouse.expect_load().times(1).returning(|_, _, _, stream| {
        let _ = futures::executor::block_on(futures::StreamExt::collect::<Vec<_>>(stream));
        Ok(LoadOutcome { inserted: 2, already_present: 0, already_loaded: false, ..LoadOutcome::default() })
    });
    warehouse
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_far_above_its_history_alerts_under_the_threshold_and_the_file_is_remembered() {
    // 1 of 3 rows fails email (33%) against a usual 1%; the threshold (50%) is not crossed.
    let mut seq = Sequence::new();
    let sources = source(CSV, &mut seq);
    let mut invalid = invalid_store();
    invalid.expect_put().returning(|_, _, _| Ok(()));
    let mut warehouse = loads_the_two_valid_rows();
    warehouse
        .expect_history()
        .times(1)
        .withf(|dataset, files| *dataset == Some("customer") && *files >= 20)
        .returning(|_, _| Ok(usual_history()));
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let r2 = recorded.clone();
    warehouse.expect_record_history().times(1).returning(move |file| {
        r2.lock().unwrap().push(file.clone());
        Ok(true)
    });
    let mut alerter = MockAlerter::new();
    alerter
        .expect_alert()
        .times(1)
        .withf(|r| !r.is_over_threshold() && r.anomalies().map(|t| t.rule.as_str()).eq(["email"]))
        .returning(|_| Ok(Delivery { id: "alert-1".into() }));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports.clone(), false);
    let config = Config { alert_threshold_pct: 50.0, ..config() };
    let test = sift_model::AnomalyTest { min_count: 1, ..Default::default() };
    let pipeline = Pipeline::new(config, Arc::new(invalid), Arc::new(warehouse))
        .with_notifier(Arc::new(notifier))
        .with_alerter(Arc::new(alerter))
        .with_anomaly_test(test);
    let summary = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap();

    assert_eq!(summary.rule_anomalies, ["email"]);
    let report = &reports.lock().unwrap()[0];
    assert!(report.subject().starts_with("[ALERT] "), "{}", report.subject());
    let email = report.trend("email").unwrap();
    assert_eq!((email.count, email.files, email.median_pct), (1, 10, Some(1.0)));
    // Rules the past files did not have are compared with nothing.
    assert_eq!(report.trend("age").unwrap().files, 0);
    let recorded = recorded.lock().unwrap();
    let file = &recorded[0];
    assert_eq!(
        (file.dataset.as_str(), file.source_uri.as_str()),
        ("customer", "s3://in/incoming/customers.csv")
    );
    assert_eq!((file.total_rows, file.valid_rows, file.invalid_rows, file.held), (3, 2, 1, false));
    assert_eq!(file.checksum.len(), 64);
    let ids: Vec<&str> = file.rules.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(ids, customer().failure_ids(), "every id, in contract order");
    assert_eq!(file.rules.iter().map(|r| r.failures).sum::<u64>(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_trouble_never_fails_the_run() {
    let mut seq = Sequence::new();
    let sources = source(CSV, &mut seq);
    let mut invalid = invalid_store();
    invalid.expect_put().returning(|_, _, _| Ok(()));
    let mut warehouse = loads_the_two_valid_rows();
    warehouse.expect_history().times(1).returning(|_, _| Err(sift_warehouse::Error::NotMigrated));
    warehouse.expect_record_history().times(1).returning(|_| Err(sift_warehouse::Error::NotMigrated));
    let reports = Arc::new(Mutex::new(Vec::new()));
    let notifier = recording_notifier(&mut seq, reports.clone(), false);
    let pipeline =
        Pipeline::new(config(), Arc::new(invalid), Arc::new(warehouse)).with_notifier(Arc::new(notifier));
    let summary = pipeline.run(&job(sources, "incoming/customers.csv")).await.unwrap();
    assert_eq!((summary.status, summary.inserted), (Status::Ok, 2));
    assert!(summary.rule_anomalies.is_empty());
    assert!(reports.lock().unwrap()[0].trends.is_empty());
}
