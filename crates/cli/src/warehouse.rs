//! The command line's warehouse: the flags every command that reads or loads it shares, and
//! opening it (a URL, credentials from SSM as the Lambda reads them, or the SQLite file in the
//! --out folder).

use std::path::Path;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::Args;
use sift_shell::{Aws, Database, settings};
use sift_warehouse::Warehouse;

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
    #[arg(long, env = "SIFT_DB_CONNECT_ATTEMPTS", value_name = "N", default_value = "6", value_parser = settings::count)]
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
    pub(crate) async fn open(&self, out: &Path, aws: &Aws, default: Default) -> Result<Arc<dyn Warehouse>> {
        let database = match (&self.warehouse, &self.db_secret_parameter) {
            (Some(url), _) => Database::Url(url.clone()),
            (None, Some(parameter)) => Database::SsmParameter(parameter.clone()),
            (None, None) => {
                let path = out.join("warehouse.db");
                if default == Default::Existing && !path.exists() {
                    bail!(
                        "no warehouse at {}: run `sift run` first, or name one with --warehouse or --db-secret-parameter",
                        path.display()
                    );
                }
                Database::Url(format!("sqlite://{}", path.display()))
            }
        };
        open(&database, self.db_connect_attempts, self.db_ca_bundle.as_deref(), aws).await
    }
}

/// Opens `database` as both shells do, saying first (a note, not a log line: it is no failure)
/// what a PostgreSQL URL without `sslmode` connects with.
pub(crate) async fn open(
    database: &Database,
    attempts: u32,
    ca_bundle: Option<&Path>,
    aws: &Aws,
) -> Result<Arc<dyn Warehouse>> {
    if let Database::Url(url) = database
        && let Some(note) = sift_shell::sslmode_note(url)
    {
        eprintln!("note: {note}");
    }
    Ok(sift_shell::open_warehouse(database, attempts, ca_bundle, aws).await?)
}
