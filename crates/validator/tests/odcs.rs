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
            "schema[0].quality[1]: only library rules (rule: ...) are mapped",
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
