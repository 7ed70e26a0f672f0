//! The whole pipeline (real validator, real SQLite warehouse, real local invalid-records store)
//! with the source arriving in pieces of a few bytes and chunks of one or two rows: the
//! holdout-style edge cases must give exactly what the same file gives whole.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::sync::Arc;

use bytes::Bytes;
use chrono::NaiveDate;
use sift_model::{Status, Summary};
use sift_pipeline::{Config, Job, Pipeline};
use sift_storage::{ByteStream, LocalStore, MockObjectStore};
use sift_warehouse::{SqliteWarehouse, Warehouse};

/// The customer contract, as the shells embed it.
fn customer() -> sift_validator::Contract {
    sift_validator::Contract::from_toml(include_str!("../../../contracts/customer.toml")).unwrap()
}

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// A source that hands out `bytes` in pieces of `piece` bytes.
fn source(bytes: &'static [u8], piece: usize) -> MockObjectStore {
    let mut store = MockObjectStore::new();
    store.expect_uri().returning(|k| format!("s3://in/{k}"));
    store.expect_get().returning(move |_| {
        let parts: Vec<sift_storage::Result<Bytes>> =
            bytes.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        Ok(ByteStream::new(futures::stream::iter(parts)).with_size(Some(bytes.len() as u64)))
    });
    store
}

/// Runs `bytes` through a fresh pipeline; returns the summary, the rows loaded (id, name, row
/// order by id) and the invalid-records file, if written.
async fn run(
    bytes: &'static [u8],
    piece: usize,
    chunk_rows: usize,
) -> (Summary, Vec<(i64, String)>, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let warehouse =
        Arc::new(SqliteWarehouse::connect(&format!("sqlite://{}/w.db", dir.path().display())).await.unwrap());
    warehouse.migrate().await.unwrap();
    let config = Config {
        function_name: "sift-test".into(),
        create_tables: true,
        alert_threshold_pct: 10.0,
        chunk_rows,
    };
    let invalid = Arc::new(LocalStore::new(dir.path()));
    let pipeline = Pipeline::new(config, invalid, warehouse.clone());
    let job =
        Job::new(Arc::new(source(bytes, piece)), "customers.csv", Arc::new(customer()), as_of(), "invalid");
    let summary = pipeline.run(&job).await.unwrap();
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT customer_id, full_name FROM dim_customer ORDER BY customer_id")
            .fetch_all(warehouse.pool())
            .await
            .unwrap();
    let invalid_file = summary.invalid_records_uri.as_ref().map(|uri| std::fs::read_to_string(uri).unwrap());
    (summary, rows, invalid_file)
}

const PIECES: [usize; 5] = [1, 2, 3, 7, 64];
const CHUNKS: [usize; 2] = [1, 2];

/// A BOM and CRLF line ends; a quoted line break that spans piece and chunk boundaries; a
/// duplicate key whose first occurrence is chunks earlier; a repeated customer_id.
const EDGES: &[u8] = b"\xEF\xBB\xBFcustomer_id,full_name,email,age,date_of_birth,phone_number\r\n\
1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\r\n\
2,\"Bo\r\nLi\",bo@example.com,36,1990-05-18,0123456789\r\n\
3,Cy Ma,cy@example.com,36,1990-05-19,0123456789\r\n\
4,\"ANN  lee\",ann2@example.com,36,1990-05-17,0123456789\r\n\
1,Dee Ray,dee@example.com,40,1986-01-01,0123456789\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edge_cases_give_the_same_result_in_tiny_pieces_and_chunks() {
    let whole = sift_validator::validate_bytes(customer(), as_of(), EDGES, 1024).unwrap();
    let expected_invalid = String::from_utf8(whole.invalid_csv).unwrap();
    // Row 2: the quoted line break is one value (kept raw); row 4: the key of row 1 again.
    assert!(
        expected_invalid.contains("2,\"Bo\r\nLi\",bo@example.com,36,1990-05-18,0123456789,2,full_name\n"),
        "{expected_invalid}"
    );
    assert!(expected_invalid.contains(",4,duplicate\n"), "{expected_invalid}");
    for piece in PIECES {
        for chunk_rows in CHUNKS {
            let (summary, rows, invalid) = run(EDGES, piece, chunk_rows).await;
            let at = format!("pieces of {piece} bytes, chunks of {chunk_rows} rows");
            assert_eq!(summary.status, Status::Ok, "{at}: {summary:?}");
            assert_eq!((summary.total, summary.valid, summary.invalid), (5, 3, 2), "{at}");
            assert_eq!((summary.inserted, summary.already_present), (2, 1), "{at}");
            assert_eq!(
                rows,
                [(1, "Ann Lee".to_owned()), (3, "Cy Ma".to_owned())],
                "{at}: first occurrence wins"
            );
            assert_eq!(invalid.as_deref(), Some(expected_invalid.as_str()), "{at}");
        }
    }
}

/// Valid rows, then a byte that is not UTF-8 in the very last one: rejected as a whole, with
/// the line named, after earlier chunks were already streaming into the load.
const BAD_LAST: &[u8] = b"customer_id,full_name,email,age,date_of_birth,phone_number\n\
1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\n\
2,Bo Li,bo@example.com,36,1990-05-18,0123456789\n\
3,Cy Ma,not-an-email,36,1990-05-19,0123456789\n\
4,Di \xFF Ng,di@example.com,36,1990-05-20,0123456789\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_the_last_chunk_loads_and_writes_nothing() {
    for piece in PIECES {
        for chunk_rows in CHUNKS {
            let (summary, rows, invalid) = run(BAD_LAST, piece, chunk_rows).await;
            let at = format!("pieces of {piece} bytes, chunks of {chunk_rows} rows");
            assert_eq!(summary.status, Status::Rejected, "{at}");
            let error = summary.error.unwrap();
            assert!(error.contains("line 5") && error.contains("UTF-8"), "{at}: {error}");
            assert_eq!((summary.total, summary.inserted), (0, 0), "{at}");
            assert!(rows.is_empty(), "{at}: nothing may be loaded, found {rows:?}");
            assert_eq!(invalid, None, "{at}: no invalid-records file");
        }
    }
}
