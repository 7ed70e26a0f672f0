//! Rendering a [`Report`] into an email: askama templates and the MIME message.

use std::sync::atomic::{AtomicU64, Ordering};

use askama::Template;
use chrono::{DateTime, Utc};
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;

use crate::error::{Error, Result};
use crate::escape::printable;
use crate::report::{Outcome, Report, pct};

/// A report rendered to its subject and both body parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedReport {
    /// The subject line, see [`Report::subject`].
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part (inline styles only, no script, no external resources).
    pub html: String,
}

/// One row of the failures-per-rule table.
#[derive(Debug)]
struct FailureRow {
    rule: String,
    /// The rule id padded to the longest one, for the text part.
    padded_rule: String,
    /// With thousands separators, padded to the widest count (for the text part).
    count: String,
    /// Share of all data rows, e.g. `1.2%`.
    pct: String,
    /// Bar width relative to the most frequent rule, e.g. `41.7`.
    bar_width: String,
    /// What the rule checks (empty when the report does not say).
    description: String,
    /// Its usual rate, e.g. `median 1.0% over 10 files` (empty with no history).
    usual: String,
    /// Far above its history in this file.
    flagged: bool,
}

/// What both templates show, computed once and formatted.
#[derive(Debug)]
struct View {
    subject: String,
    function_name: String,
    executed_at: String,
    source: String,
    rejected_reason: Option<String>,
    failure_headline: &'static str,
    /// Which contract limit held the file (nothing loaded, counts shown).
    held_reason: Option<String>,
    /// Valid rows per `warn` rule, most frequent first.
    warnings: Vec<FailureRow>,
    warnings_uri: Option<String>,
    /// Pairs of rules failing together: `email + not_null:age`, rows, share of the invalid rows.
    pairs: Vec<(String, String, String)>,
    alert: Option<String>,
    already_loaded: bool,
    /// With thousands separators.
    total: String,
    /// With thousands separators.
    valid: String,
    /// With thousands separators.
    invalid: String,
    valid_pct: String,
    invalid_pct: String,
    /// With thousands separators.
    inserted: String,
    /// With thousands separators.
    already_present: String,
    /// Updated and unchanged rows, with thousands separators (a table that updates only).
    updates: Option<(String, String)>,
    failures: Vec<FailureRow>,
    /// Duplicate groups per uniqueness rule: id, groups (with thousands separators).
    duplicate_groups: Vec<(String, String)>,
    no_invalid: bool,
    records_uri: Option<String>,
    records_url: Option<String>,
    /// `records_url` when its scheme is safe to link to (http, https, file).
    records_href: Option<String>,
}

/// The HTML part.
#[derive(Template)]
#[template(path = "report.html")]
struct HtmlReport<'a> {
    v: &'a View,
}

/// The plain-text part.
#[derive(Template)]
#[template(path = "report.txt")]
struct TextReport<'a> {
    v: &'a View,
}

pub(crate) use sift_model::thousands;

fn percent(value: f64) -> String {
    format!("{value:.1}%")
}

/// Only these schemes become a clickable link; anything else is shown as text.
fn safe_href(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "file://"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
        .then(|| url.trim().to_owned())
}

impl View {
    fn new(report: &Report) -> Self {
        let failures = rows_of(report.sorted_failures(), report);
        let mut warnings = report.rule_warnings.clone();
        warnings.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
        let warnings = rows_of(warnings, report);
        // A rejected file loaded nothing: the FAILED notice says all there is to say.
        let alert = (report.is_alert() && !report.is_rejected()).then(|| {
            let mut alert = Vec::new();
            if report.is_over_threshold() {
                alert.push(format!(
                    "The invalid share {} is above the alert threshold {}.",
                    percent(report.invalid_pct()),
                    percent(report.alert_threshold_pct)
                ));
            }
            alert.extend(report.anomaly_sentence());
            alert.join(" ")
        });
        let held_reason = match &report.outcome {
            Outcome::Held { reason } => Some(reason.clone()),
            _ => None,
        };
        let (failure_headline, rejected_reason) = match &report.outcome {
            Outcome::Processed | Outcome::Held { .. } => ("", None),
            Outcome::Rejected { reason } => {
                ("FAILED: the file was rejected and nothing was loaded.", Some(reason.clone()))
            }
            Outcome::Failed { reason } => (
                "FAILED: processing stopped on an error and nothing of the file was loaded. Re-run it once the cause is fixed.",
                Some(reason.clone()),
            ),
        };
        // Every name from outside as printable text: a line break or an ANSI escape in a key,
        // a file name or a reason never forges a line of the text part.
        let shown = |text: &str| printable(text).into_owned();
        let shown_opt = |text: &Option<String>| text.as_deref().map(shown);
        Self {
            subject: report.subject(),
            function_name: shown(&report.function_name),
            executed_at: report.executed_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            source: shown(&report.source),
            rejected_reason: shown_opt(&rejected_reason),
            failure_headline,
            held_reason: shown_opt(&held_reason),
            warnings,
            warnings_uri: shown_opt(&report.warnings_uri),
            pairs: report
                .co_failures
                .iter()
                .map(|(a, b, n)| {
                    (
                        format!("{} + {}", printable(a), printable(b)),
                        thousands(*n),
                        percent(pct(*n, report.invalid)),
                    )
                })
                .collect(),
            alert: shown_opt(&alert),
            already_loaded: report.already_loaded,
            total: thousands(report.total),
            valid: thousands(report.valid),
            invalid: thousands(report.invalid),
            valid_pct: percent(report.valid_pct()),
            invalid_pct: percent(report.invalid_pct()),
            inserted: thousands(report.inserted),
            already_present: thousands(report.already_present),
            updates: report.updates.map(|u| (thousands(u.updated), thousands(u.unchanged))),
            failures,
            duplicate_groups: report
                .duplicate_groups
                .iter()
                .map(|g| (shown(&g.rule), thousands(g.count)))
                .collect(),
            no_invalid: report.invalid == 0,
            records_uri: shown_opt(&report.invalid_records_uri),
            records_url: shown_opt(&report.invalid_records_url),
            records_href: report.invalid_records_url.as_deref().and_then(safe_href),
        }
    }
}

/// A rule's usual rate from its trend: `median 1.0% over 10 files` (empty with no history).
fn usual(trend: &sift_model::Trend) -> String {
    match trend.median_pct {
        Some(median) => {
            let files = if trend.files == 1 { "file" } else { "files" };
            format!("median {} over {} {files}", crate::report::share(median), trend.files)
        }
        None => String::new(),
    }
}

/// Table rows for rule counts (already in display order): padded ids, shares of `total`, bar
/// widths relative to the largest count.
fn rows_of(counts: Vec<crate::report::RuleCount>, report: &Report) -> Vec<FailureRow> {
    let total = report.total;
    let describe = |rule: &str| {
        report.rule_descriptions.iter().find(|(id, _)| id == rule).map(|(_, d)| d.clone()).unwrap_or_default()
    };
    let max = counts.iter().map(|f| f.count).max().unwrap_or(0);
    let count_width = thousands(max).len();
    let width = counts.iter().map(|f| f.rule.chars().count()).max().unwrap_or(0);
    counts
        .into_iter()
        .map(|f| {
            let trend = report.trend(&f.rule);
            FailureRow {
                padded_rule: format!("{:<width$}", printable(&f.rule)),
                pct: percent(pct(f.count, total)),
                // A visible sliver even for a tiny count next to a huge one.
                bar_width: format!("{:.1}", pct(f.count, max).max(1.0)),
                count: format!("{:>count_width$}", thousands(f.count)),
                description: printable(&describe(&f.rule)).into_owned(),
                usual: trend.map(usual).unwrap_or_default(),
                flagged: trend.is_some_and(|t| t.flagged),
                rule: printable(&f.rule).into_owned(),
            }
        })
        .collect()
}

/// Renders the subject, the plain-text part and the HTML part of a report.
pub fn render(report: &Report) -> Result<RenderedReport> {
    let view = View::new(report);
    let text =
        TextReport { v: &view }.render().map_err(|source| Error::Render { template: "text", source })?;
    let html =
        HtmlReport { v: &view }.render().map_err(|source| Error::Render { template: "html", source })?;
    Ok(RenderedReport { subject: view.subject, text, html })
}

/// A parsed `addr@domain` or `Name <addr@domain>`.
struct Mailbox<'a> {
    name: Option<&'a str>,
    email: &'a str,
}

impl<'a> Mailbox<'a> {
    fn parse(field: &'static str, raw: &'a str) -> Result<Self> {
        let invalid = || Error::InvalidAddress { field, address: raw.to_owned() };
        let raw_trimmed = raw.trim();
        let (name, email) = match raw_trimmed.strip_suffix('>').and_then(|s| s.rsplit_once('<')) {
            Some((name, email)) => {
                let name = name.trim().trim_matches('"').trim();
                if name.chars().any(|c| c.is_control() || c == '"') {
                    return Err(invalid());
                }
                ((!name.is_empty()).then_some(name), email.trim())
            }
            None => (None, raw_trimmed),
        };
        let Some((local, domain)) = email.split_once('@') else {
            return Err(invalid());
        };
        let bad = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"@".contains(c);
        if local.is_empty() || domain.is_empty() || local.contains(bad) || domain.contains(bad) {
            return Err(invalid());
        }
        Ok(Self { name, email })
    }

    fn domain(&self) -> &'a str {
        self.email.rsplit_once('@').map_or("localhost", |(_, d)| d)
    }

    fn address(&self) -> Address<'a> {
        Address::new_address(self.name, self.email)
    }
}

/// A Message-ID unique within this process and very likely across processes.
fn message_id(domain: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = Utc::now();
    let nanos = now.timestamp_nanos_opt().unwrap_or_else(|| now.timestamp_micros());
    format!("sift.{nanos}.{}.{n}@{domain}", std::process::id())
}

/// A standard RFC 5322 multipart/alternative message (text/plain first, then text/html, both UTF-8),
/// with From, To (several recipients), Subject, Date, Message-ID headers.
///
/// Addresses are `name@example.com` or `Name <name@example.com>`.
pub fn build_mime(
    from: &str,
    to: &[String],
    rendered: &RenderedReport,
    date: DateTime<Utc>,
) -> Result<Vec<u8>> {
    let from = Mailbox::parse("From", from)?;
    if to.is_empty() {
        return Err(Error::NoRecipients);
    }
    let to =
        to.iter().map(|addr| Mailbox::parse("To", addr).map(|m| m.address())).collect::<Result<Vec<_>>>()?;
    MessageBuilder::new()
        .from(from.address())
        .to(Address::new_list(to))
        .subject(rendered.subject.as_str())
        .date(date.timestamp())
        .message_id(message_id(from.domain()))
        .text_body(rendered.text.as_str())
        .html_body(rendered.html.as_str())
        .write_to_vec()
        .map_err(|source| Error::Mime { source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (12_345, "12,345"), (1_234_567, "1,234,567")];
        for (n, text) in cases {
            assert_eq!(thousands(n), text);
        }
    }

    #[test]
    fn addresses() {
        for ok in
            ["sift@localhost", " a.b+c@example.com ", "Data Team <data@example.com>", "\"Ops\" <ops@x.io>"]
        {
            assert!(Mailbox::parse("To", ok).is_ok(), "{ok}");
        }
        for bad in ["", "nobody", "@x", "a@", "a b@x.com", "a@x.com, b@y.com", "a@x\r\nBcc: e@vil", "<>"] {
            let err = Mailbox::parse("To", bad).err().expect(bad);
            assert!(matches!(err, Error::InvalidAddress { field: "To", .. }), "{bad}");
        }
        let m = Mailbox::parse("From", "Sift <sift@example.com>").expect("valid");
        assert_eq!((m.name, m.email, m.domain()), (Some("Sift"), "sift@example.com", "example.com"));
    }

    #[test]
    fn only_safe_schemes_are_links() {
        assert_eq!(safe_href("https://x/y").as_deref(), Some("https://x/y"));
        assert_eq!(safe_href("file:///tmp/a.csv").as_deref(), Some("file:///tmp/a.csv"));
        assert_eq!(safe_href("javascript:alert(1)"), None);
        assert_eq!(safe_href("s3://bucket/key"), None);
    }

    #[test]
    fn message_ids_differ() {
        assert_ne!(message_id("x"), message_id("x"));
    }
}
