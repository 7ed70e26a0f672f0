//! The warehouse error type.

/// Everything that can go wrong loading the warehouse.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The warehouse URL is not one sift knows.
    #[error("unsupported warehouse URL `{0}`: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// Connecting to the database failed.
    #[error("cannot connect to the warehouse at {target}{}", after_attempts(*attempts))]
    Connect {
        /// The database, without credentials.
        target: String,
        /// Connection attempts made (with backoff between them).
        attempts: u32,
        /// What the driver said.
        #[source]
        source: sqlx::Error,
    },
    /// Applying the embedded migrations failed.
    #[error("migrating the warehouse schema failed (check that the database user may create tables)")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A statement failed; the file's transaction was rolled back and nothing of it is loaded.
    #[error("loading {source_uri} failed and was rolled back (nothing of it is loaded)")]
    Load {
        /// The file being loaded.
        source_uri: String,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },
    /// The producer of the batches gave up (for example the file was rejected midway); the
    /// transaction was rolled back and nothing of the file is loaded.
    #[error("loading {source_uri} was abandoned and rolled back (nothing of it is loaded): {reason}")]
    Aborted {
        /// The file being loaded.
        source_uri: String,
        /// Why the producer gave up.
        reason: String,
    },
    /// A load running alongside others ([`crate::LoadMode::Concurrent`]) kept colliding with
    /// loads writing the same keys (each collision is resolved in place; this is the rare case
    /// of a batch meeting many in a row); it was rolled back, nothing of it is loaded. Run the
    /// file again with [`crate::LoadMode::Exclusive`]: alone, it cannot collide with another
    /// sift load.
    #[error("loading {source_uri} met a concurrent load writing the same keys into {table}; rolled back")]
    KeyConflict {
        /// The file being loaded.
        source_uri: String,
        /// The table.
        table: String,
        /// What the database said (a unique violation or a deadlock).
        #[source]
        source: sqlx::Error,
    },
    /// The database credentials could not be read or are malformed.
    #[error("database credentials: {0}")]
    Credentials(String),
    /// sift's own tables are missing: the database was never migrated.
    #[error(
        "sift's own tables (the load ledger, the history) are missing or out of date; run \
         `sift migrate --warehouse URL` or drop --no-migrate"
    )]
    NotMigrated,
    /// The contract's table does not exist and creating it was not asked for.
    #[error(
        "table {table} does not exist; run `sift migrate --contract FILE --warehouse URL` to create it, \
         or drop --no-migrate"
    )]
    TableMissing {
        /// The table, as the contract names it.
        table: String,
    },
    /// An existing table does not fit the contract; nothing was read or loaded.
    #[error(
        "table {table} does not fit the contract ({}): {}; sift never alters an existing table: \
         change the table or the contract",
        plural(differences.len(), "difference"),
        differences.join("; ")
    )]
    SchemaMismatch {
        /// The table, as the contract names it.
        table: String,
        /// Each difference, in words.
        differences: Vec<String>,
    },
    /// Creating the contract's table, or reading its shape from the catalog, failed.
    #[error("preparing table {table} failed")]
    Schema {
        /// The table, as the contract names it.
        table: String,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },
    /// Reading or writing sift's history of validated files failed (the loads are not
    /// affected: the history is written after a load commits).
    #[error("{action} the history of dataset {dataset} failed")]
    History {
        /// `recording` or `reading`.
        action: &'static str,
        /// The dataset (`every dataset` when reading them all).
        dataset: String,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },
    /// A batch does not have its table's shape (a bug in the caller: the validator builds
    /// batches from the same contract).
    #[error("a batch does not fit its table (a bug in sift, please report it): {0}")]
    Batch(String),
}

impl Error {
    /// Whether trying again later may succeed (connection trouble, a rolled-back load).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connect { source, .. } => transient(source),
            // Data (22), integrity (23) and schema (42) errors come back on every retry.
            Error::Load { source, .. } => !matches!(
                source,
                sqlx::Error::Database(db)
                    if db.code().as_deref().is_some_and(|c| ["22", "23", "42"].iter().any(|class| c.starts_with(class)))
            ),
            Error::Schema { source, .. } | Error::History { source, .. } => transient(source),
            Error::KeyConflict { .. } => true,
            _ => false,
        }
    }
}

impl From<polars::error::PolarsError> for Error {
    fn from(e: polars::error::PolarsError) -> Self {
        Error::Batch(e.to_string())
    }
}

/// `n` and `noun`, plural when `n` is not 1.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// ` after N attempts` when there was more than one.
fn after_attempts(attempts: u32) -> String {
    if attempts > 1 { format!(" after {attempts} attempts") } else { String::new() }
}

/// Connection trouble that may pass (the server starting, a network blip, too many
/// connections); bad credentials or a missing database will not.
pub(crate) fn transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => {
            true
        }
        // 57P03 cannot connect now (starting up), 53300 too many connections, 08xxx connection.
        sqlx::Error::Database(db) => {
            db.code().as_deref().is_some_and(|c| c == "57P03" || c == "53300" || c.starts_with("08"))
        }
        _ => false,
    }
}

/// The warehouse result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
