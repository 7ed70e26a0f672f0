//! The shell crate's errors: what a person must fix in a setting, a contract or a warehouse
//! location.

/// Why a contract, a route list or a warehouse could not be had.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A contract's text could not be read.
    #[error("reading contract {location}")]
    ContractRead {
        /// Where the contract was looked for.
        location: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// A contract in S3 could not be read.
    #[error("reading contract {location}")]
    ContractObject {
        /// The object.
        location: String,
        /// What failed.
        #[source]
        source: sift_storage::Error,
    },
    /// A contract's bytes are not UTF-8 text.
    #[error("contract {0} is not UTF-8 text")]
    NotText(String),
    /// A `builtin:` name that no built-in contract has.
    #[error("no built-in contract {0:?}: the built-in one is {builtin}", builtin = crate::BUILTIN_CUSTOMER)]
    UnknownBuiltin(String),
    /// A contract that does not parse or does not hold together.
    #[error("in {location}")]
    Contract {
        /// Where the contract was read.
        location: String,
        /// Why it is unusable.
        #[source]
        source: sift_validator::Error,
    },
    /// A route list that is not what SIFT_ROUTES takes.
    #[error("expected {0}")]
    Routes(String),
    /// A warehouse URL of no backend sift has (the URL itself is not echoed: it may hold a
    /// password).
    #[error("unsupported warehouse URL: use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB")]
    UnsupportedUrl,
    /// The warehouse could not be opened.
    #[error(transparent)]
    Warehouse(#[from] sift_warehouse::Error),
}

impl Error {
    /// Whether trying again may help: a warehouse or S3 hiccup may pass; a bad setting or
    /// contract will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Warehouse(e) => e.is_retryable(),
            Error::ContractObject { source, .. } => source.is_retryable(),
            _ => false,
        }
    }
}
