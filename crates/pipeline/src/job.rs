//! One file's work: what [`crate::Pipeline::run`] takes per file, and where its invalid records
//! and warnings go.

use std::sync::Arc;

use chrono::NaiveDate;
use sift_storage::{Compression, ObjectStore};
use sift_validator::Contract;

use crate::{INVALID_RECORDS_SUFFIX, WARNINGS_SUFFIX};

/// One file to run: where it is, the contract it is checked against, its reference date and
/// where its invalid records go. The pipeline is built once; a job is made per file.
#[derive(Clone)]
pub struct Job {
    /// The store holding the source.
    pub sources: Arc<dyn ObjectStore>,
    /// The source's key in `sources`.
    pub key: String,
    /// The dataset's contract: its rules, and the table its valid rows load (none: validate
    /// only).
    pub contract: Arc<Contract>,
    /// Reference date of the date, timestamp and age rules, and the date folder of invalid
    /// records.
    pub as_of: NaiveDate,
    /// Key prefix of the invalid-records files in the pipeline's invalid store (no trailing
    /// slash; may be empty).
    pub invalid_prefix: String,
    /// A run still reading or validating at this instant is stopped: the load is rolled back
    /// and `run` returns [`crate::Error::Deadline`] after the failure report, so a re-run starts
    /// over. A run that reached the commit is left to finish. The Lambda sets it a safety
    /// margin before its own deadline, so that a file too big for the time left fails cleanly
    /// instead of being killed.
    pub deadline: Option<tokio::time::Instant>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("source", &self.sources.uri(&self.key))
            .field("contract", &self.contract.name)
            .field("as_of", &self.as_of)
            .field("invalid_prefix", &self.invalid_prefix)
            .field("deadline", &self.deadline)
            .finish()
    }
}

impl Job {
    /// The job of `key` in `sources` under `contract`, as of `as_of`, with its invalid records
    /// under `invalid_prefix` and no deadline.
    pub fn new(
        sources: Arc<dyn ObjectStore>,
        key: impl Into<String>,
        contract: Arc<Contract>,
        as_of: NaiveDate,
        invalid_prefix: impl Into<String>,
    ) -> Self {
        Self {
            sources,
            key: key.into(),
            contract,
            as_of,
            invalid_prefix: invalid_prefix.into(),
            deadline: None,
        }
    }

    /// The same job, stopped at `deadline` (see [`Job::deadline`]).
    pub fn with_deadline(mut self, deadline: tokio::time::Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Where the file's invalid records go:
    /// `<prefix>/<as-of>/<source stem>_<tag>_invalid_records.csv`, where the stem leaves out a
    /// compression suffix and then the extension (`a.csv.gz` and `a.csv` both give `a`; the
    /// file is plain CSV either way), and the tag is the first 12 hex digits of the SHA-256 of
    /// the `source` URI and the content's `checksum`: two sources with the same file name on one
    /// day, or a corrected file under the same name, never share an object, and a re-run of
    /// the same file writes the same one.
    pub fn invalid_key(&self, source: &str, checksum: &str) -> String {
        format!("{}{INVALID_RECORDS_SUFFIX}", self.quarantine_stem(source, checksum))
    }

    /// Where the file's warnings go: beside its invalid records,
    /// `<prefix>/<as-of>/<source stem>_<tag>_warnings.csv`.
    pub fn warnings_key(&self, source: &str, checksum: &str) -> String {
        format!("{}{WARNINGS_SUFFIX}", self.quarantine_stem(source, checksum))
    }

    /// `<prefix>/<as-of>/<source stem>_<tag>`, the key of a file's invalid records and warnings
    /// before their suffixes.
    fn quarantine_stem(&self, source: &str, checksum: &str) -> String {
        use sha2::{Digest, Sha256};
        let key = Compression::strip_suffix(&self.key);
        let name = key.rsplit('/').next().unwrap_or(key);
        let stem = match name.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem,
            _ => name,
        };
        let digest = Sha256::new().chain_update(source).chain_update([0]).chain_update(checksum).finalize();
        let tag: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let file = format!("{}/{stem}_{tag}", self.as_of.format("%Y-%m-%d"));
        match self.invalid_prefix.trim_matches('/') {
            "" => file,
            prefix => format!("{prefix}/{file}"),
        }
    }

    /// Completes at the deadline; never without one.
    pub(crate) async fn expired(&self) {
        match self.deadline {
            Some(deadline) => tokio::time::sleep_until(deadline).await,
            None => std::future::pending().await,
        }
    }
}
