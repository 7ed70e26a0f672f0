//! ODCS v3 contracts read as sift contracts: the committed example equals its hand-written
//! twin, and what cannot be mapped is listed by path.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use sift_validator::{Contract, import_odcs};

fn committed(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts/odcs").join(name);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn the_customer_odcs_contract_imports_to_its_twin_and_lists_what_it_cannot_map() {
    let imported = import_odcs(&committed("customers.odcs.yaml")).unwrap();
    let twin = Contract::from_toml(&committed("customers.toml")).unwrap();
    assert_eq!(imported.contract, twin, "imported:\n{}", imported.contract.to_toml());
    assert_eq!(
        imported.unmapped,
        [
            "team",
            "schema[0].properties[5].classification",
            "schema[0].quality[1].query",
            "schema[0].quality[1]: only library rules (metric: ...) and sift's own (type: custom, engine: sift) are mapped",
        ]
    );
    // The TOML it prints reads back to the same contract.
    assert_eq!(Contract::from_toml(&imported.contract.to_toml()).unwrap(), twin);
}

#[test]
fn what_sift_cannot_express_is_listed_or_refused() {
    let base = |extra: &str| {
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nname: t\nschema:\n  - name: t\n    properties:\n      - name: a\n        required: true\n{extra}"
        )
    };
    // A number without precision and scale, a row-count threshold, an unknown format.
    let imported = import_odcs(&base(
        "        logicalType: number\n      - name: b\n        required: true\n        logicalType: string\n        logicalTypeOptions: {format: uuid}\n        quality:\n          - {type: library, rule: nullValues, mustBeLessThan: 10, unit: rows}\n",
    ))
    .unwrap();
    let text = imported.unmapped.join("\n");
    assert!(text.contains("schema[0].properties[0].logicalType: number without a decimal(p,s)"), "{text}");
    assert!(text.contains("format: uuid"), "{text}");
    assert!(text.contains("rule nullValues with this threshold"), "{text}");
    // decimal(p,s) maps; a warning on a type-fixing check is listed, not applied.
    let imported = import_odcs(&base(
        "        logicalType: number\n        physicalType: decimal(10,2)\n        quality:\n          - {type: library, rule: invalidValues, mustBe: 0, severity: warning}\n",
    ))
    .unwrap();
    assert!(matches!(
        imported.contract.rules[0].check,
        sift_validator::Check::Decimal { precision: 10, scale: 2, .. }
    ));
    assert!(
        imported.unmapped.iter().any(|u| u.contains("whose check fixes the column's type")),
        "{:?}",
        imported.unmapped
    );
    // Not v3, or more than one object: refused with the reason.
    let err = import_odcs("apiVersion: v2.2.2\nkind: DataContract\n").unwrap_err().to_string();
    assert!(err.contains("ODCS v3"), "{err}");
    let err = import_odcs("apiVersion: v3.0.0\nschema: [{name: a}, {name: b}]\n").unwrap_err().to_string();
    assert!(err.contains("`schema` has 2 objects"), "{err}");
}

#[test]
fn v3_1_metric_and_the_deprecated_rule_read_the_same_and_bounds_map_as_the_schema_defines_them() {
    let doc = |quality_key: &str| {
        format!(
            "apiVersion: v3.1.0\nkind: DataContract\nname: t\nschema:\n  - name: t\n    properties:\n\
             \x20     - name: n\n        required: true\n        logicalType: integer\n\
             \x20       logicalTypeOptions: {{exclusiveMinimum: 0, maximum: 10, exclusiveMaximum: 9.5}}\n\
             \x20       quality:\n          - {{type: library, {quality_key}: invalidValues, mustBeLessThan: 5, unit: percent}}\n\
             \x20     - name: d\n        required: true\n        logicalType: date\n\
             \x20       logicalTypeOptions: {{minimum: '2000-01-01', exclusiveMaximum: '2030-01-01', format: yyyy-MM-dd}}\n\
             \x20     - name: t\n        required: true\n        logicalType: timestamp\n\
             \x20       logicalTypeOptions: {{exclusiveMinimum: '2020-01-01T00:00:00Z'}}\n"
        )
    };
    let v31 = import_odcs(&doc("metric")).unwrap();
    let v30 = import_odcs(&doc("rule")).unwrap();
    assert_eq!(v31.contract, v30.contract, "`rule` is the deprecated spelling of `metric`");
    let rules = &v31.contract.rules;
    // exclusiveMinimum 0 is at least 1; the tighter of maximum 10 and exclusiveMaximum 9.5 is 9.
    assert!(
        matches!(rules[0].check, sift_validator::Check::Integer { min: 1, max: 9, .. }),
        "{:?}",
        rules[0]
    );
    assert_eq!(rules[0].max_failure_pct, Some(5.0));
    // minimum 2000-01-01 (inclusive) is sift's exclusive `after` 1999-12-31.
    match &rules[1].check {
        sift_validator::Check::Date { after, .. } => {
            assert_eq!(after.map(|d| d.to_string()).as_deref(), Some("1999-12-31"))
        }
        other => panic!("{other:?}"),
    }
    match &rules[2].check {
        sift_validator::Check::Timestamp { after, .. } => {
            assert_eq!(after.as_deref(), Some("2020-01-01T00:00:00Z"))
        }
        other => panic!("{other:?}"),
    }
    // A date's upper bound has no sift check: listed.
    assert_eq!(v31.unmapped, ["schema[0].properties[1].logicalTypeOptions.exclusiveMaximum"]);
}

#[test]
fn an_optional_property_keeps_its_checks_and_a_yaml_null_in_valid_values_is_a_null() {
    let yaml = "apiVersion: v3.1.0\nkind: DataContract\nname: t\nschema:\n  - name: t\n    properties:\n      - name: id\n        required: true\n        logicalType: integer\n      - name: email\n        logicalType: string\n        logicalTypeOptions: {format: email}\n        unique: true\n      - name: status\n        logicalType: string\n        quality:\n          - {type: library, metric: invalidValues, mustBe: 0, arguments: {validValues: [open, closed, null, '']}}\n";
    let imported = import_odcs(yaml).unwrap();
    let contract = &imported.contract;
    assert!(!contract.column("email").unwrap().required && !contract.column("status").unwrap().required);
    let ids = contract.failure_ids();
    assert!(ids.contains(&"email".to_owned()) && ids.contains(&"unique_email".to_owned()), "{ids:?}");
    let status = contract.rules.iter().find(|r| r.id == "status_valid").unwrap();
    assert!(
        matches!(&status.check, sift_validator::Check::OneOf { values, .. } if values == &["open", "closed"]),
        "a null valid value is no text: {:?}",
        status.check
    );
    assert!(imported.unmapped.iter().all(|u| !u.contains("optional")), "{:?}", imported.unmapped);
    // The word `null` is an invalid status; an empty one is a null, and passes.
    let csv = b"id,email,status\n1,a@x.io,open\n2,,\n3,b@x.io,null\n4,a@x.io,closed\n";
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let report = sift_validator::validate_bytes(contract.clone(), as_of, csv, 16).unwrap();
    let failures: Vec<(&str, u64)> = report.tally.nonzero_failures().collect();
    assert_eq!(failures, [("unique_email", 1), ("status_valid", 1)]);
}

#[test]
fn integer_formats_and_physical_types_bound_the_values_and_varchar_bounds_the_length() {
    let property = |extra: &str| {
        let yaml = format!(
            "apiVersion: v3.1.0\nkind: DataContract\nname: t\nschema:\n  - name: t\n    properties:\n      - name: v\n        required: true\n{extra}"
        );
        let imported = import_odcs(&yaml).unwrap();
        (imported.contract.rules[0].check.clone(), imported.unmapped)
    };
    let range = |extra: &str| match property(extra).0 {
        sift_validator::Check::Integer { min, max, .. } => (min, max),
        other => panic!("{other:?}"),
    };
    // No format and no physical type: the JSON Schema's default format, i32.
    assert_eq!(range("        logicalType: integer\n"), (i32::MIN.into(), i32::MAX.into()));
    assert_eq!(range("        logicalType: integer\n        physicalType: smallint\n"), (-32768, 32767));
    assert_eq!(range("        logicalType: integer\n        physicalType: BIGINT\n"), (i64::MIN, i64::MAX));
    assert_eq!(
        range("        logicalType: integer\n        physicalType: int\n"),
        (i32::MIN.into(), i32::MAX.into())
    );
    // The format wins over the physical type; explicit bounds narrow the type's range.
    assert_eq!(
        range(
            "        logicalType: integer\n        physicalType: bigint\n        logicalTypeOptions: {format: u16, minimum: 10}\n"
        ),
        (10, 65535)
    );
    assert_eq!(
        range("        logicalType: integer\n        logicalTypeOptions: {format: u8, maximum: 1000}\n"),
        (0, 255)
    );
    let (check, unmapped) =
        property("        logicalType: integer\n        logicalTypeOptions: {format: u128}\n");
    assert!(matches!(check, sift_validator::Check::Integer { min: 0, max: i64::MAX, .. }));
    assert!(unmapped.iter().any(|u| u.contains("u128 beyond 64 bits")), "{unmapped:?}");
    // 3,000,000,000 fails an `int` column; 40,000 a `smallint` one.
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    for (physical, value) in [("int", "3000000000"), ("smallint", "40000")] {
        let yaml = format!(
            "apiVersion: v3.1.0\nkind: DataContract\nname: t\nschema:\n  - name: t\n    properties:\n      - name: v\n        required: true\n        logicalType: integer\n        physicalType: {physical}\n"
        );
        let contract = import_odcs(&yaml).unwrap().contract;
        let csv = format!("v\n{value}\n1\n");
        let report = sift_validator::validate_bytes(contract, as_of, csv.as_bytes(), 8).unwrap();
        assert_eq!((report.tally.valid, report.tally.invalid), (1, 1), "{physical} {value}");
    }
    // varchar(n) bounds the length, with maxLength the tighter one wins.
    assert!(matches!(
        property("        logicalType: string\n        physicalType: varchar(12)\n").0,
        sift_validator::Check::Length { min: None, max: Some(12), .. }
    ));
    assert!(matches!(
        property("        logicalType: string\n        physicalType: VARCHAR(12)\n        logicalTypeOptions: {maxLength: 8}\n").0,
        sift_validator::Check::Length { max: Some(8), .. }
    ));
}

#[test]
fn a_document_of_several_schema_objects_imports_the_one_it_is_asked_for() {
    let yaml = "apiVersion: v3.1.0\nkind: DataContract\nname: shop\nschema:\n  - name: orders\n    physicalName: fact_order\n    properties:\n      - name: order_id\n        required: true\n        logicalType: integer\n        primaryKey: true\n  - name: lines\n    properties:\n      - name: line_no\n        required: true\n        logicalType: integer\n        logicalTypeOptions: {format: u8}\n        tags: [x]\n";
    let err = import_odcs(yaml).unwrap_err().to_string();
    assert!(err.contains("2 objects (orders, lines)") && err.contains("--object NAME"), "{err}");
    let lines = sift_validator::import_odcs_object(yaml, "lines").unwrap();
    assert_eq!(lines.contract.name, "lines", "each object of a document is its own dataset");
    assert_eq!(lines.contract.table().unwrap().name, "lines");
    assert_eq!(lines.unmapped, ["schema[1].properties[0].tags"]);
    // By its physical name too.
    let orders = sift_validator::import_odcs_object(yaml, "fact_order").unwrap();
    assert_eq!(
        (orders.contract.name.as_str(), orders.contract.table().unwrap().key),
        ("orders", vec!["order_id".to_owned()])
    );
    let err = sift_validator::import_odcs_object(yaml, "refunds").unwrap_err().to_string();
    assert!(err.contains("no object \"refunds\"; it has orders, lines"), "{err}");
}

#[test]
fn a_property_physical_name_is_the_column_in_the_header_and_the_table() {
    let yaml = "apiVersion: v3.1.0\nkind: DataContract\nname: shipments\nschema:\n  - name: shipments\n    properties:\n      - {name: shipment_id, physicalName: sid, required: true, logicalType: integer, primaryKey: true}\n      - {name: order_id, physicalName: oid, required: true, logicalType: integer}\n    quality:\n      - {type: library, metric: duplicateValues, mustBe: 0, arguments: {properties: [order_id]}}\n";
    let contract = import_odcs(yaml).unwrap().contract;
    let names: Vec<&str> = contract.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["sid", "oid"]);
    assert_eq!(contract.table().unwrap().key, ["sid"]);
    // A file whose header has the physical names is read, the object's rule on `order_id`
    // reads `oid`.
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let report = sift_validator::validate_bytes(contract, as_of, b"sid,oid\n1,10\n2,10\n", 8).unwrap();
    assert_eq!((report.tally.valid, report.tally.invalid), (1, 1));
}
