//! The pipeline error type: infrastructure failures. A rejected file is not an error; it is a
//! summary with `status: "rejected"`.

/// A run that could not complete. Nothing of the file is loaded when `run` returns one of these,
/// and running the same file again is safe.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the source object failed.
    #[error("reading the source failed")]
    Source(#[source] sift_storage::Error),
    /// Writing the invalid-records file failed; nothing was loaded.
    #[error("writing the invalid records failed, so nothing was loaded")]
    InvalidRecords(#[source] sift_storage::Error),
    /// The warehouse load failed and was rolled back.
    #[error(transparent)]
    Warehouse(sift_warehouse::Error),
    /// The run stopped before its load was sealed, for `reason`; nothing of the file is loaded.
    #[error("loading {source_uri} was abandoned and rolled back (nothing of it is loaded): {reason}")]
    Abandoned {
        /// The file being processed.
        source_uri: String,
        /// Why the run stopped.
        reason: String,
    },
    /// The rule set does not fit the warehouse or the validator failed unexpectedly.
    #[error(transparent)]
    Validator(sift_validator::Error),
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
            Error::Validator(_) | Error::Abandoned { .. } => false,
            // A retry may get a fresh, longer budget (a Lambda retried later, a smaller batch).
            Error::Deadline { .. } => true,
        }
    }
}

/// An error and its causes on one line, `outer: cause: cause`, each said once.
///
/// sift's own errors never repeat their source in their message (the source is returned by
/// `source()` instead), but some drivers' do (sqlx's `error communicating with database: {0}`
/// also returns the I/O error as its source): a cause whose text is already part of the line is
/// left out. Use it wherever an error is shown to a person: the summary's `error`, the report,
/// the Lambda's `errorMessage`, log fields and the command line.
///
/// ```
/// let io = std::io::Error::other("connection reset");
/// let error = sift_pipeline::Error::Source(sift_storage::Error::Io {
///     action: "reading",
///     uri: "s3://in/customers.csv".into(),
///     source: io,
/// });
/// assert_eq!(
///     sift_pipeline::ErrorChain(&error).to_string(),
///     "reading the source failed: reading s3://in/customers.csv: connection reset"
/// );
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut line = self.0.to_string();
        let mut cause = self.0.source();
        while let Some(error) = cause {
            let text = error.to_string();
            if !text.is_empty() && !line.contains(&text) {
                line.push_str(": ");
                line.push_str(&text);
            }
            cause = error.source();
        }
        f.write_str(&line)
    }
}

/// The pipeline result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
