//! AWS backends for the command line: S3 sources, contracts and invalid records, SSM database
//! credentials, SES reports, SNS alerts.
//! The SDK configuration is loaded once, and only when something needs AWS.

use anyhow::{Context as _, Result, bail};
use clap::Args;
use sift_notifier::{SesNotifier, SnsAlerter};
use sift_storage::{Encryption, ObjectStore as _, S3Store};
use sift_warehouse::SsmSecretSource;

/// AWS settings (the standard AWS environment applies too: credentials, AWS_REGION,
/// AWS_ENDPOINT_URL for an emulator).
#[derive(Debug, Clone, Args)]
pub(crate) struct AwsArgs {
    /// Attempts per AWS call in the SDK's standard retry mode (exponential backoff, jitter).
    #[arg(long, env = "SIFT_AWS_MAX_ATTEMPTS", value_name = "N", default_value_t = 5)]
    aws_max_attempts: u32,
    /// Address S3 buckets by path (needed by most emulators) [default: on when AWS_ENDPOINT_URL is set].
    #[arg(long, env = "SIFT_S3_PATH_STYLE", value_name = "BOOL")]
    s3_path_style: Option<bool>,
    /// Server-side encryption of written objects.
    #[arg(long, env = "SIFT_S3_SSE", value_name = "MODE", value_enum, default_value_t = SseMode::Default)]
    s3_sse: SseMode,
    /// KMS key (id, ARN or alias) for --s3-sse kms [default: the AWS-managed key].
    #[arg(long, env = "SIFT_S3_SSE_KMS_KEY_ID", value_name = "KEY")]
    s3_sse_kms_key_id: Option<String>,
}

/// `--s3-sse`: how S3 encrypts the objects sift writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SseMode {
    /// The bucket's default encryption.
    Default,
    /// SSE-S3 (AES-256, keys managed by S3).
    Aes256,
    /// SSE-KMS, with --s3-sse-kms-key-id or the AWS-managed key.
    #[value(alias = "aws:kms")]
    Kms,
}

/// Lazily built SDK configuration.
#[derive(Debug)]
pub(crate) struct Clients {
    args: AwsArgs,
    config: tokio::sync::OnceCell<aws_config::SdkConfig>,
}

impl Clients {
    pub(crate) fn new(args: &AwsArgs) -> Self {
        Self { args: args.clone(), config: tokio::sync::OnceCell::new() }
    }

    async fn config(&self) -> &aws_config::SdkConfig {
        self.config
            .get_or_init(|| async {
                let settings =
                    sift_aws::AwsSettings { max_attempts: self.args.aws_max_attempts, ..Default::default() };
                sift_aws::sdk_config(&settings).await
            })
            .await
    }

    pub(crate) async fn s3_store(&self, bucket: &str) -> Result<S3Store> {
        let path_style =
            self.args.s3_path_style.unwrap_or_else(|| std::env::var_os("AWS_ENDPOINT_URL").is_some());
        let encryption = match self.args.s3_sse {
            SseMode::Default => Encryption::BucketDefault,
            SseMode::Aes256 => Encryption::S3Managed,
            SseMode::Kms => Encryption::Kms(self.args.s3_sse_kms_key_id.clone()),
        };
        let config =
            aws_sdk_s3::config::Builder::from(self.config().await).force_path_style(path_style).build();
        Ok(S3Store::new(aws_sdk_s3::Client::from_conf(config), bucket).with_encryption(encryption))
    }

    pub(crate) async fn ses_notifier(&self, from: &str, to: Vec<String>) -> SesNotifier {
        SesNotifier::new(aws_sdk_ses::Client::new(self.config().await), from, to)
    }

    pub(crate) async fn ssm_secret(&self, parameter: &str) -> SsmSecretSource {
        SsmSecretSource::new(aws_sdk_ssm::Client::new(self.config().await), parameter)
    }

    /// An object's text (a contract in S3).
    pub(crate) async fn read_text(&self, bucket: &str, key: &str) -> Result<String> {
        use futures::TryStreamExt as _;
        let uri = format!("s3://{bucket}/{key}");
        let store = self.s3_store(bucket).await?;
        let chunks: Vec<bytes::Bytes> = store
            .get(key)
            .await
            .with_context(|| format!("reading {uri}"))?
            .try_collect()
            .await
            .with_context(|| format!("reading {uri}"))?;
        String::from_utf8(chunks.concat()).with_context(|| format!("{uri} is not UTF-8 text"))
    }

    pub(crate) async fn sns_alerter(&self, topic_arn: &str) -> SnsAlerter {
        SnsAlerter::new(aws_sdk_sns::Client::new(self.config().await), topic_arn)
    }
}

/// `s3://bucket/key` as (bucket, key); `None` for anything else (a local path).
pub(crate) fn parse_s3_uri(text: &str) -> Result<Option<(String, String)>> {
    let Some(rest) = text.strip_prefix("s3://") else { return Ok(None) };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("{text:?} names no bucket; use s3://BUCKET/KEY");
    }
    Ok(Some((bucket.to_owned(), key.trim_end_matches('/').to_owned())))
}
