//! Opening the warehouse, the same way in both shells: a URL (SQLite or PostgreSQL), or
//! PostgreSQL credentials in an SSM parameter as SPEC section 5 gives them.

use std::path::Path;
use std::sync::Arc;

use sift_warehouse::{PgWarehouse, Retry, SecretSource as _, SqliteWarehouse, Warehouse};

use crate::{Aws, Error};

/// Where the warehouse is.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A URL: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
    Url(String),
    /// An SSM Parameter Store SecureString holding the credentials JSON.
    SsmParameter(String),
}

impl std::fmt::Debug for Database {
    /// Never prints the URL: it may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Url(_) => f.write_str("Url(<redacted>)"),
            Database::SsmParameter(name) => f.debug_tuple("SsmParameter").field(name).finish(),
        }
    }
}

/// Opens the warehouse `database` names, trying a PostgreSQL server `attempts` times (with
/// backoff). Credentials from SSM are verified against `ca_bundle` when the secret names no
/// `sslrootcert` (none: the public roots). Nothing is migrated here.
pub async fn open_warehouse(
    database: &Database,
    attempts: u32,
    ca_bundle: Option<&Path>,
    aws: &Aws,
) -> Result<Arc<dyn Warehouse>, Error> {
    let retry = Retry { attempts, ..Retry::default() };
    match database {
        Database::Url(url) if url.starts_with("sqlite:") => {
            Ok(Arc::new(SqliteWarehouse::connect(url).await?))
        }
        Database::Url(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgWarehouse::connect(url, retry).await?))
        }
        Database::Url(_) => Err(Error::UnsupportedUrl),
        Database::SsmParameter(parameter) => {
            let credentials = aws.ssm_secret(parameter).await.db_credentials().await?;
            let ca_bundle = ca_bundle.filter(|path| !path.as_os_str().is_empty());
            Ok(Arc::new(PgWarehouse::connect_with(credentials.connect_options(ca_bundle)?, retry).await?))
        }
    }
}

/// What a person should know about a PostgreSQL `url` that names no `sslmode`: it connects
/// with `prefer`. `None` for any other URL.
pub fn sslmode_note(url: &str) -> Option<&'static str> {
    let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
    (postgres && !url.contains("sslmode=")).then_some(
        "the warehouse URL has no sslmode: connecting with sslmode=prefer (TLS when the server \
         offers it, its certificate unverified; plain text when it does not); add ?sslmode=verify-full \
         to verify it, or ?sslmode=disable to say plain text is meant",
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn a_url_is_never_printed_and_only_postgres_urls_without_sslmode_get_the_note() {
        assert!(!format!("{:?}", Database::Url("postgres://u:hunter2@h/d".into())).contains("hunter2"));
        assert!(sslmode_note("postgres://u@h/d").is_some());
        assert!(sslmode_note("postgresql://u@h/d?sslmode=verify-full").is_none());
        assert!(sslmode_note("sqlite://w.db").is_none());
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_refused_without_echoing_the_url() {
        let aws = Aws::new(crate::AwsOptions::default());
        let err = open_warehouse(&Database::Url("mysql://u:hunter2@h/d".into()), 1, None, &aws)
            .await
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("unsupported warehouse URL") && !err.contains("hunter2"), "{err}");
    }
}
