//! One run of sift over one source file: read, validate, write the invalid records, load the
//! valid ones, report.
//!
//! [`Pipeline`] composes the four seams ([`ObjectStore`], [`Warehouse`], [`Notifier`] and the
//! validator) and returns the [`Summary`] of SPEC section 4. The command line and the Lambda
//! are thin shells around it: they build the backends once and call [`Pipeline::run`] per file.
//!
//! Order of effects, so that a report never claims what did not happen:
//! 1. the whole file is read and validated; a file-level rejection stops here (nothing written,
//!    nothing loaded) and the report says `FAILED` with the reason;
//! 2. the invalid-records file is written (a pure function of the input: a re-run rewrites the
//!    same object);
//! 3. the valid rows are loaded in one transaction; if that fails nothing of the file is
//!    loaded, the report says `FAILED` and `run` returns the error;
//! 4. the report is sent; if that fails, the summary says `notification: "failed"` and the load
//!    and the invalid-records file stand.
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
//!     rules: sift_validator::customer_rules(None),
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

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use sift_notifier::{NotificationStatus, Notifier, Outcome, Report, Status};
use sift_storage::ObjectStore;
use sift_validator::{CustomerBatch, FileValidator, InvalidRecords, RuleSet};
use sift_warehouse::{FileSeal, Warehouse};

pub use crate::error::{Error, Result};
pub use sift_notifier::Summary;

/// Typed configuration of a pipeline; the shells fill it from flags or the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Name in the report subject: `sift` on the command line, the Lambda's function name.
    pub function_name: String,
    /// Reference date of the date and age rules, and the date folder of invalid records.
    pub as_of: NaiveDate,
    /// The rules.
    pub rules: RuleSet,
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
    sources: Arc<dyn ObjectStore>,
    invalid: Arc<dyn ObjectStore>,
    warehouse: Arc<dyn Warehouse>,
    notifier: Option<Arc<dyn Notifier>>,
    progress: Option<Progress>,
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

/// What validating a whole file gave.
struct Validated {
    tally: sift_validator::Tally,
    checksum: String,
    invalid: Option<InvalidRecords>,
    valid: Vec<CustomerBatch>,
}

/// Validates the bytes arriving on `rx` (runs on a blocking thread).
fn validate(
    mut rx: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    config: &Config,
    progress: Option<Progress>,
) -> sift_validator::Result<Validated> {
    let mut file = FileValidator::new(config.rules.clone(), config.as_of, config.chunk_rows)?;
    let mut digest = Sha256::new();
    let mut invalid: Option<InvalidRecords> = None;
    let mut valid = Vec::new();
    let mut collect = |file: &FileValidator, chunks: Vec<sift_validator::ValidatedChunk>| {
        for chunk in chunks {
            if chunk.invalid.height() > 0
                && let Some(header) = file.header()
            {
                invalid.get_or_insert_with(|| InvalidRecords::new(header)).append(&chunk.invalid)?;
            }
            valid.push(CustomerBatch::from_valid(&chunk.valid)?);
        }
        Ok::<_, sift_validator::Error>(())
    };
    while let Some(bytes) = rx.blocking_recv() {
        digest.update(&bytes);
        let chunks = file.push(&bytes)?;
        collect(&file, chunks)?;
        if let Some(progress) = &progress {
            progress(Stage::Reading { bytes: file.bytes_seen(), rows: file.tally().total });
        }
    }
    let chunks = file.finish()?;
    collect(&file, chunks)?;
    if let Some(progress) = &progress {
        progress(Stage::Reading { bytes: file.bytes_seen(), rows: file.tally().total });
    }
    let checksum = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Validated { tally: file.tally().clone(), checksum, invalid, valid })
}

/// Why processing stopped before the load.
enum Stop {
    Rejected(String),
    Failed(Error),
}

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
        Self { config, sources, invalid, warehouse, notifier: None, progress: None }
    }

    /// Sends a report through `notifier` after each run.
    pub fn with_notifier(mut self, notifier: Arc<dyn Notifier>) -> Self {
        self.notifier = Some(notifier);
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
        tracing::info!(source = %source, rules = %self.config.rules.name, "processing file");
        let mut summary = Summary {
            status: Status::Ok,
            error: None,
            source: source.clone(),
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
                tracing::warn!(source = %source, reason = %reason, "file rejected");
                summary.status = Status::Rejected;
                summary.error = Some(reason);
            }
            Err(Stop::Failed(error)) => {
                tracing::error!(source = %source, error = %error, "processing failed; nothing was loaded");
                let mut report = Report::from_summary(
                    &summary,
                    &self.config.function_name,
                    executed_at,
                    None,
                    self.config.alert_threshold_pct,
                );
                report.outcome = Outcome::Failed { reason: error.to_string() };
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
        summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(summary)
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
                tracing::error!(source = %source, error = %error, "sending the report failed; the load and the invalid records stand");
                NotificationStatus::Failed
            }
        }
    }

    async fn process(&self, key: &str, source: &str) -> std::result::Result<Processed, Stop> {
        let mut stream = self.sources.get(key).await.map_err(|e| Stop::Failed(Error::Source(e)))?;
        // Validation is CPU work (and polars blocks): it runs on a blocking thread, fed the
        // object's bytes through a bounded channel so reading overlaps validating.
        let (tx, rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(READ_AHEAD_CHUNKS);
        let config = self.config.clone();
        let progress = self.progress.clone();
        let validation = tokio::task::spawn_blocking(move || validate(rx, &config, progress));
        let mut read_error = None;
        while let Some(bytes) = stream.next().await {
            match bytes {
                // A closed channel means the validator stopped early (a rejection): stop reading.
                Ok(bytes) => {
                    if tx.send(bytes).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let validated = validation.await;
        if let Some(e) = read_error {
            return Err(Stop::Failed(Error::Source(e)));
        }
        let Validated { tally, checksum, invalid, valid } = match validated {
            Ok(Ok(v)) => v,
            Ok(Err(sift_validator::Error::Rejected(r))) => {
                return Err(Stop::Rejected(format!("file rejected: {r}")));
            }
            Ok(Err(other)) => return Err(Stop::Failed(Error::Validator(other))),
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };

        let invalid_key = match invalid {
            Some(records) if records.rows() > 0 => {
                self.stage(Stage::WritingInvalid { rows: records.rows() });
                let k = self.invalid_key(key);
                self.invalid
                    .put(&k, records.into_bytes().into(), "text/csv")
                    .await
                    .map_err(|e| Stop::Failed(Error::InvalidRecords(e)))?;
                Some(k)
            }
            _ => None,
        };
        self.stage(Stage::Loading { rows: tally.valid });
        let outcome = self
            .warehouse
            .load(
                source,
                sift_warehouse::sealed(
                    valid,
                    FileSeal { checksum, total_rows: tally.total, invalid_rows: tally.invalid },
                ),
            )
            .await
            .map_err(|e| Stop::Failed(Error::Warehouse(e)))?;
        Ok(Processed { tally, invalid_key, outcome })
    }
}
