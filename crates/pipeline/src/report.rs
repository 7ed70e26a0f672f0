//! The report and alert tail of a run: the report email after every run, and the alert when
//! too much of a processed file is invalid. Neither can undo a load: a failure is logged and
//! the summary says `notification: "failed"`.

use sift_model::NotificationStatus;
use sift_notifier::Report;

use crate::{ErrorChain, Pipeline, Stage};

impl Pipeline {
    /// Sends `report` through the notifier, if there is one.
    pub(crate) async fn notify(&self, report: &Report, source: &str) -> NotificationStatus {
        let Some(notifier) = &self.notifier else {
            return NotificationStatus::Skipped;
        };
        self.stage(Stage::Reporting);
        match notifier.send(report).await {
            Ok(delivery) => {
                tracing::info!(source = %source, delivery = %delivery.id, "report sent");
                NotificationStatus::Sent
            }
            Err(error) => {
                tracing::error!(source = %source, error = %ErrorChain(&error), "sending the report failed; the load and the invalid records stand");
                NotificationStatus::Failed
            }
        }
    }

    /// Publishes an alert through the alerter, if there is one, when the report of a
    /// processed file is over the threshold.
    pub(crate) async fn alert(&self, report: &Report, source: &str) {
        let Some(alerter) = &self.alerter else { return };
        if !report.is_alert() || report.is_rejected() {
            return;
        }
        match alerter.alert(report).await {
            Ok(delivery) => {
                tracing::warn!(source = %source, delivery = %delivery.id, invalid_pct = report.invalid_pct(), "alert published")
            }
            Err(error) => {
                tracing::error!(source = %source, error = %ErrorChain(&error), "publishing the alert failed")
            }
        }
    }
}
