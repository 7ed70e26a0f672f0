//! TLS to the warehouse, verified: the real `sift` reads its credentials from SSM (moto), as
//! the Lambda and the Fargate task do, and connects to a PostgreSQL server of the test's own
//! whose certificate, for 127.0.0.1, a throwaway authority signed (`scripts/pg-throwaway`).
//! With no `sslmode` the server is refused unless that authority is given (the secret's
//! `sslrootcert`, or the shell's bundle); a certificate for another name is refused even then;
//! plain text only when the secret asks for it.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::process::Output;

use serde_json::{Value, json};
use sift_tests::pg::Cluster;
use sift_tests::{example_path, moto_endpoint};
use sqlx::Connection;

const PASSWORD: &str = "planted-Tls-Pa55-never-printed";

async fn put_secret(name: &str, secret: &Value) {
    aws_sdk_ssm::Client::new(&sift_aws::emulator_config(&moto_endpoint(), 3))
        .put_parameter()
        .name(name)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .value(secret.to_string())
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

/// `sift run` of the example into the warehouse named by SSM parameter `parameter`.
fn run(parameter: &str, out: &std::path::Path, env: &[(&str, &str)]) -> (Output, Option<Value>) {
    let output = sift_tests::sift()
        .args(["run", example_path().to_str().unwrap(), "--out", out.to_str().unwrap(), "--json"])
        .args(["--as-of", "2026-11-26", "--db-secret-parameter", parameter, "--db-connect-attempts", "1"])
        .envs(sift_tests::emulator_env())
        .env_remove("AWS_PROFILE")
        .env_remove("DATABASE_URL")
        .env_remove("SIFT_DB_CA_BUNDLE")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let summary = serde_json::from_slice(&output.stdout).ok();
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(PASSWORD), "the password is never printed");
    }
    (output, summary)
}

async fn rows(url: &str) -> i64 {
    let mut db = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar("SELECT count(*) FROM dim_customer").fetch_one(&mut db).await.unwrap_or(0)
}

#[tokio::test]
async fn the_warehouse_certificate_is_verified_by_default_and_trusted_only_through_its_authority() {
    let cluster = Cluster::start();
    let port = url::Url::parse(&cluster.url).unwrap().port().unwrap();
    let tag = std::process::id();
    let secret = |host: &str| json!({"host": host, "port": port, "dbname": "postgres", "username": "postgres", "password": PASSWORD});
    let dir = tempfile::tempdir().unwrap();

    // No sslmode: verify-full, and the throwaway authority is no public root.
    let parameter = format!("/sift-tls-{tag}/default");
    put_secret(&parameter, &secret("127.0.0.1")).await;
    let (output, _) = run(&parameter, &dir.path().join("a"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.to_lowercase().contains("certificate"), "the error says why: {stderr}");
    assert_eq!(rows(&cluster.url).await, 0, "nothing loaded");

    // The authority in the secret (a path, or the PEM itself): verified, loaded, encrypted.
    let pem = std::fs::read_to_string(&cluster.ca).unwrap();
    for (n, root) in [cluster.ca.clone(), pem].into_iter().enumerate() {
        let parameter = format!("/sift-tls-{tag}/with-root-{n}");
        let mut with_root = secret("127.0.0.1");
        with_root["sslrootcert"] = json!(root);
        put_secret(&parameter, &with_root).await;
        let (output, summary) = run(&parameter, &dir.path().join(format!("b{n}")), &[]);
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        assert!(summary.unwrap()["valid"].as_u64().unwrap() > 0);
    }
    let loaded = rows(&cluster.url).await;
    assert!(loaded > 0);

    // The authority as the shell's bundle (the Lambda's SIFT_DB_CA_BUNDLE): the same.
    let (output, _) = run(&parameter, &dir.path().join("c"), &[("SIFT_DB_CA_BUNDLE", &cluster.ca)]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));

    // A certificate for another name than the host: refused, whoever signed it.
    let parameter = format!("/sift-tls-{tag}/other-name");
    let mut other = secret("localhost");
    other["sslrootcert"] = json!(cluster.ca);
    put_secret(&parameter, &other).await;
    let (output, _) = run(&parameter, &dir.path().join("d"), &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not valid for name"), "refused for the name, not for a connection: {stderr}");

    // Plain text only when the secret says so.
    let parameter = format!("/sift-tls-{tag}/plain");
    let mut plain = secret("127.0.0.1");
    plain["sslmode"] = json!("disable");
    put_secret(&parameter, &plain).await;
    let (output, summary) = run(&parameter, &dir.path().join("e"), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(summary.unwrap()["already_loaded"], true, "the same file, through another connection");
    assert_eq!(rows(&cluster.url).await, loaded);
}

#[test]
fn a_warehouse_url_without_sslmode_says_what_the_connection_does() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: the note comes before the connection fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let output = sift_tests::sift()
        .args(["run", example_path().to_str().unwrap(), "--out", dir.path().to_str().unwrap()])
        .args(["--db-connect-attempts", "1", "--warehouse"])
        .arg(format!("postgres://u@127.0.0.1:{port}/x?password={PASSWORD}"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no sslmode: connecting with sslmode=prefer"), "{stderr}");
    assert!(
        !stderr.contains(PASSWORD) && !String::from_utf8_lossy(&output.stdout).contains(PASSWORD),
        "{stderr}"
    );
}
