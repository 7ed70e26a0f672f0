//! Table-driven tests of every rule and edge case of SPEC section 3.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use chrono::NaiveDate;
use polars::prelude::{DataFrame, DataType};
use sift_model::{ColumnType, ROW_NUMBER};
use sift_validator::{Contract, FileValidator, ValidatedChunk};

const HEADER: &str = "customer_id,full_name,email,age,date_of_birth,phone_number";
const GOOD: [&str; 6] = ["1", "Ann Lee", "ann@example.com", "36", "1990-05-17", "0123456789"];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn as_of() -> NaiveDate {
    day(2026, 11, 26)
}

/// Validates `csv` and returns, per data row in file order, its `failed_rules` ("" when valid).
fn failures_with(rules: Contract, as_of: NaiveDate, csv: &str, chunk_rows: usize) -> Vec<String> {
    let mut file = FileValidator::new(rules, as_of, chunk_rows).unwrap();
    let mut chunks = file.push(csv.as_bytes()).unwrap();
    chunks.extend(file.finish().unwrap());
    let mut rows: Vec<(u64, String)> = Vec::new();
    for chunk in &chunks {
        let numbers = chunk.valid.frame().column("row_number").unwrap().u64().unwrap();
        rows.extend(numbers.iter().map(|n| (n.unwrap(), String::new())));
        let numbers = chunk.invalid.column("row_number").unwrap().u64().unwrap();
        let failed = chunk.invalid.column("failed_rules").unwrap().str().unwrap();
        rows.extend(numbers.iter().zip(failed.iter()).map(|(n, f)| (n.unwrap(), f.unwrap().to_owned())));
    }
    rows.sort();
    let numbers: Vec<u64> = rows.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (1..=rows.len() as u64).collect::<Vec<_>>(), "row numbers are 1..=n");
    rows.into_iter().map(|(_, f)| f).collect()
}

fn failures(csv: &str) -> Vec<String> {
    failures_with(common::customer(), as_of(), csv, 1024)
}

/// The good row with field `field` replaced by `value`.
fn row_with(field: usize, value: &str) -> String {
    let mut fields: Vec<String> = GOOD.iter().map(|s| (*s).to_owned()).collect();
    fields[field] = value.to_owned();
    fields.join(",")
}

fn check_field_cases(field: usize, cases: &[(&str, &str)]) {
    for (value, expected) in cases {
        let csv = format!("{HEADER}\n{}\n", row_with(field, value));
        assert_eq!(failures(&csv), [*expected], "field {field} = {value:?}");
    }
}

#[test]
fn a_good_row_passes() {
    assert_eq!(failures(&format!("{HEADER}\n{}\n", GOOD.join(","))), [""]);
}

#[test]
fn customer_id_is_a_positive_i64_with_leading_zeros_allowed() {
    check_field_cases(
        0,
        &[
            ("1", ""),
            ("007", ""),
            (" 42 ", ""),
            ("9223372036854775807", ""),
            ("000000000000000000000000000042", ""),
            ("0", "customer_id"),
            ("000", "customer_id"),
            ("-1", "customer_id"),
            ("+5", "customer_id"),
            ("1.0", "customer_id"),
            ("1e3", "customer_id"),
            ("4 2", "customer_id"),
            ("abc", "customer_id"),
            ("9223372036854775808", "customer_id"),
            ("99999999999999999999", "customer_id"),
            ("１２", "customer_id"),
        ],
    );
}

#[test]
fn full_name_is_ascii_letters_and_spaces() {
    check_field_cases(
        1,
        &[
            ("Ann Lee", ""),
            ("  Ann   Lee  ", ""),
            ("ann", ""),
            ("Ann-Lee", "full_name"),
            ("Ann3", "full_name"),
            ("O'Brien", "full_name"),
            ("Zoë Lee", "full_name"),
            ("\"Lee, Ann\"", "full_name"),
            ("\"Ann\nLee\"", "full_name"),
            ("Ann\tLee", "full_name"),
        ],
    );
}

#[test]
fn email_follows_the_spec_pattern() {
    check_field_cases(
        2,
        &[
            ("ann@example.com", ""),
            ("a.b_c%d+e-f@x-y.example.co", ""),
            (" ann@example.com ", ""),
            ("ann@example", "email"),
            ("ann@@example.com", "email"),
            ("ann@example.c", "email"),
            ("ann@example.c0m", "email"),
            ("ann example@x.com", "email"),
            ("@example.com", "email"),
            ("ann@.com", "email"),
            ("<ann@example.com>", "email"),
        ],
    );
}

#[test]
fn age_is_1_to_120_and_consistent() {
    check_field_cases(
        3,
        &[
            ("36", ""),
            ("036", ""),
            ("0", "age"),
            ("121", "age"),
            ("-36", "age"),
            ("36.0", "age"),
            ("thirty", "age"),
            ("35", "age_consistency"),
            ("37", "age_consistency"),
        ],
    );
}

#[test]
fn age_bounds_are_inclusive() {
    // 120 and 1 are allowed; consistency is then checked against the birth date.
    let csv = format!(
        "{HEADER}\n{}\n{}\n",
        ["1", "Old Timer", "o@example.com", "120", "1906-01-01", "0123456789"].join(","),
        ["2", "Young One", "y@example.com", "1", "2025-11-25", "0123456789"].join(","),
    );
    assert_eq!(failures(&csv), ["", ""]);
}

#[test]
fn date_of_birth_is_a_real_past_date_after_1900() {
    // Ages are made consistent where the date is valid, so only the date rule speaks.
    let cases: &[(&str, &str, &str)] = &[
        ("1990-05-17", "36", ""),
        (" 1990-05-17 ", "36", ""),
        ("1901-01-01", "125", "age"),
        ("1901-01-01", "120", "age_consistency"),
        ("1900-12-31", "120", "date_of_birth"),
        ("1850-01-01", "100", "date_of_birth"),
        ("2026-11-26", "1", "date_of_birth"),
        ("2030-01-01", "1", "date_of_birth"),
        ("2026-11-25", "1", "age_consistency"),
        ("1990-5-17", "36", "date_of_birth"),
        ("1990/05/17", "36", "date_of_birth"),
        ("17-05-1990", "36", "date_of_birth"),
        ("19900517", "36", "date_of_birth"),
        ("1990-05-17T00:00:00", "36", "date_of_birth"),
        ("2023-02-29", "3", "date_of_birth"),
        ("2024-02-29", "2", ""),
        ("1990-13-01", "36", "date_of_birth"),
        ("1990-00-10", "36", "date_of_birth"),
        ("1990-04-31", "36", "date_of_birth"),
        ("+990-05-17", "36", "date_of_birth"),
    ];
    for (dob, age, expected) in cases {
        let mut fields = GOOD.to_vec();
        fields[3] = age;
        fields[4] = dob;
        let csv = format!("{HEADER}\n{}\n", fields.join(","));
        assert_eq!(failures(&csv), [*expected], "date_of_birth = {dob:?}, age = {age}");
    }
}

#[test]
fn phone_number_is_exactly_ten_digits_kept_as_text() {
    check_field_cases(
        5,
        &[
            ("0123456789", ""),
            (" 0123456789 ", ""),
            ("012345678", "phone_number"),
            ("01234567890", "phone_number"),
            ("012-345-6789", "phone_number"),
            ("(012)3456789", "phone_number"),
            ("+1234567890", "phone_number"),
            ("012345678a", "phone_number"),
        ],
    );
}

#[test]
fn completed_years_counts_birthdays_reached() {
    // (date of birth, as-of date, age that passes)
    let cases = [
        ((1990, 11, 26), (2026, 11, 26), 36),
        ((1990, 11, 27), (2026, 11, 26), 35),
        ((1990, 12, 31), (2026, 1, 1), 35),
        ((2004, 2, 29), (2025, 2, 28), 20),
        ((2004, 2, 29), (2025, 3, 1), 21),
        ((2004, 2, 29), (2028, 2, 29), 24),
    ];
    for ((by, bm, bd), (ay, am, ad), age) in cases {
        let dob = format!("{by:04}-{bm:02}-{bd:02}");
        for (given, expected) in [(age, ""), (age + 1, "age_consistency"), (age - 1, "age_consistency")] {
            let mut fields: Vec<String> = GOOD.iter().map(|s| (*s).to_owned()).collect();
            fields[3] = given.to_string();
            fields[4] = dob.clone();
            let csv = format!("{HEADER}\n{}\n", fields.join(","));
            let got = failures_with(common::customer(), day(ay, am, ad), &csv, 16);
            assert_eq!(got, [expected], "born {dob}, as of {ay}-{am}-{ad}, age {given}");
        }
    }
}

#[test]
fn age_consistency_runs_only_when_age_and_date_pass() {
    let cases: &[(&str, &str, &str)] = &[
        ("0", "1990-05-17", "age"),
        ("36", "1990-5-17", "date_of_birth"),
        ("", "1990-05-17", "not_null:age"),
        ("36", "", "not_null:date_of_birth"),
        ("200", "1800-01-01", "age;date_of_birth"),
    ];
    for (age, dob, expected) in cases {
        let mut fields = GOOD.to_vec();
        fields[3] = age;
        fields[4] = dob;
        let csv = format!("{HEADER}\n{}\n", fields.join(","));
        assert_eq!(failures(&csv), [*expected], "age {age:?}, date_of_birth {dob:?}");
    }
}

#[test]
fn nulls_fail_only_not_null_in_column_order() {
    let csv = format!(
        "{HEADER}\n{}\n{}\n,,,,,\n   ,\t, , , ,  \n1,Ann Lee\n",
        row_with(2, ""),
        row_with(2, "   "),
    );
    let all = "not_null:customer_id;not_null:full_name;not_null:email;not_null:age;not_null:date_of_birth;not_null:phone_number";
    assert_eq!(
        failures(&csv),
        [
            "not_null:email",
            "not_null:email;duplicate", // same name and birth date as the row before
            all,
            all,
            "not_null:email;not_null:age;not_null:date_of_birth;not_null:phone_number",
        ]
    );
}

#[test]
fn every_failure_is_listed_in_table_order() {
    let csv = format!("{HEADER}\n0,Ann3,bad,0,1990-5-17,123\n");
    assert_eq!(failures(&csv), ["customer_id;full_name;email;age;date_of_birth;phone_number"]);
}

#[test]
fn duplicates_first_occurrence_claims_the_key() {
    let rows = [
        "1,Ann Lee,ann@example.com,36,1990-05-17,0123456789", // claims (ann lee, 1990-05-17)
        "2,ann  LEE,a2@example.com,36,1990-05-17,0123456789", // same key after folding
        "3, Ann Lee ,a3@example.com,36, 1990-05-17 ,0123456789", // same key after trimming
        "4,Ann Lee,a4@example.com,36,1990-05-18,0123456789",  // other date: claims its own key
        "5,Ann Lee,bad-email,30,1996-01-01,0123456789",       // fails email, still claims
        "6,Ann Lee,a6@example.com,30,1996-01-01,0123456789",  // duplicate of row 5
        "7,,a7@example.com,30,1996-01-01,0123456789",         // null name: no key
        "8,Bo,a8@example.com,30,,0123456789",                 // null date: no key
        "9,Bo,a9@example.com,30,1996-1-1,0123456789",         // invalid date text still keys
        "10,Bo,a10@example.com,30,1996-1-1,0123456789",       // duplicate of row 9
        "11,Ann\tLee,a11@example.com,36,1990-05-17,0123456789", // a tab is not a space
    ];
    let csv = format!("{HEADER}\n{}\n", rows.join("\n"));
    let expected = [
        "",
        "duplicate",
        "duplicate",
        "",
        "email",
        "duplicate",
        "not_null:full_name",
        "not_null:date_of_birth",
        "date_of_birth",
        "date_of_birth;duplicate",
        "full_name",
    ];
    assert_eq!(failures(&csv), expected);
    // The same across chunk boundaries: chunks of one row.
    assert_eq!(failures_with(common::customer(), as_of(), &csv, 1), expected);
    // Four duplicate rows in three groups: (ann lee, 1990-05-17) twice repeated, rows 5 and 6,
    // rows 9 and 10. The same in one chunk or one row per chunk.
    for chunk_rows in [1, 1000] {
        let tally = sift_validator::validate_bytes(common::customer(), as_of(), csv.as_bytes(), chunk_rows)
            .unwrap()
            .tally;
        let count = |list: &[(String, u64)]| list.iter().find(|(id, _)| id == "duplicate").map(|(_, n)| *n);
        assert_eq!(count(&tally.failures), Some(4), "chunks of {chunk_rows}");
        assert_eq!(count(&tally.duplicate_groups), Some(3), "chunks of {chunk_rows}");
        assert_eq!(tally.nonzero_duplicate_groups().collect::<Vec<_>>(), [("duplicate", 3)]);
    }
}

#[test]
fn repeated_customer_ids_are_not_a_validation_failure() {
    // Identity is the integer value; the warehouse counts repeats as already present.
    let csv = format!(
        "{HEADER}\n7,Ann Lee,a@example.com,36,1990-05-17,0123456789\n007,Bo Li,b@example.com,36,1990-05-17,0123456789\n"
    );
    assert_eq!(failures(&csv), ["", ""]);
}

#[test]
fn country_rule_is_off_by_default_and_case_insensitive_when_on() {
    let header = format!("{HEADER},country");
    let row = |name: &str, c: &str| format!("1,{name},a@example.com,36,1990-05-17,0123456789,{c}");
    let csv = format!(
        "{header}\n{}\n{}\n{}\n{}\n",
        row("Ann Lee", "us"),
        row("Bo Li", "XX"),
        row("Cy Ma", ""),
        row("Di Ng", " GB ")
    );
    assert_eq!(failures(&csv), ["", "", "", ""], "off: country is never checked");
    let on = common::customer_with_country();
    let got = failures_with(on.clone(), as_of(), &csv, 64);
    assert_eq!(got, ["", "country", "not_null:country", ""]);
    // On: the column is required.
    let err = FileValidator::new(on, as_of(), 64).and_then(|mut f| {
        f.push(format!("{HEADER}\n{}\n", GOOD.join(",")).as_bytes())?;
        f.finish()
    });
    assert_eq!(
        err.unwrap_err().to_string(),
        "file rejected: missing required column country; add it to the header (names match ignoring case and surrounding spaces)"
    );
}

#[test]
fn valid_rows_are_trimmed_and_typed_for_loading() {
    let csv = format!(
        "{HEADER},country,notes\n 007 , Ann  Lee ,ann@example.com, 036 ,1990-05-17, 0123456789 , us ,hi\n2,Bo Li,b@example.com,36,1990-05-18,0000000001,,\n"
    );
    let mut file = FileValidator::new(common::customer(), as_of(), 16).unwrap();
    let mut chunks = file.push(csv.as_bytes()).unwrap();
    chunks.extend(file.finish().unwrap());
    let valid = stacked(&chunks);
    // The table's columns, in contract order, typed by their checks, then row_number; the
    // `notes` column is not the contract's.
    let names: Vec<&str> = valid.get_column_names().into_iter().map(|n| n.as_str()).collect();
    assert_eq!(
        names,
        ["customer_id", "full_name", "email", "age", "date_of_birth", "phone_number", "country", ROW_NUMBER]
    );
    assert_eq!(ints(&valid, "customer_id"), [7, 2]);
    assert_eq!(texts(&valid, "full_name"), [Some("Ann  Lee".into()), Some("Bo Li".into())]);
    assert_eq!(ints(&valid, "age"), [36, 36]);
    let dob = valid.column("date_of_birth").unwrap();
    assert_eq!(dob.dtype(), &DataType::Date);
    let days: Vec<i32> = dob.cast(&DataType::Int32).unwrap().i32().unwrap().into_no_null_iter().collect();
    let epoch = day(1970, 1, 1);
    assert_eq!(
        days,
        [(day(1990, 5, 17) - epoch).num_days() as i32, (day(1990, 5, 18) - epoch).num_days() as i32]
    );
    assert_eq!(texts(&valid, "phone_number"), [Some("0123456789".into()), Some("0000000001".into())]);
    assert_eq!(texts(&valid, "country"), [Some("us".into()), None]);
    let numbers: Vec<u64> = valid.column(ROW_NUMBER).unwrap().u64().unwrap().into_no_null_iter().collect();
    assert_eq!(numbers, [1, 2]);
}

#[test]
fn trimmed_text_is_right_whether_it_stays_long_becomes_short_or_becomes_null() {
    // Values of every shape around the 12-byte inline limit, trimmed or not, with invalid rows
    // (dropped) in between, in chunks of 3.
    let rows = [
        ("   Christopher Stevens   ", "  christopher.stevens@example.com ", "\u{a0}Côte d'Ivoire  "),
        ("Ann Lee", "ann@example.com", "   "),
        ("bad name 1", "x@example.com", "GB"),
        ("      Ann Lee      ", "  a@b.co  ", " US"),
        ("Bo Li", "bo.li.bo.li.bo@example.com", "Åland Islands"),
        (" Bo Li ", "bo@example.com", ""),
    ];
    let mut csv = format!("{HEADER},country\n");
    for (i, (name, email, country)) in rows.iter().enumerate() {
        csv.push_str(&format!("{},{name},{email},36,1990-05-{:02},0123456789,{country}\n", i + 1, i + 10));
    }
    let mut file = FileValidator::new(common::customer(), as_of(), 3).unwrap();
    let mut chunks = file.push(csv.as_bytes()).unwrap();
    chunks.extend(file.finish().unwrap());
    let valid = stacked(&chunks);
    let numbers: Vec<u64> = valid.column(ROW_NUMBER).unwrap().u64().unwrap().into_no_null_iter().collect();
    assert_eq!(numbers, [1, 2, 4, 5, 6], "row 3 fails full_name");
    let some = |v: &[&str]| v.iter().map(|s| Some((*s).to_owned())).collect::<Vec<_>>();
    assert_eq!(
        texts(&valid, "full_name"),
        some(&["Christopher Stevens", "Ann Lee", "Ann Lee", "Bo Li", "Bo Li"])
    );
    assert_eq!(
        texts(&valid, "email"),
        some(&[
            "christopher.stevens@example.com",
            "ann@example.com",
            "a@b.co",
            "bo.li.bo.li.bo@example.com",
            "bo@example.com"
        ])
    );
    let country = texts(&valid, "country");
    let country: Vec<Option<&str>> = country.iter().map(Option::as_deref).collect();
    assert_eq!(country, [Some("Côte d'Ivoire"), None, Some("US"), Some("Åland Islands"), None]);
}

#[test]
fn rule_sets_round_trip_through_toml_and_the_country_contract_is_the_customer_one_plus_its_rule() {
    for set in [common::customer(), common::customer_with_country()] {
        assert_eq!(Contract::from_toml(&set.to_toml()).unwrap(), set);
    }
    // customer_country.toml is customer.toml with `country` required and checked, nothing else.
    let mut with_country = common::customer_with_country();
    let rule = with_country.rules.pop().unwrap();
    assert_eq!(rule.id, "country");
    assert!(
        matches!(&rule.check, sift_validator::Check::OneOf { values, case_insensitive: true, .. } if values.len() == 249)
    );
    let column = with_country.columns.iter_mut().find(|c| c.name == "country").unwrap();
    assert!(column.required);
    column.required = false;
    assert_eq!(with_country, common::customer());
    // customer_update.toml is customer.toml with `on_conflict = "update"`, nothing else.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/customer_update.toml");
    let mut updating = Contract::from_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    let table = updating.table.as_mut().unwrap();
    assert_eq!(table.on_conflict, sift_model::OnConflict::Update);
    table.on_conflict = sift_model::OnConflict::Skip;
    assert_eq!(updating, common::customer());
    // Updating needs a key to update by.
    let keyless = common::customer()
        .to_toml()
        .replace("key = [\"customer_id\"]", "key = []")
        .replace("on_conflict = \"skip\"", "on_conflict = \"update\"");
    let err = Contract::from_toml(&keyless).unwrap_err().to_string();
    assert!(err.contains("on_conflict = \"update\" needs a key"), "{err}");
    // A history table's validity columns are sift's.
    let history = common::customer()
        .to_toml()
        .replace("on_conflict = \"skip\"", "on_conflict = \"history\"")
        .replace("name = \"country\"", "name = \"is_current\"");
    let err = Contract::from_toml(&history).unwrap_err().to_string();
    assert!(err.contains("column `is_current` is one sift adds"), "{err}");
}

#[test]
fn a_custom_rule_set_validates_other_columns() {
    let toml = r#"
        name = "orders"
        [[columns]]
        name = "order_id"
        [[columns]]
        name = "status"
        [[columns]]
        name = "temp"
        [[rules]]
        id = "order_id"
        check = "integer"
        column = "order_id"
        min = -5
        max = 100
        [[rules]]
        id = "status"
        check = "one_of"
        column = "status"
        values = ["open", "closed"]
        [[rules]]
        id = "unique_order"
        check = "unique"
        key = [{ column = "order_id" }]
    "#;
    let set = Contract::from_toml(toml).unwrap();
    let csv = "ORDER_ID , Status,temp\n-5,open,x\n-5,open,x\n101,OPEN,x\n3,closed,\n";
    assert_eq!(failures_with(set, as_of(), csv, 2), ["", "unique_order", "order_id;status", "not_null:temp"]);
}

#[test]
fn inconsistent_rule_sets_are_refused_with_a_reason() {
    let cases = [
        ("name = 'x'\ncolumns = []", "declares no column"),
        (
            "name = 'x'\n[[columns]]\nname = 'a'\n[[rules]]\nid = 'r'\ncheck = 'regex'\ncolumn = 'b'\npattern = 'x'",
            "not declared",
        ),
        (
            "name = 'x'\n[[columns]]\nname = 'a'\n[[rules]]\nid = 'r'\ncheck = 'regex'\ncolumn = 'a'\npattern = '('",
            "does not compile",
        ),
        (
            "name = 'x'\n[[columns]]\nname = 'a'\n[[rules]]\nid = 'r'\ncheck = 'integer'\ncolumn = 'a'\nmin = 5\nmax = 1",
            "greater than max",
        ),
        ("name = 'x'\n[[columns]]\nname = 'a'\n[[columns]]\nname = ' A'", "declared twice"),
        (
            "name = 'x'\n[[columns]]\nname = 'a'\n[[rules]]\nid = 'r'\ncheck = 'regex'\ncolumn = 'a'\npattern = 'x'\nonly_if_passed = ['later']",
            "not an earlier column rule",
        ),
        (
            "name = 'x'\n[[columns]]\nname = 'a'\n[[rules]]\nid = 'r'\ncheck = 'nope'\ncolumn = 'a'",
            "unknown variant",
        ),
    ];
    for (toml, needle) in cases {
        let err = Contract::from_toml(toml).unwrap_err();
        // The message and its causes, as the shells show them.
        let chain: Vec<String> = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
            .map(|e| e.to_string())
            .collect();
        let err = chain.join(": ");
        assert!(err.contains(needle), "{toml:?}: {err}");
    }
}

#[test]
fn the_table_follows_the_checks_so_a_valid_value_always_fits() {
    // The built-in contract derives dim_customer of SPEC section 4.
    let table = common::customer().table().unwrap();
    let shape: Vec<(&str, ColumnType, bool)> =
        table.columns.iter().map(|c| (c.name.as_str(), c.ty, c.nullable)).collect();
    assert_eq!(
        shape,
        [
            ("customer_id", ColumnType::Int64, false),
            ("full_name", ColumnType::Text, false),
            ("email", ColumnType::Text, false),
            ("age", ColumnType::Int16, false),
            ("date_of_birth", ColumnType::Date, false),
            ("phone_number", ColumnType::Text, false),
            ("country", ColumnType::Text, true),
        ]
    );
    assert_eq!(
        (table.name.as_str(), table.key.as_slice()),
        ("dim_customer", ["customer_id".to_owned()].as_slice())
    );
    // Ages up to 40000 need a wider integer; without an integer check customer_id is text.
    let mut set = common::customer();
    for rule in &mut set.rules {
        if let sift_validator::Check::Integer { column, max, .. } = &mut rule.check
            && column == "age"
        {
            *max = 40_000;
        }
    }
    set.rules.retain(|r| r.id != "customer_id");
    let table = set.table().unwrap();
    assert_eq!(table.column("age").unwrap().ty, ColumnType::Int32);
    assert_eq!(table.column("customer_id").unwrap().ty, ColumnType::Text);
}

#[test]
fn a_uniqueness_rule_with_a_precondition_counts_only_rows_that_pass_it() {
    // An email is claimed only by a row whose email is well-formed: a malformed one neither
    // claims the key nor fails as a repeat.
    let set = Contract::from_toml(
        r#"
name = "contacts"
[[columns]]
name = "email"
[[rules]]
id = "email"
check = "regex"
column = "email"
pattern = '^[^@ ]+@[^@ ]+$'
[[rules]]
id = "repeat"
check = "unique"
key = [{ column = "email", lowercase = true }]
only_if_passed = ["email"]
"#,
    )
    .unwrap();
    let csv = "email\nbad\nbad\nA@x\na@x\n";
    for chunk_rows in [1, 2, 1024] {
        assert_eq!(
            failures_with(set.clone(), as_of(), csv, chunk_rows),
            ["email", "email", "", "repeat"],
            "chunks of {chunk_rows}"
        );
    }
}

#[test]
fn a_file_validator_catches_up_and_stops_its_worker_when_dropped() {
    // Chunks of one row keep the worker busy; dropping the validator must not hang or panic.
    let mut csv = format!("{HEADER}\n");
    for i in 1..=2000 {
        csv.push_str(&row_with(0, &i.to_string()));
        csv.push('\n');
    }
    let mut file = FileValidator::new(common::customer(), as_of(), 1).unwrap();
    let returned = file.push(csv.as_bytes()).unwrap();
    // Whatever came back so far is a prefix of the file, in order.
    let firsts: Vec<u64> = returned.iter().map(|c| c.first_row).collect();
    assert_eq!(firsts, (1..=returned.len() as u64).collect::<Vec<_>>());
    assert_eq!(file.tally().total, returned.len() as u64);
    // Catching up takes in every chunk handed to the worker, still in order.
    let rest = file.catch_up().unwrap();
    if let Some(next) = rest.first() {
        assert_eq!(next.first_row, returned.len() as u64 + 1);
    }
    assert_eq!(file.tally().total, 2000, "every row was in a complete chunk of one");
    // A second file: dropped with chunks still in flight.
    let mut file = FileValidator::new(common::customer(), as_of(), 1).unwrap();
    file.push(csv.as_bytes()).unwrap();
    drop(file);
}

#[test]
fn the_expected_size_is_only_a_hint() {
    // Duplicates across chunks, whatever size the file claims: too small, right, far too large.
    let mut csv = format!("{HEADER}\n");
    for i in 0..3000u32 {
        // 1,000 names ("Ann aaa" to "Ann bml"), each three times.
        let n = i % 1000;
        let letters: String =
            [n / 676, n / 26 % 26, n % 26].iter().map(|&d| char::from(b'a' + d as u8)).collect();
        csv.push_str(&row_with(1, &format!("Ann {letters}")));
        csv.push('\n');
    }
    let run = |size: Option<u64>| {
        let mut file = FileValidator::new(common::customer(), as_of(), 256).unwrap();
        if let Some(size) = size {
            file.expect_bytes(size);
        }
        let mut chunks = Vec::new();
        for piece in csv.as_bytes().chunks(1000) {
            chunks.extend(file.push(piece).unwrap());
        }
        chunks.extend(file.finish().unwrap());
        let invalid: Vec<u64> = chunks
            .iter()
            .flat_map(|c| c.invalid.column(ROW_NUMBER).unwrap().u64().unwrap().into_no_null_iter())
            .collect();
        (file.tally().clone(), invalid)
    };
    let no_hint = run(None);
    assert_eq!(no_hint.0.invalid, 2000, "every repeat after the first 1,000 rows");
    for size in [0, 1, csv.len() as u64, 100 * csv.len() as u64] {
        assert_eq!(run(Some(size)), no_hint, "expected size {size}");
    }
}

/// The valid rows of a file's chunks, as one frame.
fn stacked(chunks: &[ValidatedChunk]) -> DataFrame {
    let mut frames = chunks.iter().map(|c| c.valid.frame().clone());
    let first = frames.next().unwrap();
    frames.fold(first, |acc, f| acc.vstack(&f).unwrap())
}

fn ints(frame: &DataFrame, name: &str) -> Vec<i64> {
    frame.column(name).unwrap().i64().unwrap().into_no_null_iter().collect()
}

fn texts(frame: &DataFrame, name: &str) -> Vec<Option<String>> {
    frame.column(name).unwrap().str().unwrap().iter().map(|v| v.map(str::to_owned)).collect()
}

#[test]
fn the_pairs_failing_together_are_those_the_failed_rules_lists_name() {
    // The sample file, in uneven chunks: every invalid row's `failed_rules` list, paired up,
    // gives the tally's pairs.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/customers.csv");
    let bytes = std::fs::read(path).unwrap();
    let mut file = FileValidator::new(common::customer(), as_of(), 700).unwrap();
    let mut chunks = file.push(&bytes).unwrap();
    chunks.extend(file.finish().unwrap());
    let ids = file.tally().failures.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>();
    let mut expected = std::collections::BTreeMap::new();
    for chunk in &chunks {
        for list in chunk.invalid.column("failed_rules").unwrap().str().unwrap().iter().flatten() {
            let at: Vec<usize> =
                list.split(';').map(|id| ids.iter().position(|i| i == id).unwrap()).collect();
            for (n, &a) in at.iter().enumerate() {
                for &b in &at[n + 1..] {
                    *expected.entry((a.min(b), a.max(b))).or_insert(0u64) += 1;
                }
            }
        }
    }
    assert!(!expected.is_empty(), "the sample has rows failing two rules");
    assert_eq!(file.tally().pairs, expected);
}
