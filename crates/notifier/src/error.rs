//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong while rendering or delivering a report.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template failed to render.
    #[error("rendering the {template} report failed")]
    Render {
        /// Which template (`"html"` or `"text"`).
        template: &'static str,
        /// What askama reported.
        #[source]
        source: askama::Error,
    },

    /// Building the MIME message failed.
    #[error("building the report email failed (a bug in sift-notifier, please report it)")]
    Mime {
        /// What the MIME writer reported.
        #[source]
        source: std::io::Error,
    },

    /// The message has no recipient.
    #[error("the report email has no recipient; configure at least one To address")]
    NoRecipients,

    /// A From or To address is not a plain email address.
    #[error("the {field} address {address:?} is not a valid email address; use the form name@example.com")]
    InvalidAddress {
        /// `"From"` or `"To"`.
        field: &'static str,
        /// The address as configured.
        address: String,
    },

    /// Writing to the outbox folder failed.
    #[error("cannot write the report to {path} (check that the folder exists and is writable)")]
    Outbox {
        /// The file or folder being written.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Every candidate file name in the outbox is already taken.
    #[error(
        "no free file name for the report in {dir} after {tries} tries; move or delete old .eml files there"
    )]
    OutboxFull {
        /// The outbox folder.
        dir: PathBuf,
        /// How many names were tried.
        tries: u32,
    },
    /// A mail or alert service refused or failed to take the message.
    #[error("{service} did not take the message: {message}")]
    Delivery {
        /// The service (`SES`, `SNS`).
        service: &'static str,
        /// What it said, with what to check.
        message: String,
        /// Whether trying again later may succeed.
        retryable: bool,
    },
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
