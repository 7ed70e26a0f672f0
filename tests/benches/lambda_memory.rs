//! Peak memory of the `bootstrap` binary on one file, as Lambda runs it: the file (generated,
//! `SIFT_BENCH_ROWS` rows, default 1,000,000) is put in the emulator's S3, delivered once as a
//! direct invocation through the test Runtime API, loaded into PostgreSQL, and the process's
//! peak resident set (`VmHWM`) read when the invocation has returned. `scripts/bench-lambda`
//! runs it on two builds in turn (jemalloc and the system allocator).
//!
//! Needs SIFT_MOTO_ENDPOINT and DATABASE_URL (`scripts/bench-lambda` starts both) and
//! SIFT_BOOTSTRAP (the binary to measure).

#![allow(clippy::unwrap_used)] // A benchmark: a failed step ends it with its message.

use serde_json::json;
use sift_tests::bootstrap;
use sift_tests::runtime::Lambda;
use sift_tests::world::World;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rows: u64 = std::env::var("SIFT_BENCH_ROWS").map(|r| r.parse().unwrap()).unwrap_or(1_000_000);
    let world = World::new().await;
    let mut csv = Vec::new();
    sift_datagen::generate(&sift_datagen::Config { seed: 21, ..Default::default() }, rows, &mut csv).unwrap();
    world.put("incoming/bench.csv", csv).await;
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut env = world.env();
    env.retain(|(name, _)| !name.starts_with("SIFT_EMAIL") && *name != "SIFT_ALERT_TOPIC_ARN");
    let mut lambda = Lambda::start(&bootstrap(), &env, logs.path()).await;
    let started = std::time::Instant::now();
    let outcome = lambda.invoke(json!({"bucket": world.landing, "key": "incoming/bench.csv"})).await;
    let elapsed = started.elapsed();
    let summary = outcome.response();
    let file = &summary["files"][0];
    assert_eq!(file["total"], rows, "{summary}");
    println!(
        "rows={rows} valid={} peak_rss_mib={:.1} invocation_ms={}",
        file["valid"],
        lambda.peak_rss_kib() as f64 / 1024.0,
        elapsed.as_millis()
    );
    drop(lambda);
    world.drop_database().await;
}
