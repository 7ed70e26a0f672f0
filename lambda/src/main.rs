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

use std::sync::Arc;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

mod error;
mod event;
mod handler;
mod settings;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let settings = settings::Settings::from_env().inspect_err(|error| {
        tracing::error!(error = %error, "invalid configuration");
    })?;
    tracing::info!(settings = ?settings, "cold start");
    let app = Arc::new(handler::App::init(settings).await);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let app = Arc::clone(&app);
        async move { app.handle(event).await }
    }))
    .await
}

/// JSON lines on stdout (CloudWatch Logs), one object per event with the invocation's request
/// id from the runtime's span. `SIFT_LOG` (or `RUST_LOG`) sets the filter; default `info`.
fn init_tracing() {
    let filter = std::env::var("SIFT_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
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
