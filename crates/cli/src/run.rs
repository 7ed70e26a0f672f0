//! `sift run`: one file through the pipeline, with the command line's backends (local files,
//! SQLite and an `.eml` outbox by default; S3, PostgreSQL, SES and SNS when asked).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;
use clap::Args;
use sift_model::{Status, Summary};
use sift_notifier::OutboxNotifier;
use sift_pipeline::{Config, Job, Pipeline};
use sift_shell::{Route, settings};
use sift_storage::LocalStore;

use crate::output::outln;
use crate::{aws, human, warehouse};

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

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
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
    /// A contract instead of the built-in customer one (contracts/customer.toml): a file (TOML,
    /// or ODCS YAML by .yaml / .yml), s3://BUCKET/KEY or builtin:customer; `--rules` is the same.
    #[arg(long, value_name = "FILE", alias = "rules", conflicts_with = "check_country")]
    contract: Option<String>,
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
        default_value = "10",
        value_parser = settings::percent,
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

pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

pub(crate) async fn run(args: RunArgs) -> Result<ExitCode> {
    let aws = args.aws.clients()?;
    let (sources, key, local_input) = source(&args.input, &aws).await?;
    let (invalid, invalid_prefix): (Arc<dyn sift_storage::ObjectStore>, String) =
        match args.invalid_to.as_deref().map(aws::parse_s3_uri).transpose()?.flatten() {
            Some((bucket, prefix)) => (Arc::new(aws.s3_store(&bucket).await), prefix),
            None => match &args.invalid_to {
                Some(dir) => (Arc::new(LocalStore::new(dir)), String::new()),
                None => (Arc::new(LocalStore::new(&args.out)), "invalid".into()),
            },
        };
    // The contract and the invalid prefix: the first route whose prefix starts the key, as the
    // Lambda chooses them; else --contract, or the built-in customer contract.
    let routes = match args.routes.as_deref().filter(|r| !r.trim().is_empty()) {
        Some(json) => settings::routes(json)
            .map_err(|expected| anyhow!("--routes (SIFT_ROUTES): expected {expected}"))?,
        None => {
            let contract = args.contract.as_deref().unwrap_or(sift_shell::BUILTIN_CUSTOMER);
            vec![Route::catch_all(contract, &invalid_prefix)]
        }
    };
    let Some(route) = Route::find(&routes, &key) else {
        bail!("no route's prefix matches key {key:?} (--routes / SIFT_ROUTES)");
    };
    let loaded = sift_shell::load_contract(&route.contract, args.check_country, Path::new(""), &aws).await?;
    crate::contract::note_unmapped(&route.contract, &loaded.unmapped);
    let as_of = args.as_of.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let warehouse = args.db.open(&args.out, &aws, warehouse::Default::Create).await?;
    let auto_migrate = !args.no_migrate && auto_migrate_from_env()?;
    if auto_migrate {
        warehouse.migrate().await.context("applying sift's schema (use --no-migrate to skip)")?;
    }
    let config = Config {
        function_name: "sift".into(),
        create_tables: auto_migrate,
        alert_threshold_pct: args.alert_invalid_pct,
        chunk_rows: args.chunk_rows,
    };
    let job = Job::new(sources, key, Arc::new(loaded.contract), as_of, route.invalid_prefix.clone());
    let mut pipeline = Pipeline::new(config, invalid, warehouse);
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
    let summary = pipeline.run(&job).await;
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

/// `SIFT_AUTO_MIGRATE`: unset, empty or true applies the migrations; false turns that off.
fn auto_migrate_from_env() -> Result<bool> {
    match std::env::var("SIFT_AUTO_MIGRATE") {
        Ok(v) if !v.trim().is_empty() => {
            settings::flag(&v).map_err(|expected| anyhow!("SIFT_AUTO_MIGRATE={v:?}: expected {expected}"))
        }
        _ => Ok(true),
    }
}

/// The store and key of an input (`s3://BUCKET/KEY` or a local path), and the path when it is
/// local.
pub(crate) async fn source(
    input: &str,
    aws: &sift_shell::Aws,
) -> Result<(Arc<dyn sift_storage::ObjectStore>, String, Option<PathBuf>)> {
    Ok(match aws::parse_s3_uri(input)? {
        Some((bucket, key)) => (Arc::new(aws.s3_store(&bucket).await), key, None),
        None => {
            let path = Path::new(input);
            let (root, key) = split_input(path)?;
            (Arc::new(LocalStore::new(root)), key, Some(path.to_path_buf()))
        }
    })
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
