//! The handler: what lives across invocations ([`App`]) and what one invocation does.

use std::sync::Arc;

use aws_lambda_events::sqs::SqsBatchResponse;
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;
use sift_model::{Status, Summary};
use sift_pipeline::{Config, ErrorChain, Job, Pipeline};
use sift_shell::{Aws, AwsOptions, BUILTIN_CUSTOMER, Route};
use sift_validator::Contract;
use tokio::sync::OnceCell;

use crate::deadline::Budget;
use crate::error::{Error, FileFailure, Retry};
use crate::event::{self, Invocation, ObjectRef};
use crate::settings::Settings;

/// Everything built once per container and reused by every invocation: the AWS clients, the
/// routes and their contracts, and (on first success) the warehouse and the pipeline over it.
pub(crate) struct App {
    settings: Settings,
    aws: Aws,
    /// Where objects go (SPEC section 7): the configured routes, or one route for every key
    /// with the built-in customer contract.
    routes: Vec<Route>,
    /// Each route's contract, read on first use and kept for the container's life.
    contracts: Vec<OnceCell<Arc<Contract>>>,
    /// The pipeline, built once the warehouse is connected (and migrated).
    pipeline: OnceCell<Pipeline>,
    /// A deadline that cannot be right was said once already (a local emulator sends it at
    /// every invocation).
    deadline_warned: std::sync::atomic::AtomicBool,
}

/// The largest number EventBridge's numeric matching takes (its documentation).
const EVENTBRIDGE_NUMBER_MAX: u64 = 1_000_000_000;

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("settings", &self.settings)
            .field("warehouse_ready", &self.pipeline.initialized())
            .finish_non_exhaustive()
    }
}

/// What an invocation returns.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Response {
    /// One summary per processed object (SPEC section 4).
    pub files: Vec<Summary>,
    /// Objects the event named that are not sift's to process.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    /// SQS batches only: `batchItemFailures`, the messages to deliver again (partial batch
    /// response).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub sqs: Option<SqsBatchResponse>,
}

/// An object left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Skipped {
    /// `s3://bucket/key`.
    pub source: String,
    /// Why it was not processed.
    pub reason: &'static str,
}

/// What became of one object.
enum FileResult {
    Processed(Box<Summary>),
    Skipped(Skipped),
    Failed(Option<Box<Summary>>, FileFailure),
}

impl App {
    /// Builds the AWS clients and the rules, then tries to connect to (and migrate) the
    /// warehouse so the first invocation finds it ready. A warehouse that is not reachable yet
    /// is not fatal: each invocation tries again until one succeeds.
    pub(crate) async fn init(settings: Settings) -> Self {
        let aws = Aws::new(AwsOptions {
            max_attempts: settings.aws_max_attempts,
            s3_path_style: Some(settings.s3_path_style),
            s3_encryption: settings.s3_encryption.clone(),
        });
        aws.config().await;
        let routes = if settings.routes.is_empty() {
            vec![Route::catch_all(BUILTIN_CUSTOMER, &settings.invalid_prefix)]
        } else {
            settings.routes.clone()
        };
        let contracts = routes.iter().map(|_| OnceCell::new()).collect();
        let app = Self {
            settings,
            aws,
            routes,
            contracts,
            pipeline: OnceCell::new(),
            deadline_warned: Default::default(),
        };
        if let Err(error) = app.pipeline().await {
            tracing::error!(error = %ErrorChain(&error), "the warehouse is not ready at cold start; invocations will retry");
        }
        app
    }

    /// The pipeline, built on the first success of connecting (and migrating, unless turned
    /// off) the warehouse.
    async fn pipeline(&self) -> Result<&Pipeline, Error> {
        self.pipeline.get_or_try_init(|| self.build()).await.map_err(Error::Warehouse)
    }

    async fn build(&self) -> Result<Pipeline, sift_shell::Error> {
        let settings = &self.settings;
        let warehouse = sift_shell::open_warehouse(
            &settings.database,
            settings.db_connect_attempts,
            settings.db_ca_bundle.as_deref(),
            &self.aws,
        )
        .await?;
        if settings.auto_migrate {
            warehouse.migrate().await?;
        }
        tracing::info!(warehouse = %warehouse.describe(), migrated = settings.auto_migrate, "warehouse ready");
        let config = Config {
            function_name: settings.function_name.clone(),
            create_tables: settings.auto_migrate,
            alert_threshold_pct: settings.alert_invalid_pct,
            chunk_rows: settings.chunk_rows,
        };
        let invalid = Arc::new(self.aws.s3_store(&settings.invalid_bucket).await);
        let mut pipeline = Pipeline::new(config, invalid, warehouse);
        if let Some((from, to)) = &settings.email {
            pipeline = pipeline.with_notifier(Arc::new(self.aws.ses_notifier(from, to.clone()).await));
        }
        if let Some(arn) = &settings.alert_topic_arn {
            pipeline = pipeline.with_alerter(Arc::new(self.aws.sns_alerter(arn).await));
        }
        Ok(pipeline)
    }

    /// Handles one invocation.
    pub(crate) async fn handle(&self, event: LambdaEvent<Value>) -> Result<Response, Error> {
        let budget = self.budget(event.context.deadline);
        let deadline = tokio::time::Instant::now() + budget.working();
        let mut response = Response::default();
        match event::parse(event.payload)? {
            Invocation::Objects(objects) => {
                let failures = self.process_all(&objects, (deadline, budget), &mut response).await?;
                if failures.is_empty() { Ok(response) } else { Err(Error::Files(failures)) }
            }
            Invocation::Sqs(items) => {
                let mut failed = Vec::new();
                for item in items {
                    let ok = match &item.objects {
                        Ok(objects) => {
                            self.process_all(objects, (deadline, budget), &mut response).await?.is_empty()
                        }
                        Err(reason) => {
                            tracing::error!(message_id = %item.message_id, reason = %reason, "unreadable SQS message");
                            false
                        }
                    };
                    if !ok {
                        failed.push(item.message_id);
                    }
                }
                let mut sqs = SqsBatchResponse::default();
                sqs.set_failures(failed);
                response.sqs = Some(sqs);
                Ok(response)
            }
        }
    }

    /// Processes `objects` in turn, adding their summaries (rejected files' too) and skips to
    /// `response`; returns the files that failed.
    async fn process_all(
        &self,
        objects: &[ObjectRef],
        time: (tokio::time::Instant, Budget),
        response: &mut Response,
    ) -> Result<Vec<FileFailure>, Error> {
        let mut failures = Vec::new();
        for object in objects {
            match self.process(object, time).await? {
                FileResult::Processed(summary) => response.files.push(*summary),
                FileResult::Skipped(skipped) => response.skipped.push(skipped),
                FileResult::Failed(summary, failure) => {
                    response.files.extend(summary.map(|s| *s));
                    failures.push(failure);
                }
            }
        }
        Ok(failures)
    }

    /// Processes one object. `Err` only when nothing can be processed at all (the warehouse).
    async fn process(
        &self,
        object: &ObjectRef,
        (deadline, budget): (tokio::time::Instant, Budget),
    ) -> Result<FileResult, Error> {
        let source = object.uri();
        let index = Route::position(&self.routes, &object.key);
        let skip = self
            .skip_reason(object)
            .or_else(|| index.is_none().then_some("no route's prefix matches the key (SIFT_ROUTES)"));
        let (Some(index), None) = (index, skip) else {
            let reason = skip.unwrap_or_default();
            tracing::info!(source = %source, reason, "skipped");
            return Ok(FileResult::Skipped(Skipped { source, reason }));
        };
        let route = &self.routes[index];
        if let Some(reason) = self.too_large(object) {
            tracing::error!(source = %source, error = %reason, "too large for the function");
            return Ok(FileResult::Failed(
                None,
                FileFailure { source, rejected: false, retry: Retry::Never, reason },
            ));
        }
        let contract = match self.contract(index).await {
            Ok(contract) => contract,
            Err(error) => {
                let reason = ErrorChain(&error).to_string();
                tracing::error!(source = %source, contract = %route.contract, error = %reason, "the route's contract is unusable");
                return Ok(FileResult::Failed(
                    None,
                    FileFailure { source, rejected: false, retry: Retry::Never, reason },
                ));
            }
        };
        let pipeline = self.pipeline().await?;
        let sources = Arc::new(self.aws.s3_store(&object.bucket).await);
        let job =
            Job::new(sources, &object.key, contract, chrono::Utc::now().date_naive(), &route.invalid_prefix)
                .with_deadline(deadline);
        let result = pipeline.run(&job).await;
        if let Ok(summary) = &result {
            // One metrics line per file read to an outcome (processed, held or rejected).
            crate::metrics::emit(summary);
        }
        Ok(match result {
            Ok(summary) if summary.status == Status::Rejected => {
                let failure = FileFailure {
                    source,
                    rejected: true,
                    retry: Retry::Never,
                    reason: summary.error.clone().unwrap_or_default(),
                };
                FileResult::Failed(Some(Box::new(summary)), failure)
            }
            Ok(summary) => FileResult::Processed(Box::new(summary)),
            Err(error) => {
                let retry = if error.is_retryable() { Retry::May } else { Retry::Never };
                let mut reason = ErrorChain(&error).to_string();
                if matches!(error, sift_pipeline::Error::Deadline { .. }) {
                    reason = format!("{reason}; {}", budget.describe());
                }
                tracing::error!(source = %source, error = %reason, retryable = error.is_retryable(), "processing failed; nothing was loaded");
                FileResult::Failed(None, FileFailure { source, rejected: false, retry, reason })
            }
        })
    }

    /// The time this invocation has ([`Budget`]): Lambda's deadline (epoch milliseconds), or
    /// the configured timeout when the deadline cannot be right (said once per container).
    fn budget(&self, deadline_ms: u64) -> Budget {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let budget =
            Budget::new(deadline_ms, now_ms, self.settings.function_timeout, self.settings.deadline_margin);
        if let Some(why) = budget.replaced
            && !self.deadline_warned.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            tracing::warn!(
                deadline_ms,
                why,
                timeout_s = self.settings.function_timeout.as_secs(),
                "the invocation's deadline cannot be right (a local emulator's?); using the function's timeout (SIFT_FUNCTION_TIMEOUT_S) instead"
            );
        }
        budget
    }

    /// The contract of route `index` ([`Route::position`]), read once per container: the
    /// built-in one, an object in S3, or a file of the deployment package or a layer (relative
    /// to `LAMBDA_TASK_ROOT`).
    async fn contract(&self, index: usize) -> Result<Arc<Contract>, sift_shell::Error> {
        let (route, cell) = (&self.routes[index], &self.contracts[index]);
        cell.get_or_try_init(|| async {
            let root = std::env::var("LAMBDA_TASK_ROOT").unwrap_or_else(|_| ".".into());
            let loaded = sift_shell::load_contract(
                &route.contract,
                self.settings.check_country,
                std::path::Path::new(&root),
                &self.aws,
            )
            .await?;
            for item in &loaded.unmapped {
                tracing::warn!(contract = %route.contract, field = %item, "not mapped from ODCS");
            }
            tracing::info!(contract = %route.contract, dataset = %loaded.contract.name, "contract loaded");
            Ok(Arc::new(loaded.contract))
        })
        .await
        .cloned()
    }

    /// Why an object the Fargate route should have taken fails here: the event's size is
    /// beyond what EventBridge's numeric matching covers, so `LargeObjectRule` may not have
    /// started the task (the template's note). Failing, not retryable, puts the event in the
    /// failure queue, whose replay runs it on Fargate.
    fn too_large(&self, object: &ObjectRef) -> Option<String> {
        let (threshold, size) = (self.settings.large_object_bytes?, object.size?);
        (size >= threshold && size > EVENTBRIDGE_NUMBER_MAX).then(|| {
            format!(
                "an object of {size} bytes belongs to the Fargate task (SIFT_LARGE_OBJECT_BYTES={threshold}),                  but EventBridge matches sizes only up to {EVENTBRIDGE_NUMBER_MAX}, so no rule may have started it;                  run it on Fargate (lambda/DEPLOY.md, failed events)"
            )
        })
    }

    /// Why `object` is not sift's to process, if it is not: sift's own output (no
    /// self-triggering loop) or not a CSV (plain or gzip- or zstd-compressed, by suffix).
    fn skip_reason(&self, object: &ObjectRef) -> Option<&'static str> {
        let prefixes = std::iter::once(self.settings.invalid_prefix.as_str())
            .chain(self.routes.iter().map(|r| r.invalid_prefix.as_str()));
        if own_output(object, &self.settings.invalid_bucket, prefixes) {
            Some("under the invalid-records prefix (sift's own output)")
        } else if object.key.ends_with('/')
            || !sift_storage::Compression::strip_suffix(&object.key).to_ascii_lowercase().ends_with(".csv")
        {
            Some("not a .csv object (plain, .csv.gz or .csv.zst)")
        } else if let (Some(threshold), Some(size)) = (self.settings.large_object_bytes, object.size)
            && size >= threshold
            && size <= EVENTBRIDGE_NUMBER_MAX
        {
            Some("a large object: the Fargate task runs it (SIFT_LARGE_OBJECT_BYTES)")
        } else {
            None
        }
    }
}

/// Whether `object` is sift's own output: under one of the invalid-records `prefixes` (in any
/// bucket), or, for an empty prefix, an invalid-records or warnings file of `invalid_bucket`
/// by its name.
fn own_output<'a>(
    object: &ObjectRef,
    invalid_bucket: &str,
    prefixes: impl IntoIterator<Item = &'a str>,
) -> bool {
    prefixes.into_iter().any(|prefix| {
        if prefix.is_empty() {
            object.bucket == invalid_bucket && sift_pipeline::is_own_output(&object.key)
        } else {
            object.key.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_sift_writes_is_its_own_output_with_a_prefix_or_without() {
        let object =
            |bucket: &str, key: &str| ObjectRef { bucket: bucket.into(), key: key.into(), size: None };
        let own = |o: &ObjectRef, prefixes: &[&str]| own_output(o, "quarantine", prefixes.iter().copied());
        for key in ["2026-11-26/c_0123456789ab_invalid_records.csv", "2026-11-26/c_0123456789ab_warnings.csv"]
        {
            assert!(own(&object("quarantine", key), &[""]), "{key}");
            assert!(!own(&object("landing", key), &[""]), "another bucket's files are sources: {key}");
            assert!(own(&object("landing", &format!("Bad/Customer/{key}")), &["Curoupt", "Bad/Customer"]));
        }
        assert!(!own(&object("quarantine", "incoming/customers.csv"), &[""]));
        assert!(!own(&object("landing", "Badly/customers.csv"), &["Bad"]), "a prefix is a folder");
    }
}
