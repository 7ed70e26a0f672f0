//! The real `bootstrap` under the ecosystem's own local runtime: `cargo lambda watch
//! --only-lambda-apis` serves the Runtime API and `cargo lambda invoke` sends the events (S3,
//! SQS, EventBridge), as a Rust Lambda developer runs a function locally. cargo-lambda comes
//! from PyPI (`SIFT_CARGO_LAMBDA`, set by `scripts/test`); AWS is moto, the warehouse a real
//! PostgreSQL reached through SSM credentials. cargo-lambda 1.9 announces a deadline that is
//! a duration (`600000`), which sift replaces by the function's timeout.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use sift_tests::world::{World, s3_record, ses_reports, sqs_message};
use sift_tests::{bootstrap, example, repo};

fn cargo_lambda() -> PathBuf {
    PathBuf::from(std::env::var("SIFT_CARGO_LAMBDA").expect(
        "SIFT_CARGO_LAMBDA must name the cargo-lambda binary; run `scripts/test`, which installs \
         cargo-lambda from PyPI into a virtualenv (pip install cargo-lambda==1.9.2)",
    ))
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `cargo lambda invoke` of `event` on the function served at `port`: the response.
fn invoke(port: u16, event: &Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("event.json");
    std::fs::write(&file, event.to_string()).unwrap();
    let output = Command::new(cargo_lambda())
        .args([
            "lambda",
            "invoke",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
            &port.to_string(),
            "--data-file",
        ])
        .arg(&file)
        .arg("_")
        .current_dir(repo().join("lambda"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo lambda invoke failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bootstrap_under_cargo_lambda_watch_loads_the_example_exactly_once() {
    let world = World::new().await;
    let port = free_port();
    let _watch = Running(
        Command::new(cargo_lambda())
            .args(["lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", &port.to_string()])
            .current_dir(repo().join("lambda"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut function = Command::new(bootstrap());
    function
        .env_remove("DATABASE_URL")
        .env_remove("SIFT_AUTO_MIGRATE")
        .envs(world.env())
        .env("AWS_LAMBDA_RUNTIME_API", format!("http://127.0.0.1:{port}/.rt"))
        .env("AWS_LAMBDA_FUNCTION_NAME", "_")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
        .env("SIFT_FUNCTION_TIMEOUT_S", "60")
        .stdout(logs.reopen().unwrap())
        .stderr(Stdio::null());
    let _bootstrap = Running(function.spawn().unwrap());

    // An S3 notification: the counts the validator gives, the rows, the invalid records, the report.
    let body = example();
    world.put("incoming/day 1+a.csv", body.clone()).await;
    let event = json!({"Records": [s3_record(&world.landing, "incoming/day+1%2Ba.csv", body.len())]});
    let response = invoke(port, &event);
    let summary = &response["files"][0];
    assert_eq!(summary["status"], "ok", "{response}");
    let as_of: chrono::NaiveDate = summary["as_of"].as_str().unwrap().parse().unwrap();
    let oracle = sift_tests::oracle(&body, as_of);
    assert_eq!(
        (summary["valid"].as_u64(), summary["invalid"].as_u64()),
        (Some(oracle.tally.valid), Some(oracle.tally.invalid))
    );
    let inserted = summary["inserted"].as_u64().unwrap();
    assert_eq!(world.rows().await, inserted as i64);
    let invalid_key = sift_tests::invalid_key(
        summary["invalid_records_uri"].as_str().unwrap(),
        &format!("s3://{}/", world.invalid),
        &format!("Curoupt_Records/Customer/{as_of}/day 1+a"),
    );
    assert_eq!(world.get(&world.invalid, invalid_key).await, oracle.invalid_csv);
    assert_eq!(ses_reports(&world.sender).len(), 1, "the report went through SES");

    // The same object again, wrapped in SQS and as EventBridge's Object Created: loaded once.
    let sqs = json!({"Records": [sqs_message("m-1", &event)]});
    let response = invoke(port, &sqs);
    assert_eq!(response["batchItemFailures"], json!([]), "{response}");
    let eventbridge = json!({
        "version": "0", "id": "e-1", "detail-type": "Object Created", "source": "aws.s3",
        "account": "000000000000", "time": "2026-11-26T00:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"bucket": {"name": world.landing}, "object": {"key": "incoming/day 1+a.csv", "size": body.len()}}
    });
    let response = invoke(port, &eventbridge);
    assert_eq!(response["files"][0]["already_loaded"], true, "{response}");
    assert_eq!(world.rows().await, inserted as i64, "nothing loaded twice");

    // cargo-lambda's deadline is a duration: said once, as a warning, and worked around.
    let logs = std::fs::read_to_string(logs.path()).unwrap();
    let warnings = logs.lines().filter(|l| l.contains("deadline cannot be right")).count();
    assert_eq!(warnings, 1, "{logs}");
}
