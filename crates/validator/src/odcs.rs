//! Open Data Contract Standard (ODCS v3) contracts, read as sift contracts.
//!
//! [`import_odcs`] maps what sift can check and lists, by path, everything else: nothing is
//! dropped silently. The mapping (field names as the ODCS v3.1 JSON Schema spells them):
//!
//! - `name` (or the schema object's `name`) is the dataset; the one schema object's
//!   `physicalName` (else its `name`) is the table, keyed by the properties with
//!   `primaryKey: true` in `primaryKeyPosition` order;
//! - each property is a column, `required` as given; its `logicalType` and
//!   `logicalTypeOptions` become checks: `integer` (`minimum`, `maximum`, `exclusiveMinimum`,
//!   `exclusiveMaximum`), `number` with a `physicalType` of `decimal(p,s)` or `numeric(p,s)`
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

/// Reads an ODCS v3 contract (YAML or JSON text).
pub fn import_odcs(text: &str) -> Result<Imported> {
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
    let [object] = schema.as_slice() else {
        return Err(Error::Contract(format!(
            "a sift contract describes one dataset: `schema` has {} objects, expected 1",
            schema.len()
        )));
    };
    let Value::Object(object) = object else {
        return Err(Error::Contract("schema[0] is not a mapping".into()));
    };
    let object_name = object.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
    let name =
        root.get("name").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| object_name.clone());
    let table = object.get("physicalName").and_then(Value::as_str).map(str::to_owned).unwrap_or(object_name);
    out.unknown(
        "schema[0].",
        object,
        &["name", "physicalName", "logicalType", "physicalType", "description", "properties", "quality"],
    );
    let properties = object.get("properties").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut keys: Vec<(i64, String)> = Vec::new();
    for (i, property) in properties.iter().enumerate() {
        let Value::Object(property) = property else {
            return Err(Error::Contract(format!("schema[0].properties[{i}] is not a mapping")));
        };
        if let Some(key) = out.property(&format!("schema[0].properties[{i}]"), property)? {
            keys.push(key);
        }
    }
    for (i, rule) in object.get("quality").and_then(Value::as_array).into_iter().flatten().enumerate() {
        out.object_quality(&format!("schema[0].quality[{i}]"), rule);
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
        let name = p
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Contract(format!("{path} has no name")))?
            .to_owned();
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
            "integer" => &["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"],
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
                checks.push((
                    column.clone(),
                    Check::Integer {
                        column,
                        min: min.map_or(i64::MIN, |v| v as i64),
                        max: max.map_or(i64::MAX, |v| v as i64),
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
                let pattern = options.get("pattern").and_then(Value::as_str).map(str::to_owned);
                let email = options.get("format").and_then(Value::as_str) == Some("email");
                if let Some(format) = options.get("format").and_then(Value::as_str).filter(|f| *f != "email") {
                    self.unmapped.push(format!("{path}.logicalTypeOptions.format: {format} (sift maps email only)"));
                }
                if let Some(pattern) = pattern.or_else(|| email.then(|| EMAIL.to_owned())) {
                    checks.push((column.clone(), Check::Regex { column: column.clone(), pattern }));
                }
                let (min, max) = (
                    options.get("minLength").and_then(Value::as_u64),
                    options.get("maxLength").and_then(Value::as_u64),
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
                        Check::Regex { column: column.to_owned(), pattern: pattern.to_owned() }
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
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
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
fn decimal_type(physical: &str) -> Option<(u8, u8)> {
    let lower = physical.trim().to_ascii_lowercase();
    let inner =
        lower.strip_prefix("decimal(").or_else(|| lower.strip_prefix("numeric("))?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}
