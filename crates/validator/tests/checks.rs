//! The checks of SPEC section 7 (`decimal`, `boolean`, `timestamp`, `length`), table-driven:
//! each value against a one-column contract, through the real reader and engine, and what a
//! valid value becomes in the table's column.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use chrono::NaiveDate;
use polars::prelude::AnyValue;
use sift_model::ColumnType;
use sift_validator::{Check, ColumnSpec, Contract, Rule, TableTarget, validate_bytes};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// A contract of one required column `v` checked by `check`, loading table `t`.
fn contract(check: Check) -> Contract {
    Contract {
        name: "checks".into(),
        table: Some(TableTarget { name: "t".into(), key: vec![], on_conflict: Default::default() }),
        columns: vec![ColumnSpec::required("v")],
        rules: vec![Rule::new("v", check)],
        format: Default::default(),
        limits: Default::default(),
    }
}

/// For each value: `None` when it fails the rule `v`, else what the table column holds.
fn run(check: Check, values: &[&str]) -> Vec<Option<String>> {
    let mut csv = String::from("v\n");
    for v in values {
        // Quoted, so that spaces and commas reach the check as written.
        csv.push_str(&format!("\"{}\"\n", v.replace('"', "\"\"")));
    }
    let report = validate_bytes(contract(check), as_of(), csv.as_bytes(), 3).unwrap();
    let mut valid: Vec<(u64, String)> = Vec::new();
    for batch in &report.valid {
        let frame = batch.frame();
        let numbers = frame.column("row_number").unwrap().u64().unwrap().clone();
        let column = frame.column("v").unwrap();
        for (i, n) in numbers.into_no_null_iter().enumerate() {
            let text = match column.get(i).unwrap() {
                AnyValue::String(s) => s.to_owned(),
                AnyValue::StringOwned(s) => s.to_string(),
                other => other.to_string(),
            };
            valid.push((n, text));
        }
    }
    (1..=values.len() as u64).map(|n| valid.iter().find(|(m, _)| *m == n).map(|(_, v)| v.clone())).collect()
}

fn assert_cases(check: Check, cases: &[(&str, Option<&str>)]) {
    let values: Vec<&str> = cases.iter().map(|(v, _)| *v).collect();
    let got = run(check.clone(), &values);
    for ((value, expected), got) in cases.iter().zip(got) {
        assert_eq!(got.as_deref(), *expected, "{check:?} on {value:?}");
    }
}

#[test]
fn decimal_digits_bounds_and_the_stored_form() {
    let check = Check::Decimal {
        column: "v".into(),
        precision: 5,
        scale: 2,
        min: Some("-100.5".into()),
        max: Some("999.99".into()),
    };
    assert_cases(
        check,
        &[
            ("1.5", Some("1.50")),
            ("1.50", Some("1.50")),
            ("001.5", Some("1.50")),
            ("999.99", Some("999.99")),
            ("-100.50", Some("-100.50")),
            ("-0.00", Some("0.00")),
            ("0", Some("0.00")),
            ("1.500", None),   // three digits after the point, scale 2
            ("1000", None),    // four before it, precision - scale = 3
            ("999.999", None), // scale
            ("-100.51", None), // below min
            ("1000.00", None), // digits and max
            ("1e3", None),
            ("+1", None),
            (".5", None),
            ("5.", None),
            ("1,5", None),
            (" 12.3 ", Some("12.30")), // trimmed first
        ],
    );
    let table =
        contract(Check::Decimal { column: "v".into(), precision: 12, scale: 2, min: None, max: None })
            .table()
            .unwrap();
    assert_eq!(table.columns[0].ty, ColumnType::Decimal { precision: 12, scale: 2 });
}

#[test]
fn boolean_words_default_and_replaced() {
    let default = Check::Boolean { column: "v".into(), true_values: None, false_values: None };
    assert_cases(
        default,
        &[
            ("true", Some("true")),
            ("TRUE", Some("true")),
            ("t", Some("true")),
            ("Yes", Some("true")),
            ("y", Some("true")),
            ("1", Some("true")),
            ("false", Some("false")),
            ("F", Some("false")),
            ("no", Some("false")),
            ("N", Some("false")),
            ("0", Some("false")),
            ("2", None),
            ("ja", None),
            ("truee", None),
            ("on", None),
        ],
    );
    let replaced = Check::Boolean {
        column: "v".into(),
        true_values: Some(vec!["Ja".into(), "J".into()]),
        false_values: Some(vec!["Nein".into()]),
    };
    assert_cases(
        replaced,
        &[("ja", Some("true")), ("J", Some("true")), ("NEIN", Some("false")), ("true", None), ("0", None)],
    );
}

#[test]
fn timestamps_are_instants_and_bounded() {
    let check = Check::Timestamp {
        column: "v".into(),
        after: Some("2020-01-01T00:00:00Z".into()),
        before_as_of: true,
    };
    // What a valid value becomes: microseconds since 1970-01-01 UTC.
    let micros = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_micros().to_string();
    let cases: Vec<(&str, Option<String>)> = vec![
        ("2026-11-25T08:15:00Z", Some(micros("2026-11-25T08:15:00Z"))),
        ("2026-11-25 08:15:00", Some(micros("2026-11-25T08:15:00Z"))),
        ("2026-11-25T09:15:00+01:00", Some(micros("2026-11-25T08:15:00Z"))),
        ("2026-11-25T08:15:00.123456789Z", Some(micros("2026-11-25T08:15:00.123457Z"))),
        ("2026-11-25T23:59:59.999999Z", Some(micros("2026-11-25T23:59:59.999999Z"))),
        ("2026-11-26T00:00:00Z", None), // the as-of date's midnight: not before it
        ("2026-11-26T00:30:00+01:00", Some(micros("2026-11-25T23:30:00Z"))), // before it in UTC
        ("2020-01-01T00:00:00Z", None), // `after` is exclusive
        ("2020-01-01T00:00:00.000001Z", Some(micros("2020-01-01T00:00:00.000001Z"))),
        ("2026-02-30T00:00:00Z", None),
        ("2026-11-25T24:00:00Z", None),
        ("2026-11-25T08:15:60Z", None),
        ("2026-11-25t08:15:00Z", None),
        ("2026-11-25T08:15:00z", None),
        ("2026-11-25T08:15:00+1:00", None),
        ("2026-11-25", None),
    ];
    let values: Vec<&str> = cases.iter().map(|(v, _)| *v).collect();
    let got = run(check, &values);
    for ((value, expected), got) in cases.iter().zip(got) {
        assert_eq!(&got, expected, "{value:?}");
    }
}

#[test]
fn length_counts_unicode_scalar_values_of_the_trimmed_value() {
    let check = Check::Length { column: "v".into(), min: Some(2), max: Some(4) };
    assert_cases(
        check,
        &[
            ("ab", Some("ab")),
            ("abcd", Some("abcd")),
            ("a", None),
            ("abcde", None),
            ("  ab  ", Some("ab")),
            ("héé", Some("héé")),       // 3 scalar values, 5 bytes
            ("日本語", Some("日本語")), // 3 scalar values, 9 bytes
            ("🦀🦀🦀🦀", Some("🦀🦀🦀🦀")),
            ("🦀🦀🦀🦀🦀", None),
        ],
    );
}

#[test]
fn contract_errors_name_the_problem() {
    let toml =
        |rules: &str| format!("name = \"x\"\n[[columns]]\nname = \"v\"\n[[columns]]\nname = \"w\"\n{rules}");
    let cases = [
        (
            "[[rules]]\nid = \"a\"\ncheck = \"integer\"\ncolumn = \"v\"\nmin = 0\nmax = 9\n[[rules]]\nid = \"b\"\ncheck = \"date\"\ncolumn = \"v\"",
            "column `v` has two type-proving checks, `a` and `b`",
        ),
        (
            "[[rules]]\nid = \"a\"\ncheck = \"decimal\"\ncolumn = \"v\"\nprecision = 2\nscale = 3",
            "precision 2 and scale 3",
        ),
        (
            "[[rules]]\nid = \"a\"\ncheck = \"decimal\"\ncolumn = \"v\"\nprecision = 5\nscale = 2\nmin = \"abc\"",
            "min \"abc\" is not a decimal",
        ),
        (
            "[[rules]]\nid = \"a\"\ncheck = \"decimal\"\ncolumn = \"v\"\nprecision = 5\nscale = 2\nmin = \"5\"\nmax = \"1\"",
            "min 5 is greater than max 1",
        ),
        (
            "[[rules]]\nid = \"a\"\ncheck = \"boolean\"\ncolumn = \"v\"\ntrue_values = [\"x\"]\nfalse_values = [\"X\"]",
            "\"x\" is both a true value and a false value",
        ),
        (
            "[[rules]]\nid = \"a\"\ncheck = \"timestamp\"\ncolumn = \"v\"\nafter = \"yesterday\"",
            "after \"yesterday\" is not an RFC 3339 timestamp",
        ),
        (
            "[[rules]]\nid = \"a\"\ncheck = \"length\"\ncolumn = \"v\"\nmin = 5\nmax = 2",
            "min 5 is greater than max 2",
        ),
        (
            "[[rules]]\nid = \"a\"\ncheck = \"regex\"\ncolumn = \"v\"\npattern = \"x\"\npatern = \"y\"",
            "unknown field `patern`",
        ),
        ("[table]\nname = \"t\"\nkey = [\"z\"]", "[table] key column `z` is not declared"),
        ("[table]\nname = \"t\"\nkey = [\"v\", \"v\"]", "[table] key names column `v` twice"),
        ("[table]\nname = \"t\"\nkee = [\"v\"]", "unknown field `kee`"),
        ("[table]\nname = \"a.b.c\"", "must be a table name"),
    ];
    for (rules, needle) in cases {
        let err = Contract::from_toml(&toml(rules)).unwrap_err();
        let chain: Vec<String> = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
            .map(|e| e.to_string())
            .collect();
        let text = chain.join(": ");
        assert!(text.contains(needle), "{rules:?}: {text}");
    }
    // A key column must be required and loaded.
    let optional =
        "name = \"x\"\n[table]\nname = \"t\"\nkey = [\"v\"]\n[[columns]]\nname = \"v\"\nrequired = false";
    assert!(Contract::from_toml(optional).unwrap_err().to_string().contains("key columns must be required"));
    let unloaded =
        "name = \"x\"\n[table]\nname = \"t\"\nkey = [\"v\"]\n[[columns]]\nname = \"v\"\nload = false";
    assert!(Contract::from_toml(unloaded).unwrap_err().to_string().contains("key columns must load"));
}

/// Checks on optional columns (SQL `CHECK` semantics): a null passes, a present value is
/// checked, a type-proving check still types the column (nullable), and a uniqueness rule
/// treats nulls as distinct. A file without the column passes them all and loads nulls.
#[test]
fn optional_columns_are_checked_when_present_and_their_nulls_pass() {
    let contract = Contract::from_toml(
        r#"
        name = "people"
        table = { name = "people", key = ["id"] }
        columns = [{ name = "id" }, { name = "email", required = false }, { name = "score", required = false }]
        rules = [
            { id = "id", check = "integer", column = "id", min = 1, max = 1000 },
            { id = "email", check = "regex", column = "email", pattern = "^[^@ ]+@[^@ ]+$" },
            { id = "score", check = "integer", column = "score", min = 0, max = 100 },
            { id = "one_email", check = "unique", key = [{ column = "email" }] },
        ]
        "#,
    )
    .unwrap();
    let table = contract.table().unwrap();
    let score = table.columns.iter().find(|c| c.name == "score").unwrap();
    assert_eq!((score.ty, score.nullable), (ColumnType::Int16, true), "typed by its check, nullable");

    let csv = "id,email,score\n1,a@x.io,5\n2,,\n3,not-an-email,7\n4,a@x.io,200\n5,,abc\n6,b@x.io,\n";
    let report = validate_bytes(contract.clone(), as_of(), csv.as_bytes(), 2).unwrap();
    let failures: Vec<(&str, u64)> = report.tally.nonzero_failures().collect();
    // Row 3's email, row 4's score and repeated email, row 5's score; the two null emails
    // (rows 2 and 5) are neither invalid nor duplicates of each other.
    assert_eq!(failures, [("email", 1), ("score", 2), ("one_email", 1)]);
    assert_eq!((report.tally.valid, report.tally.invalid), (3, 3));
    let mut loaded: Vec<(u64, Option<String>, Option<i64>)> = Vec::new();
    for batch in &report.valid {
        let frame = batch.frame();
        let rows = frame.column("row_number").unwrap().u64().unwrap().clone();
        let emails = frame.column("email").unwrap().str().unwrap().clone();
        let scores = frame.column("score").unwrap().i64().unwrap().clone();
        for i in 0..frame.height() {
            loaded.push((rows.get(i).unwrap(), emails.get(i).map(str::to_owned), scores.get(i)));
        }
    }
    assert_eq!(
        loaded,
        [(1, Some("a@x.io".into()), Some(5)), (2, None, None), (6, Some("b@x.io".into()), None)]
    );

    // Without the optional columns: nothing to check, every row loads them as nulls.
    let report = validate_bytes(contract, as_of(), b"id\n1\n2\n", 2).unwrap();
    assert_eq!((report.tally.valid, report.tally.invalid), (2, 0));
    let frame = report.valid[0].frame();
    assert_eq!(frame.column("score").unwrap().null_count(), 2);
}

/// `[format] extra_columns`: a header column the contract does not declare is read past by
/// default, and rejects the file, naming it, under `"reject"`.
#[test]
fn an_undeclared_header_column_is_ignored_or_rejects_the_file_as_the_contract_says() {
    let text = |policy: &str| {
        format!(
            "name = \"p\"\ncolumns = [{{ name = \"id\" }}, {{ name = \"note\", required = false }}]\n\
             rules = [{{ id = \"id\", check = \"integer\", column = \"id\", min = 1, max = 9 }}]\n{policy}"
        )
    };
    let csv = b"id,Note,added_by_producer,renamed\n1,x,y,z\n";
    let ignored = Contract::from_toml(&text("")).unwrap();
    assert_eq!(validate_bytes(ignored.clone(), as_of(), csv, 8).unwrap().tally.valid, 1);
    assert!(!ignored.to_toml().contains("extra_columns"), "the default is not written out");
    let strict = Contract::from_toml(&text("[format]\nextra_columns = \"reject\"\n")).unwrap();
    assert_eq!(Contract::from_toml(&strict.to_toml()).unwrap(), strict);
    let err = validate_bytes(strict.clone(), as_of(), csv, 8).unwrap_err().to_string();
    assert!(
        err.contains("columns the contract does not declare: added_by_producer, renamed")
            && err.contains("extra_columns = \"reject\""),
        "{err}"
    );
    // The declared columns alone (the optional one absent) pass.
    assert_eq!(validate_bytes(strict, as_of(), b"id\n1\n", 8).unwrap().tally.valid, 1);
    assert!(Contract::from_toml(&text("[format]\nextra_columns = \"hold\"\n")).is_err());
}
