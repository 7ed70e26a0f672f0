//! Severity and limits at the library level: a `warn` rule keeps its rows valid and reports
//! them apart; `Contract::hold` names the first limit a file's counts exceed.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use chrono::NaiveDate;
use sift_validator::{Check, Contract, HoldLimit, validate_bytes};

const CONTRACT: &str = r#"
name = "people"

[table]
name = "people"
key = ["id"]

[limits]
max_invalid_pct = 40

[[columns]]
name = "id"

[[columns]]
name = "phone"

[[rules]]
id = "id"
check = "integer"
column = "id"
min = 1
max = 1000

[[rules]]
id = "phone"
check = "regex"
column = "phone"
pattern = "^[0-9]{4}$"
severity = "warn"
max_failure_pct = 50
"#;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

#[test]
fn a_warn_rule_leaves_its_rows_valid_and_lists_them_apart() {
    let contract = Contract::from_toml(CONTRACT).unwrap();
    assert!(contract.is_warning("phone") && !contract.is_warning("id"));
    assert!(matches!(contract.rules[1].check, Check::Regex { .. }));
    // Row 2 warns only; row 3 fails `id` and would warn (an invalid row is not warned); row 4
    // has a null phone, which fails only `not_null:phone`; rows 1 and 5 are clean.
    let csv = b"id,phone\n1,1234\n2,12-34\nx,12\n4,\n5,5678\n";
    for chunk_rows in [1, 2, 64] {
        let report = validate_bytes(contract.clone(), as_of(), csv, chunk_rows).unwrap();
        let t = &report.tally;
        assert_eq!((t.total, t.valid, t.invalid, t.warned), (5, 3, 2, 1), "chunks of {chunk_rows}");
        assert_eq!(t.nonzero_warnings().collect::<Vec<_>>(), [("phone", 1)]);
        assert_eq!(t.nonzero_failures().collect::<Vec<_>>(), [("not_null:phone", 1), ("id", 1)]);
        assert_eq!(
            String::from_utf8(report.warnings_csv).unwrap(),
            "id,phone,row_number,warned_rules\n2,12-34,2,phone\n"
        );
        assert_eq!(
            String::from_utf8(report.invalid_csv).unwrap(),
            "id,phone,row_number,failed_rules\nx,12,3,id\n4,,4,not_null:phone\n"
        );
        let loaded: usize = report.valid.iter().map(|b| b.len()).sum();
        assert_eq!(loaded, 3, "the warned row loads");
        assert!(t.top_pairs(5).is_empty(), "no row fails two rules");
        // Rules failing together: row 1 fails `id` and `not_null:phone`, row 2 `id` only.
        let t =
            validate_bytes(contract.clone(), as_of(), b"id,phone\nx,\ny,1234\n", chunk_rows).unwrap().tally;
        assert_eq!(t.top_pairs(5), [("not_null:phone", "id", 1)]);
    }
}

#[test]
fn limits_hold_a_file_strictly_above_them_and_name_the_first_one() {
    let contract = Contract::from_toml(CONTRACT).unwrap();
    let tally = |csv: &[u8]| validate_bytes(contract.clone(), as_of(), csv, 64).unwrap().tally;
    // 2 invalid of 5 = 40%: at the limit, not above it; 1 warning of 5 = 20%.
    assert_eq!(contract.hold(&tally(b"id,phone\n1,1234\n2,12-34\nx,12\n4,\n5,5678\n")), None);
    // 3 invalid of 5 = 60%.
    let hold = contract.hold(&tally(b"id,phone\nx,1234\ny,1234\nz,1234\n4,1234\n5,5678\n")).unwrap();
    assert_eq!((hold.limit.clone(), hold.rows, hold.total), (HoldLimit::Invalid, 3, 5));
    assert_eq!(hold.to_string(), "max_invalid_pct = 40% exceeded: 60.00% of the rows are invalid (3 of 5)");
    // 3 warnings of 5 = 60%, over the phone rule's 50%.
    let hold = contract.hold(&tally(b"id,phone\n1,1\n2,2\n3,3\n4,1234\n5,5678\n")).unwrap();
    assert_eq!(hold.limit, HoldLimit::Rule("phone".into()));
    assert_eq!(
        hold.to_string(),
        "rule `phone` max_failure_pct = 50% exceeded: 60.00% of the rows fail it (3 of 5)"
    );
    // A check that fixes a column's type cannot warn: a failing row's value would not fit.
    let text = CONTRACT.replacen("max = 1000\n", "max = 1000\nseverity = \"warn\"\n", 1);
    let err = Contract::from_toml(&text).unwrap_err().to_string();
    assert!(
        err.contains("rule `id` fixes the type of column `id`") && err.contains("cannot be `warn`"),
        "{err}"
    );
    // Nor may a rule depend on a warning: a row failing the warning loads unchecked otherwise.
    let text = format!(
        "{CONTRACT}\n[[rules]]\nid = \"short\"\ncheck = \"length\"\ncolumn = \"phone\"\nmax = 4\nonly_if_passed = [\"phone\"]\n"
    );
    let err = Contract::from_toml(&text).unwrap_err().to_string();
    assert!(err.contains("`phone` only warns"), "{err}");
    // Limits must be percentages.
    for bad in ["max_invalid_pct = 40", "max_failure_pct = 50"] {
        let text = CONTRACT.replacen(bad, &bad.replace("40", "140").replace("50", "-1"), 1);
        let err = Contract::from_toml(&text).unwrap_err().to_string();
        assert!(err.contains("must be a percentage from 0 to 100"), "{err}");
    }
}
