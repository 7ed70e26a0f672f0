//! The command line's warehouse: the flags every command that reads or loads it shares, and
//! opening it (a URL, credentials from SSM as the Lambda reads them, or the SQLite file in the
//! --out folder).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::Args;
use sift_warehouse::{PgWarehouse, Retry, SecretSource as _, SqliteWarehouse, Warehouse};

use crate::aws;

/// Where the warehouse is.
#[derive(Debug, Args)]
pub(crate) struct WarehouseArgs {
    #[arg(
        long,
        env = "DATABASE_URL",
        value_name = "URL",
        // The URL may hold a password: `--help` names the variable, never its value.
        hide_env_values = true,
        help = "Warehouse URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB [default: sqlite://<out>/warehouse.db]"
    )]
    pub(crate) warehouse: Option<String>,
    /// SSM parameter holding the PostgreSQL credentials as JSON, as the Lambda reads it (used
    /// when no --warehouse / DATABASE_URL is given).
    #[arg(long, env = "SIFT_DB_SECRET_PARAMETER", value_name = "NAME")]
    pub(crate) db_secret_parameter: Option<String>,
    /// PEM file of the certificate authorities the server named by --db-secret-parameter must
    /// chain to, when the secret has no `sslrootcert` (as the Lambda's SIFT_DB_CA_BUNDLE).
    #[arg(long, env = "SIFT_DB_CA_BUNDLE", value_name = "PEM")]
    pub(crate) db_ca_bundle: Option<std::path::PathBuf>,
    /// Attempts to connect to a PostgreSQL warehouse (with exponential backoff between them).
    #[arg(long, env = "SIFT_DB_CONNECT_ATTEMPTS", value_name = "N", default_value_t = 6)]
    pub(crate) db_connect_attempts: u32,
}

/// Whether the default SQLite warehouse in the --out folder may be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Default {
    /// Created when missing (a run loads it).
    Create,
    /// Must exist (a command that only reads it says where it looked).
    Existing,
}

impl WarehouseArgs {
    /// Opens the warehouse these flags name: the URL, else the SSM credentials, else
    /// `<out>/warehouse.db`.
    pub(crate) async fn open(
        &self,
        out: &Path,
        aws: &aws::Clients,
        default: Default,
    ) -> Result<Arc<dyn Warehouse>> {
        match (&self.warehouse, &self.db_secret_parameter) {
            (Some(url), _) => connect(url, self.db_connect_attempts).await,
            (None, Some(parameter)) => {
                let credentials = aws.ssm_secret(parameter).await.db_credentials().await?;
                let retry = Retry { attempts: self.db_connect_attempts, ..Retry::default() };
                let bundle = self.db_ca_bundle.as_deref().filter(|path| !path.as_os_str().is_empty());
                let options = credentials.connect_options(bundle)?;
                Ok(Arc::new(PgWarehouse::connect_with(options, retry).await?))
            }
            (None, None) => {
                let path = out.join("warehouse.db");
                if default == Default::Existing && !path.exists() {
                    bail!(
                        "no warehouse at {}: run `sift run` first, or name one with --warehouse or --db-secret-parameter",
                        path.display()
                    );
                }
                connect(&format!("sqlite://{}", path.display()), self.db_connect_attempts).await
            }
        }
    }
}

/// Connects to the warehouse at `url`, trying a PostgreSQL server `attempts` times.
pub(crate) async fn connect(url: &str, attempts: u32) -> Result<Arc<dyn Warehouse>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteWarehouse::connect(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        if !url.contains("sslmode=") {
            // A note, not a log line: it says what the connection does, it is no failure.
            eprintln!(
                "note: the warehouse URL has no sslmode: connecting with sslmode=prefer (TLS when the server \
                 offers it, its certificate unverified; plain text when it does not); add ?sslmode=verify-full \
                 to verify it, or ?sslmode=disable to say plain text is meant"
            );
        }
        Ok(Arc::new(PgWarehouse::connect(url, Retry { attempts, ..Retry::default() }).await?))
    } else {
        // Not echoed: the URL may hold a password.
        bail!("unsupported warehouse URL: use sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
    }
}
