//! The default `customer` rule set of SPEC section 3 and the typed batch of valid customers
//! that warehouses load into `dim_customer`.

use chrono::NaiveDate;
use polars::prelude::{DataFrame, DataType};

use crate::engine::ROW_NUMBER;
use crate::error::{Error, Result};
use crate::rules::{Check, ColumnSpec, KeyPart, Rule, RuleSet};

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

/// The `customer` rule set. `countries` turns the country rule on with that allowed set
/// (`Some(ISO_3166_ALPHA2)` for the default); `None` leaves it off, and `country` is then an
/// optional column, loaded when present.
pub fn customer_rules(countries: Option<&[&str]>) -> RuleSet {
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
    RuleSet { name: "customer".into(), columns, rules }
}

/// Valid customers, columnar, in file order: what a warehouse loads into `dim_customer`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerBatch {
    /// 1-based data-row numbers in the source file.
    pub row_number: Vec<u64>,
    /// Integer identity of the customer (`007` is 7).
    pub customer_id: Vec<i64>,
    /// Trimmed full name.
    pub full_name: Vec<String>,
    /// Trimmed email.
    pub email: Vec<String>,
    /// Age in years.
    pub age: Vec<i16>,
    /// Date of birth.
    pub date_of_birth: Vec<NaiveDate>,
    /// Trimmed phone number (text: leading zeros kept).
    pub phone_number: Vec<String>,
    /// Trimmed country when the file has that column, else null.
    pub country: Vec<Option<String>>,
}

impl CustomerBatch {
    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    /// True when the batch has no row.
    pub fn is_empty(&self) -> bool {
        self.customer_id.is_empty()
    }

    /// Reads the valid rows of a chunk validated with a customer-shaped rule set (customer_id
    /// and age checked as integers, date_of_birth as a date).
    pub fn from_valid(valid: &DataFrame) -> Result<Self> {
        let need = |name: &str, dtype: DataType| -> Result<&polars::prelude::Column> {
            let column = valid.column(name).map_err(|_| {
                Error::RuleSet(format!(
                    "the rule set does not produce column `{name}`, which dim_customer needs"
                ))
            })?;
            if column.dtype() != &dtype {
                return Err(Error::RuleSet(format!(
                    "column `{name}` must be checked as {dtype} to load dim_customer (it is {})",
                    column.dtype()
                )));
            }
            Ok(column)
        };
        // Valid rows of a customer-shaped rule set have no null in these columns; a custom rule
        // set that leaves one optional, or allows a value dim_customer cannot hold, is refused
        // here rather than loaded as a made-up value.
        let no_null = |name: &str| {
            Error::RuleSet(format!(
                "column `{name}` is null in a valid row; dim_customer needs it: make it a required column"
            ))
        };
        let strings = |name: &str| -> Result<Vec<String>> {
            let ca = need(name, DataType::String)?.str()?;
            ca.iter().map(|v| v.map(str::to_owned).ok_or_else(|| no_null(name))).collect()
        };
        let row_number = need(ROW_NUMBER, DataType::UInt64)?
            .u64()?
            .iter()
            .map(|v| v.ok_or_else(|| no_null(ROW_NUMBER)))
            .collect::<Result<_>>()?;
        let customer_id = need("customer_id", DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.ok_or_else(|| no_null("customer_id")))
            .collect::<Result<_>>()?;
        let age = need("age", DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| {
                let v = v.ok_or_else(|| no_null("age"))?;
                i16::try_from(v).map_err(|_| {
                    Error::RuleSet(format!(
                        "age {v} does not fit dim_customer's SMALLINT; limit the age rule's range"
                    ))
                })
            })
            .collect::<Result<_>>()?;
        let dob_days = need("date_of_birth", DataType::Date)?.cast(&DataType::Int32)?;
        let date_of_birth = dob_days
            .i32()?
            .iter()
            .map(|v| v.and_then(crate::engine::date_from_days).ok_or_else(|| no_null("date_of_birth")))
            .collect::<Result<_>>()?;
        let country = match valid.column("country") {
            Ok(c) => c.str()?.iter().map(|v| v.map(str::to_owned)).collect(),
            Err(_) => vec![None; valid.height()],
        };
        Ok(Self {
            row_number,
            customer_id,
            full_name: strings("full_name")?,
            email: strings("email")?,
            age,
            date_of_birth,
            phone_number: strings("phone_number")?,
            country,
        })
    }

    /// Appends another batch (file order is kept).
    pub fn extend(&mut self, other: CustomerBatch) {
        self.row_number.extend(other.row_number);
        self.customer_id.extend(other.customer_id);
        self.full_name.extend(other.full_name);
        self.email.extend(other.email);
        self.age.extend(other.age);
        self.date_of_birth.extend(other.date_of_birth);
        self.phone_number.extend(other.phone_number);
        self.country.extend(other.country);
    }
}
