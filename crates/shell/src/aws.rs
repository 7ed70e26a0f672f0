//! The AWS side of both shells: the SDK configuration (loaded once, and only when something
//! needs AWS) and the S3, SES, SNS and SSM backends built from it.

use sift_notifier::{SesNotifier, SnsAlerter};
use sift_storage::{Encryption, S3Store};
use sift_warehouse::SsmSecretSource;
use tokio::sync::OnceCell;

/// How the shells' AWS clients behave (the standard AWS environment applies too: credentials,
/// `AWS_REGION`, `AWS_ENDPOINT_URL` for an emulator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsOptions {
    /// Attempts per AWS call in the SDK's standard retry mode (exponential backoff, jitter).
    pub max_attempts: u32,
    /// Address S3 buckets by path (emulators need it); `None`: on when `AWS_ENDPOINT_URL` is
    /// set.
    pub s3_path_style: Option<bool>,
    /// Server-side encryption of the objects sift writes.
    pub s3_encryption: Encryption,
}

impl Default for AwsOptions {
    /// 5 attempts, path style by the environment, the bucket's default encryption.
    fn default() -> Self {
        Self { max_attempts: 5, s3_path_style: None, s3_encryption: Encryption::BucketDefault }
    }
}

/// The SDK configuration and the S3 client, built on first use and shared.
#[derive(Debug)]
pub struct Aws {
    options: AwsOptions,
    config: OnceCell<aws_config::SdkConfig>,
    s3: OnceCell<aws_sdk_s3::Client>,
}

impl Aws {
    /// Clients that behave as `options` say; nothing is loaded yet.
    pub fn new(options: AwsOptions) -> Self {
        Self { options, config: OnceCell::new(), s3: OnceCell::new() }
    }

    /// The SDK configuration (loaded from the environment on the first call).
    pub async fn config(&self) -> &aws_config::SdkConfig {
        self.config
            .get_or_init(|| async {
                let settings =
                    sift_aws::AwsSettings { max_attempts: self.options.max_attempts, ..Default::default() };
                sift_aws::sdk_config(&settings).await
            })
            .await
    }

    async fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3
            .get_or_init(|| async {
                let path_style = self
                    .options
                    .s3_path_style
                    .unwrap_or_else(|| std::env::var_os("AWS_ENDPOINT_URL").is_some_and(|v| !v.is_empty()));
                let config = aws_sdk_s3::config::Builder::from(self.config().await)
                    .force_path_style(path_style)
                    .build();
                aws_sdk_s3::Client::from_conf(config)
            })
            .await
    }

    /// An object store over `bucket`, writing with the configured encryption.
    pub async fn s3_store(&self, bucket: &str) -> S3Store {
        S3Store::new(self.s3().await.clone(), bucket).with_encryption(self.options.s3_encryption.clone())
    }

    /// Reports through SES from `from` to `to`.
    pub async fn ses_notifier(&self, from: &str, to: Vec<String>) -> SesNotifier {
        SesNotifier::new(aws_sdk_ses::Client::new(self.config().await), from, to)
    }

    /// Alerts published to the SNS topic `topic_arn`.
    pub async fn sns_alerter(&self, topic_arn: &str) -> SnsAlerter {
        SnsAlerter::new(aws_sdk_sns::Client::new(self.config().await), topic_arn)
    }

    /// Database credentials in the SSM parameter `parameter`.
    pub async fn ssm_secret(&self, parameter: &str) -> SsmSecretSource {
        SsmSecretSource::new(aws_sdk_ssm::Client::new(self.config().await), parameter)
    }
}
