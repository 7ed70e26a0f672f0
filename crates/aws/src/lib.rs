//! AWS SDK configuration for sift: one place that decides how sift talks to AWS.
//!
//! - HTTPS through rustls with the `ring` crypto provider (the SDK's default client would build
//!   aws-lc, a large C library, for no gain here).
//! - The SDK's standard retry mode, with exponential backoff and jitter, and a configurable
//!   number of attempts.
//! - An endpoint override for emulators (`AWS_ENDPOINT_URL` is honoured too, as the SDK
//!   defines it).
//!
//! Adapters (`S3Store`, `SesNotifier`, `SsmSecretSource`) take SDK clients built from this
//! configuration; only the shells (command line, Lambda) and tests build it.
//!
//! ```no_run
//! # async fn demo() {
//! let config = sift_aws::sdk_config(&sift_aws::AwsSettings::default()).await;
//! # let _ = config;
//! # }
//! ```

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// How sift's AWS clients behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// Send every request here instead of AWS (an emulator such as moto).
    pub endpoint_url: Option<String>,
    /// Region; `None` reads the standard environment and profile.
    pub region: Option<String>,
    /// Attempts per call in the standard retry mode (1 disables retries).
    pub max_attempts: u32,
}

impl Default for AwsSettings {
    /// Standard environment, 5 attempts.
    fn default() -> Self {
        Self { endpoint_url: None, region: None, max_attempts: 5 }
    }
}

/// The HTTPS client every sift AWS client uses: rustls with `ring`.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// Loads the SDK configuration from the standard environment (credentials, region,
/// `AWS_ENDPOINT_URL`), with sift's HTTPS client and retry settings on top.
pub async fn sdk_config(settings: &AwsSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .retry_config(RetryConfig::standard().with_max_attempts(settings.max_attempts.max(1)));
    if let Some(endpoint) = &settings.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader.load().await
}

/// Configuration for an AWS emulator at `endpoint`: fixed test credentials, `us-east-1`, no
/// environment lookups, so tests never reach live AWS whatever the machine has configured.
pub fn emulator_config(endpoint: &str, max_attempts: u32) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(http_client())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            Credentials::new("testing", "testing", None, None, "sift-emulator"),
        ))
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts.max(1)))
        .build()
}

/// An SDK error in words a person can act on. A service's answer reads as its code, message
/// and HTTP status ("ServiceUnavailable: Please reduce your request rate (HTTP 503)"); anything
/// else (a timeout, a broken connection) as the SDK's chain of causes. Every sift adapter
/// describes its SDK errors with this, never with the raw response.
pub fn describe_error<E>(error: &aws_smithy_runtime_api::client::result::SdkError<E, HttpResponse>) -> String
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    use aws_smithy_types::error::metadata::ProvideErrorMetadata;
    match error {
        SdkError::ServiceError(e) => format!(
            "{}: {} (HTTP {})",
            error.code().unwrap_or("unknown error"),
            error.message().unwrap_or("no message"),
            e.raw().status().as_u16()
        ),
        _ => aws_smithy_types::error::display::DisplayErrorContext(error).to_string(),
    }
}

/// What an AWS emulator (moto) recorded: its `/moto-api/data.json`, read with a plain HTTP/1.0
/// GET. Tests use it to see what was really sent (SES messages, SNS publications). moto builds
/// it by walking live models, so a request from a parallel test can spoil one read: it reads
/// again until the answer parses.
pub fn emulator_state(endpoint: &str) -> Result<serde_json::Value, String> {
    use std::io::{Read, Write};

    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut last = String::new();
    for _ in 0..50 {
        let mut stream =
            std::net::TcpStream::connect(host).map_err(|e| format!("connecting to {host}: {e}"))?;
        write!(stream, "GET /moto-api/data.json HTTP/1.0\r\nHost: {host}\r\n\r\n")
            .map_err(|e| format!("asking {host}: {e}"))?;
        let mut response = String::new();
        stream.read_to_string(&mut response).map_err(|e| format!("reading from {host}: {e}"))?;
        if let Some(state) =
            response.split_once("\r\n\r\n").and_then(|(_, body)| serde_json::from_str(body).ok())
        {
            return Ok(state);
        }
        last = response.chars().take(300).collect();
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(format!("the emulator's state did not parse; last answer: {last}"))
}
