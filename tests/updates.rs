//! `on_conflict = "update"` end to end with the real `sift` binary, into SQLite and PostgreSQL:
//! a known customer's changed email replaces the loaded one, with exact counts; a re-delivered
//! file changes nothing; a key repeated within a file keeps its first row; two files changing
//! one key at once end with the younger file's value.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sift_tests::pg::fresh_database;
use sift_tests::repo;
use sqlx::Connection;

const HEADER: &str = "customer_id,full_name,email,age,date_of_birth,phone_number";

fn contract() -> PathBuf {
    repo().join("contracts/customer_update.toml")
}

/// The same contract with `on_conflict = "history"`, written into `dir`.
fn history_contract(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(contract()).unwrap();
    let path = dir.join("customer_history.toml");
    std::fs::write(&path, text.replace("on_conflict = \"update\"", "on_conflict = \"history\"")).unwrap();
    path
}

fn write(dir: &Path, name: &str, rows: &[String]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    path
}

/// A valid customer row: 36 years old at the as-of date.
fn customer(id: u64, name: &str, email: &str) -> String {
    format!("{id},{name},{email},36,1990-05-17,{:010}", id)
}

/// `sift run INPUT --contract customer_update.toml --json` into `warehouse` (SQLite in `out`
/// when `None`).
fn run(input: &Path, out: &Path, warehouse: Option<&str>) -> Value {
    run_with(&contract(), input, out, warehouse)
}

fn run_with(contract: &Path, input: &Path, out: &Path, warehouse: Option<&str>) -> Value {
    let mut extra = vec!["--contract", contract.to_str().unwrap()];
    extra.extend(warehouse.map(|url| ["--warehouse", url]).into_iter().flatten());
    let (code, json) = sift_tests::sift_run_json(input, out, &extra, &[]);
    assert_eq!(code, 0, "{json}");
    json
}

fn counts(json: &Value) -> [u64; 5] {
    ["inserted", "updated", "unchanged", "already_present", "valid"].map(|k| json[k].as_u64().unwrap())
}

/// The rows `query` reads from `warehouse` (SQLite or PostgreSQL).
async fn fetch<T>(warehouse: &str, query: &'static str) -> Vec<T>
where
    T: Send + Unpin,
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    if warehouse.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(warehouse).await.unwrap();
        sqlx::query_as(query).fetch_all(&mut db).await.unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(warehouse).await.unwrap();
        sqlx::query_as(query).fetch_all(&mut db).await.unwrap()
    }
}

/// The table's (customer_id, full_name, email), by id.
async fn rows(warehouse: &str) -> Vec<(i64, String, String)> {
    fetch(warehouse, "SELECT customer_id, full_name, email FROM dim_customer ORDER BY customer_id").await
}

/// The same story on one warehouse: a first load, a changed email, a re-delivery.
async fn a_changed_email_updates(dir: &Path, warehouse: Option<&str>) {
    let out = dir.join("out");
    let url = warehouse.map_or_else(|| format!("sqlite://{}/warehouse.db", out.display()), str::to_owned);
    let monday = write(
        dir,
        "monday.csv",
        &[
            customer(1, "Ann Lee", "ann@example.com"),
            customer(2, "Bob Ray", "bob@example.com"),
            customer(3, "Cid Moe", "cid@example.com"),
        ],
    );
    let first = run(&monday, &out, warehouse);
    assert_eq!(counts(&first), [3, 0, 0, 0, 3], "{first}");
    // Tuesday: Ann's email changed, Bob is the same, Dee is new, and key 4 comes twice (the
    // first row wins, as it does skipping).
    let tuesday = write(
        dir,
        "tuesday.csv",
        &[
            customer(1, "Ann Lee", "ann.lee@newmail.com"),
            customer(2, "Bob Ray", "bob@example.com"),
            customer(4, "Dee Fox", "dee@example.com"),
            customer(4, "Eve Gus", "eve@example.com"),
        ],
    );
    let second = run(&tuesday, &out, warehouse);
    assert_eq!(counts(&second), [1, 1, 1, 1, 4], "{second}");
    let expected = vec![
        (1, "Ann Lee".to_owned(), "ann.lee@newmail.com".to_owned()),
        (2, "Bob Ray".to_owned(), "bob@example.com".to_owned()),
        (3, "Cid Moe".to_owned(), "cid@example.com".to_owned()),
        (4, "Dee Fox".to_owned(), "dee@example.com".to_owned()),
    ];
    assert_eq!(rows(&url).await, expected);
    // Delivered again: the ledger has it, nothing changes.
    let again = run(&tuesday, &out, warehouse);
    assert_eq!(again["already_loaded"], true, "{again}");
    assert_eq!((again["inserted"].as_u64(), again["updated"].as_u64()), (Some(0), Some(0)));
    assert_eq!(rows(&url).await, expected);
    // A null is a value like any other: Bob's country from none to US is a change, Ann's none
    // to none is not.
    let wednesday = dir.join("wednesday.csv");
    std::fs::write(
        &wednesday,
        format!(
            "{HEADER},country\n{},\n{},US\n",
            customer(1, "Ann Lee", "ann.lee@newmail.com"),
            customer(2, "Bob Ray", "bob@example.com")
        ),
    )
    .unwrap();
    let third = run(&wednesday, &out, warehouse);
    assert_eq!(counts(&third), [0, 1, 1, 0, 2], "{third}");
    // The report says it too.
    let reports = sift_tests::outbox_reports(&out);
    let (_, text) = &reports[1];
    assert!(text.contains("Updated:         1") && text.contains("Unchanged:       1"), "{text}");
}

#[tokio::test]
async fn a_changed_email_updates_the_row_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_changed_email_updates(dir.path(), None).await;
}

#[tokio::test]
async fn a_changed_email_updates_the_row_in_postgres() {
    let url = fresh_database("sift_updates").await;
    let dir = tempfile::tempdir().unwrap();
    a_changed_email_updates(dir.path(), Some(&url)).await;
}

#[tokio::test]
async fn two_files_changing_one_key_at_once_end_with_the_younger_files_value() {
    let dir = tempfile::tempdir().unwrap();
    race(dir.path(), &contract(), "sift_updates_race").await;
}

#[tokio::test]
async fn two_files_versioning_one_key_at_once_end_with_the_younger_files_version_current() {
    let dir = tempfile::tempdir().unwrap();
    let url = race(dir.path(), &history_contract(dir.path()), "sift_history_race").await;
    // Three versions of key 3, in load order: the base, the older file's, the younger's.
    let ids: Vec<(String, bool)> = versions(&url)
        .await
        .into_iter()
        .filter(|v| v.0 == 3)
        .map(|(_, email, current, _)| (email, current))
        .collect();
    assert_eq!(
        ids,
        [
            ("cid@example.com".into(), false),
            ("cid@older.com".into(), false),
            ("cid@younger.com".into(), true)
        ]
    );
}

/// An older, large file and a younger one both change key 3 under `contract`, the younger
/// starting while the older loads: the younger's value ends current. Returns the database.
async fn race(dir: &Path, contract: &Path, database: &str) -> String {
    let url = fresh_database(database).await;
    let out = dir.join("out");
    run_with(
        contract,
        &write(dir, "base.csv", &[customer(3, "Cid Moe", "cid@example.com")]),
        &out,
        Some(&url),
    );
    // The older file is large, so the younger one starts while it loads.
    let mut older: Vec<String> = (1_000..121_000)
        .map(|id| {
            let name: String = [id / 17_576 % 26, id / 676 % 26, id / 26 % 26, id % 26]
                .iter()
                .map(|&d| char::from(b'a' + d as u8))
                .collect();
            customer(id, &format!("Ann {name}"), "ann@example.com")
        })
        .collect();
    older.push(customer(3, "Cid Moe", "cid@older.com"));
    let older = write(dir, "older.csv", &older);
    let younger = write(dir, "younger.csv", &[customer(3, "Cid Moe", "cid@younger.com")]);
    let spawn = |input: &Path, out: &Path| {
        let mut command = std::process::Command::new(sift_tests::sift_path());
        command.env_remove("SIFT_AUTO_MIGRATE").env_remove("DATABASE_URL");
        command.arg("run").arg(input).arg("--contract").arg(contract).arg("--out").arg(out);
        command.args(["--as-of", "2026-11-26", "--json", "--warehouse", &url]);
        command.stdout(std::process::Stdio::piped()).spawn().unwrap()
    };
    let first = spawn(&older, &dir.join("out-older"));
    // The younger file starts once the older one holds the table's load lock.
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let started = std::time::Instant::now();
    loop {
        let held: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
             WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'sift'",
        )
        .fetch_one(&mut db)
        .await
        .unwrap();
        if held > 0 {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "the older load never started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let second = spawn(&younger, &dir.join("out-younger"));
    let summary = |child: std::process::Child| -> Value {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let (older, younger) = (summary(first), summary(second));
    assert_eq!(counts(&older), [120_000, 1, 0, 0, 120_001], "{older}");
    assert_eq!(counts(&younger), [0, 1, 0, 0, 1], "{younger}");
    let history = contract.to_string_lossy().contains("history");
    let current = if history { " AND is_current" } else { "" };
    let query = format!("SELECT email FROM dim_customer WHERE customer_id = 3{current}");
    let email: String = sqlx::query_scalar(sqlx::AssertSqlSafe(query)).fetch_one(&mut db).await.unwrap();
    assert_eq!(email, "cid@younger.com");
    url
}

/// The table's versions: (customer_id, email, is_current, whether valid_to is set), in order.
async fn versions(warehouse: &str) -> Vec<(i64, String, bool, bool)> {
    let query = "SELECT customer_id, email, is_current, valid_to IS NOT NULL FROM dim_customer \
                 ORDER BY customer_id, valid_from, is_current";
    fetch(warehouse, query).await
}

/// The history story on one warehouse: a changed email is a new version, the old one closed.
async fn a_changed_email_is_versioned(dir: &Path, warehouse: Option<&str>) {
    let out = dir.join("out");
    let url = warehouse.map_or_else(|| format!("sqlite://{}/warehouse.db", out.display()), str::to_owned);
    let contract = history_contract(dir);
    let monday = write(
        dir,
        "monday.csv",
        &[customer(1, "Ann Lee", "ann@example.com"), customer(2, "Bob Ray", "bob@example.com")],
    );
    assert_eq!(counts(&run_with(&contract, &monday, &out, warehouse)), [2, 0, 0, 0, 2]);
    let tuesday = write(
        dir,
        "tuesday.csv",
        &[
            customer(1, "Ann Lee", "ann.lee@newmail.com"),
            customer(2, "Bob Ray", "bob@example.com"),
            customer(4, "Dee Fox", "dee@example.com"),
            customer(4, "Eve Gus", "eve@example.com"),
        ],
    );
    let second = run_with(&contract, &tuesday, &out, warehouse);
    assert_eq!(counts(&second), [1, 1, 1, 1, 4], "{second}");
    let expected = vec![
        (1, "ann@example.com".to_owned(), false, true),
        (1, "ann.lee@newmail.com".to_owned(), true, false),
        (2, "bob@example.com".to_owned(), true, false),
        (4, "dee@example.com".to_owned(), true, false),
    ];
    assert_eq!(versions(&url).await, expected);
    // Delivered again: nothing changes. A third change closes the second version.
    assert_eq!(run_with(&contract, &tuesday, &out, warehouse)["already_loaded"], true);
    assert_eq!(versions(&url).await, expected);
    let wednesday = write(dir, "wednesday.csv", &[customer(1, "Ann Lee", "ann@third.org")]);
    assert_eq!(counts(&run_with(&contract, &wednesday, &out, warehouse)), [0, 1, 0, 0, 1]);
    let ann: Vec<(i64, String, bool, bool)> = versions(&url).await.into_iter().filter(|v| v.0 == 1).collect();
    assert_eq!(
        ann.iter().map(|v| (v.1.as_str(), v.2)).collect::<Vec<_>>(),
        [("ann@example.com", false), ("ann.lee@newmail.com", false), ("ann@third.org", true)]
    );
}

#[tokio::test]
async fn a_changed_email_is_versioned_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_changed_email_is_versioned(dir.path(), None).await;
}

#[tokio::test]
async fn a_changed_email_is_versioned_in_postgres() {
    let url = fresh_database("sift_history").await;
    let dir = tempfile::tempdir().unwrap();
    a_changed_email_is_versioned(dir.path(), Some(&url)).await;
    // The key is unique among current rows: a partial unique index.
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let index: String =
        sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE tablename = 'dim_customer'")
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert!(index.contains("UNIQUE") && index.ends_with("WHERE is_current"), "{index}");
}
