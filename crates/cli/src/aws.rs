//! The command line's AWS flags: how the shared [`sift_shell::Aws`] clients behave, and S3
//! URIs as inputs.

use anyhow::{Result, bail};
use clap::Args;
use sift_shell::{Aws, AwsOptions, settings};

/// AWS settings (the standard AWS environment applies too: credentials, AWS_REGION,
/// AWS_ENDPOINT_URL for an emulator).
#[derive(Debug, Clone, Args)]
pub(crate) struct AwsArgs {
    /// Attempts per AWS call in the SDK's standard retry mode (exponential backoff, jitter).
    #[arg(long, env = "SIFT_AWS_MAX_ATTEMPTS", value_name = "N", default_value = "5", value_parser = settings::count)]
    aws_max_attempts: u32,
    /// Address S3 buckets by path (needed by most emulators) [default: on when AWS_ENDPOINT_URL is set].
    #[arg(long, env = "SIFT_S3_PATH_STYLE", value_name = "BOOL", value_parser = settings::flag)]
    s3_path_style: Option<bool>,
    /// Server-side encryption of written objects.
    #[arg(long, env = "SIFT_S3_SSE", value_name = "MODE", value_enum, default_value_t = SseMode::Default)]
    s3_sse: SseMode,
    /// KMS key (id, ARN or alias) for --s3-sse kms [default: the AWS-managed key].
    #[arg(long, env = "SIFT_S3_SSE_KMS_KEY_ID", value_name = "KEY")]
    s3_sse_kms_key_id: Option<String>,
}

/// `--s3-sse`: how S3 encrypts the objects sift writes (the names `SIFT_S3_SSE` takes in the
/// Lambda, read by the same parser).
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

impl AwsArgs {
    /// The clients these flags describe (nothing is loaded until something needs AWS).
    pub(crate) fn clients(&self) -> Result<Aws> {
        let mode = clap::ValueEnum::to_possible_value(&self.s3_sse)
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default();
        let s3_encryption = settings::encryption(&mode, self.s3_sse_kms_key_id.clone())
            .map_err(|expected| anyhow::anyhow!("--s3-sse (SIFT_S3_SSE) {mode:?}: expected {expected}"))?;
        Ok(Aws::new(AwsOptions {
            max_attempts: self.aws_max_attempts,
            s3_path_style: self.s3_path_style,
            s3_encryption,
        }))
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
