//! Renders the HTML part of four reports (a normal run, an alert, a held file, a rejected file)
//! into a folder, for looking at them in a browser: `scripts/report-screenshots` turns them
//! into the PNGs docs/outputs.md shows.
//!
//! ```sh
//! cargo run -p sift-notifier --example report_gallery -- OUT_DIR
//! ```

use chrono::{TimeZone, Utc};
use sift_model::{AnomalyTest, Counts, Trend};
use sift_notifier::{Report, ReportContext, render};

/// The customer contract's failure ids and what they check, as the pipeline passes them.
fn descriptions() -> Vec<(String, String)> {
    [
        ("not_null:customer_id", "customer_id is present and not empty"),
        ("not_null:email", "email is present and not empty"),
        ("customer_id", "customer_id is a whole number from 1 to 9223372036854775807"),
        ("email", "email matches ^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$"),
        ("age", "age is a whole number from 1 to 120"),
        ("date_of_birth", "date_of_birth is a real YYYY-MM-DD date after 1900-12-31 before the as-of date"),
        ("phone_number", "ten digits, no separators"),
        ("duplicate", "no earlier row has the same full_name + date_of_birth"),
        ("age_consistency", "age equals the completed years since date_of_birth"),
    ]
    .into_iter()
    .map(|(id, d)| (id.to_owned(), d.to_owned()))
    .collect()
}

fn counts(
    total: u64,
    failures: &[(&str, u64)],
    warnings: &[(&str, u64)],
    together: (&str, &str, u64),
) -> Counts {
    let co_failures = vec![(together.0.to_owned(), together.1.to_owned(), together.2)];
    let invalid = failures.iter().map(|(_, n)| n).sum::<u64>() * 9 / 10;
    Counts {
        total,
        valid: total - invalid,
        invalid,
        inserted: total - invalid - 1_204,
        already_present: 1_204,
        updates: None,
        rule_failures: failures.iter().map(|(id, n)| ((*id).to_owned(), *n)).collect(),
        rule_warnings: warnings.iter().map(|(id, n)| ((*id).to_owned(), *n)).collect(),
        co_failures,
        duplicate_groups: failures
            .iter()
            .filter(|(id, _)| *id == "duplicate")
            .map(|(id, n)| ((*id).to_owned(), n * 19 / 20))
            .collect(),
        already_loaded: false,
    }
}

/// Each failing rule's trend against twenty past files whose rates were `usual` percent
/// (give or take a tenth), as the pipeline computes them from the history.
fn trends(counts: &Counts, usual: &[(&str, f64)]) -> Vec<Trend> {
    let test = AnomalyTest::default();
    counts
        .rule_failures
        .iter()
        .chain(&counts.rule_warnings)
        .map(|(rule, n)| {
            let rate = usual.iter().find(|(id, _)| id == rule).map_or(0.0, |(_, r)| *r);
            let history: Vec<f64> = (0..20).map(|i| rate * (0.9 + f64::from(i % 5) * 0.05)).collect();
            test.assess(rule, *n, counts.total, &history)
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).ok_or("usage: report_gallery OUT_DIR")?);
    std::fs::create_dir_all(&out)?;
    let context = ReportContext {
        function_name: "customer-validator".into(),
        executed_at: Utc.with_ymd_and_hms(2026, 11, 26, 6, 15, 2).single().ok_or("a date")?,
        alert_threshold_pct: 10.0,
    };
    let source = "s3://acme-landing/incoming/2026-11-26/customers.csv";
    let invalid_uri =
        "s3://acme-quarantine/Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv";
    let invalid_url = "https://s3.console.aws.amazon.com/s3/object/acme-quarantine?prefix=Curoupt_Records/Customer/2026-11-26/customers_invalid_records.csv";
    let warnings_uri =
        Some("s3://acme-quarantine/Curoupt_Records/Customer/2026-11-26/customers_warnings.csv".to_owned());
    let normal = counts(
        1_250_000,
        &[
            ("email", 6_210),
            ("phone_number", 3_902),
            ("age_consistency", 2_871),
            ("duplicate", 1_130),
            ("not_null:email", 412),
        ],
        &[],
        ("email", "phone_number", 412),
    );
    let alert = counts(
        250_000,
        &[
            ("date_of_birth", 31_877),
            ("age_consistency", 29_410),
            ("email", 1_201),
            ("not_null:customer_id", 37),
        ],
        &[("phone_number", 12_004)],
        ("date_of_birth", "email", 310),
    );
    let held = counts(
        480_000,
        &[("email", 151_220), ("not_null:email", 3_004), ("customer_id", 880)],
        &[("phone_number", 2_410)],
        ("email", "customer_id", 120),
    );
    let usual = [
        ("email", 0.5),
        ("phone_number", 0.3),
        ("age_consistency", 0.25),
        ("duplicate", 0.1),
        ("not_null:email", 0.03),
        ("date_of_birth", 0.6),
        ("not_null:customer_id", 0.01),
        ("customer_id", 0.1),
    ];
    let (normal_trends, alert_trends, held_trends) =
        (trends(&normal, &usual), trends(&alert, &usual), trends(&held, &usual));
    let with = |report: Report| report.with_descriptions(descriptions());
    let reports = [
        (
            "normal",
            with(Report::processed(&context, source, &normal, Some(invalid_uri.into()), Some(invalid_url.into())))
                .with_trends(normal_trends),
        ),
        (
            "alert",
            with(Report::processed(&context, source, &alert, Some(invalid_uri.into()), Some(invalid_url.into())))
                .with_warnings_uri(warnings_uri.clone())
                .with_trends(alert_trends),
        ),
        (
            "held",
            with(Report::held(
                &context,
                source,
                &held,
                "rule `email` max_failure_pct = 5% exceeded: 31.50% of the rows fail it (151220 of 480000)".into(),
                Some(invalid_uri.into()),
                Some(invalid_url.into()),
            ))
            .with_warnings_uri(warnings_uri)
            .with_trends(held_trends),
        ),
        (
            "rejected",
            Report::rejected(
                &context,
                source,
                "file rejected: line 48213: field 3 has an unclosed quote (a quoted field must end with a quote before the end of the file)".into(),
            ),
        ),
    ];
    for (name, report) in reports {
        let rendered = render(&report)?;
        let path = out.join(format!("{name}.html"));
        std::fs::write(&path, rendered.html)?;
        println!("{}", path.display());
    }
    Ok(())
}
