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
}

impl Error {
    /// Whether a retry may succeed: storage and database hiccups may pass; a missing object or
    /// a rule set that does not fit will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Source(e) | Error::InvalidRecords(e) => e.is_retryable(),
            Error::Warehouse(e) => e.is_retryable(),
            Error::Validator(_) => false,
        }
    }
}

/// The pipeline result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
