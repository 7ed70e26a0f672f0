//! A warehouse migrated by an earlier release keeps working: that release applied migration 1
//! (`dim_customer`, retired since contracts create their own tables) besides sift's own ones.
//! Each test builds that database exactly as sqlx leaves it (every migration applied and
//! recorded with its SHA-384 checksum, version 1 from `tests/data/retired/`), then runs the
//! real `sift` binary on it: the migrations are accepted, the table created by version 1 is
//! checked against the contract and loaded, and a second run recognises the file.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha384};
use sift_tests::{example_path, repo};
use sqlx::{Connection, Executor};

/// The migrations an earlier release applied, in order: `(version, description, sql)`.
fn earlier_release(backend: &str) -> Vec<(i64, String, String)> {
    let retired = repo().join(format!("tests/data/retired/{backend}_0001_dim_customer.sql"));
    let mut migrations = vec![(1, "dim customer".to_owned(), std::fs::read_to_string(retired).unwrap())];
    let dir = repo().join("migrations").join(backend);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        let name = file.file_stem().unwrap().to_str().unwrap().to_owned();
        let (version, description) = name.split_once('_').unwrap();
        migrations.push((
            version.parse().unwrap(),
            description.replace('_', " "),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    assert_eq!(migrations.iter().map(|m| m.0).collect::<Vec<_>>()[..2], [1, 2]);
    migrations
}

fn run(out: &Path, warehouse: &str) -> (i32, Value) {
    sift_tests::sift_run_json(&example_path(), out, &[], &[("DATABASE_URL", warehouse)])
}

/// Two runs of the sample on a warehouse an earlier release migrated.
fn assert_runs_on_it(warehouse: &str) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, first) = run(&out, warehouse);
    assert_eq!(code, 0, "{first}");
    let valid = first["valid"].as_u64().unwrap();
    assert!(valid > 0 && first["inserted"].as_u64().unwrap() > 0, "{first}");
    let (code, second) = run(&out, warehouse);
    assert_eq!(
        (code, &second["inserted"], &second["already_loaded"]),
        (0, &Value::from(0), &Value::from(true))
    );
    first["inserted"].as_u64().unwrap()
}

#[tokio::test]
async fn a_postgres_warehouse_migrated_by_an_earlier_release_keeps_working() {
    let url = sift_tests::pg::fresh_database("sift_upgrade").await;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    db.execute(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, \
         checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL)",
    )
    .await
    .unwrap();
    for (version, description, sql) in earlier_release("postgres") {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut db).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, true, $3, 0)")
            .bind(version)
            .bind(description)
            .bind(Sha384::digest(sql.as_bytes()).to_vec())
            .execute(&mut db)
            .await
            .unwrap();
    }
    let inserted = assert_runs_on_it(&url);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM dim_customer").fetch_one(&mut db).await.unwrap();
    assert_eq!(rows as u64, inserted, "the rows are in the table version 1 created");
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert_eq!(versions.first(), Some(&1), "the retired version stays recorded");
}

#[tokio::test]
async fn a_sqlite_warehouse_migrated_by_an_earlier_release_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/warehouse.db", dir.path().display());
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
    let mut db = sqlx::SqliteConnection::connect_with(&options.create_if_missing(true)).await.unwrap();
    db.execute(
        "CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, \
         checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
    )
    .await
    .unwrap();
    for (version, description, sql) in earlier_release("sqlite") {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut db).await.unwrap();
        sqlx::query("INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES (?, ?, 1, ?, 0)")
            .bind(version)
            .bind(description)
            .bind(Sha384::digest(sql.as_bytes()).to_vec())
            .execute(&mut db)
            .await
            .unwrap();
    }
    db.close().await.unwrap();
    let inserted = assert_runs_on_it(&url);
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM dim_customer").fetch_one(&mut db).await.unwrap();
    assert_eq!(rows as u64, inserted, "the rows are in the table version 1 created");
}
