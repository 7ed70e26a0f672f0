//! Loading validated customers into `dim_customer`, behind one small trait.
//!
//! A [`Warehouse`] loads all of one file's valid rows in one transaction, or none of them:
//! batches arrive as a stream (so validation can run ahead of the load), and the first
//! customer_id in file order wins (`ON CONFLICT (customer_id) DO NOTHING`). Rows whose id is
//! already in the table, or earlier in the file, count as `already_present`.
//! [`SqliteWarehouse`] is the embedded default of the command line.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use sift_validator::CustomerBatch;
//! use sift_warehouse::{SqliteWarehouse, Warehouse, batches};
//!
//! let dir = tempfile::tempdir()?;
//! let url = format!("sqlite://{}/warehouse.db", dir.path().display());
//! let warehouse = SqliteWarehouse::connect(&url).await?;
//! warehouse.migrate().await?;
//! let outcome = warehouse.load("file:///in/customers.csv", batches(vec![CustomerBatch::default()])).await?;
//! assert_eq!((outcome.inserted, outcome.already_present), (0, 0));
//! # Ok(()) }
//! ```

mod error;
mod sqlite;

use std::pin::Pin;

use futures::Stream;
use sift_validator::CustomerBatch;

pub use crate::error::{Error, Result};
pub use crate::sqlite::SqliteWarehouse;

/// Why a producer abandoned a load (the load is then rolled back).
pub type AbortReason = Box<dyn std::error::Error + Send + Sync>;

/// The valid rows of one file, in file order, as they are validated.
pub type BatchStream = Pin<Box<dyn Stream<Item = Result<CustomerBatch, AbortReason>> + Send>>;

/// Wraps ready batches as a [`BatchStream`].
pub fn batches(items: Vec<CustomerBatch>) -> BatchStream {
    Box::pin(futures::stream::iter(items.into_iter().map(Ok)))
}

/// What a load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOutcome {
    /// Rows inserted.
    pub inserted: u64,
    /// Valid rows not inserted because their customer_id was already in the table or earlier
    /// in the file.
    pub already_present: u64,
}

/// Where valid customers are loaded.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Warehouse: Send + Sync {
    /// Loads every batch of the file `source_uri` in one transaction: all rows or none. When the
    /// stream yields an error the transaction is rolled back and [`Error::Aborted`] returned.
    async fn load(&self, source_uri: &str, batches: BatchStream) -> Result<LoadOutcome>;

    /// Applies the embedded schema migrations (idempotent, safe under concurrency).
    async fn migrate(&self) -> Result<()>;

    /// The database, without credentials, for logs and summaries.
    fn describe(&self) -> String;
}
