//! The built-in `customer` contract: the rules of SPEC section 3 and the table of section 4.

use chrono::NaiveDate;

use crate::contract::{Check, ColumnSpec, Contract, Format, KeyPart, Limits, OnConflict, Rule, TableTarget};

/// ISO 3166-1 alpha-2 codes: the default allowed set of the `country` rule.
pub const ISO_3166_ALPHA2: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ", "BA",
    "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS", "BT", "BV",
    "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU",
    "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES",
    "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM",
    "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE",
    "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM",
    "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY",
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT",
    "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU",
    "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA",
    "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM",
    "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL",
    "TM", "TN", "TO", "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE",
    "VG", "VI", "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The `customer` contract: its rules, and `dim_customer` keyed by `customer_id` (the table's
/// columns and types follow from the checks: SPEC section 7). `countries` turns the country
/// rule on with that allowed set (`Some(ISO_3166_ALPHA2)` for the default); `None` leaves it
/// off, and `country` is then an optional column, loaded when present.
pub fn customer_contract(countries: Option<&[&str]>) -> Contract {
    let mut columns: Vec<ColumnSpec> =
        ["customer_id", "full_name", "email", "age", "date_of_birth", "phone_number"]
            .into_iter()
            .map(ColumnSpec::required)
            .collect();
    columns.push(if countries.is_some() {
        ColumnSpec::required("country")
    } else {
        ColumnSpec::optional("country")
    });
    let regex = |column: &str, pattern: &str| {
        Rule::new(column, Check::Regex { column: column.into(), pattern: pattern.into() })
    };
    let mut rules = vec![
        Rule::new("customer_id", Check::Integer { column: "customer_id".into(), min: 1, max: i64::MAX }),
        regex("full_name", "^[A-Za-z ]+$"),
        regex("email", r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"),
        Rule::new("age", Check::Integer { column: "age".into(), min: 1, max: 120 }),
        Rule::new(
            "date_of_birth",
            Check::Date {
                column: "date_of_birth".into(),
                after: NaiveDate::from_ymd_opt(1900, 12, 31),
                before_as_of: true,
            },
        ),
        regex("phone_number", "^[0-9]{10}$"),
        Rule::new(
            "duplicate",
            Check::Unique { key: vec![KeyPart::folded("full_name"), KeyPart::exact("date_of_birth")] },
        ),
        Rule::new(
            "age_consistency",
            Check::CompletedYears { years: "age".into(), date: "date_of_birth".into() },
        )
        .only_if_passed(["age", "date_of_birth"]),
    ];
    if let Some(values) = countries {
        rules.push(Rule::new(
            "country",
            Check::OneOf {
                column: "country".into(),
                values: values.iter().map(|v| (*v).to_owned()).collect(),
                case_insensitive: true,
            },
        ));
    }
    Contract {
        name: "customer".into(),
        table: Some(TableTarget {
            name: "dim_customer".into(),
            key: vec!["customer_id".into()],
            on_conflict: OnConflict::Skip,
        }),
        columns,
        rules,
        format: Format::default(),
        limits: Limits::default(),
    }
}
