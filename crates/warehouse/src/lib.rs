//! Loading validated customers into `dim_customer`, behind one small trait.
//!
//! A [`Warehouse`] loads all of one file's valid rows in one transaction, or none of them:
//! batches arrive as a stream (so validation can run ahead of the load), and the first
//! customer_id in file order wins (`ON CONFLICT (customer_id) DO NOTHING`). Rows whose id is
//! already in the table, or earlier in the file, count as `already_present`.
//! Each committed file gets a row in the load ledger (URI, content checksum, counts), so a
//! re-delivered event for the same content is recognised and never loads twice.
//! [`SqliteWarehouse`] is the embedded default of the command line; [`PgWarehouse`] is the
//! warehouse of record.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sift_validator::CustomerBatch;
//! use sift_warehouse::{FileSeal, SqliteWarehouse, Warehouse, sealed};
//!
//! let dir = tempfile::tempdir()?;
//! let url = format!("sqlite://{}/warehouse.db", dir.path().display());
//! let warehouse = SqliteWarehouse::connect(&url).await?;
//! warehouse.migrate().await?;
//! let seal = FileSeal { checksum: "sha-256 of the file".into(), total_rows: 0, invalid_rows: 0 };
//! let outcome = warehouse.load("in/customers.csv", sealed(vec![CustomerBatch::default()], seal)).await?;
//! assert_eq!((outcome.inserted, outcome.already_present, outcome.already_loaded), (0, 0, false));
//! # Ok(()) }
//! ```

mod error;
mod postgres;
pub mod secrets;
mod sqlite;

use std::pin::Pin;

use futures::Stream;
use sift_validator::CustomerBatch;

pub use crate::error::{Error, Result};
pub use crate::postgres::{PgWarehouse, Retry};
pub use crate::secrets::{DbCredentials, SecretSource};
pub use crate::sqlite::SqliteWarehouse;

/// Why a producer abandoned a load (the load is then rolled back).
pub type AbortReason = Box<dyn std::error::Error + Send + Sync>;

/// One step of a load.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadEvent {
    /// Valid rows of the file, in file order.
    Rows(CustomerBatch),
    /// The file is complete and accepted: commit it (unless the ledger has it already).
    Seal(FileSeal),
}

/// What a warehouse records about a file when it commits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSeal {
    /// SHA-256 of the file's bytes, lower-case hex: with the URI, the ledger key.
    pub checksum: String,
    /// Data rows in the file.
    pub total_rows: u64,
    /// Invalid rows in the file.
    pub invalid_rows: u64,
}

/// The events of one file's load, as they are produced. A stream that ends without
/// [`LoadEvent::Seal`] (or yields an error) is rolled back.
pub type LoadStream = Pin<Box<dyn Stream<Item = Result<LoadEvent, AbortReason>> + Send>>;

/// Ready batches followed by the seal, as a [`LoadStream`].
pub fn sealed(batches: Vec<CustomerBatch>, seal: FileSeal) -> LoadStream {
    let events = batches.into_iter().map(LoadEvent::Rows).chain([LoadEvent::Seal(seal)]).map(Ok);
    Box::pin(futures::stream::iter(events))
}

/// What a load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOutcome {
    /// Rows inserted.
    pub inserted: u64,
    /// Valid rows not inserted because their customer_id was already in the table or earlier
    /// in the file.
    pub already_present: u64,
    /// The ledger already had this file (same URI, same content): nothing was loaded again.
    pub already_loaded: bool,
}

/// Where valid customers are loaded.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Warehouse: Send + Sync {
    /// Loads one file in one transaction: all of its rows or none. The rows are committed only
    /// when the stream yields [`LoadEvent::Seal`]; a stream that ends without it, or yields an
    /// error, is rolled back and [`Error::Aborted`] returned. A file already in the ledger (same
    /// URI, same checksum) loads nothing and reports `already_loaded`.
    async fn load(&self, source_uri: &str, events: LoadStream) -> Result<LoadOutcome>;

    /// Applies the embedded schema migrations (idempotent, safe under concurrency).
    async fn migrate(&self) -> Result<()>;

    /// The database, without credentials, for logs and summaries.
    fn describe(&self) -> String;
}

/// Why an unsealed load is rolled back.
pub(crate) const UNSEALED: &str =
    "the producer stopped before sealing the file (rejected, failed or cancelled midway)";

/// The next event of a load; `Err` with the reason when the producer gave up or stopped
/// before the seal (the load then rolls back).
pub(crate) async fn next_event(events: &mut LoadStream) -> Result<LoadEvent, String> {
    use futures::StreamExt;
    match events.next().await {
        Some(Ok(event)) => Ok(event),
        Some(Err(reason)) => Err(reason.to_string()),
        None => Err(UNSEALED.into()),
    }
}

/// Row counts as SQL BIGINT (counts never reach 2^63).
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
