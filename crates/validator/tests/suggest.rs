//! Contracts suggested from a file: each column's proposal, the evidence, and the promise that
//! the file validates under its suggestion with no invalid row.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use chrono::NaiveDate;
use sift_validator::{
    Check, Contract, Encoding, SuggestOptions, Suggester, Suggestion, import_odcs, validate_bytes,
};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn options() -> SuggestOptions {
    SuggestOptions {
        name: "t".into(),
        delimiter: None,
        encoding: None,
        sample_rows: None,
        as_of: as_of(),
        chunk_rows: 7,
    }
}

/// The suggestion for `bytes`, pushed in pieces of `piece` bytes.
fn suggest_in(bytes: &[u8], piece: usize, options: SuggestOptions) -> Suggestion {
    let mut suggester = Suggester::new(options).unwrap();
    for part in bytes.chunks(piece.max(1)) {
        suggester.push(part).unwrap();
        if suggester.is_full() {
            break;
        }
    }
    suggester.finish().unwrap()
}

/// The suggestion, checked against its promises: its TOML and its ODCS read back to it, and
/// the file validates under it with no invalid row.
fn suggest(bytes: &[u8]) -> Suggestion {
    let suggestion = suggest_in(bytes, bytes.len(), options());
    let contract = suggestion.contract();
    let toml = suggestion.to_toml("test.csv");
    assert_eq!(&Contract::from_toml(&toml).unwrap(), contract, "{toml}");
    let odcs = suggestion.to_odcs("test.csv").unwrap();
    assert_eq!(&import_odcs(&odcs).unwrap().contract, contract, "{odcs}");
    let report = validate_bytes(contract.clone(), as_of(), bytes, 5).unwrap();
    assert_eq!(report.tally.invalid, 0, "{:?}\n{toml}", report.tally.failures);
    suggestion
}

fn check<'a>(s: &'a Suggestion, column: &str) -> &'a Check {
    &s.contract().rules.iter().find(|r| r.check.columns() == [column]).unwrap().check
}

/// A file of every kind of column, 40 rows.
fn mixed() -> Vec<u8> {
    let mut csv = String::from("id,delta,price,paid,born,seen,tier,sku,email,note,empty,zip\n");
    for i in 1..=40 {
        let tier = ["gold", "silver", "bronze"][i % 3];
        let note = if i % 4 == 0 { String::new() } else { format!("free text {i}") };
        csv.push_str(&format!(
            "{i},{},{}.{},{},19{:02}-0{}-1{},2024-01-0{}T10:00:0{}Z,{tier},AB-{:04},u{i}@example.com,{note},,{:05}\n",
            i as i64 - 20,
            i * 3,
            i % 100,
            ["yes", "no", "Y", "false"][i % 4],
            50 + i % 40,
            1 + i % 9,
            i % 10,
            1 + i % 9,
            i % 10,
            i * 7,
            i * 13,
        ));
    }
    csv.into_bytes()
}

#[test]
fn each_kind_of_column_gets_the_check_its_values_show() {
    let s = suggest(&mixed());
    let c = s.contract();
    // Never null and never repeated, read as whole numbers: the table's key.
    assert_eq!(c.table.as_ref().unwrap().key, ["id"]);
    assert!(matches!(check(&s, "id"), Check::Integer { min: 0, max: 32767, .. }));
    // A negative value: the type's whole range.
    assert!(matches!(check(&s, "delta"), Check::Integer { min: -32768, max: 32767, .. }));
    assert!(matches!(
        check(&s, "price"),
        Check::Decimal { precision: 7, scale: 2, min: Some(m), .. } if m == "0"
    ));
    assert!(matches!(check(&s, "paid"), Check::Boolean { true_values: None, .. }));
    assert!(matches!(check(&s, "born"), Check::Date { after: None, before_as_of: false, .. }));
    assert!(matches!(check(&s, "seen"), Check::Timestamp { .. }));
    assert!(
        matches!(check(&s, "tier"), Check::OneOf { values, .. } if values == &["bronze", "gold", "silver"])
    );
    assert!(matches!(check(&s, "sku"), Check::Regex { pattern, .. } if pattern == "^[A-Z]{2}-[0-9]{4}$"));
    assert!(matches!(check(&s, "email"), Check::Regex { pattern, .. } if pattern.contains('@')));
    assert!(matches!(check(&s, "note"), Check::Length { min: None, max: Some(16), .. }));
    // Digits of one width with leading zeros: a code, not a number.
    assert!(matches!(check(&s, "zip"), Check::Regex { pattern, .. } if pattern == "^[0-9]{5}$"));
    // Required when never null; an always-empty column is optional and unchecked.
    let required: Vec<&str> = c.columns.iter().filter(|c| c.required).map(|c| c.name.as_str()).collect();
    assert_eq!(required, ["id", "delta", "price", "paid", "born", "seen", "tier", "sku", "email", "zip"]);
    assert!(c.rules.iter().all(|r| r.check.columns() != ["empty"]));
    // The evidence is in the TOML, above each column.
    let toml = s.to_toml("mixed.csv");
    for needle in [
        "# id: 0 nulls in 40 rows: required; never repeated: a candidate key",
        "# note: 10 nulls in 40 rows: optional",
        "# tier: values: bronze (13), gold (13), silver (14)",
        "# empty: always empty in 40 rows",
        "whole numbers from 1 to 40: the 16-bit range",
        "digits of one width, and row 1 writes `00013` with a leading zero",
        "table key `id`: never null and never repeated",
    ] {
        assert!(toml.contains(needle), "{needle:?} not in\n{toml}");
    }
}

#[test]
fn the_file_streams_in_pieces_of_any_size_to_the_same_suggestion() {
    let bytes = mixed();
    let whole = suggest_in(&bytes, bytes.len(), options());
    for piece in [1, 3, 64] {
        let pieces = suggest_in(&bytes, piece, options());
        assert_eq!(pieces.contract(), whole.contract(), "pieces of {piece} bytes");
        assert_eq!(pieces.to_toml("f"), whole.to_toml("f"));
    }
}

#[test]
fn a_value_that_does_not_fit_keeps_the_column_text_and_the_evidence_names_its_row() {
    let mut csv = String::from("n,d\n");
    for i in 1..=200 {
        let n = if i == 57 { "12a".to_owned() } else { i.to_string() };
        let d = if i == 9 { "2023-02-30".to_owned() } else { format!("2023-02-{:02}", 1 + i % 28) };
        csv.push_str(&format!("{n},{d}\n"));
    }
    let s = suggest(csv.as_bytes());
    assert!(matches!(check(&s, "n"), Check::Length { .. }));
    // Still of one shape: a pattern, which the day that is no date fits.
    assert!(
        matches!(check(&s, "d"), Check::Regex { pattern, .. } if pattern == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    );
    let toml = s.to_toml("f");
    assert!(
        toml.contains("199 of 200 values are whole numbers, 1 not (the first on row 57: `12a`)"),
        "{toml}"
    );
    assert!(
        toml.contains("199 of 200 values are YYYY-MM-DD dates, 1 not (the first on row 9: `2023-02-30`)"),
        "{toml}"
    );
}

#[test]
fn the_delimiter_and_the_encoding_are_found_and_written_into_the_contract() {
    // Semicolons, Windows-1252 (é is 0xE9), a quoted value holding the delimiter.
    let mut bytes = b"name;city\n".to_vec();
    for i in 0..30 {
        bytes.extend_from_slice(format!("n{i};\"Li").as_bytes());
        bytes.push(0xE8); // è in Windows-1252
        bytes.extend_from_slice(b"ge; BE\"\n");
    }
    let s = suggest(&bytes);
    let format = s.contract().format;
    assert_eq!((format.delimiter, format.encoding), (';', Encoding::Windows1252));
    assert!(matches!(check(&s, "city"), Check::OneOf { values, .. } if values == &["Liège; BE"]));
    let toml = s.to_toml("f");
    assert!(toml.contains("delimiter ';'") && toml.contains("encoding Windows-1252"), "{toml}");
    // Given, they are not guessed.
    let given = suggest_in(&bytes, 10, SuggestOptions { encoding: Some(Encoding::Latin1), ..options() });
    assert_eq!(given.contract().format.encoding, Encoding::Latin1);
}

#[test]
fn a_sample_reads_only_its_rows() {
    let mut csv = String::from("n\n");
    for i in 1..=100 {
        csv.push_str(&format!("{}\n", if i == 80 { "x".to_owned() } else { i.to_string() }));
    }
    let sampled = suggest_in(csv.as_bytes(), 16, SuggestOptions { sample_rows: Some(50), ..options() });
    assert_eq!((sampled.rows(), sampled.sampled()), (50, true));
    assert!(matches!(check(&sampled, "n"), Check::Integer { .. }), "row 80 was not read");
    assert!(sampled.to_toml("f").contains("the first 50 rows (--sample-rows"));
    let whole = suggest(csv.as_bytes());
    assert!(
        (whole.rows(), whole.sampled()) == (100, false) && matches!(check(&whole, "n"), Check::Length { .. })
    );
}

#[test]
fn what_cannot_pass_is_said_and_a_header_sift_cannot_declare_is_noted() {
    // A NUL byte in a text value fails `nul_byte` under any contract that loads the column.
    let bytes = b"a,b,,A\nx,1,z,w\ny\x00y,2,z,w\n";
    let s = suggest_in(bytes, 64, options());
    let toml = s.to_toml("f");
    assert!(toml.contains("1 values hold a NUL byte (the first on row 2)"), "{toml}");
    assert!(toml.contains("header column 3 has no name: not declared"), "{toml}");
    assert!(toml.contains("header column 4 repeats `A` (column 1): only the first is declared"), "{toml}");
    let report = validate_bytes(s.contract().clone(), as_of(), bytes, 5).unwrap();
    assert_eq!(report.tally.nonzero_failures().collect::<Vec<_>>(), [("nul_byte", 1)]);
}

#[test]
fn a_file_that_is_no_csv_is_refused_as_sift_run_refuses_it() {
    let err = Suggester::new(options()).unwrap().finish().unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
    let mut s = Suggester::new(options()).unwrap();
    s.push(b"a,b\n1,2,3\n").unwrap();
    let err = s.finish().unwrap_err();
    assert!(err.rejection().is_some(), "{err}");
}
