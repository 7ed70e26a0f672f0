//! Reading and validating one file: the reader task's loop, and the validation loop that runs
//! on a blocking thread and streams the valid rows to the load.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use sha2::{Digest, Sha256};
use sift_validator::{FileValidator, InvalidRecords, Tally, ValidatedChunk};
use sift_warehouse::{AbortReason, LoadEvent};

use crate::{Error, Progress, Stage};

/// Why a run stopped before its load was sealed.
pub(crate) enum Stop {
    /// The file was refused as a whole (the summary's `error`).
    Rejected(String),
    /// The file was read and validated but is over a contract limit: nothing loaded, its
    /// invalid records (and warnings) written.
    Held(Box<Held>),
    /// Infrastructure failed, or the deadline came: `run` returns the error.
    Failed(Error),
    /// The warehouse stopped taking rows: its load failed, and its error says why.
    LoadGone,
}

impl Stop {
    /// The error a stop stands for (`process` resolves `LoadGone` into the load's own error; a
    /// rejection is no error, and `run` never asks for one).
    pub(crate) fn into_error(self, source: &str) -> Error {
        let aborted = |reason: String| Error::Abandoned { source_uri: source.to_owned(), reason };
        match self {
            Stop::Failed(error) => error,
            Stop::Rejected(reason) => aborted(reason),
            Stop::Held(held) => aborted(held.reason()),
            Stop::LoadGone => aborted("the load stopped taking rows".into()),
        }
    }
}

/// A held file: what held it, its counts and the files written.
pub(crate) struct Held {
    pub hold: sift_validator::Hold,
    pub tally: Tally,
    /// SHA-256 of the file's bytes (its history entry's key).
    pub checksum: String,
    pub invalid_key: Option<String>,
    pub warnings_key: Option<String>,
}

impl Held {
    /// The summary's `error`: `file held: ` and the limit.
    pub(crate) fn reason(&self) -> String {
        sift_model::Summary::held_error(&self.hold.to_string())
    }
}

/// What validating a whole file gave (the valid rows went to the warehouse on the way).
pub(crate) struct Validated {
    pub tally: Tally,
    pub bytes: u64,
    pub checksum: String,
    pub invalid: Option<InvalidRecords>,
    /// The valid rows that warned (`warn` rules), when any did.
    pub warnings: Option<InvalidRecords>,
}

/// What the reader sends the validator. The file is complete only once `End` arrives: a
/// channel that closes without it means the reader stopped early, and nothing may be sealed.
pub(crate) enum Piece {
    Bytes(bytes::Bytes),
    /// The file's size is about this many bytes (the store's size, or a compressed object's
    /// estimated once its first bytes are decompressed), for sizing the validator's state.
    Expect(u64),
    End,
}

pub(crate) type EventSender = tokio::sync::mpsc::Sender<Result<LoadEvent, AbortReason>>;

/// A validator error as a stop: a rejection is the file's fault, anything else is a failure.
pub(crate) fn stop(error: sift_validator::Error) -> Stop {
    match error {
        sift_validator::Error::Rejected(r) => Stop::Rejected(format!("file rejected: {r}")),
        sift_validator::Error::RowsRefused => Stop::LoadGone,
        other => Stop::Failed(Error::Validator(other)),
    }
}

/// Sends the object's bytes to the validator, then `End`; stops at the first read error (and
/// returns it) or when the validator has stopped taking bytes.
pub(crate) async fn read(
    stream: &mut sift_storage::ByteStream,
    bytes_tx: tokio::sync::mpsc::Sender<Piece>,
) -> Option<sift_storage::Error> {
    // The validator is told the file's size as soon as it is known: at once when the store
    // gave it, else (a compressed object) once the first bytes give an estimate.
    let mut told = false;
    if !tell_size(&mut told, stream, &bytes_tx).await {
        return None;
    }
    while let Some(bytes) = stream.next().await {
        match bytes {
            Ok(bytes) => {
                // A closed channel means the validator stopped early: stop reading.
                if !tell_size(&mut told, stream, &bytes_tx).await
                    || bytes_tx.send(Piece::Bytes(bytes)).await.is_err()
                {
                    return None;
                }
            }
            Err(e) => return Some(e),
        }
    }
    let _ = bytes_tx.send(Piece::End).await;
    None
}

/// Sends `Expect` with the stream's size the first time it is known (`told` remembers); false
/// when the validator has stopped taking pieces.
async fn tell_size(
    told: &mut bool,
    stream: &sift_storage::ByteStream,
    bytes_tx: &tokio::sync::mpsc::Sender<Piece>,
) -> bool {
    match stream.estimated_size() {
        Some(size) if !*told => {
            *told = true;
            bytes_tx.send(Piece::Expect(size)).await.is_ok()
        }
        _ => true,
    }
}

/// Validates the bytes arriving on `rx` with `file` (runs on a blocking thread; its worker
/// sends the valid rows to the load, when there is one).
pub(crate) fn validate(
    mut rx: tokio::sync::mpsc::Receiver<Piece>,
    mut file: FileValidator,
    progress: Option<Progress>,
    cancelled: &AtomicBool,
) -> Result<Validated, Stop> {
    let mut digest = Sha256::new();
    let mut invalid: Option<InvalidRecords> = None;
    let mut warnings: Option<InvalidRecords> = None;
    let mut forward = |file: &FileValidator, chunks: Vec<ValidatedChunk>| {
        for chunk in chunks {
            if let Some(header) = file.header() {
                if chunk.invalid.height() > 0 {
                    invalid
                        .get_or_insert_with(|| InvalidRecords::new(header, file.dialect()))
                        .append(&chunk.invalid)
                        .map_err(stop)?;
                }
                if chunk.warned.height() > 0 {
                    warnings
                        .get_or_insert_with(|| InvalidRecords::warned(header, file.dialect()))
                        .append(&chunk.warned)
                        .map_err(stop)?;
                }
            }
        }
        Ok(())
    };
    // The input ended without its end marker (the reader stopped: a read error or the
    // deadline), or the run was cancelled: what was validated is not the whole file.
    let interrupted = |file: &FileValidator| {
        Stop::Failed(Error::Deadline { bytes_read: file.bytes_seen(), rows_validated: file.tally().total })
    };
    loop {
        if cancelled.load(Ordering::Relaxed) {
            return Err(interrupted(&file));
        }
        // Bytes already queued keep the reader and the validating worker busy at once; before
        // waiting on a slow source, the worker's chunks are taken in and passed on.
        let piece = match rx.try_recv() {
            Ok(piece) => Some(piece),
            Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => None,
            Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                let chunks = file.catch_up().map_err(stop)?;
                forward(&file, chunks)?;
                rx.blocking_recv()
            }
        };
        let bytes = match piece {
            Some(Piece::Bytes(bytes)) => bytes,
            Some(Piece::Expect(size)) => {
                file.expect_bytes(size);
                continue;
            }
            Some(Piece::End) => break,
            None => return Err(interrupted(&file)),
        };
        digest.update(&bytes);
        let chunks = file.push(&bytes).map_err(stop)?;
        forward(&file, chunks)?;
        if let Some(progress) = &progress {
            progress(Stage::Reading { bytes: file.bytes_seen(), rows: file.tally().total });
        }
    }
    let chunks = file.finish().map_err(stop)?;
    forward(&file, chunks)?;
    if let Some(progress) = &progress {
        progress(Stage::Reading { bytes: file.bytes_seen(), rows: file.tally().total });
    }
    let checksum = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Validated { tally: file.tally().clone(), bytes: file.bytes_seen(), checksum, invalid, warnings })
}
