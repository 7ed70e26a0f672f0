//! The real `sift` binary against a real PostgreSQL warehouse (`--warehouse postgres://...`).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::Path;

use serde_json::Value;
use sift_tests::example_path as example;
use sift_tests::pg::fresh_database;
use sift_tests::sift;
use sqlx::Connection;

fn run(input: &Path, out: &Path, warehouse: &str) -> (i32, Value) {
    sift_tests::sift_run_json(input, out, &[], &[("DATABASE_URL", warehouse)])
}

#[tokio::test]
async fn sift_run_loads_postgres_once_and_recognises_a_redelivery() {
    let url = fresh_database("sift_cli_e2e").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");

    let (code, first) = run(&example(), &out, &url);
    assert_eq!(code, 0, "{first}");
    let valid = first["valid"].as_u64().unwrap();
    let inserted = first["inserted"].as_u64().unwrap();
    assert_eq!(inserted + first["already_present"].as_u64().unwrap(), valid);
    assert!(first.get("already_loaded").is_none());

    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT customer_id) FROM dim_customer")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!((rows as u64, distinct as u64), (inserted, inserted));
    let source: String =
        sqlx::query_scalar("SELECT DISTINCT source_uri FROM dim_customer").fetch_one(&mut db).await.unwrap();
    assert!(source.ends_with("examples/customers.csv"), "{source}");
    // Trimmed values: nothing stored starts or ends with white space.
    let padded: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM dim_customer WHERE full_name <> btrim(full_name) OR email <> btrim(email)",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(padded, 0);

    // The same file again (a re-delivered event): nothing loaded twice.
    let (code, second) = run(&example(), &out, &url);
    assert_eq!(code, 0);
    assert_eq!(second["inserted"], 0);
    assert_eq!(second["already_present"].as_u64(), Some(valid));
    assert_eq!(second["already_loaded"], true);
    let after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM dim_customer").fetch_one(&mut db).await.unwrap();
    assert_eq!(after as u64, inserted);

    // Changed content under the same name is a new file: one new customer loads.
    let changed = dir.path().join("customers.csv");
    let mut text = std::fs::read_to_string(example()).unwrap();
    text.push_str("999999999,New Person,new.person@example.com,36,1990-05-17,0123456789\n");
    std::fs::write(&changed, text).unwrap();
    let (code, third) = run(&changed, &out, &url);
    assert_eq!(code, 0, "{third}");
    assert_eq!(third["inserted"], 1);
    let ledger: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sift_load_ledger").fetch_one(&mut db).await.unwrap();
    assert_eq!(ledger, 2);
}

#[tokio::test]
async fn an_unreachable_postgres_is_an_error_naming_the_server_not_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let output = sift()
        .args(["run", example().to_str().unwrap(), "--out", dir.path().to_str().unwrap(), "--json"])
        .env("DATABASE_URL", format!("postgres://sift:pa55word@127.0.0.1:{port}/dw?sslmode=disable"))
        .env("SIFT_DB_CONNECT_ATTEMPTS", "2")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{port}")) && !stderr.contains("pa55word"), "{stderr}");
    assert!(stderr.contains("after 2 attempts"), "{stderr}");
}
