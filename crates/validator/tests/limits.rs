//! What no input may do: a value, a record or a header past the contract's `[format]` limits
//! rejects the file, naming the line and the limit, whatever the bytes (an endless line, a
//! quoted field that never closes its line, a header of empty names); a wide header within
//! them still runs; a value the warehouse cannot store (a NUL byte) is a failure of its row.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use chrono::NaiveDate;
use sift_validator::{
    Check, ColumnSpec, Contract, FileValidator, Format, InputLimits, NUL_BYTE, Rejection, Rule,
    validate_bytes,
};

const HEADER: &str = "customer_id,full_name,email,age,date_of_birth,phone_number";
const GOOD: &str = "1,Ann Lee,ann@example.com,36,1990-05-17,0123456789";

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn with_format(format: Format) -> Contract {
    Contract { format, ..common::customer() }
}

/// Pushes `bytes` in pieces of `piece` bytes; the rejection, if any.
fn rejection(contract: Contract, bytes: &[u8], piece: usize) -> Option<Rejection> {
    let mut file = FileValidator::new(contract, as_of(), 64).unwrap();
    for part in bytes.chunks(piece.max(1)) {
        if let Err(e) = file.push(part) {
            return Some(e.rejection().cloned().unwrap_or_else(|| panic!("not a rejection: {e}")));
        }
    }
    file.finish().err().map(|e| e.rejection().cloned().unwrap_or_else(|| panic!("not a rejection: {e}")))
}

#[test]
fn a_value_over_max_field_bytes_rejects_the_file_naming_its_line() {
    let format = Format { max_field_bytes: 100, ..Format::default() };
    let long = "x".repeat(101);
    let cases = [
        // Unquoted, on the third line.
        (format!("{HEADER}\n{GOOD}\n2,{long},b@example.com,36,1990-05-17,0123456789\n"), 3),
        // Quoted, with escaped quotes and line breaks inside: the value starts on line 2.
        (
            format!(
                "{HEADER}\n2,\"{}\n{}\",b@example.com,36,1990-05-17,0123456789\n",
                "\"\"".repeat(40),
                "\n".repeat(70)
            ),
            2,
        ),
        // An endless last line with no line end.
        (format!("{HEADER}\n{GOOD}\n{long}"), 3),
        // A header name.
        (format!("customer_id,{long}\n"), 1),
    ];
    for (text, line) in cases {
        for piece in [1, 7, 64, text.len()] {
            assert_eq!(
                rejection(with_format(format), text.as_bytes(), piece),
                Some(Rejection::FieldTooLong { line, max: 100 }),
                "pieces of {piece}: {text:?}"
            );
        }
    }
    // At the limit: read.
    let at = format!("{HEADER}\n1,{},a@example.com,36,1990-05-17,0123456789\n", "x".repeat(100));
    let report = validate_bytes(with_format(format), as_of(), at.as_bytes(), 64).unwrap();
    assert_eq!(report.tally.total, 1);
}

#[test]
fn a_record_over_max_record_bytes_rejects_the_file() {
    let format = Format { max_record_bytes: 60, ..Format::default() };
    // 47 bytes of values and 5 delimiters: 52, within; then 62.
    let ok = format!("{HEADER}\n{GOOD}\n");
    assert!(rejection(with_format(format), ok.as_bytes(), 3).is_none());
    let over = format!("{HEADER}\n{GOOD}\n1,Ann Lee Much Longer,ann@example.com,36,1990-05-17,0123456789\n");
    // The header itself is 58 bytes with its delimiters: within.
    for piece in [1, 5, over.len()] {
        assert_eq!(
            rejection(with_format(format), over.as_bytes(), piece),
            Some(Rejection::RecordTooLong { line: 3, max: 60 }),
            "pieces of {piece}"
        );
    }
    // Delimiters alone count: a line of commas cannot pile up field ends.
    let commas = format!("{HEADER}\n{}\n", ",".repeat(100));
    let r = rejection(with_format(format), commas.as_bytes(), 7);
    assert_eq!(r, Some(Rejection::RecordTooLong { line: 2, max: 60 }));
}

#[test]
fn a_header_over_max_columns_rejects_the_file_and_a_wide_one_within_runs() {
    let format = Format { max_columns: 10, ..Format::default() };
    let wide = format!("{HEADER},a,b,c,d,e\n{GOOD},1,2,3,4,5\n");
    assert_eq!(
        rejection(with_format(format), wide.as_bytes(), 4),
        Some(Rejection::TooManyColumns { max: 10 })
    );
    // A header of empty names (commas only) is counted as it is read.
    let empties = ",".repeat(1_000_000);
    assert_eq!(
        rejection(common::customer(), empties.as_bytes(), 1 << 16),
        Some(Rejection::TooManyColumns { max: InputLimits::DEFAULT_MAX_COLUMNS })
    );
    // 10,000 columns, within the default: every row read, in chunks narrower than the default.
    let extra: Vec<String> = (0..10_000 - 6).map(|i| format!("x{i}")).collect();
    let values: Vec<String> = (0..10_000 - 6).map(|i| i.to_string()).collect();
    let mut text = format!("{HEADER},{}\n", extra.join(","));
    for id in 1..=300u32 {
        // Distinct names: the duplicate rule keys on the name and the birth date.
        let name: String =
            [id / 26 / 26, id / 26 % 26, id % 26].iter().map(|&d| char::from(b'a' + d as u8)).collect();
        text.push_str(&format!(
            "{id},Ann {name},ann@example.com,36,1990-05-17,0123456789,{}\n",
            values.join(",")
        ));
    }
    let report = validate_bytes(common::customer(), as_of(), text.as_bytes(), 64 * 1024).unwrap();
    assert_eq!((report.tally.total, report.tally.valid), (300, 300));
    assert!(report.valid.len() >= 3, "10,000 columns make chunks of about 100 rows: {}", report.valid.len());
}

#[test]
fn limits_are_read_from_the_contract_and_checked() {
    let toml = format!(
        "{}\n[format]\nmax_field_bytes = 16\nmax_record_bytes = 1000\nmax_columns = 7\n",
        common::customer().to_toml()
    );
    // `to_toml` puts [format] last only when it has one: append ours to a contract without.
    let contract = Contract::from_toml(&toml).unwrap();
    assert_eq!(
        contract.format.input_limits(),
        InputLimits { max_field_bytes: 16, max_record_bytes: 1000, max_columns: 7 }
    );
    assert!(Contract::from_toml(&toml.replace("max_columns = 7", "max_columns = 0")).is_err());
    // The longest header name is 13 bytes; the email 25.
    let text = format!("{HEADER}\n1,Ann Lee,annabelle.lee@example.com,36,1990-05-17,0123456789\n");
    assert_eq!(rejection(contract, text.as_bytes(), 64), Some(Rejection::FieldTooLong { line: 2, max: 16 }));
    // The messages name the limit and where to raise it.
    for r in [
        Rejection::FieldTooLong { line: 3, max: 10 },
        Rejection::RecordTooLong { line: 3, max: 10 },
        Rejection::TooManyColumns { max: 10 },
    ] {
        let text = r.to_string();
        assert!(text.contains("[format] max_") && text.contains("= 10"), "{text}");
    }
}

#[test]
fn a_nul_byte_in_a_loaded_text_value_fails_its_row() {
    let contract = common::customer();
    assert_eq!(contract.failure_ids().last().map(String::as_str), Some(NUL_BYTE));
    let text = format!(
        "{HEADER},note\n{GOOD},\0fine: not loaded\n2,Bo Li,bo@example.com,36,1990-05-18,01234\u{0}56789\n\
         3,Cy Ma,cy\u{0}@example.com,36,1990-05-19,0123456789\n"
    );
    let report = validate_bytes(contract, as_of(), text.as_bytes(), 64).unwrap();
    assert_eq!((report.tally.valid, report.tally.invalid), (1, 2));
    let failed: Vec<_> = report.tally.nonzero_failures().collect();
    // The phone number fails its own rule too; the email's pattern happens to reject NUL.
    assert_eq!(failed, [("email", 1), ("phone_number", 1), (NUL_BYTE, 2)]);
    // A contract may not take the id for a rule of its own.
    let mut contract = Contract {
        name: "x".into(),
        table: None,
        columns: vec![ColumnSpec::required("a")],
        rules: vec![Rule::new(NUL_BYTE, Check::Length { column: "a".into(), min: None, max: Some(3) })],
        format: Format::default(),
        limits: Default::default(),
    };
    assert!(contract.check().is_err());
    contract.rules.clear();
    // A contract whose columns all prove another type loads no text: no such id.
    contract.rules.push(Rule::new("a", Check::Integer { column: "a".into(), min: 0, max: 9 }));
    assert!(!contract.failure_ids().iter().any(|id| id == NUL_BYTE));
}

#[test]
fn rules_failing_together_are_counted_in_linear_time_per_row() {
    // 200 rules, each failing on every row: pairs among the first 8 ids of each row only.
    let columns: Vec<ColumnSpec> = (0..200).map(|i| ColumnSpec::required(format!("c{i}"))).collect();
    let rules = (0..200)
        .map(|i| Rule::new(format!("r{i}"), Check::Integer { column: format!("c{i}"), min: 0, max: 9 }))
        .collect();
    let contract = Contract {
        name: "wide".into(),
        table: None,
        columns,
        rules,
        format: Format::default(),
        limits: Default::default(),
    };
    let header: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
    let row = vec!["99"; 200].join(",");
    let text = format!("{}\n{}", header.join(","), format!("{row}\n").repeat(500));
    let report = validate_bytes(contract, as_of(), text.as_bytes(), 64 * 1024).unwrap();
    assert_eq!(report.tally.invalid, 500);
    assert_eq!(report.tally.pairs.len(), 28, "8 ids make 28 pairs");
    assert_eq!(report.tally.top_pairs(1), [("r0", "r1", 500)]);
}

#[test]
fn contracts_that_cannot_work_are_refused_before_any_file() {
    let with_table = |name: &str| {
        let mut c = common::customer();
        c.table.as_mut().unwrap().name = name.to_owned();
        c.check().map_err(|e| e.to_string())
    };
    assert!(with_table(&"t".repeat(63)).is_ok(), "63 bytes: PostgreSQL keeps it");
    for name in ["t".repeat(64), format!("sales.{}", "t".repeat(64)), format!("{}.t", "s".repeat(64))] {
        let err = with_table(&name).unwrap_err();
        assert!(err.contains("PostgreSQL keeps 63"), "{name}: {err}");
    }
    for name in
        ["sift_load_ledger", "SIFT_file_history", "x.sift_claims", "_sqlx_migrations", "sqlite_master"]
    {
        let err = with_table(name).unwrap_err();
        assert!(err.contains("sift's own"), "{name}: {err}");
    }
    let mut c = common::customer();
    c.columns.push(ColumnSpec::optional("é".repeat(32)));
    assert!(c.check().unwrap_err().to_string().contains("64 bytes"), "bytes, not characters");

    // Hostile contract texts are refused by a scan, before a parser sees them.
    let deep_flow = "[".repeat(200_000);
    let deep_block: String = (0..600).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    let deep_items = format!("schema:\n{}x\n", "- ".repeat(100));
    for yaml in [&deep_flow, &deep_block, &deep_items] {
        let err = sift_validator::import_odcs(yaml).unwrap_err().to_string();
        assert!(err.contains("nests deeper than 64"), "{err}");
    }
    let err = Contract::from_toml(&format!("name = {}", "[".repeat(200_000))).unwrap_err().to_string();
    assert!(err.contains("nests deeper than 64"), "{err}");
    let big = format!("name = \"x\"\n# {}\n", "x".repeat(9 << 20));
    assert!(Contract::from_toml(&big).unwrap_err().to_string().contains("more than the 8388608"));
    // The shipped contracts pass the scan.
    sift_validator::import_odcs(
        &std::fs::read_to_string("../../contracts/odcs/customers.odcs.yaml").unwrap(),
    )
    .unwrap();
    for dir in ["../../contracts", "../../contracts/odcs"] {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Contract::from_toml(&std::fs::read_to_string(&path).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            }
        }
    }
}
