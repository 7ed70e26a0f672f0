//! SqliteWarehouse against a real SQLite file.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use common::{Customers, batch, customers, seal, sealed_customers};
use sift_warehouse::{Error, LoadEvent, LoadMode, LoadStream, SqliteWarehouse, Warehouse};

fn batches(items: Vec<Customers>) -> LoadStream {
    // A distinct checksum per call: these tests are about rows, not the ledger.
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    sealed_customers(items, seal(&format!("test-{n}")))
}

async fn warehouse(dir: &tempfile::TempDir) -> SqliteWarehouse {
    let url = format!("sqlite://{}/nested/warehouse.db", dir.path().display());
    let w = SqliteWarehouse::connect(&url).await.unwrap();
    w.migrate().await.unwrap();
    w.migrate().await.unwrap(); // idempotent
    // The tests' customer table, created as a contract's table is.
    w.prepare(&customers(), true).await.unwrap();
    w
}

async fn rows(w: &SqliteWarehouse) -> Vec<(i64, String, Option<String>, String, String)> {
    sqlx::query_as("SELECT customer_id, full_name, country, date_of_birth, source_uri FROM dim_customer ORDER BY customer_id")
        .fetch_all(w.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn loads_first_occurrence_and_counts_already_present() {
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(&dir).await;
    let first = batch(&[(1, "Ann Lee"), (2, "Bo Li"), (1, "Not Ann")]);
    let second = batch(&[(3, "Cy Ma"), (2, "Not Bo")]);
    let outcome =
        w.load(&customers(), "in/a.csv", LoadMode::Concurrent, batches(vec![first, second])).await.unwrap();
    assert_eq!((outcome.inserted, outcome.already_present), (3, 2));
    let got = rows(&w).await;
    assert_eq!(
        got.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
        [(1, "Ann Lee"), (2, "Bo Li"), (3, "Cy Ma")]
    );
    assert_eq!(got[1].2.as_deref(), Some("us"));
    assert_eq!(got[0].2, None);
    assert_eq!(got[0].3, "1990-05-17");
    assert_eq!(got[0].4, "in/a.csv");

    // Re-running the same file inserts nothing new.
    let again = w
        .load(
            &customers(),
            "in/a.csv",
            LoadMode::Concurrent,
            batches(vec![batch(&[(1, "Ann Lee"), (2, "Bo Li"), (1, "Not Ann")])]),
        )
        .await;
    assert_eq!(
        again.unwrap(),
        sift_warehouse::LoadOutcome { inserted: 0, already_present: 3, ..Default::default() }
    );
}

#[tokio::test]
async fn values_are_stored_literally() {
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(&dir).await;
    let nasty = "Robert'); DROP TABLE dim_customer;-- \"x\" \\ %_";
    w.load(&customers(), "in/b.csv", LoadMode::Concurrent, batches(vec![batch(&[(9, nasty)])]))
        .await
        .unwrap();
    assert_eq!(rows(&w).await[0].1, nasty);
}

#[tokio::test]
async fn an_aborted_stream_rolls_back_everything_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(&dir).await;
    let items: Vec<Result<LoadEvent, sift_warehouse::AbortReason>> = vec![
        Ok(LoadEvent::Rows(batch(&[(1, "Ann Lee")]).into())),
        Ok(LoadEvent::Rows(batch(&[(2, "Bo Li")]).into())),
        Err("file rejected: line 9".into()),
    ];
    let stream: LoadStream = Box::pin(futures::stream::iter(items));
    let err = w.load(&customers(), "in/c.csv", LoadMode::Concurrent, stream).await.unwrap_err();
    assert!(matches!(&err, Error::Aborted { reason, .. } if reason.contains("line 9")), "{err}");
    assert!(rows(&w).await.is_empty(), "nothing of the file is loaded");
}

#[tokio::test]
async fn a_failing_statement_rolls_back_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(&dir).await;
    // A rule the table's owner added: the database refuses the second batch.
    sqlx::query(
        "CREATE TRIGGER age_range BEFORE INSERT ON dim_customer WHEN NEW.age NOT BETWEEN 1 AND 120 \
         BEGIN SELECT RAISE(ABORT, 'age out of range'); END",
    )
    .execute(w.pool())
    .await
    .unwrap();
    let mut bad = batch(&[(1, "Ann Lee"), (2, "Bo Li")]);
    bad.age[1] = 500; // fails the trigger
    let err = w
        .load(&customers(), "in/d.csv", LoadMode::Concurrent, batches(vec![batch(&[(5, "Eve")]), bad]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Load { .. }), "{err}");
    assert!(err.to_string().contains("rolled back"), "{err}");
    assert!(rows(&w).await.is_empty());
}

#[tokio::test]
async fn an_unmigrated_database_says_how_to_fix_it() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/w.db", dir.path().display());
    let w = SqliteWarehouse::connect(&url).await.unwrap();
    let err = w
        .load(&customers(), "in/e.csv", LoadMode::Concurrent, batches(vec![batch(&[(1, "Ann")])]))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotMigrated), "{err}");
    assert!(err.to_string().contains("sift migrate"));
}

#[tokio::test]
async fn concurrent_loads_of_overlapping_files_keep_each_id_once() {
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(&dir).await;
    let a: Vec<(i64, &str)> = (1..=3000).map(|i| (i, "A")).collect();
    let b: Vec<(i64, &str)> = (2001..=5000).map(|i| (i, "B")).collect();
    let table = customers();
    let (ra, rb) = tokio::join!(
        w.load(&table, "a.csv", LoadMode::Concurrent, batches(vec![batch(&a)])),
        w.load(&table, "b.csv", LoadMode::Concurrent, batches(vec![batch(&b)]))
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.inserted + rb.inserted, 5000);
    assert_eq!(ra.already_present + rb.already_present, 1000);
    assert_eq!(rows(&w).await.len(), 5000);
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let err = SqliteWarehouse::connect("mysql://x").await.unwrap_err();
    assert!(err.to_string().contains("sqlite://PATH"), "{err}");
}

#[tokio::test]
async fn an_unsealed_stream_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(&dir).await;
    let items: Vec<Result<LoadEvent, sift_warehouse::AbortReason>> =
        vec![Ok(LoadEvent::Rows(batch(&[(1, "Ann")]).into()))];
    let err = w
        .load(&customers(), "in/u.csv", LoadMode::Concurrent, Box::pin(futures::stream::iter(items)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("before sealing"), "{err}");
    assert!(rows(&w).await.is_empty());
}

#[tokio::test]
async fn the_ledger_recognises_a_redelivered_file() {
    let dir = tempfile::tempdir().unwrap();
    let w = warehouse(&dir).await;
    // The same two rows from s3://b/in.csv, with the content checksum given.
    let table = customers();
    let load = |checksum| {
        w.load(
            &table,
            "s3://b/in.csv",
            LoadMode::Concurrent,
            sealed_customers(vec![batch(&[(1, "Ann Lee"), (2, "Bo Li")])], seal(checksum)),
        )
    };
    let first = load("abc").await.unwrap();
    assert_eq!((first.inserted, first.already_loaded), (2, false));
    // Somebody deletes a row; the re-delivered event must still not load the file twice.
    sqlx::query("DELETE FROM dim_customer WHERE customer_id = 2").execute(w.pool()).await.unwrap();
    let again = load("abc").await.unwrap();
    assert_eq!((again.inserted, again.already_present, again.already_loaded), (0, 2, true));
    assert_eq!(rows(&w).await.len(), 1);
    // New content under the same URI is a new file.
    let changed = load("def").await.unwrap();
    assert_eq!((changed.inserted, changed.already_loaded), (1, false));
}

#[tokio::test]
async fn the_history_keeps_each_file_once_and_reads_back_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    common::the_history_round_trips(&warehouse(&dir).await).await;
}
