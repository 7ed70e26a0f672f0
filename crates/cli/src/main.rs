//! `sift`: validate a CSV against a contract, load the valid rows, quarantine the invalid ones,
//! report.
//!
//! A thin shell: it parses flags, builds the backends (local files, SQLite, an `.eml` outbox)
//! and calls [`sift_pipeline::Pipeline::run`] (`run.rs`; `contract.rs` has the contract
//! commands, `history.rs` the history). Exit status: 0 processed (even with invalid
//! rows), 2 file rejected, 1 any other error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};
use sift_pipeline::ErrorChain;

use crate::contract::DialectArg;

mod aws;
mod contract;
mod history;
mod human;
mod output;
mod run;
mod suggest;
mod warehouse;

/// jemalloc, as polars recommends (lower peak RSS than the system allocator; docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
/// Validate CSV files against a contract, load the valid records, quarantine the invalid ones.
#[derive(Debug, Parser)]
#[command(name = "sift", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate INPUT, load its valid records, write its invalid ones, and report.
    Run(Box<run::RunArgs>),
    /// Apply the embedded schema migrations to a warehouse, and create (or check) a
    /// contract's table.
    Migrate {
        /// Warehouse URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
        #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
        warehouse: String,
        /// The contract whose table is created when missing, or checked when it exists: a file
        /// (TOML or ODCS YAML), s3://BUCKET/KEY, or builtin:customer (dim_customer).
        #[arg(long, value_name = "FILE", default_value = sift_shell::BUILTIN_CUSTOMER)]
        contract: String,
    },
    /// Work with contract files.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// Print the recent files of each dataset from the warehouse's history, and each rule's
    /// trend: its rate in the newest file beside its median over the others (flagged when far
    /// above it, as the report does).
    History(Box<history::HistoryArgs>),
    /// Print a completion script for SHELL on stdout.
    ///
    /// bash: `sift completions bash > ~/.local/share/bash-completion/completions/sift`;
    /// zsh: `sift completions zsh > ~/.zfunc/_sift` (with ~/.zfunc in fpath);
    /// fish: `sift completions fish > ~/.config/fish/completions/sift.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
}

#[derive(Debug, Subcommand)]
enum ContractCommand {
    /// Check a contract without data: print its dataset, table, columns and types, the
    /// table's DDL and the failure ids in report order (exit 1 when it is invalid).
    Check {
        /// The contract (TOML, or ODCS YAML: .yaml / .yml).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The SQL dialect of the DDL printed.
        #[arg(long, value_enum, default_value_t = DialectArg::Postgres)]
        dialect: DialectArg,
    },
    /// Convert an Open Data Contract Standard (ODCS v3) contract into a sift contract: the TOML
    /// on stdout (or --out), and every field it cannot map listed on stderr.
    Import {
        /// The ODCS contract (YAML).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Write the TOML here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The schema object to import (its name or physicalName), when the document has
        /// several; `--contract FILE.yaml#NAME` names one the same way.
        #[arg(long, value_name = "NAME")]
        object: Option<String>,
    },
    /// Propose a contract from a file, read once the way `sift run` reads it: each column's
    /// type, nulls, lengths, small sets of values, code patterns and a key, each under a
    /// comment giving its evidence. Every check holds on the file, so `sift run` with the
    /// contract finds no invalid row there.
    Suggest(Box<suggest::SuggestArgs>),
    /// Write a contract out: as sift TOML, or with --odcs as an Open Data Contract Standard
    /// v3.1 document that `sift contract import` reads back to the same contract (what ODCS
    /// has no words for is written in sift's own terms, which other tools read past).
    Export {
        /// The contract: a file (TOML or ODCS YAML), `s3://...` or `builtin:customer`.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Write ODCS v3.1 YAML instead of TOML.
        #[arg(long)]
        odcs: bool,
        /// Write here instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// The shells `sift completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Completions { shell } = cli.command {
        let shell = match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        };
        // Into a buffer first: clap_complete panics on a failed write (`| head`, a full disk).
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "sift", &mut script);
        return match std::io::Write::write_all(&mut std::io::stdout(), &script) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: writing the completion script: {e}");
                ExitCode::from(1)
            }
        };
    }
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(*args).await,
            Command::Migrate { warehouse, contract } => {
                migrate(&warehouse, &contract).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Contract(ContractCommand::Import { file, out, object }) => {
                contract::import_contract(&file, object.as_deref(), out.as_deref())
                    .map(|()| ExitCode::SUCCESS)
            }
            Command::Contract(ContractCommand::Suggest(args)) => suggest::suggest(*args).await,
            Command::Contract(ContractCommand::Export { file, odcs, out }) => {
                contract::export_contract(&file, odcs, out.as_deref()).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Contract(ContractCommand::Check { file, dialect }) => {
                contract::check_contract(&file, dialect).await.map(|()| ExitCode::SUCCESS)
            }
            Command::History(args) => history::run(*args).await.map(|()| ExitCode::SUCCESS),
            Command::Completions { .. } => Ok(ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(error) => {
            // The one place a failure is shown: libraries return errors rather than log them.
            eprintln!("error: {}", sift_notifier::printable(&ErrorChain(&*error).to_string()));
            ExitCode::from(1)
        }
    }
}

/// Logs go to stderr (stdout is the summary); `SIFT_LOG` or `RUST_LOG` set the filter. By
/// default only warnings, and of sqlx only errors: its warnings (a connection found broken when
/// the pool takes it back, a slow statement) repeat a failure the `error:` line already gives.
fn init_tracing() {
    let filter = std::env::var("SIFT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "warn,sqlx=error,sqlx_core=error,sqlx_postgres=error".to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// `sift migrate`: sift's own tables, and the contract's table created or checked.
async fn migrate(url: &str, source: &str) -> Result<()> {
    let aws = sift_shell::Aws::new(sift_shell::AwsOptions::default());
    let loaded = sift_shell::load_contract(source, false, Path::new(""), &aws).await?;
    contract::note_unmapped(source, &loaded.unmapped);
    let contract = loaded.contract;
    let attempts = sift_warehouse::Retry::default().attempts;
    let warehouse = warehouse::open(&sift_shell::Database::Url(url.to_owned()), attempts, None, &aws).await?;
    warehouse.migrate().await?;
    eprintln!("migrated {}", warehouse.describe());
    if let Some(table) = contract.table() {
        warehouse.prepare(&table, true).await?;
        eprintln!("table {} is ready for contract {}", table.name, contract.name);
    }
    Ok(())
}
