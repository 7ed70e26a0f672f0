//! SesNotifier and SnsAlerter against a real implementation of the SES and SNS APIs (moto,
//! started by `scripts/test`; SIFT_MOTO_ENDPOINT names it). What was really sent is read back
//! from the emulator and parsed.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use chrono::{TimeZone, Utc};
use serde_json::Value;
use sift_notifier::{Alerter, Notifier, Outcome, Report, RuleCount, SesNotifier, SnsAlerter};

fn endpoint() -> String {
    std::env::var("SIFT_MOTO_ENDPOINT").expect(
        "SIFT_MOTO_ENDPOINT must name an AWS API emulator; run `scripts/test`, which starts moto[server]",
    )
}

fn emulator_state() -> Value {
    sift_aws::emulator_state(&endpoint()).unwrap()
}

fn report(source: &str, invalid: u64) -> Report {
    Report {
        function_name: "customer-validator".into(),
        executed_at: Utc.with_ymd_and_hms(2026, 11, 26, 12, 10, 34).single().unwrap(),
        source: source.into(),
        outcome: Outcome::Processed,
        total: 1000,
        valid: 1000 - invalid,
        invalid,
        inserted: 1000 - invalid - 10,
        already_present: 10,
        updates: None,
        rule_failures: vec![
            RuleCount { rule: "email".into(), count: invalid / 2 },
            RuleCount { rule: "not_null:age".into(), count: invalid / 2 },
        ],
        rule_warnings: Vec::new(),
        warnings_uri: None,
        rule_descriptions: Vec::new(),
        co_failures: Vec::new(),
        invalid_records_uri: Some("s3://bkt/Curoupt_Records/Customer/2026-11-26/c_invalid_records.csv".into()),
        invalid_records_url: Some(
            "https://s3.console.aws.amazon.com/s3/object/bkt?prefix=Curoupt_Records/Customer/2026-11-26/c_invalid_records.csv"
                .into(),
        ),
        alert_threshold_pct: 10.0,
        already_loaded: false,
        trends: Vec::new(),
        duplicate_groups: Vec::new(),
    }
}

#[tokio::test]
async fn ses_sends_the_multipart_report_to_every_recipient() {
    let config = sift_aws::emulator_config(&endpoint(), 3);
    let ses = aws_sdk_ses::Client::new(&config);
    let from = format!("sift-{}@example.com", std::process::id());
    ses.verify_email_identity().email_address(&from).send().await.unwrap();
    let to = vec!["data-team@example.com".to_owned(), "oncall@example.com".to_owned()];
    let source = format!("s3://in/ses-test-{}.csv", std::process::id());
    let notifier = SesNotifier::new(ses, &from, to.clone());

    let delivery = notifier.send(&report(&source, 150)).await.unwrap();

    let state = emulator_state();
    let sent = state["ses"]["RawMessage"].as_array().unwrap();
    let message = sent.iter().find(|m| m["id"] == delivery.id.as_str()).expect("the message was recorded");
    assert_eq!(message["source"], from.as_str());
    for addr in &to {
        assert!(message["destinations"].as_array().unwrap().iter().any(|d| d == addr.as_str()), "{addr}");
    }
    let raw = message["raw_data"].as_str().unwrap();
    let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
    assert_eq!(parsed.subject(), Some("[ALERT] Lambda customer-validator - Data Validation Report"));
    let text = parsed.body_text(0).unwrap();
    let html = parsed.body_html(0).unwrap();
    assert!(
        text.contains("Total:           1,000") && text.contains("Invalid:         150 (15.0%)"),
        "{text}"
    );
    assert!(html.contains("<a href=\"https://s3.console.aws.amazon.com/s3/object/bkt?prefix="), "{html}");
    assert!(html.contains("c_invalid_records.csv</a>"), "{html}");
}

#[tokio::test]
async fn ses_failures_say_what_to_check() {
    let ses = aws_sdk_ses::Client::new(&sift_aws::emulator_config(&endpoint(), 1));
    let notifier = SesNotifier::new(ses, "never-verified@example.com", vec!["x@example.com".into()]);
    let err = notifier.send(&report("s3://in/x.csv", 1)).await.unwrap_err().to_string();
    assert!(
        err.contains("SES") && err.contains("never-verified@example.com is a verified SES identity"),
        "{err}"
    );
}

#[tokio::test]
async fn sns_publishes_a_short_alert_without_customer_values() {
    let sns = aws_sdk_sns::Client::new(&sift_aws::emulator_config(&endpoint(), 3));
    let topic = sns.create_topic().name(format!("sift-alerts-{}", std::process::id())).send().await.unwrap();
    let arn = topic.topic_arn().unwrap().to_owned();
    let alerter = SnsAlerter::new(sns, &arn);
    let source = "s3://in/incoming/customers.csv";

    alerter.alert(&report(source, 150)).await.unwrap();

    let state = emulator_state();
    let topics = state["sns"]["Topic"].as_array().unwrap();
    let topic = topics.iter().find(|t| t["arn"] == arn.as_str()).unwrap();
    let sent = topic["sent_notifications"].as_array().unwrap();
    assert_eq!(sent.len(), 1);
    let (message, subject) = (sent[0][1].as_str().unwrap(), sent[0][2].as_str().unwrap());
    assert_eq!(subject, "[ALERT] Lambda customer-validator - Data Validation Report");
    assert!(
        message.contains("15.0% of 1000 rows in s3://in/incoming/customers.csv are invalid"),
        "{message}"
    );
    assert!(message.contains("threshold of 10.0%") && message.contains("c_invalid_records.csv"), "{message}");

    let missing = SnsAlerter::new(
        aws_sdk_sns::Client::new(&sift_aws::emulator_config(&endpoint(), 1)),
        "arn:aws:sns:us-east-1:123456789012:no-such-topic",
    );
    let err = missing.alert(&report(source, 150)).await.unwrap_err().to_string();
    assert!(err.contains("no-such-topic") && err.contains("sns:Publish"), "{err}");
}
