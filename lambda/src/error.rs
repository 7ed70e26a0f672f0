//! Why an invocation failed, and how the failure is reported to Lambda.

use lambda_runtime::Diagnostic;

/// Whether trying the same work again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A hiccup (network, throttling, a database restart): a retry may succeed.
    May,
    /// The same failure will come back (the file is bad, the object is missing, access is
    /// denied): it needs a person.
    Never,
}

/// One file that could not be processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileFailure {
    /// `s3://bucket/key`.
    pub source: String,
    /// The file was rejected (rather than infrastructure failing).
    pub rejected: bool,
    /// Whether a retry can help.
    pub retry: Retry,
    /// Why, in words a person can act on.
    pub reason: String,
}

/// Everything that fails an invocation.
#[derive(thiserror::Error)]
pub enum Error {
    /// A configuration variable holds a value sift cannot use.
    #[error("{variable}={value:?}: expected {expected}")]
    Setting {
        /// The environment variable.
        variable: String,
        /// Its value.
        value: String,
        /// What it takes.
        expected: String,
    },
    /// The event is not one the Lambda accepts.
    #[error("unrecognised event: {0}")]
    Event(String),
    /// The warehouse could not be reached or migrated (nothing was processed).
    #[error("the warehouse is not ready, nothing was processed")]
    Warehouse(#[source] sift_shell::Error),
    /// Some files failed (the others were processed; re-running them is safe).
    #[error("{}", describe(.0))]
    Files(Vec<FileFailure>),
}

fn describe(failures: &[FileFailure]) -> String {
    let parts: Vec<String> = failures
        .iter()
        .map(|f| format!("{} {}: {}", f.source, if f.rejected { "rejected" } else { "failed" }, f.reason))
        .collect();
    let files = if failures.len() == 1 { "file" } else { "files" };
    format!("{} {files} not processed: {}", failures.len(), parts.join("; "))
}

impl Error {
    /// Whether a retry of the invocation can help.
    pub fn retry(&self) -> Retry {
        match self {
            Error::Setting { .. } | Error::Event(_) => Retry::Never,
            Error::Warehouse(e) if e.is_retryable() => Retry::May,
            Error::Warehouse(_) => Retry::Never,
            Error::Files(failures) if failures.iter().any(|f| f.retry == Retry::May) => Retry::May,
            Error::Files(_) => Retry::Never,
        }
    }

    /// The `errorType` Lambda records (and the on-failure destination carries), so an operator
    /// can tell at a glance what needs a person.
    pub fn error_type(&self) -> &'static str {
        match (self, self.retry()) {
            (Error::Setting { .. }, _) => "Sift.Configuration",
            (Error::Event(_), _) => "Sift.UnrecognisedEvent",
            (Error::Files(f), Retry::Never) if f.iter().all(|f| f.rejected) => "Sift.FileRejected",
            (_, Retry::May) => "Sift.Retryable",
            (_, Retry::Never) => "Sift.Failed",
        }
    }
}

/// The runtime logs a failed invocation with `{:?}`: the type and the message read better there
/// than the structure.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error_type(), sift_pipeline::ErrorChain(self))
    }
}

impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        let error_message = sift_pipeline::ErrorChain(&error).to_string();
        Diagnostic { error_type: error.error_type().to_owned(), error_message }
    }
}
