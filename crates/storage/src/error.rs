//! The storage error type.

/// Everything that can go wrong reading or writing objects.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No object at that location.
    #[error("no object at {uri}; check the path or key (and the bucket) and that it was uploaded")]
    NotFound {
        /// Where we looked.
        uri: String,
    },
    /// The key is unsafe or malformed for this store (for a local store: it would leave the root).
    #[error("refusing key {key:?}: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The filesystem refused an operation.
    #[error("{action} {uri}")]
    Io {
        /// What we were doing ("reading", "writing", ...).
        action: &'static str,
        /// The object.
        uri: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The object's bytes are not what they claim to be (a corrupt or truncated gzip or zstd
    /// stream): the object's fault, and trying again will not help.
    #[error("{uri}: {reason}")]
    Corrupt {
        /// The object.
        uri: String,
        /// What is wrong, with where.
        reason: String,
    },
    /// A backend-specific failure (network, permissions, throttling...).
    #[error("{action} {uri}: {message}")]
    Backend {
        /// What we were doing.
        action: &'static str,
        /// The object.
        uri: String,
        /// What the backend said.
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
    },
}

impl Error {
    /// Whether trying again later may succeed (a missing object or a bad key will not).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::NotFound { .. } | Error::InvalidKey { .. } | Error::Corrupt { .. } => false,
            Error::Io { source, .. } => !matches!(
                source.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::InvalidInput
            ),
            Error::Backend { retryable, .. } => *retryable,
        }
    }
}

/// The storage result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
