//! `sift`: validate a CSV against a contract, load the valid rows, quarantine the invalid ones,
//! report.
//!
//! A thin shell: it parses flags, builds the backends (local files, SQLite, an `.eml` outbox)
//! and calls [`sift_pipeline::Pipeline::run`]. Exit status: 0 processed (even with invalid
//! rows), 2 file rejected, 1 any other error.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::{Args, CommandFactory, Parser, Subcommand};
use sift_notifier::{OutboxNotifier, Status, Summary};
use sift_pipeline::{Config, ContractSource, ErrorChain, Pipeline, Route};
use sift_storage::LocalStore;
use sift_validator::{Contract, ISO_3166_ALPHA2, customer_contract, import_odcs};
use sift_warehouse::{Dialect, Retry};

use crate::output::{out, outln};

mod aws;
mod history;
mod human;
mod output;
mod warehouse;

/// jemalloc, as polars recommends (lower peak RSS than the system allocator; see the README).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// How the report is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum NotifyVia {
    /// One .eml file per run in the --out folder's outbox/.
    Outbox,
    /// Amazon SES (needs --email-from and --email-to).
    Ses,
    /// No report (the summary says "skipped").
    None,
}

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
    Run(Box<RunArgs>),
    /// Apply the embedded schema migrations to a warehouse, and create (or check) a
    /// contract's table.
    Migrate {
        /// Warehouse URL: sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DB.
        #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
        warehouse: String,
        /// A contract whose table is created when missing, or checked when it exists.
        #[arg(long, value_name = "FILE")]
        contract: Option<PathBuf>,
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
    },
}

/// The SQL dialects `sift contract check` prints DDL for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum DialectArg {
    Postgres,
    Sqlite,
}

/// The shells `sift completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The CSV file to process: a local path or s3://BUCKET/KEY.
    #[arg(value_name = "INPUT")]
    input: String,
    /// Output folder: invalid records, the outbox and the default warehouse go here.
    #[arg(long, value_name = "DIR", default_value = "./sift-out")]
    out: PathBuf,
    #[command(flatten)]
    db: warehouse::WarehouseArgs,
    /// Routes as the Lambda takes them (SIFT_ROUTES): a JSON list of {"prefix", "contract",
    /// "invalid_prefix"}; the first route whose prefix starts the input's key chooses the
    /// contract (builtin:customer, s3://BUCKET/KEY or a path) and the invalid-records prefix.
    #[arg(long, env = "SIFT_ROUTES", value_name = "JSON", conflicts_with = "contract")]
    routes: Option<String>,
    /// Reference date of the date and age rules [default: today in UTC].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// A contract in TOML instead of the built-in customer contract (see rules/customer.toml
    /// and contracts/); `--rules` is the same.
    #[arg(long, value_name = "FILE", alias = "rules", conflicts_with = "check_country")]
    contract: Option<PathBuf>,
    /// Turn the country rule on (ISO 3166-1 alpha-2 codes; the column becomes required).
    #[arg(long, env = "SIFT_CHECK_COUNTRY")]
    check_country: bool,
    /// Print exactly the JSON summary on stdout.
    #[arg(long)]
    json: bool,
    /// Do not apply the embedded schema migrations before loading (also SIFT_AUTO_MIGRATE=false).
    #[arg(long)]
    no_migrate: bool,
    #[arg(
        long,
        env = "SIFT_ALERT_INVALID_PCT",
        value_name = "PCT",
        default_value_t = 10.0,
        help = "Mark the report [ALERT] when the invalid share is strictly above this percentage"
    )]
    alert_invalid_pct: f64,
    /// Where invalid records go: a local folder or s3://BUCKET/PREFIX [default: invalid/ in the --out folder].
    #[arg(long, env = "SIFT_INVALID_TO", value_name = "DIR|S3URI")]
    invalid_to: Option<String>,
    /// How the report is sent: outbox (.eml files in outbox/ of the --out folder), ses, or none.
    #[arg(long, env = "SIFT_NOTIFY", value_enum, default_value_t = NotifyVia::Outbox)]
    notify: NotifyVia,
    /// Report sender (an SES-verified identity with --notify ses).
    #[arg(long, env = "SIFT_EMAIL_FROM", value_name = "ADDRESS")]
    email_from: Option<String>,
    /// Report recipients, comma-separated.
    #[arg(long, env = "SIFT_EMAIL_TO", value_name = "ADDRESSES", value_delimiter = ',')]
    email_to: Vec<String>,
    /// Publish an alert to this SNS topic when the invalid share is above the threshold.
    #[arg(long, env = "SIFT_ALERT_TOPIC_ARN", value_name = "ARN")]
    alert_topic_arn: Option<String>,
    #[command(flatten)]
    aws: aws::AwsArgs,
    /// Rows per validation chunk (memory versus overhead).
    #[arg(long, value_name = "ROWS", default_value_t = sift_validator::DEFAULT_CHUNK_ROWS, hide = true)]
    chunk_rows: usize,
}

fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
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
            Command::Run(args) => run(*args).await,
            Command::Migrate { warehouse, contract } => {
                migrate(&warehouse, contract.as_deref()).await.map(|()| ExitCode::SUCCESS)
            }
            Command::Contract(ContractCommand::Import { file, out }) => {
                import_contract(&file, out.as_deref()).map(|()| ExitCode::SUCCESS)
            }
            Command::Contract(ContractCommand::Check { file, dialect }) => {
                check_contract(&file, dialect).map(|()| ExitCode::SUCCESS)
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

async fn migrate(url: &str, contract: Option<&Path>) -> Result<()> {
    let contract = contract.map(read_contract).transpose()?;
    let warehouse = warehouse::connect(url, Retry::default().attempts).await?;
    warehouse.migrate().await?;
    eprintln!("migrated {}", warehouse.describe());
    if let Some(table) = contract.as_ref().and_then(Contract::table) {
        warehouse.prepare(&table, true).await?;
        eprintln!(
            "table {} is ready for contract {}",
            table.name,
            contract.map(|c| c.name).unwrap_or_default()
        );
    }
    Ok(())
}

/// `sift contract check`: the contract as sift reads it, without data.
fn check_contract(path: &Path, dialect: DialectArg) -> Result<()> {
    let contract = read_contract(path)?;
    outln!("contract {} is valid", path.display());
    outln!("dataset: {}", contract.name);
    let format = contract.format;
    let delimiter =
        if format.delimiter == '\t' { "tab".to_owned() } else { format!("{:?}", format.delimiter) };
    outln!("format: delimiter {delimiter}, quote {:?}, encoding {}", format.quote, format.encoding.name());
    outln!(
        "input limits: {} bytes a value, {} bytes a record, {} columns (past one, a file is rejected)",
        format.max_field_bytes,
        format.max_record_bytes,
        format.max_columns
    );
    match contract.table() {
        Some(table) => {
            let key =
                if table.key.is_empty() { "none (append-only)".to_owned() } else { table.key.join(", ") };
            outln!("table: {} (key: {key})", table.name);
            outln!("columns loaded:");
            for column in &table.columns {
                let null = if column.nullable { "optional" } else { "required" };
                outln!("  {:<24} {:<20} {null}", column.name, column.ty.to_string());
            }
            let dialect = match dialect {
                DialectArg::Postgres => Dialect::Postgres,
                DialectArg::Sqlite => Dialect::Sqlite,
            };
            outln!("DDL:");
            for statement in sift_warehouse::ddl(&table, dialect) {
                outln!("{statement};");
            }
        }
        None => outln!("table: none (validate only: nothing is loaded)"),
    }
    if let Some(pct) = contract.limits.max_invalid_pct {
        outln!("held when over: {pct}% invalid rows");
    }
    outln!("failure ids, in report order:");
    for id in contract.failure_ids() {
        let rule = contract.rules.iter().find(|r| r.id == id);
        let mut notes = Vec::new();
        if contract.is_warning(&id) {
            notes.push("warn: the row loads".to_owned());
        }
        if id == sift_validator::NUL_BYTE {
            notes.push(
                "sift's own: a loaded text value holds a NUL byte, which no warehouse stores".to_owned(),
            );
        }
        if let Some(pct) = rule.and_then(|r| r.max_failure_pct) {
            notes.push(format!("held when over {pct}%"));
        }
        if notes.is_empty() {
            outln!("  {id}");
        } else {
            outln!("  {id} ({})", notes.join("; "));
        }
    }
    Ok(())
}

/// Reads and checks a contract file: TOML, or ODCS YAML (`.yaml`, `.yml`), whose fields
/// sift cannot map are listed on stderr.
fn read_contract(path: &Path) -> Result<Contract> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    contract_from_text(&path.display().to_string(), &text)
}

/// A contract read from `source` (TOML, or ODCS by its `.yaml` / `.yml` name), noting on
/// stderr what ODCS fields were not mapped.
fn contract_from_text(source: &str, text: &str) -> Result<Contract> {
    let (contract, unmapped) =
        ContractSource::contract_from_text(source, text).with_context(|| format!("in {source}"))?;
    for item in unmapped {
        eprintln!("note: {source}: not mapped from ODCS: {item}");
    }
    Ok(contract)
}

/// `sift contract import`: an ODCS contract as sift TOML.
fn import_contract(path: &Path, out: Option<&Path>) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let imported = import_odcs(&text).with_context(|| format!("in {}", path.display()))?;
    let toml = imported.contract.to_toml();
    match out {
        Some(out) => std::fs::write(out, &toml).with_context(|| format!("writing {}", out.display()))?,
        None => out!("{toml}"),
    }
    if imported.unmapped.is_empty() {
        eprintln!("every field of {} is mapped", path.display());
    } else {
        eprintln!("not mapped from {} ({}):", path.display(), imported.unmapped.len());
        for item in &imported.unmapped {
            eprintln!("  {item}");
        }
    }
    Ok(())
}

async fn run(args: RunArgs) -> Result<ExitCode> {
    let aws = aws::Clients::new(&args.aws);
    let (sources, key, local_input): (Arc<dyn sift_storage::ObjectStore>, String, Option<PathBuf>) =
        match aws::parse_s3_uri(&args.input)? {
            Some((bucket, key)) => (Arc::new(aws.s3_store(&bucket).await?), key, None),
            None => {
                let input = Path::new(&args.input);
                let (root, key) = split_input(input)?;
                (Arc::new(LocalStore::new(root)), key, Some(input.to_path_buf()))
            }
        };
    let (invalid, invalid_prefix): (Arc<dyn sift_storage::ObjectStore>, String) =
        match args.invalid_to.as_deref().map(aws::parse_s3_uri).transpose()?.flatten() {
            Some((bucket, prefix)) => (Arc::new(aws.s3_store(&bucket).await?), prefix),
            None => match &args.invalid_to {
                Some(dir) => (Arc::new(LocalStore::new(dir)), String::new()),
                None => (Arc::new(LocalStore::new(&args.out)), "invalid".into()),
            },
        };
    let (contract, invalid_prefix) = match args.routes.as_deref().filter(|r| !r.trim().is_empty()) {
        Some(routes) => {
            let routes = Route::parse_list(routes)
                .map_err(|reason| anyhow!("--routes (SIFT_ROUTES): expected {reason}"))?;
            let Some(route) = Route::find(&routes, &key) else {
                bail!("no route's prefix matches key {key:?} (--routes / SIFT_ROUTES)");
            };
            (route_contract(&route.contract, args.check_country, &aws).await?, route.invalid_prefix.clone())
        }
        None => (load_contract(&args)?, invalid_prefix),
    };
    let as_of = args.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let warehouse = args.db.open(&args.out, &aws, warehouse::Default::Create).await?;
    if !args.no_migrate && auto_migrate_from_env()? {
        warehouse.migrate().await.context("applying sift's schema (use --no-migrate to skip)")?;
    }
    let auto_migrate = !args.no_migrate && auto_migrate_from_env()?;
    let config = Config {
        function_name: "sift".into(),
        as_of,
        contract,
        create_tables: auto_migrate,
        invalid_prefix,
        alert_threshold_pct: args.alert_invalid_pct,
        chunk_rows: args.chunk_rows,
    };
    let mut pipeline = Pipeline::new(config, sources, invalid, warehouse);
    match args.notify {
        NotifyVia::Outbox => {
            let from = args.email_from.clone().unwrap_or_else(|| "sift@localhost".into());
            let to = if args.email_to.is_empty() {
                vec!["data-team@localhost".into()]
            } else {
                args.email_to.clone()
            };
            pipeline =
                pipeline.with_notifier(Arc::new(OutboxNotifier::new(args.out.join("outbox"), from, to)));
        }
        NotifyVia::Ses => {
            let (Some(from), false) = (&args.email_from, args.email_to.is_empty()) else {
                bail!("--notify ses needs --email-from (SIFT_EMAIL_FROM) and --email-to (SIFT_EMAIL_TO)");
            };
            pipeline = pipeline.with_notifier(Arc::new(aws.ses_notifier(from, args.email_to.clone()).await));
        }
        NotifyVia::None => {}
    }
    if let Some(arn) = &args.alert_topic_arn {
        pipeline = pipeline.with_alerter(Arc::new(aws.sns_alerter(arn).await));
    }
    let bar = local_input.as_deref().and_then(human::progress_bar);
    if let Some(bar) = &bar {
        let bar = bar.clone();
        pipeline = pipeline.with_progress(Arc::new(move |stage| human::show(&bar, stage)));
    }
    let summary = pipeline.run(&key).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary: Summary = summary?;
    if args.json {
        outln!("{}", summary.to_json());
    } else {
        let delivered = match args.notify {
            NotifyVia::Ses => format!("sent through SES to {}", args.email_to.join(", ")),
            _ => format!("written to {}", args.out.join("outbox").display()),
        };
        human::print(&summary, &delivered);
    }
    Ok(match summary.status {
        Status::Ok => ExitCode::SUCCESS,
        Status::Rejected => ExitCode::from(2),
    })
}

/// `SIFT_AUTO_MIGRATE`: unset or true applies the migrations; false turns that off.
fn auto_migrate_from_env() -> Result<bool> {
    match std::env::var("SIFT_AUTO_MIGRATE") {
        Err(_) => Ok(true),
        Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
            "" | "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            other => bail!("SIFT_AUTO_MIGRATE={other:?}: use true or false"),
        },
    }
}

/// A local input as (folder, file name): the folder becomes the source store's root.
fn split_input(input: &Path) -> Result<(PathBuf, String)> {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} is not a file path", input.display()))?;
    let root = input.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((root, name.to_owned()))
}

/// A route's contract: built in, an object in S3, or a file.
async fn route_contract(source: &str, check_country: bool, aws: &aws::Clients) -> Result<Contract> {
    let text = match ContractSource::parse(source) {
        ContractSource::BuiltinCustomer => {
            return Ok(customer_contract(check_country.then_some(ISO_3166_ALPHA2)));
        }
        ContractSource::S3 { bucket, key } => aws.read_text(&bucket, &key).await?,
        ContractSource::Path(path) => return read_contract(&path),
    };
    contract_from_text(source, &text)
}

fn load_contract(args: &RunArgs) -> Result<Contract> {
    match &args.contract {
        Some(path) => read_contract(path),
        None if args.check_country => Ok(customer_contract(Some(ISO_3166_ALPHA2))),
        None => Ok(customer_contract(None)),
    }
}
