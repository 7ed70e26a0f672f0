//! A burst of drops: 40 objects delivered at once to 4 `bootstrap` processes (4 Lambda
//! execution environments, each taking its events one at a time, as Lambda does) sharing one
//! PostgreSQL table, through the test's Runtime API. The files share most of their customer ids,
//! so the loads collide all the time: every file must still load exactly once (one ledger row
//! each), within its deadline, with the table holding exactly the union of the files' valid ids
//! and the summaries' `inserted` adding up to it.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sift_tests::bootstrap;
use sift_tests::runtime::Lambda;
use sift_tests::world::{World, s3_record};

const PROCESSES: usize = 4;
const FILES: usize = 40;
const ROWS: u64 = 1500;
/// Each invocation's deadline (Lambda's timeout as the Runtime API announces it).
const DEADLINE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_objects_at_once_on_four_lambdas_load_each_file_exactly_once() {
    let world = World::new().await;
    // One file per seed: ids 1..=1500 in each (with the generator's planted defects), so every
    // file collides with every other on most of its keys.
    let mut files = Vec::new();
    for seed in 0..FILES as u64 {
        let mut body = Vec::new();
        sift_datagen::generate(&sift_datagen::Config { seed, ..Default::default() }, ROWS, &mut body)
            .unwrap();
        let key = format!("incoming/burst/part-{seed:02}.csv");
        world.put(&key, body.clone()).await;
        files.push((key, body));
    }

    // No alert storm: the threshold above any file's invalid share.
    let mut env = world.env();
    env.retain(|(name, _)| *name != "SIFT_ALERT_INVALID_PCT");
    env.push(("SIFT_ALERT_INVALID_PCT", "100".into()));
    // The warehouse's sharing of keys logs at debug: the test checks it was exercised.
    env.push(("SIFT_LOG", "info,sift_warehouse=debug".into()));
    let logs: Vec<_> = (0..PROCESSES).map(|_| tempfile::NamedTempFile::new().unwrap()).collect();
    let mut lambdas = Vec::new();
    for log in &logs {
        lambdas.push(Lambda::start(&bootstrap(), &env, log.path()).await);
    }

    // Every process takes every 4th event; all four run at once.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (p, mut lambda) in lambdas.into_iter().enumerate() {
        let events: Vec<(String, usize)> = files
            .iter()
            .enumerate()
            .filter(|(i, _)| i % PROCESSES == p)
            .map(|(_, (key, body))| (key.clone(), body.len()))
            .collect();
        let landing = world.landing.clone();
        tasks.push(tokio::spawn(async move {
            let mut summaries = Vec::new();
            for (key, size) in events {
                let event = json!({"Records": [s3_record(&landing, &key, size)]});
                let outcome = lambda.invoke_with_timeout(event, DEADLINE).await;
                summaries.push((key, outcome));
            }
            (lambda, summaries)
        }));
    }
    let mut summaries: Vec<(String, Value)> = Vec::new();
    let mut lambdas = Vec::new();
    for task in tasks {
        let (lambda, done) = tokio::time::timeout(Duration::from_secs(600), task)
            .await
            .expect("the burst finishes within 10 minutes")
            .unwrap();
        lambdas.push(lambda);
        for (key, outcome) in done {
            let response = match outcome {
                sift_tests::runtime::Outcome::Response(v) => v,
                other => panic!("{key}: {other:?}"),
            };
            let files = response["files"].as_array().unwrap();
            assert_eq!(files.len(), 1, "{key}: {response}");
            summaries.push((key, files[0].clone()));
        }
    }
    println!("{FILES} files on {PROCESSES} processes: {:?}", started.elapsed());
    drop(lambdas);
    assert_eq!(summaries.len(), FILES);
    // The loads did run at once and share keys: keys left to older loads (the claims), batches
    // settled in place, or files run again alone.
    let logs: String = logs.iter().map(|l| std::fs::read_to_string(l.path()).unwrap()).collect();
    let deferred = logs.matches("keys left to older loads").count();
    let settled = logs.matches("probing again").count();
    let alone = logs.matches("loading the file again, alone").count();
    println!(
        "loads that left keys to older ones: {deferred}; collisions settled per batch: {settled}; files run again alone: {alone}"
    );
    assert!(deferred + settled + alone > 0, "no load met another: the burst did not run at once");
    assert!(!logs.contains("\"level\":\"WARN\""), "waiting is not a warning:\n{logs}");

    // Each file processed, within its deadline, loaded once (no re-delivery here).
    let mut inserted = 0;
    for (key, summary) in &summaries {
        assert_eq!(summary["status"], "ok", "{key}: {summary}");
        assert!(summary.get("already_loaded").is_none(), "{key}: {summary}");
        let took = Duration::from_millis(summary["duration_ms"].as_u64().unwrap());
        assert!(took < DEADLINE, "{key} took {took:?}");
        inserted += summary["inserted"].as_u64().unwrap();
    }
    let mut db = world.db().await;
    let ledger: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sift_load_ledger WHERE table_name = 'dim_customer'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(ledger, FILES as i64, "one ledger row per file");

    // The table holds exactly the union of the files' valid ids, each once.
    let as_of: chrono::NaiveDate = summaries[0].1["as_of"].as_str().unwrap().parse().unwrap();
    let mut valid_ids = HashSet::new();
    for (_, body) in &files {
        let report = sift_tests::oracle(body, as_of);
        for batch in &report.valid {
            let ids = batch.frame().column("customer_id").unwrap().i64().unwrap().clone();
            valid_ids.extend(ids.into_no_null_iter());
        }
    }
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT customer_id) FROM dim_customer")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(rows, distinct);
    assert_eq!(rows as usize, valid_ids.len(), "the union of the files' valid ids");
    assert_eq!(inserted, rows as u64, "the summaries' inserted add up to the table");
    // Each row is attributed to the file whose summary counted it.
    let by_source: Vec<(String, i64)> =
        sqlx::query_as("SELECT source_uri, count(*) FROM dim_customer GROUP BY source_uri")
            .fetch_all(&mut db)
            .await
            .unwrap();
    for (source, count) in by_source {
        let key = source.rsplit_once(&format!("{}/", world.landing)).unwrap().1;
        let summary = &summaries.iter().find(|(k, _)| k == key).unwrap().1;
        assert_eq!(summary["inserted"].as_i64(), Some(count), "{source}");
    }
    drop(db);
    world.drop_database().await;
}
