//! One run of sift over one source file: read, validate, write the invalid records, load the
//! valid ones, report.
//!
//! [`Pipeline`] composes the four seams ([`ObjectStore`], [`Warehouse`], [`Notifier`] and the
//! validator) and returns the [`Summary`] of SPEC section 4. The command line and the Lambda
//! are thin shells around it: they build the backends once and call [`Pipeline::run`] per file.
//!
//! Reading, validating and loading run at once, with bounded queues between them, so memory
//! stays bounded whatever the file size. Order of effects, so that a report never claims what
//! did not happen:
//! 1. the file is read and validated while its valid rows stream into the warehouse's one
//!    transaction (nothing is committed yet); a file-level rejection, even from the last byte,
//!    abandons the load (rolled back: nothing loaded, nothing written) and the report says
//!    `FAILED` with the reason;
//! 2. once the whole file is accepted, the invalid-records file is written (a pure function of
//!    the input: a re-run rewrites the same object); if that fails, the load is abandoned;
//! 3. the load is sealed and commits; if that fails nothing of the file is loaded, the report
//!    says `FAILED` and `run` returns the error;
//! 4. the report is sent (and an alert when the invalid share is above the threshold); if that
//!    fails, the summary says `notification: "failed"` and the load and the invalid-records file
//!    stand.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use sift_pipeline::{Config, Pipeline};
//! use sift_storage::LocalStore;
//! use sift_warehouse::{SqliteWarehouse, Warehouse};
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("customers.csv"),
//!     "customer_id,full_name,email,age,date_of_birth,phone_number\n\
//!      1,Ann Lee,ann@example.com,36,1990-05-17,0123456789\n\
//!      2,Bo Li,not-an-email,36,1990-05-18,0123456789\n",
//! )?;
//! let warehouse = SqliteWarehouse::connect(&format!("sqlite://{}/w.db", dir.path().display())).await?;
//! warehouse.migrate().await?;
//! let config = Config {
//!     function_name: "sift".into(),
//!     as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
//!     contract: sift_validator::customer_contract(None),
//!     create_tables: true,
//!     invalid_prefix: "invalid".into(),
//!     alert_threshold_pct: 10.0,
//!     chunk_rows: sift_validator::DEFAULT_CHUNK_ROWS,
//! };
//! let store = Arc::new(LocalStore::new(dir.path()));
//! let pipeline = Pipeline::new(config, store.clone(), store, Arc::new(warehouse));
//! let summary = pipeline.run("customers.csv").await?;
//! assert_eq!((summary.valid, summary.invalid, summary.inserted), (1, 1, 1));
//! assert!(summary.invalid_records_uri.unwrap().ends_with("invalid/2026-11-26/customers_invalid_records.csv"));
//! # Ok(()) }
//! ```

mod error;
mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use sift_notifier::{Alerter, NotificationStatus, Notifier, Outcome, Report, Status};
use sift_storage::ObjectStore;
use sift_table::TableSpec;
use sift_validator::Contract;
use sift_warehouse::{FileSeal, LoadEvent, LoadStream, Warehouse};

use crate::validate::{EventSender, Piece, Stop, Validated, read, validate};

pub use crate::error::{Error, ErrorChain, Result};
pub use sift_notifier::Summary;

/// Typed configuration of a pipeline; the shells fill it from flags or the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Name in the report subject: `sift` on the command line, the Lambda's function name.
    pub function_name: String,
    /// Reference date of the date, timestamp and age rules, and the date folder of invalid
    /// records.
    pub as_of: NaiveDate,
    /// The dataset's contract: its rules, and the table its valid rows load (none: validate
    /// only).
    pub contract: Contract,
    /// Create the contract's table when it does not exist (else a missing table is an error).
    pub create_tables: bool,
    /// Key prefix of invalid-records files in the invalid store (no trailing slash; may be empty).
    pub invalid_prefix: String,
    /// Alert when the invalid share is strictly above this percentage.
    pub alert_threshold_pct: f64,
    /// Rows per validation chunk.
    pub chunk_rows: usize,
}

/// Where a run is, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading and validating: bytes read and rows validated so far.
    Reading {
        /// Bytes of the source consumed.
        bytes: u64,
        /// Rows validated.
        rows: u64,
    },
    /// Writing the invalid-records file.
    WritingInvalid {
        /// Invalid rows being written.
        rows: u64,
    },
    /// Loading the valid rows in one transaction.
    Loading {
        /// Valid rows being loaded.
        rows: u64,
    },
    /// Sending the report.
    Reporting,
}

/// Called as a run moves on.
pub type Progress = Arc<dyn Fn(Stage) + Send + Sync>;

/// The composed pipeline. Cheap to share: build it once, run it per file.
#[derive(Clone)]
pub struct Pipeline {
    config: Config,
    /// The contract's table (none: validate only).
    table: Option<TableSpec>,
    sources: Arc<dyn ObjectStore>,
    invalid: Arc<dyn ObjectStore>,
    warehouse: Arc<dyn Warehouse>,
    notifier: Option<Arc<dyn Notifier>>,
    alerter: Option<Arc<dyn Alerter>>,
    progress: Option<Progress>,
    deadline: Option<tokio::time::Instant>,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("config", &self.config)
            .field("warehouse", &self.warehouse.describe())
            .field("notifier", &self.notifier.is_some())
            .finish_non_exhaustive()
    }
}

/// Chunks of the source held between the reader and the validator.
const READ_AHEAD_CHUNKS: usize = 8;
/// Validated batches held between the validator and the warehouse: memory stays bounded
/// whatever the file size.
const LOAD_AHEAD_BATCHES: usize = 2;

type LoadTask = tokio::task::JoinHandle<sift_warehouse::Result<sift_warehouse::LoadOutcome>>;

/// What processing a file gave.
struct Processed {
    tally: sift_validator::Tally,
    invalid_key: Option<String>,
    outcome: sift_warehouse::LoadOutcome,
}

impl Pipeline {
    /// A pipeline reading sources from `sources`, writing invalid records to `invalid` and
    /// loading `warehouse`, with no notifier.
    pub fn new(
        config: Config,
        sources: Arc<dyn ObjectStore>,
        invalid: Arc<dyn ObjectStore>,
        warehouse: Arc<dyn Warehouse>,
    ) -> Self {
        Self {
            table: config.contract.table(),
            config,
            sources,
            invalid,
            warehouse,
            notifier: None,
            alerter: None,
            progress: None,
            deadline: None,
        }
    }

    /// Sends a report through `notifier` after each run.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// Raises an alert through `alerter` when a processed file's invalid share is strictly
    /// above the threshold (the report is marked `[ALERT]` either way).
    pub fn with_alerter(mut self, alerter: Arc<dyn Alerter>) -> Self {
        self.alerter = Some(alerter);
        self
    }

    /// Stops a run that is still reading or validating at `deadline`: the load is rolled back
    /// and `run` returns [`Error::Deadline`] after the failure report, so a re-run starts over.
    /// A run that reached the commit is left to finish. The Lambda sets this a safety margin
    /// before its own deadline, so that a file too big for the time left fails cleanly instead
    /// of being killed.
    pub fn with_deadline(mut self, deadline: tokio::time::Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Reports reading progress to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where the invalid records of source `key` go:
    /// `<prefix>/<as-of>/<source stem>_invalid_records.csv`.
    pub fn invalid_key(&self, key: &str) -> String {
        let name = key.rsplit('/').next().unwrap_or(key);
        let stem = match name.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => name,
        };
        let file = format!("{}/{stem}_invalid_records.csv", self.config.as_of.format("%Y-%m-%d"));
        match self.config.invalid_prefix.trim_matches('/') {
            "" => file,
            prefix => format!("{prefix}/{file}"),
        }
    }

    /// Runs the pipeline on the source object `key`. `Ok` for processed and rejected files
    /// (see [`Summary::status`]); `Err` when infrastructure failed, after a best-effort failure
    /// report. Nothing of the file is loaded unless the summary says so.
    pub async fn run(&self, key: &str) -> Result<Summary> {
        let started = Instant::now();
        let executed_at = Utc::now();
        let source = self.sources.uri(key);
        tracing::info!(source = %source, dataset = %self.config.contract.name, "processing file");
        let mut summary = Summary {
            status: Status::Ok,
            error: None,
            source: source.clone(),
            dataset: self.config.contract.name.clone(),
            table: self.table.as_ref().map(|t| t.name.clone()),
            as_of: self.config.as_of,
            total: 0,
            valid: 0,
            invalid: 0,
            inserted: 0,
            already_present: 0,
            rule_failures: Vec::new(),
            invalid_records_uri: None,
            notification: NotificationStatus::Skipped,
            duration_ms: 0,
            already_loaded: false,
        };
        let mut url = None;
        match self.process(key, &source).await {
            Ok(done) => {
                summary.total = done.tally.total;
                summary.valid = done.tally.valid;
                summary.invalid = done.tally.invalid;
                summary.inserted = done.outcome.inserted;
                summary.already_present = done.outcome.already_present;
                summary.already_loaded = done.outcome.already_loaded;
                summary.rule_failures =
                    done.tally.nonzero_failures().map(|(id, n)| (id.to_owned(), n)).collect();
                if let Some(k) = &done.invalid_key {
                    summary.invalid_records_uri = Some(self.invalid.uri(k));
                    url = Some(self.invalid.url(k));
                }
                tracing::info!(
                    source = %source,
                    total = summary.total,
                    valid = summary.valid,
                    invalid = summary.invalid,
                    inserted = summary.inserted,
                    already_present = summary.already_present,
                    already_loaded = summary.already_loaded,
                    "file processed"
                );
            }
            Err(Stop::Rejected(reason)) => {
                // Not a warning here: the shells say it (the CLI's summary, the Lambda's result).
                tracing::info!(source = %source, reason = %reason, "file rejected");
                summary.status = Status::Rejected;
                summary.error = Some(reason);
            }
            Err(stop @ (Stop::Failed(_) | Stop::LoadGone)) => {
                let error = stop.into_error(&source);
                // The error is returned: the caller shows or logs it, once.
                tracing::debug!(source = %source, error = %ErrorChain(&error), "processing failed; nothing was loaded");
                let mut report = Report::from_summary(
                    &summary,
                    &self.config.function_name,
                    executed_at,
                    None,
                    self.config.alert_threshold_pct,
                );
                report.outcome = Outcome::Failed { reason: ErrorChain(&error).to_string() };
                self.notify(&report, &source).await;
                return Err(error);
            }
        }
        let report = Report::from_summary(
            &summary,
            &self.config.function_name,
            executed_at,
            url,
            self.config.alert_threshold_pct,
        );
        summary.notification = self.notify(&report, &source).await;
        if let Some(alerter) = &self.alerter
            && report.is_alert()
            && !report.is_rejected()
        {
            match alerter.alert(&report).await {
                Ok(delivery) => {
                    tracing::warn!(source = %source, delivery = %delivery.id, invalid_pct = report.invalid_pct(), "alert published")
                }
                Err(error) => {
                    tracing::error!(source = %source, error = %ErrorChain(&error), "publishing the alert failed")
                }
            }
        }
        summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(summary)
    }

    /// Completes at the deadline; never without one.
    async fn expired(&self) {
        match self.deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    }

    fn stage(&self, stage: Stage) {
        if let Some(progress) = &self.progress {
            progress(stage);
        }
    }

    async fn notify(&self, report: &Report, source: &str) -> NotificationStatus {
        let Some(notifier) = &self.notifier else {
            return NotificationStatus::Skipped;
        };
        self.stage(Stage::Reporting);
        match notifier.send(report).await {
            Ok(delivery) => {
                tracing::info!(source = %source, delivery = %delivery.id, "report sent");
                NotificationStatus::Sent
            }
            Err(error) => {
                tracing::error!(source = %source, error = %ErrorChain(&error), "sending the report failed; the load and the invalid records stand");
                NotificationStatus::Failed
            }
        }
    }

    async fn process(&self, key: &str, source: &str) -> std::result::Result<Processed, Stop> {
        // The table first, before anything is read: a contract that does not fit the
        // warehouse stops here (SPEC section 7).
        if let Some(table) = &self.table {
            self.warehouse
                .prepare(table, self.config.create_tables)
                .await
                .map_err(|e| Stop::Failed(Error::Warehouse(e)))?;
        }
        let mut stream = self.sources.get(key).await.map_err(|e| Stop::Failed(Error::Source(e)))?;

        // Three stages run at once, with bounded queues between them: this task reads the
        // object, a blocking thread validates it (CPU work; polars blocks), and the warehouse
        // loads the valid rows in its one transaction. Nothing commits until the seal below.
        // A validate-only contract has no load.
        let (bytes_tx, bytes_rx) = tokio::sync::mpsc::channel::<Piece>(READ_AHEAD_CHUNKS);
        let load = self.table.clone().map(|table| {
            let (events_tx, events_rx) = tokio::sync::mpsc::channel(LOAD_AHEAD_BATCHES);
            let events: LoadStream = Box::pin(futures::stream::unfold(events_rx, |mut rx| async move {
                rx.recv().await.map(|event| (event, rx))
            }));
            let warehouse = self.warehouse.clone();
            let load_source = source.to_owned();
            let task = tokio::spawn(async move { warehouse.load(&table, &load_source, events).await });
            Load { events: events_tx, task }
        });
        let config = self.config.clone();
        let progress = self.progress.clone();
        let validator_events = load.as_ref().map(|l| l.events.clone());
        let cancelled = Arc::new(AtomicBool::new(false));
        let validator_cancelled = cancelled.clone();
        let size = stream.size();
        let mut validation = tokio::task::spawn_blocking(move || {
            validate(bytes_rx, size, &config, progress, validator_events.as_ref(), &validator_cancelled)
        });

        // The deadline stops the reader (dropping it closes the channel without `End`) and
        // tells the validator to stop at its next piece.
        let mut expired = std::pin::pin!(self.expired());
        let read_error = tokio::select! {
            read_error = read(&mut stream, bytes_tx) => read_error,
            () = &mut expired => {
                cancelled.store(true, Ordering::Relaxed);
                None
            }
        };
        let validated = if cancelled.load(Ordering::Relaxed) {
            validation.await
        } else {
            tokio::select! {
                validated = &mut validation => validated,
                () = &mut expired => {
                    cancelled.store(true, Ordering::Relaxed);
                    validation.await
                }
            }
        };
        let validated = match validated {
            Ok(result) => result,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };
        // A read error comes first: what was validated is not the whole file.
        let stop = match (read_error, validated) {
            (Some(e), _) => Stop::Failed(Error::Source(e)),
            (None, Ok(validated)) => return self.finish(key, validated, load).await,
            (None, Err(stop)) => stop,
        };
        let reason = match &stop {
            Stop::Rejected(reason) => reason.clone(),
            Stop::Failed(e) => ErrorChain(e).to_string(),
            Stop::LoadGone => {
                // The warehouse stopped taking rows: its error is the reason.
                return Err(Stop::Failed(match load {
                    Some(load) => load.failure(source).await,
                    None => Error::Warehouse(sift_warehouse::Error::Aborted {
                        source_uri: source.to_owned(),
                        reason: "rows were sent to a load that does not exist".into(),
                    }),
                }));
            }
        };
        if let Some(load) = load {
            load.abandon(reason).await;
        }
        Err(stop)
    }

    /// The file is accepted: write the invalid records, then seal the load (commit).
    async fn finish(
        &self,
        key: &str,
        validated: Validated,
        load: Option<Load>,
    ) -> std::result::Result<Processed, Stop> {
        let Validated { tally, bytes, checksum, invalid } = validated;
        let mut invalid_key = None;
        if let Some(records) = invalid.filter(|r| r.rows() > 0) {
            self.stage(Stage::WritingInvalid { rows: records.rows() });
            let k = self.invalid_key(key);
            let put = self.invalid.put(&k, records.into_bytes().into(), "text/csv");
            let written = tokio::select! {
                written = put => written.map_err(Error::InvalidRecords),
                () = self.expired() => Err(Error::Deadline { bytes_read: bytes, rows_validated: tally.total }),
            };
            if let Err(error) = written {
                if let Some(load) = load {
                    load.abandon(ErrorChain(&error).to_string()).await;
                }
                return Err(Stop::Failed(error));
            }
            invalid_key = Some(k);
        }
        let Some(load) = load else {
            // Validate only: nothing to load.
            return Ok(Processed { tally, invalid_key, outcome: sift_warehouse::LoadOutcome::default() });
        };
        self.stage(Stage::Loading { rows: tally.valid });
        let seal = FileSeal { checksum, total_rows: tally.total, invalid_rows: tally.invalid };
        // If the load already failed, the send fails and its error comes back below.
        let _ = load.events.send(Ok(LoadEvent::Seal(seal))).await;
        drop(load.events);
        let outcome = match load.task.await {
            Ok(result) => result.map_err(|e| Stop::Failed(Error::Warehouse(e)))?,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };
        Ok(Processed { tally, invalid_key, outcome })
    }
}

/// A file's load, running: where its events go, and the task that commits or rolls back.
struct Load {
    events: EventSender,
    task: LoadTask,
}

impl Load {
    /// Tells the load to roll back (it may be gone already; it rolls back either way) and
    /// waits for it to end.
    async fn abandon(self, reason: String) {
        let _ = self.events.send(Err(reason.into())).await;
        drop(self.events);
        let _ = self.task.await;
    }

    /// The error of a load that stopped taking rows.
    async fn failure(self, source: &str) -> Error {
        drop(self.events);
        match self.task.await {
            Ok(Err(e)) => Error::Warehouse(e),
            Ok(Ok(_)) => Error::Warehouse(sift_warehouse::Error::Aborted {
                source_uri: source.to_owned(),
                reason: "the warehouse stopped reading rows without an error".into(),
            }),
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
}
