//! The pipeline error type: infrastructure failures. A rejected file is not an error; it is a
//! summary with `status: "rejected"`.

/// A run that could not complete. Nothing of the file is loaded when `run` returns one of these,
/// and running the same file again is safe.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the source object failed.
    #[error("reading the source failed: {0}")]
    Source(#[source] sift_storage::Error),
    /// Writing the invalid-records file failed; nothing was loaded.
    #[error("writing the invalid records failed, so nothing was loaded: {0}")]
    InvalidRecords(#[source] sift_storage::Error),
    /// The warehouse load failed and was rolled back.
    #[error("{0}")]
    Warehouse(#[source] sift_warehouse::Error),
    /// The rule set does not fit the warehouse or the validator failed unexpectedly.
    #[error("{0}")]
    Validator(#[source] sift_validator::Error),
    /// The run's deadline came before the file was done (see `Pipeline::with_deadline`): the
    /// load was rolled back, so a re-run starts over.
    #[error(
        "stopped at the deadline after {bytes_read} bytes and {rows_validated} rows, before the \
         file was loaded; nothing was loaded (re-run it with more time, or split the file)"
    )]
    Deadline {
        /// Bytes of the source read by then.
        bytes_read: u64,
        /// Rows validated by then.
        rows_validated: u64,
    },
}

impl Error {
    /// Whether a retry may succeed: storage and database hiccups may pass; a missing object or
    /// a rule set that does not fit will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Source(e) | Error::InvalidRecords(e) => e.is_retryable(),
            Error::Warehouse(e) => e.is_retryable(),
            Error::Validator(_) => false,
            // A retry may get a fresh, longer budget (a Lambda retried later, a smaller batch).
            Error::Deadline { .. } => true,
        }
    }
}

/// The pipeline result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
