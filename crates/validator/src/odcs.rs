//! Open Data Contract Standard (ODCS v3) contracts, read as sift contracts.
//!
//! [`import_odcs`] maps what sift can check and lists, by path, everything else: nothing is
//! dropped silently. The mapping (field names as the ODCS v3.1 JSON Schema spells them):
//!
//! - `name` (or the schema object's `name`) is the dataset; the one schema object's
//!   `physicalName` (else its `name`) is the table, keyed by the properties with
//!   `primaryKey: true` in `primaryKeyPosition` order;
//! - each property is a column, named by its `physicalName` when it has one (the name in the
//!   file's header and in the table; its `name` otherwise), `required` as given; its
//!   `logicalType` and `logicalTypeOptions` become checks: `integer` (`minimum`, `maximum`,
//!   `exclusiveMinimum`, `exclusiveMaximum`, `format`, an integer `physicalType`), `number` with a `physicalType` of `decimal(p,s)` or `numeric(p,s)`
//!   (`minimum`, `maximum`), `boolean`, `date` (`minimum`, `exclusiveMinimum`, `format:
//!   yyyy-MM-dd`), `timestamp` (`exclusiveMinimum`), `string` (`pattern`, `format: email`,
//!   `minLength`/`maxLength`); `unique: true` a uniqueness rule;
//! - library quality rules (`metric:`, or the deprecated `rule:`) `nullValues`,
//!   `invalidValues` (`arguments.validValues` or `arguments.pattern`) and `duplicateValues` (on
//!   a property, or on the object with `arguments.properties`), with `mustBe: 0` (every row
//!   must pass) or `mustBeLessThan` / `mustBeLessOrEqualTo` with `unit: percent` (a limit past
//!   which the file is held; sift holds strictly above it, so a share exactly at a
//!   `mustBeLessThan` value passes); `severity: warning` (or `warn`, `info`) makes a rule warn.
//!
//! Checked against the ODCS v3.1.0 JSON Schema (`schema/odcs-json-schema-v3.1.0.json` of
//! bitol-io/open-data-contract-standard): the field names, the per-type `logicalTypeOptions`,
//! `metric` replacing `rule`, and the operators.
//!
//! Every property's checks are mapped, required or not: a null passes a check (SQL `CHECK`
//! semantics), so an optional column's present values are checked and its nulls load. A YAML
//! `null` (or an empty string) in `validValues` allows the null, which passes anyway: it is
//! left out of the allowed set, never read as the text `null`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::contract::{Check, ColumnSpec, Contract, KeyPart, Rule, Severity, TableTarget};
use crate::error::{Error, Result};

/// A sift contract read from an ODCS document, and what it could not map.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The contract (checked).
    pub contract: Contract,
    /// Every field or rule of the document sift does not check, by path
    /// (`schema[0].properties[2].classification`), with why when it is not obvious.
    pub unmapped: Vec<String>,
}

/// The email pattern of `format: email` (the customer contract's).
const EMAIL: &str = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$";

/// Reads an ODCS v3 contract (YAML or JSON text) of one schema object as a sift contract, with
/// what it could not map. A document of several objects names the one to read:
/// [`import_odcs_object`].
pub fn import_odcs(text: &str) -> Result<Imported> {
    import(text, None)
}

/// Reads the schema object named `object` (its `name`, or its `physicalName`) of an ODCS v3
/// contract as a sift contract. The dataset is the document's `name` when the document has one
/// object, else the object's name: two objects of one document are two datasets.
pub fn import_odcs_object(text: &str, object: &str) -> Result<Imported> {
    import(text, Some(object))
}

fn import(text: &str, wanted: Option<&str>) -> Result<Imported> {
    crate::contract::check_text_shape(text, "YAML")?;
    let doc: Value =
        serde_norway::from_str(text).map_err(|e| Error::Contract(format!("not ODCS YAML: {e}")))?;
    let Value::Object(root) = doc else {
        return Err(Error::Contract("an ODCS contract is a YAML mapping".into()));
    };
    let mut out = Importer::default();
    let version = root.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
    if !version.starts_with("v3") {
        return Err(Error::Contract(format!(
            "apiVersion {version:?}: sift imports ODCS v3 contracts (apiVersion v3.x.y)"
        )));
    }
    out.unknown(
        "",
        &root,
        &["apiVersion", "kind", "id", "name", "version", "status", "schema", "description"],
    );
    let schema = root.get("schema").and_then(Value::as_array).cloned().unwrap_or_default();
    let names: Vec<String> =
        schema.iter().map(|o| o.get("name").and_then(Value::as_str).unwrap_or_default().to_owned()).collect();
    let index = match (wanted, schema.len()) {
        (_, 0) => {
            return Err(Error::Contract(
                "a sift contract describes a dataset: `schema` has no object".into(),
            ));
        }
        (None, 1) => 0,
        (None, n) => {
            return Err(Error::Contract(format!(
                "`schema` has {n} objects ({}); name the one to read: `--object NAME` (sift contract \
                 import), or FILE.yaml#NAME (--contract, a route's contract)",
                names.join(", ")
            )));
        }
        (Some(wanted), _) => schema
            .iter()
            .position(|o| {
                ["name", "physicalName"].iter().any(|k| o.get(*k).and_then(Value::as_str) == Some(wanted))
            })
            .ok_or_else(|| {
                Error::Contract(format!("`schema` has no object {wanted:?}; it has {}", names.join(", ")))
            })?,
    };
    let Value::Object(object) = &schema[index] else {
        return Err(Error::Contract(format!("schema[{index}] is not a mapping")));
    };
    let at = format!("schema[{index}]");
    let object_name = names[index].clone();
    let name = match (schema.len(), root.get("name").and_then(Value::as_str)) {
        (1, Some(name)) => name.to_owned(),
        _ => object_name.clone(),
    };
    let table = object.get("physicalName").and_then(Value::as_str).map(str::to_owned).unwrap_or(object_name);
    out.unknown(
        &format!("{at}."),
        object,
        &["name", "physicalName", "logicalType", "physicalType", "description", "properties", "quality"],
    );
    let properties = object.get("properties").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut keys: Vec<(i64, String)> = Vec::new();
    for (i, property) in properties.iter().enumerate() {
        let Value::Object(property) = property else {
            return Err(Error::Contract(format!("{at}.properties[{i}] is not a mapping")));
        };
        if let Some(key) = out.property(&format!("{at}.properties[{i}]"), property)? {
            keys.push(key);
        }
    }
    for (i, rule) in object.get("quality").and_then(Value::as_array).into_iter().flatten().enumerate() {
        out.object_quality(&format!("{at}.quality[{i}]"), rule);
    }
    keys.sort();
    let contract = Contract {
        name,
        table: Some(TableTarget {
            name: table,
            key: keys.into_iter().map(|(_, k)| k).collect(),
            on_conflict: Default::default(),
        }),
        columns: out.columns,
        rules: out.rules,
        format: Default::default(),
        limits: crate::contract::Limits { max_invalid_pct: None, max_failure_pct: out.null_limits },
    };
    contract.check()?;
    Ok(Imported { contract, unmapped: out.unmapped })
}

#[derive(Default)]
struct Importer {
    /// Each property's column name (its `physicalName`, else its name), by its name.
    physical: BTreeMap<String, String>,
    columns: Vec<ColumnSpec>,
    rules: Vec<Rule>,
    null_limits: BTreeMap<String, f64>,
    unmapped: Vec<String>,
}

/// What a quality rule's threshold asks.
enum Threshold {
    /// Every row must pass.
    All,
    /// At most this percentage may fail (hold past it).
    Pct(f64),
}

impl Importer {
    /// Lists the keys of `map` not in `known`.
    fn unknown(&mut self, path: &str, map: &Map<String, Value>, known: &[&str]) {
        for key in map.keys().filter(|k| !known.contains(&k.as_str())) {
            self.unmapped.push(format!("{path}{key}"));
        }
    }

    /// Maps one property; returns its primary key position when it is part of the key.
    fn property(&mut self, path: &str, p: &Map<String, Value>) -> Result<Option<(i64, String)>> {
        let logical = p
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Contract(format!("{path} has no name")))?
            .to_owned();
        // The physical name is the column's name in the file's header and in the table.
        let name =
            p.get("physicalName").and_then(Value::as_str).map_or_else(|| logical.clone(), str::to_owned);
        self.physical.insert(logical, name.clone());
        self.unknown(
            &format!("{path}."),
            p,
            &[
                "name",
                "logicalType",
                "physicalType",
                "physicalName",
                "required",
                "unique",
                "primaryKey",
                "primaryKeyPosition",
                "logicalTypeOptions",
                "quality",
                "description",
            ],
        );
        let flag = |key: &str| p.get(key).and_then(Value::as_bool).unwrap_or(false);
        let primary = flag("primaryKey");
        // A null-value quality rule may make the column required.
        let quality: Vec<Value> = p.get("quality").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut required = flag("required") || primary;
        for rule in &quality {
            if metric(rule) == Some("nullValues") {
                required = true;
            }
        }
        self.columns.push(if required { ColumnSpec::required(&name) } else { ColumnSpec::optional(&name) });
        let options = p.get("logicalTypeOptions").and_then(Value::as_object).cloned().unwrap_or_default();
        let logical = p.get("logicalType").and_then(Value::as_str).unwrap_or("string");
        let checks =
            self.type_checks(path, &name, logical, p.get("physicalType").and_then(Value::as_str), &options);
        for (id, check) in checks {
            self.rules.push(Rule::new(id, check));
        }
        if flag("unique") {
            self.rules.push(Rule::new(
                format!("unique_{name}"),
                Check::Unique { key: vec![KeyPart::exact(&name)] },
            ));
        }
        for (i, rule) in quality.iter().enumerate() {
            self.property_quality(&format!("{path}.quality[{i}]"), &name, rule);
        }
        Ok(primary.then(|| (p.get("primaryKeyPosition").and_then(Value::as_i64).unwrap_or(i64::MAX), name)))
    }

    /// The checks a property's type and options ask for, with their ids.
    fn type_checks(
        &mut self,
        path: &str,
        column: &str,
        logical: &str,
        physical: Option<&str>,
        options: &Map<String, Value>,
    ) -> Vec<(String, Check)> {
        let column = column.to_owned();
        let used: &[&str] = match logical {
            "integer" => &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "format"],
            "number" => &["minimum", "maximum"],
            "string" => &["pattern", "format", "minLength", "maxLength"],
            "date" => &["minimum", "exclusiveMinimum", "format"],
            "timestamp" | "datetime" => &["exclusiveMinimum"],
            _ => &[],
        };
        self.unknown(&format!("{path}.logicalTypeOptions."), options, used);
        let num = |key: &str| options.get(key).and_then(Value::as_f64);
        let mut checks = Vec::new();
        match logical {
            "integer" => {
                // The tighter of the inclusive and exclusive bound on each side.
                let min = [num("minimum").map(|v| v.ceil()), num("exclusiveMinimum").map(|v| v.floor() + 1.0)];
                let max = [num("maximum").map(|v| v.floor()), num("exclusiveMaximum").map(|v| v.ceil() - 1.0)];
                let min = min.into_iter().flatten().reduce(f64::max);
                let max = max.into_iter().flatten().reduce(f64::min);
                // The type's own range: `logicalTypeOptions.format`, else an integer
                // `physicalType`, else the schema's default format, i32.
                let format = options.get("format").and_then(Value::as_str);
                let (type_min, type_max) = match format.map(integer_format) {
                    Some(Some(range)) => range,
                    Some(None) => {
                        self.unmapped.push(format!(
                            "{path}.logicalTypeOptions.format: {} (not one of i8 to i128, u8 to u128)",
                            format.unwrap_or_default()
                        ));
                        (i64::MIN, i64::MAX)
                    }
                    None => physical.and_then(integer_physical).unwrap_or((i32::MIN.into(), i32::MAX.into())),
                };
                if let Some(f @ ("i128" | "u64" | "u128")) = format {
                    self.unmapped.push(format!(
                        "{path}.logicalTypeOptions.format: {f} beyond 64 bits (sift checks integers as i64)"
                    ));
                }
                checks.push((
                    column.clone(),
                    Check::Integer {
                        column,
                        min: min.map_or(type_min, |v| (v as i64).max(type_min)),
                        max: max.map_or(type_max, |v| (v as i64).min(type_max)),
                    },
                ));
            }
            "number" => match physical.and_then(decimal_type) {
                Some((precision, scale)) => checks.push((
                    column.clone(),
                    Check::Decimal {
                        column,
                        precision,
                        scale,
                        min: options.get("minimum").map(Value::to_string),
                        max: options.get("maximum").map(Value::to_string),
                    },
                )),
                None => self.unmapped.push(format!(
                    "{path}.logicalType: number without a decimal(p,s) or numeric(p,s) physicalType (sift needs the precision and scale)"
                )),
            },
            "boolean" => {
                checks.push((column.clone(), Check::Boolean { column, true_values: None, false_values: None }));
            }
            "date" => {
                if let Some(format) = options.get("format").and_then(Value::as_str).filter(|f| *f != "yyyy-MM-dd") {
                    self.unmapped.push(format!(
                        "{path}.logicalTypeOptions.format: {format} (sift reads dates as yyyy-MM-dd)"
                    ));
                }
                let date = |key: &str| {
                    let text = options.get(key).and_then(Value::as_str)?;
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
                };
                // sift's date check has an exclusive lower bound: `minimum` is the day after it.
                let after = [date("exclusiveMinimum"), date("minimum").and_then(|d| d.pred_opt())]
                    .into_iter()
                    .flatten()
                    .max();
                for key in ["minimum", "exclusiveMinimum"] {
                    if options.contains_key(key) && date(key).is_none() {
                        self.unmapped.push(format!("{path}.logicalTypeOptions.{key}: not a yyyy-MM-dd date"));
                    }
                }
                checks.push((column.clone(), Check::Date { column, after, before_as_of: false }));
            }
            "timestamp" | "datetime" => {
                let after = options.get("exclusiveMinimum").and_then(Value::as_str).map(str::to_owned);
                checks.push((column.clone(), Check::Timestamp { column, after, before_as_of: false }));
            }
            "string" => {
                let pattern = options.get("pattern").and_then(Value::as_str).map(ecma_pattern);
                let email = options.get("format").and_then(Value::as_str) == Some("email");
                if let Some(format) = options.get("format").and_then(Value::as_str).filter(|f| *f != "email") {
                    self.unmapped.push(format!("{path}.logicalTypeOptions.format: {format} (sift maps email only)"));
                }
                if let Some(pattern) = pattern.or_else(|| email.then(|| EMAIL.to_owned())) {
                    checks.push((column.clone(), Check::Regex { column: column.clone(), pattern }));
                }
                // A `varchar(n)` / `char(n)` physical type bounds the length too (the tighter wins).
                let physical_max = physical.and_then(char_length);
                let (min, max) = (
                    options.get("minLength").and_then(Value::as_u64),
                    [options.get("maxLength").and_then(Value::as_u64), physical_max].into_iter().flatten().min(),
                );
                if min.is_some() || max.is_some() {
                    let id = if checks.is_empty() { column.clone() } else { format!("{column}_length") };
                    checks.push((id, Check::Length { column, min, max }));
                }
            }
            other => self.unmapped.push(format!("{path}.logicalType: {other}")),
        }
        checks
    }

    /// A property's quality rule.
    fn property_quality(&mut self, path: &str, column: &str, rule: &Value) {
        let Some((kind, threshold, severity)) = self.quality_terms(path, rule) else { return };
        match kind.as_str() {
            "nullValues" => match threshold {
                Threshold::All => {}
                Threshold::Pct(pct) => {
                    self.null_limits.insert(format!("not_null:{column}"), pct);
                }
            },
            "invalidValues" => {
                let arguments = rule.get("arguments").and_then(Value::as_object);
                let check = match (
                    arguments.and_then(|a| a.get("validValues")).and_then(Value::as_array),
                    arguments.and_then(|a| a.get("pattern")).and_then(Value::as_str),
                ) {
                    (Some(values), _) => Check::OneOf {
                        column: column.to_owned(),
                        // A null (or empty) valid value allows the null, which passes anyway.
                        values: values
                            .iter()
                            .filter(|v| !v.is_null() && v.as_str().is_none_or(|t| !t.trim().is_empty()))
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                            .collect(),
                        case_insensitive: false,
                    },
                    (None, Some(pattern)) => {
                        Check::Regex { column: column.to_owned(), pattern: ecma_pattern(pattern) }
                    }
                    // No argument: the threshold and severity apply to the column's own check.
                    (None, None) => {
                        match self.rules.iter_mut().find(|r| r.id == column) {
                            Some(own) => apply(path, own, threshold, severity, &mut self.unmapped),
                            None => self
                                .unmapped
                                .push(format!("{path}: invalidValues on `{column}`, which has no check")),
                        }
                        return;
                    }
                };
                if matches!(&check, Check::OneOf { values, .. } if values.is_empty()) {
                    self.unmapped.push(format!("{path}: validValues of `{column}` hold only null"));
                    return;
                }
                let mut new = Rule::new(format!("{column}_valid"), check);
                apply(path, &mut new, threshold, severity, &mut self.unmapped);
                self.rules.push(new);
            }
            "duplicateValues" => {
                let mut new = Rule::new(
                    format!("duplicate_{column}"),
                    Check::Unique { key: vec![KeyPart::exact(column)] },
                );
                apply(path, &mut new, threshold, severity, &mut self.unmapped);
                self.rules.push(new);
            }
            other => self.unmapped.push(format!("{path}: rule {other} on `{column}`")),
        }
    }

    /// An object-level quality rule: `duplicateValues` over `arguments.properties`.
    fn object_quality(&mut self, path: &str, rule: &Value) {
        let Some((kind, threshold, severity)) = self.quality_terms(path, rule) else { return };
        let properties: Vec<String> = rule
            .pointer("/arguments/properties")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|p| self.physical.get(p).cloned().unwrap_or_else(|| p.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if kind != "duplicateValues" || properties.is_empty() {
            self.unmapped.push(format!("{path}: rule {kind}"));
            return;
        }
        let key = properties.iter().map(KeyPart::exact).collect();
        let mut new = Rule::new("duplicate", Check::Unique { key });
        apply(path, &mut new, threshold, severity, &mut self.unmapped);
        self.rules.push(new);
    }

    /// A library quality rule's kind, threshold and severity; `None` (listed) when sift cannot
    /// express it.
    fn quality_terms(&mut self, path: &str, rule: &Value) -> Option<(String, Threshold, Severity)> {
        let Value::Object(map) = rule else {
            self.unmapped.push(path.to_owned());
            return None;
        };
        let known = [
            "type",
            "metric",
            "rule",
            "mustBe",
            "mustBeLessThan",
            "mustBeLessOrEqualTo",
            "unit",
            "severity",
            "arguments",
            "description",
            "name",
        ];
        self.unknown(&format!("{path}."), map, &known);
        let kind = metric(rule).unwrap_or_default().to_owned();
        if map.get("type").and_then(Value::as_str).is_some_and(|t| t != "library") || kind.is_empty() {
            self.unmapped.push(format!("{path}: only library rules (metric: ...) are mapped"));
            return None;
        }
        let unit = map.get("unit").and_then(Value::as_str).unwrap_or("rows");
        let threshold = match (
            map.get("mustBe").and_then(Value::as_f64),
            map.get("mustBeLessThan").or_else(|| map.get("mustBeLessOrEqualTo")).and_then(Value::as_f64),
        ) {
            (Some(0.0), _) => Threshold::All,
            (_, Some(pct)) if unit == "percent" && (0.0..=100.0).contains(&pct) => Threshold::Pct(pct),
            _ => {
                self.unmapped.push(format!(
                    "{path}: rule {kind} with this threshold (sift maps mustBe: 0, and mustBeLessThan or mustBeLessOrEqualTo in percent)"
                ));
                return None;
            }
        };
        let severity = match map.get("severity").and_then(Value::as_str) {
            Some("warning" | "warn" | "info") => Severity::Warn,
            _ => Severity::Error,
        };
        Some((kind, threshold, severity))
    }
}

/// A library quality rule's metric: `metric` (ODCS v3.1), or `rule` (v3.0, deprecated in v3.1).
fn metric(rule: &Value) -> Option<&str> {
    rule.get("metric").or_else(|| rule.get("rule")).and_then(Value::as_str)
}

/// Puts a quality rule's threshold and severity on a sift rule (a check that fixes its
/// column's type cannot warn: that is listed instead).
fn apply(path: &str, rule: &mut Rule, threshold: Threshold, severity: Severity, unmapped: &mut Vec<String>) {
    if let Threshold::Pct(pct) = threshold {
        rule.max_failure_pct = Some(pct);
    }
    if severity == Severity::Warn {
        if rule.check.proves().is_some() {
            unmapped.push(format!(
                "{path}.severity: a warning on `{}`, whose check fixes the column's type",
                rule.id
            ));
        } else {
            rule.severity = Severity::Warn;
        }
    }
}

/// `(p, s)` of a `decimal(p,s)` or `numeric(p,s)` physical type.
/// An ODCS pattern (ECMA-262, as JSON Schema's `pattern`) in the regex crate's syntax, with
/// ECMA's meaning of its class escapes: `\d` is `[0-9]` and `\w` `[0-9A-Za-z_]` (ASCII, where
/// the regex crate's are Unicode: `\d` would match `١٢٣`), `\b` the boundary of those, `\s`
/// ECMA's white space and line terminators, and `[\b]` a backspace. Everything else is passed
/// on as written.
fn ecma_pattern(pattern: &str) -> String {
    const SPACE: &str = "\\t\\n\\x0B\\x0C\\r \\u{A0}\\u{1680}\\u{2000}-\\u{200A}\\u{2028}\\u{2029}\\u{202F}\\u{205F}\\u{3000}\\u{FEFF}";
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str("[0-9]"),
                Some('D') => out.push_str("[^0-9]"),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('W') => out.push_str("[^0-9A-Za-z_]"),
                Some('s') => out.push_str(&format!("[{SPACE}]")),
                Some('S') => out.push_str(&format!("[^{SPACE}]")),
                Some('b') if in_class => out.push_str("\\x08"),
                Some('b') => out.push_str("(?-u:\\b)"),
                Some('B') if !in_class => out.push_str("(?-u:\\B)"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },

            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            // Literal inside an ECMA class; a nested class or a set operator in the regex crate's.
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The range of an ODCS integer `format` (the JSON Schema's enum: Rust's integer types), within
/// i64; `None` for another value.
fn integer_format(format: &str) -> Option<(i64, i64)> {
    Some(match format {
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" | "i128" => (i64::MIN, i64::MAX),
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "u128" => (0, i64::MAX),
        _ => return None,
    })
}

/// The range of an SQL integer `physicalType` (`tinyint`, `smallint`, `int`, `bigint` and their
/// aliases); `None` for anything else.
fn integer_physical(physical: &str) -> Option<(i64, i64)> {
    match physical.trim().to_ascii_lowercase().as_str() {
        "tinyint" | "byte" => integer_format("i8"),
        "smallint" | "int2" | "short" => integer_format("i16"),
        "int" | "integer" | "int4" | "serial" => integer_format("i32"),
        "bigint" | "int8" | "long" | "bigserial" => integer_format("i64"),
        _ => None,
    }
}

/// The `n` of a `varchar(n)`, `char(n)`, `character varying(n)` or `nvarchar(n)` physical type.
fn char_length(physical: &str) -> Option<u64> {
    let lower = physical.trim().to_ascii_lowercase();
    let (name, rest) = lower.split_once('(')?;
    let known = ["varchar", "char", "character varying", "character", "nvarchar", "nchar", "string"];
    known.contains(&name.trim()).then_some(())?;
    rest.strip_suffix(')')?.trim().parse().ok()
}

fn decimal_type(physical: &str) -> Option<(u8, u8)> {
    let lower = physical.trim().to_ascii_lowercase();
    let inner =
        lower.strip_prefix("decimal(").or_else(|| lower.strip_prefix("numeric("))?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn ecma_class_escapes_keep_their_ecma_meaning() {
        let matches =
            |pattern: &str, text: &str| regex::Regex::new(&ecma_pattern(pattern)).unwrap().is_match(text);
        // `\d` and `\w` are ASCII: Arabic-Indic digits and accented letters are not in them.
        assert!(matches(r"^\d{3}$", "123") && !matches(r"^\d{3}$", "١٢٣"));
        assert!(matches(r"^\w+$", "ab_9") && !matches(r"^\w+$", "é"));
        assert!(matches(r"^\D$", "é") && matches(r"^\W$", "é"));
        // Inside a class too, and with a literal `[` there.
        assert!(matches(r"^[\d.]+$", "1.5") && !matches(r"^[\d.]+$", "١.٥"));
        assert!(matches(r"^[[a]+$", "[a[") && matches(r"^[a&&b]$", "&"));
        // `\b` is the boundary of ASCII words; `[\b]` a backspace.
        assert!(matches(r"\bé", "xé") && matches(r"\bx", "éx"));
        assert!(matches(r"^[\b]$", "\u{8}"));
        // `\s` is ECMA's white space: a no-break space and a BOM are in it, NEL is not.
        assert!(matches(r"^\s$", "\u{a0}") && matches(r"^\s$", "\u{feff}") && !matches(r"^\s$", "\u{85}"));
        assert!(matches(r"^\S$", "\u{85}"));
        // Other escapes and text pass through.
        assert_eq!(ecma_pattern(r"^[A-Z]{2}\.\-x$"), r"^[A-Z]{2}\.\-x$");
    }
}
