//! The `Notifier` seam of sift: the data-validation report email and where it goes.
//!
//! A [`Report`] holds the counts and locations of one run (never a customer value); its
//! constructors say what became of the file ([`Report::processed`], [`Report::rejected`],
//! [`Report::failed`]) from the run's [`Counts`](sift_model::Counts).
//! [`render`] turns it into a subject, a plain-text part and an HTML part (askama templates
//! in `templates/`, HTML-escaped), and [`build_mime`] wraps those in a standard
//! multipart/alternative message. A [`Notifier`] delivers it; [`OutboxNotifier`] writes
//! one `.eml` file per report into a folder (the CLI's default). With the `mock` feature,
//! `MockNotifier` (mockall) is available for other crates' tests.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use sift_model::Counts;
//! use sift_notifier::{Notifier, OutboxNotifier, Report, ReportContext, render};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let context = ReportContext {
//!     function_name: "sift".into(),
//!     executed_at: Utc.with_ymd_and_hms(2026, 11, 26, 12, 10, 34).single().ok_or("bad date")?,
//!     alert_threshold_pct: 10.0,
//! };
//! let counts = Counts {
//!     total: 1000, valid: 950, invalid: 50, inserted: 940, already_present: 10, updates: None,
//!     rule_failures: vec![("email".into(), 50)],
//!     ..Counts::default()
//! };
//! let report = Report::processed(
//!     &context,
//!     "incoming/customers.csv",
//!     &counts,
//!     Some("sift-out/invalid/2026-11-26/customers_invalid_records.csv".into()),
//!     Some("file:///tmp/sift-out/invalid/2026-11-26/customers_invalid_records.csv".into()),
//! );
//!
//! let rendered = render(&report)?;
//! assert_eq!(rendered.subject, "Lambda sift - Data Validation Report");
//! assert!(rendered.text.contains("Invalid:         50 (5.0%)"));
//!
//! let outbox_dir = tempfile::tempdir()?;
//! let outbox = OutboxNotifier::new(outbox_dir.path(), "sift@localhost", vec!["data-team@localhost".into()]);
//! let delivery = outbox.send(&report).await?;
//! assert!(delivery.id.ends_with("20261126T121034.000Z-customers.eml"));
//! # Ok(())
//! # }
//! ```

#[cfg(any(feature = "ses", feature = "sns"))]
mod aws;
mod error;
mod escape;
mod message;
mod outbox;
mod report;

#[cfg(feature = "ses")]
pub use aws::SesNotifier;
#[cfg(feature = "sns")]
pub use aws::SnsAlerter;
pub use error::{Error, Result};
pub use escape::printable;
pub use message::{RenderedReport, build_mime, render};
pub use outbox::OutboxNotifier;
pub use report::{Outcome, Report, ReportContext, RuleCount};

/// What became of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The message id given by the mail service, or the `.eml` path for the outbox.
    pub id: String,
}

/// Delivers report emails; implementations are named by backend (`OutboxNotifier`, `SesNotifier`).
///
/// Object-safe: pass it around as `Arc<dyn Notifier>`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Notifier: Send + Sync {
    /// Sends the report; an Err means it was not delivered.
    async fn send(&self, report: &Report) -> Result<Delivery>;
}

/// Raises an alert when too much of a file is invalid (SNS in production).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait Alerter: Send + Sync {
    /// Publishes a short alert about `report`; an Err means it was not published.
    async fn alert(&self, report: &Report) -> Result<Delivery>;
}

/// The short, plain-text alert for `report`: counts, share, threshold, the rules far above
/// their history, and where the invalid records are. No customer values.
pub fn alert_text(report: &Report) -> String {
    let (rows, are) = if report.total == 1 { ("row", "is") } else { ("rows", "are") };
    let mut text = format!(
        "{}: {:.1}% of {} {rows} in {} {are} invalid ({} invalid)",
        report.function_name,
        report.invalid_pct(),
        report.total,
        report.source,
        report.invalid,
    );
    if report.is_over_threshold() {
        text.push_str(&format!(", above the alert threshold of {:.1}%", report.alert_threshold_pct));
    }
    text.push('.');
    if let Some(far) = report.anomaly_sentence() {
        text.push_str(&format!(" {far}"));
    }
    let top: Vec<String> =
        report.sorted_failures().iter().take(3).map(|f| format!("{} ({})", f.rule, f.count)).collect();
    if !top.is_empty() {
        text.push_str(&format!(" Most failed rules: {}.", top.join(", ")));
    }
    if let Some(uri) = &report.invalid_records_uri {
        text.push_str(&format!(" Invalid records: {uri}"));
    }
    // One line of text: a name holding a line break or an escape shows as such.
    printable(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[tokio::test]
    async fn mock_notifier_stands_in_for_the_seam() {
        let mut mock = MockNotifier::new();
        mock.expect_send()
            .withf(|r| r.source == "x.csv")
            .times(1)
            .returning(|_| Ok(Delivery { id: "msg-1".into() }));
        let notifier: Arc<dyn Notifier> = Arc::new(mock);
        let context = ReportContext {
            function_name: "sift".into(),
            executed_at: chrono::DateTime::UNIX_EPOCH,
            alert_threshold_pct: 10.0,
        };
        let report = Report::processed(&context, "x.csv", &sift_model::Counts::default(), None, None);
        let delivery = notifier.send(&report).await.expect("the mock delivers");
        assert_eq!(delivery, Delivery { id: "msg-1".into() });
    }
}
