//! `bootstrap`: sift as an AWS Lambda (SPEC section 5).
//!
//! A thin shell around [`sift_pipeline::Pipeline`]. At cold start it sets up JSON logs, reads
//! the configuration from the environment once, builds the AWS clients and the database pool
//! (migrating the schema unless `SIFT_AUTO_MIGRATE=false`), then serves events:
//!
//! - [`event`]: the event shapes (S3, SQS, direct) turned into objects to process;
//! - [`handler`]: per object, skip or run the pipeline; collect summaries and failures;
//! - [`settings`]: the environment variables and their defaults;
//! - [`error`]: how a failed invocation is reported (`errorType`, retryable or not).

use std::process::ExitCode;
use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

mod deadline;
mod error;
mod event;
mod handler;
mod metrics;
mod settings;

/// jemalloc, as polars recommends and as the `sift` binary uses (feature `jemalloc`, on by
/// default; docs/benchmarks.md gives its effect on peak RSS).
#[cfg(feature = "jemalloc")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    init_tracing();
    // Each failure is logged once, as a JSON line, and ends the process with status 1.
    let settings = match settings::Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            tracing::error!(error = %sift_pipeline::ErrorChain(&error), "invalid configuration");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(settings = ?settings, "cold start");
    let app = Arc::new(handler::App::init(settings).await);
    let served = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move { app.handle(event).await }
    }))
    .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %sift_pipeline::ErrorChain(&*error), "the Lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}

/// JSON lines on stdout (CloudWatch Logs), one object per event with the invocation's request
/// id from the runtime's span. `SIFT_LOG` (or `RUST_LOG`) sets the filter; default `info`, and
/// of sqlx only errors: its warnings repeat a failure the handler logs once, with its file.
fn init_tracing() {
    let filter = std::env::var("SIFT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info,sqlx=error,sqlx_core=error,sqlx_postgres=error".to_owned());
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .init();
}
