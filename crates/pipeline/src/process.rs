//! The run orchestration: the table prepared, then three stages at once (read, validate,
//! load) with bounded queues between them, and the accepted file sealed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sift_model::Counts;
use sift_storage::Compression;
use sift_warehouse::{FileSeal, LoadEvent, LoadMode, LoadStream};

use sift_validator::{FileValidator, InvalidRecords};

use crate::validate::{self, EventSender, Held, Piece, Stop, Validated, read, validate};
use crate::{Error, ErrorChain, Job, Pipeline, Stage};

/// Chunks of the source held between the reader and the validator.
const READ_AHEAD_CHUNKS: usize = 8;
/// Validated batches held between the validator and the warehouse: memory stays bounded
/// whatever the file size.
const LOAD_AHEAD_BATCHES: usize = 2;

type LoadTask = tokio::task::JoinHandle<sift_warehouse::Result<sift_warehouse::LoadOutcome>>;

/// What processing a file gave.
pub(crate) struct Processed {
    pub(crate) tally: sift_validator::Tally,
    /// SHA-256 of the file's bytes.
    pub(crate) checksum: String,
    pub(crate) invalid_key: Option<String>,
    pub(crate) warnings_key: Option<String>,
    pub(crate) outcome: sift_warehouse::LoadOutcome,
}

impl Processed {
    /// The counts the summary and the report give; `updating` when the table's `on_conflict`
    /// is `update`.
    pub(crate) fn counts(&self, updating: bool) -> Counts {
        counts(&self.tally, &self.outcome, updating)
    }
}

/// The counts of a file validated as `tally` and loaded as `outcome` (into a table that
/// updates, when `updating`).
pub(crate) fn counts(
    tally: &sift_validator::Tally,
    outcome: &sift_warehouse::LoadOutcome,
    updating: bool,
) -> Counts {
    let owned = |(id, n): (&str, u64)| (id.to_owned(), n);
    Counts {
        total: tally.total,
        valid: tally.valid,
        invalid: tally.invalid,
        inserted: outcome.inserted,
        already_present: outcome.already_present,
        updates: updating
            .then_some(sift_model::Updates { updated: outcome.updated, unchanged: outcome.unchanged }),
        rule_failures: tally.nonzero_failures().map(owned).collect(),
        rule_warnings: tally.nonzero_warnings().map(owned).collect(),
        duplicate_groups: tally.nonzero_duplicate_groups().map(owned).collect(),
        co_failures: tally
            .top_pairs(5)
            .into_iter()
            .map(|(a, b, n)| (a.to_owned(), b.to_owned(), n))
            .collect(),
        already_loaded: outcome.already_loaded,
    }
}

impl Pipeline {
    /// Reads, validates and loads `key`; nothing is committed unless this returns `Ok`.
    pub(crate) async fn process(
        &self,
        job: &Job,
        table: Option<&sift_model::TableSpec>,
        source: &str,
        mode: LoadMode,
    ) -> std::result::Result<Processed, Stop> {
        let key = job.key.as_str();
        // The table first, before anything is read: a contract that does not fit the
        // warehouse stops here (SPEC section 7).
        if let Some(table) = table {
            self.warehouse
                .prepare(table, self.config.create_tables)
                .await
                .map_err(|e| Stop::Failed(Error::Warehouse(e)))?;
        }
        // The contract compiled for this file: one that does not compile stops here too.
        let mut file = FileValidator::new(job.contract.as_ref().clone(), job.as_of, self.config.chunk_rows)
            .map_err(validate::stop)?;
        // A store slow to answer is stopped by the deadline too.
        let stream = tokio::select! {
            stream = job.sources.get(key) => stream.map_err(|e| Stop::Failed(Error::Source(e)))?,
            () = job.expired() => return Err(Stop::Failed(Error::Deadline { bytes_read: 0, rows_validated: 0 })),
        };
        // A compressed object is decompressed as it streams in; its size is then estimated from
        // the expansion so far (`read` tells the validator). The ledger's checksum is the CSV's.
        let mut stream = match Compression::detect(key, stream.content_encoding()) {
            Some(compression) => {
                tracing::debug!(source = %source, %compression, "decompressing");
                stream.decompressed(compression, source)
            }
            None => stream,
        };

        // Three stages run at once, with bounded queues between them: this task reads the
        // object, a blocking thread validates it (CPU work; polars blocks), and the warehouse
        // loads the valid rows in its one transaction. Nothing commits until the seal below.
        // A validate-only contract has no load.
        let (bytes_tx, bytes_rx) = tokio::sync::mpsc::channel::<Piece>(READ_AHEAD_CHUNKS);
        let load = table.cloned().map(|table| {
            let (events_tx, events_rx) = tokio::sync::mpsc::channel(LOAD_AHEAD_BATCHES);
            let events: LoadStream = Box::pin(futures::stream::unfold(events_rx, |mut rx| async move {
                rx.recv().await.map(|event| (event, rx))
            }));
            let warehouse = self.warehouse.clone();
            let load_source = source.to_owned();
            let task = tokio::spawn(async move { warehouse.load(&table, &load_source, mode, events).await });
            Load { events: events_tx, task }
        });
        if let Some(load) = &load {
            // The validator's worker sends the valid rows to the load itself, in file order, as
            // it validates them; a load that stopped taking rows stops the file (`LoadGone`).
            let events = load.events.clone();
            file = file.with_rows_to(Box::new(move |rows| {
                events.blocking_send(Ok(LoadEvent::Rows(rows))).map_err(|_| ())
            }));
        }
        let progress = self.progress.clone();
        let cancelled = Arc::new(AtomicBool::new(false));
        let validator_cancelled = cancelled.clone();
        let mut validation =
            tokio::task::spawn_blocking(move || validate(bytes_rx, file, progress, &validator_cancelled));

        // The deadline stops the reader (dropping it closes the channel without `End`) and
        // tells the validator to stop at its next piece.
        let mut expired = std::pin::pin!(job.expired());
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
            // Bytes that do not decompress are the file's fault, like bytes that do not parse.
            (Some(e @ sift_storage::Error::Corrupt { .. }), _) => {
                Stop::Rejected(format!("file rejected: {e}"))
            }
            (Some(e), _) => Stop::Failed(Error::Source(e)),
            (None, Ok(validated)) => return self.finish(job, source, validated, load).await,
            (None, Err(stop)) => stop,
        };
        let reason = match &stop {
            Stop::Rejected(reason) => reason.clone(),
            Stop::Held(held) => held.reason(),
            Stop::Failed(e) => ErrorChain(e).to_string(),
            Stop::LoadGone => {
                // The warehouse stopped taking rows: its error is the reason.
                return Err(Stop::Failed(match load {
                    Some(load) => load.failure(source).await,
                    None => Error::Abandoned {
                        source_uri: source.to_owned(),
                        reason: "rows were sent to a load that does not exist".into(),
                    },
                }));
            }
        };
        if let Some(load) = load {
            load.abandon(reason).await;
        }
        Err(stop)
    }

    /// The file is read: write the invalid records (and the warnings), then seal the load
    /// (commit), unless the file is over one of the contract's limits: then it is held, and
    /// the load rolled back.
    async fn finish(
        &self,
        job: &Job,
        source: &str,
        validated: Validated,
        load: Option<Load>,
    ) -> std::result::Result<Processed, Stop> {
        let Validated { tally, bytes, checksum, invalid, warnings } = validated;
        let written = async {
            let invalid_key = self
                .write_records(job, invalid, job.invalid_key(source, &checksum), bytes, tally.total)
                .await?;
            let warnings_key = self
                .write_records(job, warnings, job.warnings_key(source, &checksum), bytes, tally.total)
                .await?;
            Ok::<_, Error>((invalid_key, warnings_key))
        };
        let (invalid_key, warnings_key) = match written.await {
            Ok(keys) => keys,
            Err(error) => {
                if let Some(load) = load {
                    load.abandon(ErrorChain(&error).to_string()).await;
                }
                return Err(Stop::Failed(error));
            }
        };
        if let Some(hold) = job.contract.hold(&tally) {
            let held = Held { hold, tally, checksum, invalid_key, warnings_key };
            if let Some(load) = load {
                load.abandon(held.reason()).await;
            }
            return Err(Stop::Held(Box::new(held)));
        }
        let Some(load) = load else {
            // Validate only: nothing to load.
            return Ok(Processed {
                tally,
                checksum,
                invalid_key,
                warnings_key,
                outcome: sift_warehouse::LoadOutcome::default(),
            });
        };
        self.stage(Stage::Loading { rows: tally.valid });
        let seal =
            FileSeal { checksum: checksum.clone(), total_rows: tally.total, invalid_rows: tally.invalid };
        // If the load already failed, the send fails and its error comes back below.
        let _ = load.events.send(Ok(LoadEvent::Seal(seal))).await;
        drop(load.events);
        let outcome = match load.task.await {
            Ok(result) => result.map_err(|e| Stop::Failed(Error::Warehouse(e)))?,
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        };
        Ok(Processed { tally, checksum, invalid_key, warnings_key, outcome })
    }

    /// Writes `records` (the invalid rows, or the warned ones) at `file_key` when there are
    /// any; returns the key written. The deadline stops the write.
    async fn write_records(
        &self,
        job: &Job,
        records: Option<InvalidRecords>,
        file_key: String,
        bytes_read: u64,
        rows_validated: u64,
    ) -> Result<Option<String>, Error> {
        let Some(records) = records.filter(|r| r.rows() > 0) else { return Ok(None) };
        self.stage(Stage::WritingInvalid { rows: records.rows() });
        let put = self.invalid.put(&file_key, records.into_bytes().into(), "text/csv");
        tokio::select! {
            written = put => written.map_err(Error::InvalidRecords)?,
            () = job.expired() => return Err(Error::Deadline { bytes_read, rows_validated }),
        }
        Ok(Some(file_key))
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
            Ok(Ok(_)) => Error::Abandoned {
                source_uri: source.to_owned(),
                reason: "the warehouse stopped reading rows without an error".into(),
            },
            Err(join) => std::panic::resume_unwind(join.into_panic()),
        }
    }
}
