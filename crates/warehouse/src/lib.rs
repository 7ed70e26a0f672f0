//! Loading a contract's valid rows into its table, behind one small trait.
//!
//! A [`Warehouse`] loads all of one file's valid rows in one transaction, or none of them:
//! batches arrive as a stream (so validation can run ahead of the load), and the first row
//! with a key in file order wins. Rows whose key is already in the table, or earlier in the
//! file, count as `already_present` (SPEC section 7); an append-only table takes every row.
//! Each committed file gets a row in the load ledger (URI, table, content checksum, counts), so
//! a re-delivered event for the same content is recognised and never loads twice.
//! The warehouse also keeps sift's history: each validated file's counts per failure id
//! ([`FileHistory`]), which the reports compare today's file with.
//! [`Warehouse::prepare`] creates a contract's table, or checks an existing one, before
//! anything is read. [`SqliteWarehouse`] is the embedded default of the command line;
//! [`PgWarehouse`] is the warehouse of record.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use polars::prelude::{Column, DataFrame};
//! use sift_model::{Batch, ColumnType, ROW_NUMBER, TableColumn, TableSpec};
//! use sift_warehouse::{FileSeal, LoadMode, SqliteWarehouse, Warehouse, sealed};
//!
//! let dir = tempfile::tempdir()?;
//! let url = format!("sqlite://{}/warehouse.db", dir.path().display());
//! let warehouse = SqliteWarehouse::connect(&url).await?;
//! warehouse.migrate().await?;
//! let table = TableSpec {
//!     name: "fact_order".into(),
//!     columns: vec![TableColumn::new("order_id", ColumnType::Int64, false)],
//!     key: vec!["order_id".into()],
//!     on_conflict: Default::default(),
//! };
//! warehouse.prepare(&table, true).await?; // creates fact_order
//! // Valid rows as the validator hands them over: the table's columns, then row_number.
//! let rows = DataFrame::new(3, vec![
//!     Column::new("order_id".into(), [7i64, 8, 7]),
//!     Column::new(ROW_NUMBER.into(), [1u64, 2, 3]),
//! ])?;
//! let seal = FileSeal { checksum: "sha-256 of the file".into(), total_rows: 3, invalid_rows: 0 };
//! let outcome = warehouse.load(&table, "in/orders.csv", LoadMode::Concurrent, sealed(vec![Batch::new(rows)], seal)).await?;
//! assert_eq!((outcome.inserted, outcome.already_present, outcome.already_loaded), (2, 1, false));
//! # Ok(()) }
//! ```

mod error;
mod history;
mod keys;
mod postgres;
mod schema;
mod secrets;
mod sqlite;

use std::pin::Pin;

use futures::Stream;
use sift_model::{Batch, FileHistory, TableSpec};

pub use crate::error::{Error, Result};
pub use crate::postgres::{PgWarehouse, Retry};
pub use crate::schema::{SqlDialect, ddl};
#[cfg(feature = "ssm")]
pub use crate::secrets::SsmSecretSource;
pub use crate::secrets::{DbCredentials, SecretSource};
pub use crate::sqlite::SqliteWarehouse;

/// The embedded `migrations` as sift applies them: a version the database applied but the
/// binary no longer has is accepted. Version 1 created `dim_customer` before contracts created
/// their own tables; it is retired, and a database migrated by an earlier release keeps its
/// table (checked against the contract like any other by [`Warehouse::prepare`]). sqlx still
/// refuses a migration whose text changed after it was applied.
pub(crate) fn migrator(migrations: &sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    let mut migrator = sqlx::migrate::Migrator::with_migrations(migrations.iter().cloned().collect());
    migrator.set_ignore_missing(true);
    migrator
}

/// Why a producer abandoned a load (the load is then rolled back).
pub type AbortReason = Box<dyn std::error::Error + Send + Sync>;

/// One step of a load.
#[derive(Debug, Clone)]
pub enum LoadEvent {
    /// Valid rows of the file, in file order, in the table's shape.
    Rows(Batch),
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
pub fn sealed(batches: Vec<Batch>, seal: FileSeal) -> LoadStream {
    let events = batches.into_iter().map(LoadEvent::Rows).chain([LoadEvent::Seal(seal)]).map(Ok);
    Box::pin(futures::stream::iter(events))
}

/// What a load did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOutcome {
    /// Rows inserted.
    pub inserted: u64,
    /// Valid rows not inserted because their key was already in the table or earlier in the
    /// file (0 for an append-only table, unless the file was loaded before). With
    /// `on_conflict = "update"`, only the rows whose key came earlier in the file.
    pub already_present: u64,
    /// With `on_conflict = "update"`: rows whose key was in the table with other values, which
    /// they replaced.
    pub updated: u64,
    /// With `on_conflict = "update"`: rows whose key was in the table with the same values.
    pub unchanged: u64,
    /// The ledger already had this file (same URI, same content): nothing was loaded again.
    pub already_loaded: bool,
}

/// How a load shares its table with other sift loads of the same table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LoadMode {
    /// Alongside the table's other loads: files load in parallel, and a key another running
    /// load writes too is resolved in place (the batch waits for that load, then leaves the key
    /// to it). Only a batch that keeps colliding fails with [`Error::KeyConflict`] (nothing of
    /// the file loaded); run that file again `Exclusive`.
    #[default]
    Concurrent,
    /// Alone: waits for the table's running loads to end and keeps new ones waiting until it
    /// commits, so it never conflicts with another sift load.
    Exclusive,
}

/// Where a contract's valid rows are loaded.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Warehouse: Send + Sync {
    /// Makes sure `table` can take the contract's rows, before anything is read: a missing
    /// table is created when `create` is set ([`Error::TableMissing`] otherwise); an existing
    /// one is checked (every loaded column present with a compatible type, the key backed by a
    /// primary key or unique constraint) and refused with every difference listed
    /// ([`Error::SchemaMismatch`]). An existing table is never altered or dropped.
    async fn prepare(&self, table: &TableSpec, create: bool) -> Result<()>;

    /// Loads one file into `table` in one transaction: all of its rows or none. The rows are
    /// committed only when the stream yields [`LoadEvent::Seal`]; a stream that ends without
    /// it, or yields an error, is rolled back and [`Error::Aborted`] returned. A file already in
    /// the ledger (same URI, table and checksum) loads nothing and reports `already_loaded`.
    /// `mode` says how it shares the table with other loads ([`LoadMode`]).
    async fn load(
        &self,
        table: &TableSpec,
        source_uri: &str,
        mode: LoadMode,
        events: LoadStream,
    ) -> Result<LoadOutcome>;

    /// Records one validated file's counts in sift's history (`sift_file_history`), after its
    /// load committed or a limit held it. `false` when the history has the file already (same
    /// dataset, URI and checksum: a re-delivered file is counted once).
    async fn record_history(&self, file: &FileHistory) -> Result<bool>;

    /// The `files` most recently recorded files of `dataset` (of every dataset when `None`):
    /// grouped by dataset, newest first, each with its failure ids in contract order.
    async fn history<'a>(&self, dataset: Option<&'a str>, files: usize) -> Result<Vec<FileHistory>>;

    /// Applies the embedded migrations of sift's own tables (idempotent,
    /// safe under concurrency).
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

/// A stable 64-bit FNV-1a hash of `text` (the advisory lock of a table, the same in every
/// process and version).
pub(crate) fn stable_hash(text: &str) -> i64 {
    i64::from_ne_bytes(fnv1a(text.as_bytes()).to_ne_bytes())
}

/// 64-bit FNV-1a of `bytes`: stable across processes and builds (lock ids, the key hashes of
/// concurrent loads' claims).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Row counts as SQL BIGINT (counts never reach 2^63).
pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
