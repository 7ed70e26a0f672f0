//! One run of sift over one source file: read, validate, write the invalid records, load the
//! valid ones, report.
//!
//! [`Pipeline`] composes the four seams ([`ObjectStore`], [`Warehouse`], [`Notifier`] and the
//! validator) and returns the [`Summary`] of SPEC section 4. The command line and the Lambda
//! are thin shells around it: they build the pipeline once from the backends and call
//! [`Pipeline::run`] with a [`Job`] per file (its source, contract, as-of date and invalid
//! prefix).
//!
//! Reading, validating and loading run at once, with bounded queues between them, so memory
//! stays bounded whatever the file size. Order of effects, so that a report never claims what
//! did not happen:
//! 1. the file is read (decompressed as it streams in when it is gzip or zstd: by its key's
//!    suffix or its `Content-Encoding`) and validated while its valid rows stream into the warehouse's one
//!    transaction (nothing is committed yet); a file-level rejection, even from the last byte,
//!    abandons the load (rolled back: nothing loaded, nothing written) and the report says
//!    `FAILED` with the reason;
//! 2. once the whole file is accepted, the invalid-records file is written (a pure function of
//!    the input: a re-run rewrites the same object); if that fails, the load is abandoned;
//! 3. the load is sealed and commits; if that fails nothing of the file is loaded, the report
//!    says `FAILED` and `run` returns the error. Loads of one table run side by side; a file
//!    that collides with a concurrent one on a key is rolled back and run again from step 1,
//!    alone ([`sift_warehouse::LoadMode`]);
//! 4. the file's counts per failure id go into the warehouse's history, and each rule's rate is
//!    set beside its median over the dataset's recent files (`history.rs`; trouble there is
//!    logged, never fatal);
//! 5. the report is sent (and an alert when the invalid share is above the threshold or a rule
//!    is far above its history); if that fails, the summary says `notification: "failed"` and
//!    the load and the invalid-records file stand.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use sift_pipeline::{Config, Job, Pipeline};
//! use sift_storage::LocalStore;
//! use sift_validator::Contract;
//! use sift_warehouse::{SqliteWarehouse, Warehouse};
//!
//! let contract = Contract::from_toml(
//!     r#"
//!     name = "people"
//!     table = { name = "people", key = ["id"] }
//!     columns = [{ name = "id" }, { name = "email" }]
//!     rules = [
//!         { id = "id", check = "integer", column = "id", min = 1, max = 1000000 },
//!         { id = "email", check = "regex", column = "email", pattern = "^[^@ ]+@[^@ ]+$" },
//!     ]
//!     "#,
//! )?;
//! let dir = tempfile::tempdir()?;
//! std::fs::write(dir.path().join("people.csv"), "id,email\n1,ann@example.com\n2,not-an-email\n")?;
//! let warehouse = SqliteWarehouse::connect(&format!("sqlite://{}/w.db", dir.path().display())).await?;
//! warehouse.migrate().await?;
//! let config = Config {
//!     function_name: "sift".into(),
//!     create_tables: true,
//!     alert_threshold_pct: 10.0,
//!     chunk_rows: sift_validator::DEFAULT_CHUNK_ROWS,
//! };
//! let store = Arc::new(LocalStore::new(dir.path()));
//! // Built once, with the invalid records' store and the warehouse; run per file.
//! let pipeline = Pipeline::new(config, store.clone(), Arc::new(warehouse));
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).ok_or("date")?;
//! let job = Job::new(store, "people.csv", Arc::new(contract), as_of, "invalid");
//! let summary = pipeline.run(&job).await?;
//! assert_eq!((summary.valid, summary.invalid, summary.inserted), (1, 1, 1));
//! let invalid = summary.invalid_records_uri.ok_or("no invalid records")?;
//! assert!(invalid.contains("invalid/2026-11-26/people_") && invalid.ends_with("_invalid_records.csv"));
//! # Ok(()) }
//! ```

mod error;
mod history;
mod job;
mod process;
mod report;
mod validate;

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use sift_model::{AnomalyTest, FileRun, Summary};
use sift_notifier::{Alerter, Notifier, Report, ReportContext};
use sift_storage::ObjectStore;
use sift_validator::Contract;
use sift_warehouse::{LoadMode, Warehouse};

use crate::validate::Stop;

pub use crate::job::Job;

pub use crate::error::{Error, ErrorChain, Result};

/// How the key of a file's invalid records ends ([`Job::invalid_key`]): an object whose
/// key ends so is sift's own output, never a source.
pub const INVALID_RECORDS_SUFFIX: &str = "_invalid_records.csv";

/// How the key of a file's warnings ends ([`Job::warnings_key`]).
pub const WARNINGS_SUFFIX: &str = "_warnings.csv";

/// Whether `key` names an object sift writes (invalid records or warnings), by its suffix.
pub fn is_own_output(key: &str) -> bool {
    key.ends_with(INVALID_RECORDS_SUFFIX) || key.ends_with(WARNINGS_SUFFIX)
}

/// What a pipeline does the same for every file; the shells fill it from flags or the
/// environment. The per-file part is the [`Job`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Name in the report subject: `sift` on the command line, the Lambda's function name.
    pub function_name: String,
    /// Create a contract's table when it does not exist (else a missing table is an error).
    pub create_tables: bool,
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
    invalid: Arc<dyn ObjectStore>,
    warehouse: Arc<dyn Warehouse>,
    notifier: Option<Arc<dyn Notifier>>,
    alerter: Option<Arc<dyn Alerter>>,
    progress: Option<Progress>,
    anomaly_test: AnomalyTest,
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

impl Pipeline {
    /// A pipeline writing invalid records to `invalid` and loading `warehouse`, with no
    /// notifier.
    pub fn new(config: Config, invalid: Arc<dyn ObjectStore>, warehouse: Arc<dyn Warehouse>) -> Self {
        Self {
            config,
            invalid,
            warehouse,
            notifier: None,
            alerter: None,
            progress: None,
            anomaly_test: AnomalyTest::default(),
        }
    }

    /// Compares each file with its dataset's recent files by `test` (the window, the minimum
    /// history and count, the thresholds) instead of [`AnomalyTest::default`].
    pub fn with_anomaly_test(mut self, test: AnomalyTest) -> Self {
        self.anomaly_test = test;
        self
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

    /// Reports reading progress to `progress`.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where the invalid records and the warnings were written: the invalid records' URI and
    /// clickable URL, the warnings' URI.
    fn locations(
        &self,
        invalid_key: &Option<String>,
        warnings_key: &Option<String>,
    ) -> (Option<String>, Option<String>, Option<String>) {
        (
            invalid_key.as_ref().map(|k| self.invalid.uri(k)),
            invalid_key.as_ref().map(|k| self.invalid.url(k)),
            warnings_key.as_ref().map(|k| self.invalid.uri(k)),
        )
    }

    /// What each failure id of `contract` checks, for the report.
    fn descriptions(contract: &Contract) -> Vec<(String, String)> {
        contract
            .failure_ids()
            .into_iter()
            .map(|id| {
                let description = contract.describe(&id);
                (id, description)
            })
            .collect()
    }

    /// Runs the pipeline on one file, `job`. `Ok` for processed, held and rejected files (see
    /// [`Summary::status`]); `Err` when infrastructure failed, after a best-effort failure
    /// report. Nothing of the file is loaded unless the summary says so.
    pub async fn run(&self, job: &Job) -> Result<Summary> {
        let started = Instant::now();
        let context = ReportContext {
            function_name: self.config.function_name.clone(),
            executed_at: Utc::now(),
            alert_threshold_pct: self.config.alert_threshold_pct,
        };
        let source = job.sources.uri(&job.key);
        let table = job.contract.table();
        tracing::info!(source = %source, dataset = %job.contract.name, "processing file");
        let file = FileRun {
            source: source.clone(),
            dataset: job.contract.name.clone(),
            table: table.as_ref().map(|t| t.name.clone()),
            as_of: job.as_of,
        };
        // Alongside other loads of the table first; a file whose keys a concurrent load was
        // writing too is rolled back and runs again alone (it cannot conflict then).
        let mut processed = self.process(job, table.as_ref(), &source, LoadMode::Concurrent).await;
        if let Err(Stop::Failed(Error::Warehouse(conflict @ sift_warehouse::Error::KeyConflict { .. }))) =
            &processed
        {
            tracing::info!(source = %source, conflict = %ErrorChain(conflict), "loading the file again, alone");
            processed = self.process(job, table.as_ref(), &source, LoadMode::Exclusive).await;
        }
        let updating = table.as_ref().is_some_and(|t| t.on_conflict.changes_rows());
        match processed {
            Ok(done) => {
                let counts = done.counts(updating);
                tracing::info!(
                    source = %source,
                    total = counts.total,
                    valid = counts.valid,
                    invalid = counts.invalid,
                    inserted = counts.inserted,
                    already_present = counts.already_present,
                    updated = counts.updates.map(|u| u.updated),
                    unchanged = counts.updates.map(|u| u.unchanged),
                    already_loaded = counts.already_loaded,
                    "file processed"
                );
                let trends = self.remember(&file.dataset, &source, &done.checksum, &done.tally, false).await;
                let (uri, url, warnings_uri) = self.locations(&done.invalid_key, &done.warnings_key);
                let report = Report::processed(&context, &source, &counts, uri.clone(), url)
                    .with_warnings_uri(warnings_uri.clone())
                    .with_descriptions(Self::descriptions(&job.contract))
                    .with_trends(trends);
                let notification = self.notify(&report, &source).await;
                self.alert(&report, &source).await;
                Ok(Summary::processed(file, counts, uri, notification, started.elapsed())
                    .with_warnings_uri(warnings_uri)
                    .with_anomalies(&report.trends))
            }
            Err(Stop::Held(held)) => {
                let counts = process::counts(&held.tally, &sift_warehouse::LoadOutcome::default(), updating);
                tracing::info!(source = %source, reason = %held.reason(), "file held");
                let trends = self.remember(&file.dataset, &source, &held.checksum, &held.tally, true).await;
                let limit = held.hold.to_string();
                let (uri, url, warnings_uri) = self.locations(&held.invalid_key, &held.warnings_key);
                let report = Report::held(&context, &source, &counts, limit.clone(), uri.clone(), url)
                    .with_warnings_uri(warnings_uri.clone())
                    .with_descriptions(Self::descriptions(&job.contract))
                    .with_trends(trends);
                let notification = self.notify(&report, &source).await;
                self.alert(&report, &source).await;
                Ok(Summary::held(file, counts, uri, &limit, notification, started.elapsed())
                    .with_warnings_uri(warnings_uri)
                    .with_anomalies(&report.trends))
            }
            Err(Stop::Rejected(reason)) => {
                // Not a warning here: the shells say it (the CLI's summary, the Lambda's result).
                tracing::info!(source = %source, reason = %reason, "file rejected");
                let report = Report::rejected(&context, &source, reason.clone());
                let notification = self.notify(&report, &source).await;
                Ok(Summary::rejected(file, reason, notification, started.elapsed()))
            }
            Err(stop @ (Stop::Failed(_) | Stop::LoadGone)) => {
                let error = stop.into_error(&source);
                // The error is returned: the caller shows or logs it, once.
                tracing::debug!(source = %source, error = %ErrorChain(&error), "processing failed; nothing was loaded");
                self.notify(&Report::failed(&context, &source, ErrorChain(&error).to_string()), &source)
                    .await;
                Err(error)
            }
        }
    }

    fn stage(&self, stage: Stage) {
        if let Some(progress) = &self.progress {
            progress(stage);
        }
    }
}
