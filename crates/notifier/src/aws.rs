//! Amazon SES for the report and Amazon SNS for the alert.

use async_trait::async_trait;

use crate::error::{Error, Result};
use crate::message::{build_mime, render};
use crate::report::Report;
use crate::{Alerter, Delivery, Notifier};

/// Sends the report through Amazon SES: the same multipart/alternative message as the outbox
/// (text and HTML), from one sender to several recipients, with `SendRawEmail`.
#[cfg(feature = "ses")]
#[derive(Debug, Clone)]
pub struct SesNotifier {
    client: aws_sdk_ses::Client,
    from: String,
    to: Vec<String>,
}

#[cfg(feature = "ses")]
impl SesNotifier {
    /// Sends from `from` (an SES-verified identity) to every address in `to`.
    pub fn new(client: aws_sdk_ses::Client, from: impl Into<String>, to: Vec<String>) -> Self {
        Self { client, from: from.into(), to }
    }
}

#[cfg(feature = "ses")]
#[async_trait]
impl Notifier for SesNotifier {
    async fn send(&self, report: &Report) -> Result<Delivery> {
        use aws_sdk_ses::error::ProvideErrorMetadata;
        use aws_sdk_ses::primitives::Blob;
        use aws_sdk_ses::types::RawMessage;

        let rendered = render(report)?;
        let mime = build_mime(&self.from, &self.to, &rendered, report.executed_at)?;
        let raw = RawMessage::builder().data(Blob::new(mime)).build().map_err(|e| Error::Delivery {
            service: "SES",
            message: e.to_string(),
            retryable: false,
        })?;
        let sent = self
            .client
            .send_raw_email()
            .source(&self.from)
            .set_destinations(Some(self.to.clone()))
            .raw_message(raw)
            .send()
            .await
            .map_err(|e| {
                let code = e.code().map(str::to_owned);
                let retryable = !matches!(
                    code.as_deref(),
                    Some("MessageRejected" | "MailFromDomainNotVerified" | "ConfigurationSetDoesNotExist")
                );
                Error::Delivery {
                    service: "SES",
                    message: format!(
                        "{}; check that {} is a verified SES identity and the role may ses:SendRawEmail",
                        sift_aws::describe_error(&e),
                        self.from
                    ),
                    retryable,
                }
            })?;
        Ok(Delivery { id: sent.message_id().to_owned() })
    }
}

/// Publishes a short alert to an Amazon SNS topic.
#[cfg(feature = "sns")]
#[derive(Debug, Clone)]
pub struct SnsAlerter {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

#[cfg(feature = "sns")]
impl SnsAlerter {
    /// Publishes to `topic_arn`.
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self { client, topic_arn: topic_arn.into() }
    }
}

#[cfg(feature = "sns")]
#[async_trait]
impl Alerter for SnsAlerter {
    async fn alert(&self, report: &Report) -> Result<Delivery> {
        // SNS subjects: at most 100 ASCII characters, no line breaks.
        let subject: String = report
            .subject()
            .chars()
            .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
            .take(100)
            .collect();
        let published = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(crate::alert_text(report))
            .send()
            .await
            .map_err(|e| Error::Delivery {
                service: "SNS",
                message: format!(
                    "{}; check the topic {} exists and the role may sns:Publish to it",
                    sift_aws::describe_error(&e),
                    self.topic_arn
                ),
                retryable: true,
            })?;
        Ok(Delivery { id: published.message_id().unwrap_or_default().to_owned() })
    }
}
