//! A sift contract written as ODCS reads back equal: every shipped contract, and contracts
//! built to hit each place the export can put a rule.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use serde_json::Value;
use sift_validator::{
    Check, ColumnSpec, Contract, Encoding, ExtraColumns, KeyPart, Rule, TableTarget, export_odcs, import_odcs,
};

/// Exports, imports, and checks the two are equal with nothing unmapped; returns the document.
fn round_trip(contract: &Contract) -> Value {
    contract.check().unwrap();
    let yaml = export_odcs(contract).unwrap();
    let imported = import_odcs(&yaml).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    assert_eq!(&imported.contract, contract, "import(export(c)) differs; the export:\n{yaml}");
    assert!(imported.unmapped.is_empty(), "{:?}\n{yaml}", imported.unmapped);
    serde_norway::from_str(&yaml).unwrap()
}

fn shipped() -> Vec<(String, Contract)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut contracts = Vec::new();
    for dir in ["contracts", "contracts/odcs"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).unwrap();
                contracts.push((path.display().to_string(), Contract::from_toml(&text).unwrap()));
            }
        }
    }
    assert!(contracts.len() >= 5, "{contracts:?}");
    contracts
}

/// The sift rules (`engine: sift`) of a document, by name.
fn sift_rules(doc: &Value) -> Vec<String> {
    let object = &doc["schema"][0];
    let lists = object["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["quality"].clone())
        .chain([object["quality"].clone()]);
    lists
        .flat_map(|q| q.as_array().cloned().unwrap_or_default())
        .filter(|q| q["engine"] == "sift")
        .map(|q| q["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_shipped_contract_reads_back_equal_and_is_native_where_odcs_can_say_it() {
    for (path, contract) in shipped() {
        let doc = round_trip(&contract);
        // Only what ODCS has no words for is written as sift's own.
        for name in sift_rules(&doc) {
            let rule = contract.rules.iter().find(|r| r.id == name).unwrap();
            // A type check with a threshold, a severity or a description is sift's own.
            let terms = rule.max_failure_pct.is_some()
                || rule.description.is_some()
                || rule.severity == sift_validator::Severity::Warn;
            let why = terms
                || match &rule.check {
                    Check::Date { before_as_of, .. } | Check::Timestamp { before_as_of, .. } => *before_as_of,
                    Check::Unique { key } => key.iter().any(|k| k.lowercase || k.collapse_spaces),
                    Check::CompletedYears { .. } => true,
                    Check::OneOf { case_insensitive, .. } => {
                        *case_insensitive || rule.id == rule.check.columns()[0]
                    }
                    Check::Decimal { .. } => true,
                    _ => false,
                };
            assert!(why, "{path}: `{name}` could be native:\n{}", export_odcs(&contract).unwrap());
        }
        // Every column keeps its type for other readers.
        for column in contract.table_columns() {
            let property = doc["schema"][0]["properties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == column.name.as_str())
                .unwrap();
            let logical = property["logicalType"].as_str().unwrap();
            let expected = match column.ty {
                t if t.is_integer() => "integer",
                sift_model::ColumnType::Decimal { .. } => "number",
                sift_model::ColumnType::Boolean => "boolean",
                sift_model::ColumnType::Date => "date",
                sift_model::ColumnType::Timestamp => "timestamp",
                _ => "string",
            };
            assert_eq!(logical, expected, "{path}: {}", column.name);
        }
    }
}

#[test]
fn the_customer_contract_is_native_odcs_but_for_what_odcs_cannot_say() {
    let (_, customer) = shipped().into_iter().find(|(p, _)| p.ends_with("contracts/customer.toml")).unwrap();
    let doc = round_trip(&customer);
    assert_eq!(sift_rules(&doc), ["date_of_birth", "duplicate", "age_consistency"]);
    let properties = doc["schema"][0]["properties"].as_array().unwrap();
    assert_eq!(properties[0]["logicalTypeOptions"]["format"], "i64");
    assert_eq!(properties[0]["logicalTypeOptions"]["minimum"], 1);
    assert_eq!(properties[0]["primaryKey"], true);
    assert_eq!(properties[3]["logicalTypeOptions"]["maximum"], 120);
    assert_eq!(properties[4]["logicalType"], "date", "described for other readers");
    assert_eq!(properties[6]["required"], false);
    assert_eq!(doc["schema"][0]["physicalName"], "dim_customer");
}

/// A contract of three text columns and one integer, with `rules`.
fn contract(rules: Vec<Rule>) -> Contract {
    Contract {
        name: "t".into(),
        table: Some(TableTarget {
            name: "s.t".into(),
            key: vec!["id".into()],
            on_conflict: Default::default(),
        }),
        columns: vec![
            ColumnSpec::required("id"),
            ColumnSpec::required("a"),
            ColumnSpec::optional("b"),
            ColumnSpec::optional("c").not_loaded(),
        ],
        rules,
        format: Default::default(),
        limits: Default::default(),
    }
}

fn regex(column: &str, pattern: &str) -> Check {
    Check::Regex { column: column.into(), pattern: pattern.into() }
}

fn integer(column: &str) -> Check {
    Check::Integer { column: column.into(), min: 1, max: 1 << 40 }
}

#[test]
fn rules_out_of_the_import_order_keep_their_order() {
    // Later columns first, then earlier ones: the import reads property by property, so the
    // earlier ones cannot be native after a later one.
    let c = contract(vec![
        Rule::new("b", regex("b", "^x+$")),
        Rule::new("a", regex("a", "^[a-z]{2}$")),
        Rule::new("id", integer("id")),
        Rule::new("a_length", Check::Length { column: "a".into(), min: Some(2), max: Some(2) }),
        Rule::new(
            "c_valid",
            Check::OneOf { column: "c".into(), values: vec!["p".into()], case_insensitive: false },
        ),
    ]);
    let doc = round_trip(&c);
    assert_eq!(sift_rules(&doc), ["a", "id", "a_length"]);
    // In order, every one is native.
    let order = ["id", "a", "a_length", "b", "c_valid"];
    let rules = order.iter().map(|id| c.rules.iter().find(|r| r.id == *id).unwrap().clone()).collect();
    assert!(sift_rules(&round_trip(&Contract { rules, ..c })).is_empty());
}

#[test]
fn thresholds_severities_descriptions_and_preconditions_read_back() {
    let mut described = Rule::new("id", integer("id"));
    described.description = Some("a positive id".into());
    described.max_failure_pct = Some(2.5);
    let mut warned = Rule::new("a", regex("a", r"^\w+$")).warn();
    warned.max_failure_pct = Some(10.0);
    let mut pattern = Rule::new("b_valid", regex("b", "^[0-9]{3}$")).warn();
    pattern.description = Some("three digits".into());
    let c = contract(vec![
        described,
        warned,
        pattern,
        Rule::new("unique_b", Check::Unique { key: vec![KeyPart::exact("b")] }),
        Rule::new("duplicate_a", Check::Unique { key: vec![KeyPart::exact("a")] }),
        Rule::new(
            "c_valid",
            Check::OneOf { column: "c".into(), values: vec!["p".into()], case_insensitive: true },
        ),
        Rule::new("after_id", regex("c", "^.$")).only_if_passed(["id"]),
        Rule::new("duplicate", Check::Unique { key: vec![KeyPart::exact("a"), KeyPart::folded("b")] }),
        Rule::new("pair", Check::Unique { key: vec![KeyPart::exact("a"), KeyPart::exact("b")] }),
    ]);
    let doc = round_trip(&c);
    // A type check with a threshold or a description, and `\w`, which means another thing in
    // ECMA, are sift's own; the case-insensitive set, the precondition and the
    // folded key have no ODCS words; `unique_b` comes after `b_valid`, past the flag's place,
    // and `duplicate_a` after them, past `a`'s quality rules.
    assert_eq!(
        sift_rules(&doc),
        ["id", "a", "unique_b", "duplicate_a", "c_valid", "after_id", "duplicate", "pair"]
    );
}

#[test]
fn format_limits_a_table_free_contract_and_not_loaded_columns_read_back() {
    let mut c = contract(vec![
        Rule::new("id", Check::Integer { column: "id".into(), min: -5, max: 9_007_199_254_740_993 }),
        Rule::new(
            "a",
            Check::Decimal {
                column: "a".into(),
                precision: 12,
                scale: 3,
                min: Some("0.5".into()),
                max: None,
            },
        ),
        Rule::new(
            "c",
            Check::Boolean { column: "c".into(), true_values: Some(vec!["oui".into()]), false_values: None },
        ),
    ]);
    c.format.delimiter = ';';
    c.format.encoding = Encoding::Windows1252;
    c.format.extra_columns = ExtraColumns::Reject;
    c.format.max_field_bytes = 4096;
    c.limits.max_invalid_pct = Some(5.0);
    c.limits.max_failure_pct.insert("not_null:a".into(), 1.5);
    c.limits.max_failure_pct.insert("nul_byte".into(), 0.0);
    let doc = round_trip(&c);
    // An integer past 2^53 is exact; the boolean words are sift's.
    assert_eq!(sift_rules(&doc), ["c"]);
    assert_eq!(doc["schema"][0]["properties"][0]["logicalTypeOptions"]["maximum"], 9_007_199_254_740_993_i64);
    c.table = None;
    round_trip(&c);
}
