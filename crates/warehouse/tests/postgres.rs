//! PgWarehouse against a real PostgreSQL server; each test gets its own fresh, migrated
//! database from `#[sqlx::test]` (DATABASE_URL must point at a server where the user may create
//! databases: `scripts/test` starts a throwaway one).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::{Customers, batch, customers, seal, sealed_customers};
use futures::StreamExt;
use sift_warehouse::{
    AbortReason, Error, LoadEvent, LoadMode, LoadOutcome, LoadStream, PgWarehouse, Retry, Warehouse,
};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};

#[test]
fn a_postgresql_server_is_configured() {
    assert!(
        std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")),
        "DATABASE_URL must name a PostgreSQL server where the user may create databases; \
         run `scripts/test`, which starts a throwaway one from the installed server binaries"
    );
}

/// Batches with row numbers continuing across them, as the validator makes them.
fn in_file_order(mut batches: Vec<Customers>) -> Vec<Customers> {
    let mut next = 1;
    for b in &mut batches {
        for n in &mut b.row_number {
            *n = next;
            next += 1;
        }
    }
    batches
}

/// The warehouse of a database sqlx migrated, with the tests' customer table created as a
/// contract's table is (`prepare`).
async fn warehouse(connect: PgConnectOptions) -> PgWarehouse {
    let w = PgWarehouse::connect_with(connect, Retry::default()).await.unwrap();
    w.prepare(&customers(), true).await.unwrap();
    w
}

/// Loads a file as the pipeline does: alongside other loads first, and alone after a key
/// conflict with one of them (with a fresh stream of the same rows: the file read again).
/// Returns the outcome and whether it had to run again.
async fn load_as_the_pipeline_does(
    w: &PgWarehouse,
    uri: &str,
    file: impl Fn() -> LoadStream,
) -> (LoadOutcome, bool) {
    let table = customers();
    match w.load(&table, uri, LoadMode::Concurrent, file()).await {
        Ok(outcome) => (outcome, false),
        Err(Error::KeyConflict { .. }) => {
            (w.load(&table, uri, LoadMode::Exclusive, file()).await.unwrap(), true)
        }
        Err(e) => panic!("{uri}: {e}"),
    }
}

/// A stream of `batches` that waits for `release` before its seal: a load kept open.
fn held_open(
    batches: Vec<Customers>,
    checksum: &str,
    release: tokio::sync::oneshot::Receiver<()>,
) -> LoadStream {
    let mut release = Some(release);
    Box::pin(sealed_customers(batches, seal(checksum)).then(move |event| {
        let wait = if matches!(event, Ok(LoadEvent::Seal(_))) { release.take() } else { None };
        async move {
            if let Some(wait) = wait {
                let _ = wait.await;
            }
            event
        }
    }))
}

/// Starts a load of `customers()` on its own task.
fn spawn_load(
    w: &PgWarehouse,
    uri: &'static str,
    mode: LoadMode,
    events: LoadStream,
) -> tokio::task::JoinHandle<Result<LoadOutcome, Error>> {
    let w = w.clone();
    tokio::spawn(async move { w.load(&customers(), uri, mode, events).await })
}

async fn names(pool: &PgPool) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT customer_id, full_name FROM dim_customer ORDER BY customer_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn loads_once_and_a_rerun_inserts_nothing_new(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect).await;
    let rows = || in_file_order(vec![batch(&[(1, "Ann Lee"), (2, "Bo Li")]), batch(&[(3, "Cy Ma")])]);
    let first = w
        .load(
            &customers(),
            "s3://b/customers.csv",
            LoadMode::Concurrent,
            sealed_customers(rows(), seal("c1")),
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        LoadOutcome { inserted: 3, already_present: 0, already_loaded: false, ..LoadOutcome::default() }
    );

    // The same content again: recognised by the ledger, nothing loaded.
    let again = w
        .load(
            &customers(),
            "s3://b/customers.csv",
            LoadMode::Concurrent,
            sealed_customers(rows(), seal("c1")),
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        LoadOutcome { inserted: 0, already_present: 3, already_loaded: true, ..LoadOutcome::default() }
    );

    // Other content with the same ids: loads nothing new, counts them as already present.
    let other = w
        .load(
            &customers(),
            "s3://b/customers.csv",
            LoadMode::Concurrent,
            sealed_customers(rows(), seal("c2")),
        )
        .await
        .unwrap();
    assert_eq!(
        other,
        LoadOutcome { inserted: 0, already_present: 3, already_loaded: false, ..LoadOutcome::default() }
    );
    assert_eq!(names(w.pool()).await.len(), 3);

    let ledger: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT checksum, inserted, already_present FROM sift_load_ledger ORDER BY loaded_at, checksum",
    )
    .fetch_all(w.pool())
    .await
    .unwrap();
    assert_eq!(ledger, [("c1".to_owned(), 3, 0), ("c2".to_owned(), 0, 3)]);
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn the_first_occurrence_in_file_order_wins(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect).await;
    let file = in_file_order(vec![
        batch(&[(9, "Nine First"), (5, "Five First"), (9, "Nine Second")]),
        batch(&[(5, "Five Second"), (1, "One")]),
    ]);
    let outcome = w
        .load(&customers(), "in.csv", LoadMode::Concurrent, sealed_customers(file, seal("x")))
        .await
        .unwrap();
    assert_eq!((outcome.inserted, outcome.already_present), (3, 2));
    assert_eq!(
        names(w.pool()).await,
        [(1, "One".to_owned()), (5, "Five First".to_owned()), (9, "Nine First".to_owned())]
    );
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn values_full_of_sql_metacharacters_are_stored_literally(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect).await;
    let nasty = [
        "Robert'); DROP TABLE dim_customer;--",
        "\\N",
        "tab\there, \"quotes\", back\\slash",
        "line\nbreak\r\n",
        "ünïcödé 名前 🎉",
        "$1 %s {} ${x}",
    ];
    let rows: Vec<(i64, &str)> = nasty.iter().enumerate().map(|(i, s)| (i as i64 + 1, *s)).collect();
    let mut b = batch(&rows);
    b.country[0] = Some("'; --".into());
    w.load(&customers(), "in.csv", LoadMode::Concurrent, sealed_customers(vec![b], seal("x"))).await.unwrap();
    let stored: Vec<String> = names(w.pool()).await.into_iter().map(|(_, n)| n).collect();
    assert_eq!(stored, nasty);
    let country: Option<String> =
        sqlx::query_scalar("SELECT country FROM dim_customer WHERE customer_id = 1")
            .fetch_one(w.pool())
            .await
            .unwrap();
    assert_eq!(country.as_deref(), Some("'; --"));
    let row = sqlx::query("SELECT age, date_of_birth, source_uri FROM dim_customer WHERE customer_id = 2")
        .fetch_one(w.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<i16, _>(0), 36);
    assert_eq!(row.get::<NaiveDate, _>(1), NaiveDate::from_ymd_opt(1990, 5, 17).unwrap());
    assert_eq!(row.get::<String, _>(2), "in.csv");
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn a_server_error_midway_leaves_nothing_of_the_file(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect).await;
    // A constraint the table's owner added: the server refuses the second batch.
    sqlx::query("ALTER TABLE dim_customer ADD CONSTRAINT age_range CHECK (age BETWEEN 1 AND 120)")
        .execute(w.pool())
        .await
        .unwrap();
    let mut bad = batch(&[(3, "Cy Ma"), (4, "Di Ng")]);
    bad.age[1] = 500; // violates the CHECK constraint
    let file = in_file_order(vec![batch(&[(1, "Ann Lee"), (2, "Bo Li")]), bad]);
    let err = w
        .load(&customers(), "in.csv", LoadMode::Concurrent, sealed_customers(file, seal("x")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Load { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("rolled back") && text.contains("nothing of it is loaded"), "{text}");
    assert!(!err.is_retryable(), "a constraint violation comes back on every retry");
    assert!(names(w.pool()).await.is_empty());
    let ledger: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sift_load_ledger").fetch_one(w.pool()).await.unwrap();
    assert_eq!(ledger, 0);
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn a_connection_killed_midway_leaves_nothing_of_the_file(_: PgPoolOptions, connect: PgConnectOptions) {
    let pool = PgPoolOptions::new().connect_with(connect.clone().application_name("killer")).await.unwrap();
    let w = warehouse(connect).await;
    let killer = pool.clone();
    // Row batches, then, before the third, the server kills the loading connection.
    let events = futures::stream::iter(0..4).then(move |i| {
        let killer = killer.clone();
        async move {
            if i == 2 {
                let killed: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = 'sift' AND datname = current_database() \
                     AND pid <> pg_backend_pid() AND state <> 'idle'",
                )
                .fetch_all(&killer)
                .await
                .unwrap();
                assert_eq!(killed, [true], "exactly the loading connection is killed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let b = batch(&[(i * 10 + 1, "Ann Lee"), (i * 10 + 2, "Bo Li")]);
            if i == 3 {
                Ok::<_, AbortReason>(LoadEvent::Seal(seal("x")))
            } else {
                Ok(LoadEvent::Rows(b.into()))
            }
        }
    });
    let err = w.load(&customers(), "in.csv", LoadMode::Concurrent, Box::pin(events)).await.unwrap_err();
    assert!(matches!(err, Error::Load { .. }), "{err}");
    assert!(err.is_retryable(), "a lost connection may work on retry: {err}");
    assert!(names(&pool).await.is_empty());
    // The warehouse recovers: a re-run loads the file completely.
    let rerun = w
        .load(
            &customers(),
            "in.csv",
            LoadMode::Concurrent,
            sealed_customers(vec![batch(&[(1, "Ann Lee")])], seal("x")),
        )
        .await
        .unwrap();
    assert_eq!(rerun.inserted, 1);
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn an_abandoned_or_unsealed_load_is_rolled_back(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect).await;
    let rejected: Vec<Result<LoadEvent, AbortReason>> = vec![
        Ok(LoadEvent::Rows(batch(&[(1, "Ann")]).into())),
        Err("file rejected: line 7 has 7 fields".into()),
    ];
    let err = w
        .load(&customers(), "a.csv", LoadMode::Concurrent, Box::pin(futures::stream::iter(rejected)))
        .await
        .unwrap_err();
    assert!(matches!(&err, Error::Aborted { reason, .. } if reason.contains("line 7")), "{err}");
    let unsealed: Vec<Result<LoadEvent, AbortReason>> = vec![Ok(LoadEvent::Rows(batch(&[(2, "Bo")]).into()))];
    let err = w
        .load(&customers(), "b.csv", LoadMode::Concurrent, Box::pin(futures::stream::iter(unsealed)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("before sealing"), "{err}");
    assert!(names(w.pool()).await.is_empty());
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn overlapping_files_loaded_at_the_same_time_keep_each_id_once(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let w = warehouse(connect).await;
    // File A: ids 1..=20000 ascending in 4 batches; file B: ids 30000 down to 10001 in 4 batches.
    let a: Vec<Customers> = (0..4)
        .map(|k| batch(&(k * 5000 + 1..=(k + 1) * 5000).map(|i| (i, "A")).collect::<Vec<_>>()))
        .collect();
    let b: Vec<Customers> =
        (0..4).map(|k| batch(&(0..5000).map(|j| (30000 - k * 5000 - j, "B")).collect::<Vec<_>>())).collect();
    for round in 0..3 {
        sqlx::query("TRUNCATE dim_customer, sift_load_ledger").execute(w.pool()).await.unwrap();
        let ((ra, _), (rb, _)) = tokio::join!(
            load_as_the_pipeline_does(&w, "a.csv", || sealed_customers(in_file_order(a.clone()), seal("a"))),
            load_as_the_pipeline_does(&w, "b.csv", || sealed_customers(in_file_order(b.clone()), seal("b")))
        );
        assert_eq!(ra.inserted + rb.inserted, 30000, "round {round}");
        assert_eq!(ra.already_present + rb.already_present, 10000, "round {round}");
        let (count, distinct): (i64, i64) =
            sqlx::query_as("SELECT count(*), count(DISTINCT customer_id) FROM dim_customer")
                .fetch_one(w.pool())
                .await
                .unwrap();
        assert_eq!((count, distinct), (30000, 30000));
    }
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn loads_run_side_by_side_and_a_collision_waits_then_leaves_the_key_to_the_first(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let w = warehouse(connect).await;
    let table = customers();
    // Load A sends its rows and stays open (not sealed, not committed).
    let (release, held) = tokio::sync::oneshot::channel();
    let a = spawn_load(
        &w,
        "a.csv",
        LoadMode::Concurrent,
        held_open(vec![batch(&[(1, "A1"), (2, "A2")])], "a", held),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    // B, with other keys, loads and commits while A is still open: it waits for A's claims
    // at most the grace past its own seal (A is still reading), then writes beside A.
    let b = tokio::time::timeout(
        Duration::from_secs(5),
        w.load(&table, "b.csv", LoadMode::Concurrent, sealed_customers(vec![batch(&[(3, "B3")])], seal("b"))),
    )
    .await
    .expect("a load with other keys does not wait for an open one")
    .unwrap();
    assert_eq!(b.inserted, 1);
    // C shares key 2 with A: its batch waits for A; once A commits, the batch is rolled back
    // to its savepoint, probed again, and only key 4 is sent. C goes on, nothing read twice.
    let c = spawn_load(
        &w,
        "c.csv",
        LoadMode::Concurrent,
        sealed_customers(vec![batch(&[(2, "C2"), (4, "C4")])], seal("c")),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!c.is_finished(), "C waits for A's uncommitted key");
    release.send(()).unwrap();
    assert_eq!(a.await.unwrap().unwrap().inserted, 2);
    let c = c.await.unwrap().unwrap();
    assert_eq!((c.inserted, c.already_present), (1, 1), "key 2 is A's, key 4 is C's");
    assert_eq!(
        names(w.pool()).await,
        [(1, "A1".into()), (2, "A2".into()), (3, "B3".into()), (4, "C4".into())]
    );
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn an_older_load_wins_the_keys_a_younger_one_shares_and_never_waits_for_it(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let w = warehouse(connect).await;
    // O starts first and sends key 1, then pauses mid-file; its key 2 comes later.
    let (resume, paused) = tokio::sync::oneshot::channel::<()>();
    let mut paused = Some(paused);
    let events = sealed_customers(vec![batch(&[(1, "O1")]), batch(&[(2, "O2")])], seal("o"));
    let mut index = 0;
    let o_events: LoadStream = Box::pin(events.then(move |event| {
        index += 1;
        let wait = if index == 2 { paused.take() } else { None };
        async move {
            if let Some(wait) = wait {
                let _ = wait.await;
            }
            event
        }
    }));
    let o = spawn_load(&w, "o.csv", LoadMode::Concurrent, o_events);
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Y starts while O is reading, with key 2 too: it holds its rows until O has published
    // its keys (it would otherwise write key 2 first and make O wait for it).
    let y = spawn_load(
        &w,
        "y.csv",
        LoadMode::Concurrent,
        sealed_customers(vec![batch(&[(2, "Y2"), (3, "Y3")])], seal("y")),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!y.is_finished(), "Y waits for the older load's claims");
    resume.send(()).unwrap();
    let o =
        tokio::time::timeout(Duration::from_secs(5), o).await.expect("O never waits for Y").unwrap().unwrap();
    assert_eq!((o.inserted, o.already_present), (2, 0), "the older load wins key 2");
    let y = y.await.unwrap().unwrap();
    assert_eq!((y.inserted, y.already_present), (1, 1), "Y left key 2 to O");
    assert_eq!(names(w.pool()).await, [(1, "O1".into()), (2, "O2".into()), (3, "Y3".into())]);
    // Both loads have ended: their claims no longer count.
    let running: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sift_load_claims WHERE pg_xact_status(xid::text::xid8) = 'in progress'",
    )
    .fetch_one(w.pool())
    .await
    .unwrap();
    assert_eq!(running, 0);
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn an_exclusive_load_waits_for_running_loads_and_holds_new_ones(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let w = warehouse(connect).await;
    let (release, held) = tokio::sync::oneshot::channel();
    let a = spawn_load(&w, "a.csv", LoadMode::Concurrent, held_open(vec![batch(&[(1, "A")])], "a", held));
    tokio::time::sleep(Duration::from_millis(300)).await;
    let x = spawn_load(
        &w,
        "x.csv",
        LoadMode::Exclusive,
        sealed_customers(vec![batch(&[(1, "X"), (9, "X")])], seal("x")),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!x.is_finished(), "the exclusive load waits for the running one");
    release.send(()).unwrap();
    assert_eq!(a.await.unwrap().unwrap().inserted, 1);
    let x = x.await.unwrap().unwrap();
    assert_eq!((x.inserted, x.already_present), (1, 1), "alone, it sees A's committed key");
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn the_same_file_delivered_twice_at_once_loads_once(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect).await;
    let rows: Vec<(i64, &str)> = (1..=5000).map(|i| (i, "Same")).collect();
    let file = || sealed_customers(vec![batch(&rows)], seal("same"));
    let ((r1, _), (r2, _)) = tokio::join!(
        load_as_the_pipeline_does(&w, "s3://b/x.csv", file),
        load_as_the_pipeline_does(&w, "s3://b/x.csv", file)
    );
    assert_eq!(r1.inserted + r2.inserted, 5000);
    assert!(r1.already_loaded != r2.already_loaded, "exactly one is recognised as a re-delivery");
}

#[sqlx::test(migrations = false)]
async fn migrations_are_safe_under_concurrency_and_required(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect.clone()).await;
    let err = w
        .load(
            &customers(),
            "x.csv",
            LoadMode::Concurrent,
            sealed_customers(vec![batch(&[(1, "A")])], seal("x")),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotMigrated), "{err}");
    assert!(err.to_string().contains("sift migrate"));
    let (w1, w2, w3) = (warehouse(connect.clone()).await, warehouse(connect.clone()).await, w);
    let (a, b, c) = tokio::join!(w1.migrate(), w2.migrate(), w3.migrate());
    a.unwrap();
    b.unwrap();
    c.unwrap();
    let outcome = w3
        .load(
            &customers(),
            "x.csv",
            LoadMode::Concurrent,
            sealed_customers(vec![batch(&[(1, "A")])], seal("x")),
        )
        .await
        .unwrap();
    assert_eq!(outcome.inserted, 1);
}

#[tokio::test]
async fn connecting_retries_with_backoff_then_gives_up_clearly() {
    // A loopback port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://sift:secret-pw@127.0.0.1:{port}/dw?sslmode=disable");
    let retry =
        Retry { attempts: 3, first_delay: Duration::from_millis(100), max_delay: Duration::from_secs(1) };
    let started = Instant::now();
    let err = PgWarehouse::connect(&url, retry).await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300), "waited 100 ms then 200 ms");
    let text = err.to_string();
    assert!(text.contains("after 3 attempts") && text.contains(&port.to_string()), "{text}");
    assert!(!text.contains("secret-pw"), "no password in errors: {text}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_malformed_url_is_refused_without_echoing_the_password() {
    let err =
        PgWarehouse::connect("postgres://u:hunter2@host:notaport/db", Retry::default()).await.unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
    // A password as a query parameter, in a URL that does not parse.
    let err =
        PgWarehouse::connect("postgres://u@host/db?password=hunter2&sslmode=sometimes", Retry::default())
            .await
            .unwrap_err();
    assert!(!err.to_string().contains("hunter2") && err.to_string().contains("password=***"), "{err}");
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn a_large_file_loads_in_one_transaction(_: PgPoolOptions, connect: PgConnectOptions) {
    let w = warehouse(connect).await;
    let batches: Vec<Customers> = (0..10)
        .map(|k| batch(&(k * 10_000 + 1..=(k + 1) * 10_000).map(|i| (i, "Bulk Row")).collect::<Vec<_>>()))
        .collect();
    let outcome: LoadStream = sealed_customers(in_file_order(batches), seal("big"));
    let outcome = w.load(&customers(), "big.csv", LoadMode::Concurrent, outcome).await.unwrap();
    assert_eq!(outcome.inserted, 100_000);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM dim_customer").fetch_one(w.pool()).await.unwrap();
    assert_eq!(n, 100_000);
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn tls_is_used_when_required_and_verified_when_asked(_: PgPoolOptions, connect: PgConnectOptions) {
    use sqlx::postgres::PgSslMode;
    let plain = warehouse(connect.clone().ssl_mode(PgSslMode::Disable)).await;
    let ssl_on: String = sqlx::query_scalar("SHOW ssl").fetch_one(plain.pool()).await.unwrap();
    assert_eq!(ssl_on, "on", "the test server must serve TLS (scripts/pg-throwaway enables it with openssl)");

    // require: encrypted, certificate not verified (libpq's meaning).
    let tls = warehouse(connect.clone().ssl_mode(PgSslMode::Require)).await;
    let encrypted: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(tls.pool())
        .await
        .unwrap();
    assert!(encrypted, "sslmode=require gives an encrypted connection");
    tls.load(
        &customers(),
        "tls.csv",
        LoadMode::Concurrent,
        sealed_customers(vec![batch(&[(1, "Ann Lee")])], seal("t")),
    )
    .await
    .unwrap();

    // verify-full: a self-signed certificate is refused, with the reason.
    let retry = Retry { attempts: 1, ..Retry::default() };
    let err = PgWarehouse::connect_with(connect.ssl_mode(PgSslMode::VerifyFull), retry).await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }), "{err}");
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn ids_already_in_the_table_are_found_inside_and_outside_its_range(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let w = warehouse(connect).await;
    let existing: Vec<(i64, &str)> = (100..=200).step_by(10).map(|i| (i, "Old")).collect();
    w.load(
        &customers(),
        "old.csv",
        LoadMode::Concurrent,
        sealed_customers(vec![batch(&existing)], seal("old")),
    )
    .await
    .unwrap();
    // Below, inside (present and absent) and above the existing range, plus an in-file repeat.
    let file = in_file_order(vec![
        batch(&[(5, "New"), (150, "New"), (155, "New")]),
        batch(&[(i64::MAX, "New"), (150, "New"), (200, "New"), (1, "New")]),
    ]);
    let outcome = w
        .load(&customers(), "new.csv", LoadMode::Concurrent, sealed_customers(file, seal("new")))
        .await
        .unwrap();
    assert_eq!((outcome.inserted, outcome.already_present), (4, 3));
    let new: Vec<i64> =
        sqlx::query_scalar("SELECT customer_id FROM dim_customer WHERE full_name = 'New' ORDER BY 1")
            .fetch_all(w.pool())
            .await
            .unwrap();
    assert_eq!(new, [1, 5, 155, i64::MAX]);
}

#[sqlx::test(migrations = "../../migrations/postgres")]
async fn the_history_keeps_each_file_once_and_reads_back_the_newest(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    common::the_history_round_trips(&warehouse(connect).await).await;
}
