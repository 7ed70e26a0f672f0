//! Integration tests: rendering, the MIME message and the outbox, seen from outside the crate.

// Tests may panic on a broken invariant; that is how they fail.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use sift_notifier::{
    Error, Notifier, OutboxNotifier, Outcome, RenderedReport, Report, RuleCount, build_mime, render,
};

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, h, m, s).single().unwrap()
}

fn rules(pairs: &[(&str, u64)]) -> Vec<RuleCount> {
    pairs.iter().map(|&(rule, count)| RuleCount { rule: rule.into(), count }).collect()
}

/// 1000 rows, 50 invalid, failures given out of order.
fn sample() -> Report {
    Report {
        function_name: "sift".into(),
        executed_at: at(12, 10, 34),
        source: "s3://bucket/incoming/customers.csv".into(),
        outcome: Outcome::Processed,
        total: 1000,
        valid: 950,
        invalid: 50,
        inserted: 940,
        already_present: 10,
        updates: None,
        rule_failures: rules(&[("duplicate", 5), ("email", 12), ("age", 5), ("not_null:age", 40)]),
        rule_warnings: Vec::new(),
        warnings_uri: None,
        rule_descriptions: Vec::new(),
        co_failures: Vec::new(),
        invalid_records_uri: Some(
            "s3://data-engineering-generic-bkt/Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv".into(),
        ),
        invalid_records_url: Some(
            "https://data-engineering-generic-bkt.s3.amazonaws.com/Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv?a=1&b=2".into(),
        ),
        alert_threshold_pct: 10.0,
        already_loaded: false,
        trends: Vec::new(),
        duplicate_groups: Vec::new(),
    }
}

fn clean() -> Report {
    Report {
        invalid: 0,
        valid: 1000,
        inserted: 1000,
        already_present: 0,
        rule_failures: vec![],
        invalid_records_uri: None,
        invalid_records_url: None,
        ..sample()
    }
}

fn rejected() -> Report {
    Report {
        outcome: Outcome::Rejected { reason: "the header has no column \"email\"; add it".into() },
        total: 0,
        valid: 0,
        invalid: 0,
        inserted: 0,
        already_present: 0,
        rule_failures: vec![],
        invalid_records_uri: None,
        invalid_records_url: None,
        ..sample()
    }
}

/// Byte offsets of `needles` in `haystack`, asserting each is present.
fn positions(haystack: &str, needles: &[&str]) -> Vec<usize> {
    needles
        .iter()
        .map(|n| haystack.find(n).unwrap_or_else(|| panic!("{n:?} missing from:\n{haystack}")))
        .collect()
}

fn assert_ascending(p: &[usize]) {
    assert!(p.windows(2).all(|w| w[0] < w[1]), "out of order: {p:?}");
}

#[test]
fn html_shows_counts_rules_and_link() {
    let html = render(&sample()).unwrap().html;
    for expected in [
        "Lambda sift - Data Validation Report",
        "2026-11-26 12:10:34 UTC",
        "s3://bucket/incoming/customers.csv",
        ">1,000<",
        ">950<",
        ">95.0%<",
        ">50<",
        ">5.0%<",
        ">940<",
        ">10<",
        // Percent of all rows per rule, and bars relative to the largest count (40).
        ">4.0%<",
        ">1.2%<",
        "width:100.0%",
        "width:30.0%",
        "width:12.5%",
        // The link, with its & escaped inside the attribute.
        "<a href=\"https://data-engineering-generic-bkt.s3.amazonaws.com/Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv?a=1&#38;b=2\"",
        ">s3://data-engineering-generic-bkt/Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv</a>",
    ] {
        assert!(html.contains(expected), "{expected:?} missing from:\n{html}");
    }
    // Most frequent first, ties by rule id.
    assert_ascending(&positions(&html, &[">not_null:age<", ">email<", ">age<", ">duplicate<"]));
    assert!(!html.contains("ALERT"));
    assert!(!html.contains("No invalid records."));
    assert!(!html.contains("<script") && !html.contains("<style") && !html.contains("src="));
}

#[test]
fn html_escapes_the_source_name() {
    let report = Report { source: "<script>&\"x\".csv".into(), ..sample() };
    let html = render(&report).unwrap().html;
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&#60;script&#62;&#38;&#34;x&#34;.csv"), "{html}");
    // The text part is not HTML: the name appears as it is.
    let text = render(&report).unwrap().text;
    assert!(text.contains("Source:          <script>&\"x\".csv"), "{text}");
}

#[test]
fn html_escapes_every_text_value_of_the_report() {
    // Every string that reaches the report can come from outside: the function name (an
    // environment variable), the object key, a rule id (a rules file), the reason of a
    // rejection (it quotes the file's header) and the invalid-records location.
    let hostile = "<img src=x onerror=alert(1)>&\"'";
    let processed = Report {
        function_name: hostile.into(),
        source: format!("s3://bucket/{hostile}.csv"),
        rule_failures: rules(&[(hostile, 3), ("email", 1)]),
        invalid_records_uri: Some(format!("s3://out/{hostile}_invalid_records.csv")),
        invalid_records_url: Some(format!("https://out.example/{hostile}")),
        ..sample()
    };
    let failed = Report {
        outcome: Outcome::Failed { reason: format!("missing column {hostile}") },
        ..processed.clone()
    };
    let rejected = Report {
        outcome: Outcome::Rejected { reason: format!("bad header {hostile}") },
        ..processed.clone()
    };
    for report in [processed, failed, rejected] {
        let html = render(&report).unwrap().html;
        assert!(!html.contains("<img") && !html.contains("onerror=alert(1)>"), "{html}");
        assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;&#38;&#34;&#39;"), "{html}");
    }
}

#[test]
fn html_does_not_link_unsafe_schemes() {
    let report = Report { invalid_records_url: Some("javascript:alert(1)".into()), ..sample() };
    let html = render(&report).unwrap().html;
    assert!(!html.contains("href=") && !html.contains("javascript:"), "{html}");
    assert!(html.contains("customers_invalid_records.csv"));
}

#[test]
fn text_shows_counts_rules_and_link() {
    let text = render(&sample()).unwrap().text;
    for expected in [
        "Lambda sift - Data Validation Report\n",
        "Function:        sift\n",
        "Executed at:     2026-11-26 12:10:34 UTC\n",
        "Source:          s3://bucket/incoming/customers.csv\n",
        "Total:           1,000\n",
        "Valid:           950 (95.0%)\n",
        "Invalid:         50 (5.0%)\n",
        "Inserted:        940\n",
        "Already present: 10\n",
        "  not_null:age  40 (4.0%)\n",
        "  email         12 (1.2%)\n",
        "  age            5 (0.5%)\n",
        "  duplicate      5 (0.5%)\n",
        "  s3://data-engineering-generic-bkt/Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv\n",
        "  Open: https://data-engineering-generic-bkt.s3.amazonaws.com/Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv?a=1&b=2\n",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }
    assert_ascending(&positions(&text, &["not_null:age", "  email", "  age", "  duplicate"]));
    assert!(!text.contains('<') && !text.contains("&#"), "{text}");
    assert!(!text.contains("ALERT"));
}

#[test]
fn no_invalid_records() {
    let RenderedReport { subject, text, html } = render(&clean()).unwrap();
    assert_eq!(subject, "Lambda sift - Data Validation Report");
    assert!(html.contains("No invalid records.") && !html.contains("<a "), "{html}");
    assert!(html.contains("No rule failures."));
    assert!(text.contains("Invalid records:\n  No invalid records.\n"), "{text}");
    assert!(text.contains("Invalid:         0 (0.0%)"));
}

#[test]
fn alert_line_when_strictly_above_threshold() {
    let report = Report { valid: 850, invalid: 150, ..sample() };
    let rendered = render(&report).unwrap();
    assert_eq!(rendered.subject, "[ALERT] Lambda sift - Data Validation Report");
    let line = "The invalid share 15.0% is above the alert threshold 10.0%.";
    assert!(rendered.text.contains(&format!("ALERT: {line}")), "{}", rendered.text);
    assert!(rendered.html.contains(line), "{}", rendered.html);

    let at_threshold = Report { valid: 900, invalid: 100, ..sample() };
    let rendered = render(&at_threshold).unwrap();
    assert_eq!(rendered.subject, "Lambda sift - Data Validation Report");
    assert!(!rendered.text.contains("ALERT") && !rendered.html.contains("ALERT"));
}

#[test]
fn rejected_file_says_why_and_nothing_loaded() {
    let RenderedReport { subject, text, html } = render(&rejected()).unwrap();
    assert_eq!(subject, "[FAILED] Lambda sift - Data Validation Report");
    assert!(text.contains("FAILED: the file was rejected and nothing was loaded.\n"), "{text}");
    assert!(text.contains("Reason: the header has no column \"email\"; add it\n"), "{text}");
    assert!(!text.contains("Total:"), "{text}");
    assert!(html.contains("the file was rejected and nothing was loaded."), "{html}");
    assert!(html.contains("Reason: the header has no column &#34;email&#34;; add it"), "{html}");
    assert!(!html.contains("Failures per rule"));
    assert!(!text.contains("ALERT") && !html.contains("ALERT"));
}

#[test]
fn subject_with_no_rows() {
    let report = Report { total: 0, valid: 0, invalid: 0, alert_threshold_pct: 0.0, ..clean() };
    assert_eq!(report.subject(), "Lambda sift - Data Validation Report");
    let text = render(&report).unwrap().text;
    assert!(text.contains("Valid:           0 (0.0%)"), "{text}");
}

fn recipients() -> Vec<String> {
    vec!["data-team@example.com".into(), "Ops Team <ops@example.com>".into()]
}

#[test]
fn mime_parses_back() {
    let rendered = render(&sample()).unwrap();
    let date = at(12, 10, 34);
    let bytes = build_mime("sift@example.com", &recipients(), &rendered, date).unwrap();
    let msg = MessageParser::default().parse(&bytes).unwrap();

    assert_eq!(msg.subject(), Some("Lambda sift - Data Validation Report"));
    assert_eq!(msg.from().unwrap().first().unwrap().address(), Some("sift@example.com"));
    let to: Vec<_> = msg.to().unwrap().iter().map(|a| a.address().unwrap().to_owned()).collect();
    assert_eq!(to, ["data-team@example.com", "ops@example.com"]);
    assert_eq!(msg.to().unwrap().iter().nth(1).unwrap().name.as_deref(), Some("Ops Team"));
    assert_eq!(msg.date().unwrap().to_timestamp(), date.timestamp());
    assert!(msg.message_id().unwrap().ends_with("@example.com"), "{:?}", msg.message_id());

    let root = msg.content_type().unwrap();
    assert_eq!((root.ctype(), root.subtype()), ("multipart", Some("alternative")));
    let leaves: Vec<_> = msg.parts[1..]
        .iter()
        .map(|p| {
            let ct = p.content_type().unwrap();
            (
                format!("{}/{}", ct.ctype(), ct.subtype().unwrap()),
                ct.attribute("charset").unwrap().to_ascii_lowercase(),
            )
        })
        .collect();
    assert_eq!(leaves, [("text/plain".into(), "utf-8".into()), ("text/html".into(), "utf-8".into())]);
    assert_eq!(msg.body_text(0).unwrap().replace("\r\n", "\n"), rendered.text.replace("\r\n", "\n"));
    assert_eq!(msg.body_html(0).unwrap().replace("\r\n", "\n"), rendered.html.replace("\r\n", "\n"));
}

#[test]
fn mime_keeps_non_ascii_text() {
    let report =
        Report { function_name: "sift-éàü".into(), source: "Kundenübersicht.csv".into(), ..sample() };
    let rendered = render(&report).unwrap();
    let bytes = build_mime("sift@example.com", &recipients(), &rendered, at(1, 2, 3)).unwrap();
    let msg = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(msg.subject(), Some("Lambda sift-éàü - Data Validation Report"));
    assert!(msg.body_text(0).unwrap().contains("Kundenübersicht.csv"));
    assert!(msg.body_html(0).unwrap().contains("Kundenübersicht.csv"));
}

#[test]
fn mime_rejects_bad_addresses() {
    let rendered = render(&sample()).unwrap();
    let date = at(0, 0, 0);
    let err = build_mime("sift@example.com", &[], &rendered, date).unwrap_err();
    assert!(matches!(err, Error::NoRecipients), "{err}");
    let err = build_mime("sift", &recipients(), &rendered, date).unwrap_err();
    assert!(matches!(err, Error::InvalidAddress { field: "From", .. }), "{err}");
    let to = vec!["ok@example.com".to_owned(), "a@b.c\r\nBcc: x@evil.example".to_owned()];
    let err = build_mime("sift@example.com", &to, &rendered, date).unwrap_err();
    assert!(matches!(err, Error::InvalidAddress { field: "To", .. }), "{err}");
    assert!(err.to_string().contains("use the form name@example.com"));
}

fn outbox(dir: &Path) -> OutboxNotifier {
    OutboxNotifier::new(dir, "sift@localhost", vec!["data-team@localhost".into()])
}

fn eml_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[tokio::test]
async fn outbox_writes_a_parseable_eml() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out").join("outbox"); // Does not exist yet.
    let delivery = outbox(&dir).send(&sample()).await.unwrap();

    let path = dir.join("20261126T121034.000Z-customers.eml");
    assert_eq!(delivery.id, path.display().to_string());
    assert_eq!(eml_files(&dir), ["20261126T121034.000Z-customers.eml"]); // No temp file left.

    let bytes = std::fs::read(&path).unwrap();
    let msg = MessageParser::default().parse(&bytes).unwrap();
    assert_eq!(msg.subject(), Some("Lambda sift - Data Validation Report"));
    assert_eq!(msg.to().unwrap().first().unwrap().address(), Some("data-team@localhost"));
    assert!(msg.body_text(0).unwrap().contains("Invalid:         50 (5.0%)"));
    assert!(!msg.body_html(0).unwrap().contains("No invalid records."));
}

#[tokio::test]
async fn outbox_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let notifier = outbox(tmp.path());
    let report = Report { executed_at: at(12, 10, 34) + chrono::Duration::milliseconds(123), ..sample() };
    let first = notifier.send(&report).await.unwrap();
    let second = notifier.send(&Report { valid: 900, invalid: 100, ..report.clone() }).await.unwrap();
    let third = notifier.send(&report).await.unwrap();
    assert_ne!(first, second);
    assert_eq!(
        eml_files(tmp.path()),
        [
            "20261126T121034.123Z-customers-1.eml",
            "20261126T121034.123Z-customers-2.eml",
            "20261126T121034.123Z-customers.eml",
        ]
    );
    assert!(third.id.ends_with("-customers-2.eml"));
    // The first file still holds the first report.
    let bytes = std::fs::read(&first.id).unwrap();
    let msg = MessageParser::default().parse(&bytes).unwrap();
    assert!(msg.body_text(0).unwrap().contains("Invalid:         50 (5.0%)"));
}

#[tokio::test]
async fn outbox_reports_an_unwritable_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let err = outbox(&file).send(&sample()).await.unwrap_err();
    assert!(matches!(&err, Error::Outbox { path, .. } if path == &file), "{err}");
    assert!(err.to_string().contains("check that the folder exists and is writable"), "{err}");
}

#[tokio::test]
async fn outbox_is_usable_as_a_trait_object() {
    let tmp = tempfile::tempdir().unwrap();
    let notifier: std::sync::Arc<dyn Notifier> = std::sync::Arc::new(outbox(tmp.path()));
    let delivery = notifier.send(&rejected()).await.unwrap();
    assert!(delivery.id.ends_with("20261126T121034.000Z-customers.eml"));
    let bytes = std::fs::read(&delivery.id).unwrap();
    let msg = MessageParser::default().parse(&bytes).unwrap();
    assert!(msg.subject().unwrap().contains("FAILED"));
}

#[test]
fn the_alert_text_counts_rows_in_words_that_agree() {
    let many = sift_notifier::alert_text(&sample());
    assert!(
        many.starts_with(
            "sift: 5.0% of 1000 rows in s3://bucket/incoming/customers.csv are invalid (50 invalid)"
        ),
        "{many}"
    );
    let one = Report { total: 1, valid: 0, invalid: 1, inserted: 0, already_present: 0, ..sample() };
    let one = sift_notifier::alert_text(&one);
    assert!(
        one.starts_with("sift: 100.0% of 1 row in s3://bucket/incoming/customers.csv is invalid (1 invalid)"),
        "{one}"
    );
}

/// `sample()` where `email` (12 of 1000 rows) usually fails 0.1% of the rows: flagged.
fn with_history() -> Report {
    let test = sift_model::AnomalyTest::default();
    let usual = [0.1, 0.1, 0.12, 0.08, 0.1, 0.11];
    Report {
        trends: vec![
            test.assess("email", 12, 1000, &usual),
            test.assess("not_null:age", 40, 1000, &[4.0, 3.9, 4.1, 4.2, 3.8]),
        ],
        duplicate_groups: rules(&[("duplicate", 4)]),
        ..sample()
    }
}

#[test]
fn a_rule_far_above_its_history_alerts_and_every_rule_shows_its_usual_rate() {
    let report = with_history();
    assert!(!report.is_over_threshold());
    let rendered = render(&report).unwrap();
    assert_eq!(rendered.subject, "[ALERT] Lambda sift - Data Validation Report");
    let far =
        "Far above their history: email: 1.2% of the rows, 12x its median of 0.1% over the last 6 files.";
    assert!(rendered.text.contains(&format!("ALERT: {far}")), "{}", rendered.text);
    assert!(!rendered.text.contains("alert threshold"), "{}", rendered.text);
    assert!(
        rendered.text.contains("  email         12 (1.2%)  [median 0.1% over 6 files: FAR ABOVE]"),
        "{}",
        rendered.text
    );
    assert!(
        rendered.text.contains("  not_null:age  40 (4.0%)  [median 4.0% over 5 files]\n"),
        "{}",
        rendered.text
    );
    assert!(
        rendered.text.contains("Duplicate groups (keys found on more than one row):\n  duplicate  4\n"),
        "{}",
        rendered.text
    );
    assert!(rendered.html.contains(far), "{}", rendered.html);
    assert_eq!(rendered.html.matches(">FAR ABOVE</span>").count(), 1, "{}", rendered.html);
    assert!(rendered.html.contains("median 4.0% over 5 files"), "{}", rendered.html);

    let alert = sift_notifier::alert_text(&report);
    assert!(
        alert.starts_with("sift: 5.0% of 1000 rows in s3://bucket/incoming/customers.csv are invalid (50 invalid). Far above their history: email: 1.2%"),
        "{alert}"
    );
    // Without history, nothing is said about it.
    let plain = render(&sample()).unwrap();
    assert!(!plain.text.contains("median") && !plain.text.contains("Duplicate groups"), "{}", plain.text);
}
