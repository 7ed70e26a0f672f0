//! ODCS to sift: [`import_odcs`] and [`import_odcs_object`] (the mapping is in the module
//! docs of `odcs`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::types::{char_length, decimal_type, ecma_pattern, integer_format, integer_physical};
use super::{SIFT_ENGINE, SIFT_FORMAT, SIFT_LIMITS, SIFT_LOAD, SIFT_ON_CONFLICT, SIFT_TABLE};
use crate::contract::{
    Check, ColumnSpec, Contract, EMAIL_PATTERN as EMAIL, Format, KeyPart, Limits, Rule, Severity, TableTarget,
};
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
        &[
            "apiVersion",
            "kind",
            "id",
            "name",
            "version",
            "status",
            "schema",
            "description",
            "customProperties",
        ],
    );
    let mut format = Format::default();
    let mut limits = Limits::default();
    for (path, property, value) in out.custom_properties("", &root) {
        match property.as_str() {
            SIFT_FORMAT => format = extension(&path, value)?,
            SIFT_LIMITS => limits = extension(&path, value)?,
            _ => out.unmapped.push(format!("{path}: {property} (sift reads this on a property)")),
        }
    }
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
        &[
            "name",
            "physicalName",
            "logicalType",
            "physicalType",
            "description",
            "properties",
            "quality",
            "customProperties",
        ],
    );
    let mut loads = true;
    let mut on_conflict = sift_model::OnConflict::Skip;
    for (path, property, value) in out.custom_properties(&format!("{at}."), object) {
        match property.as_str() {
            SIFT_TABLE => loads = extension(&path, value)?,
            SIFT_ON_CONFLICT => on_conflict = extension(&path, value)?,
            _ => out.unmapped.push(format!("{path}: {property} (sift reads this at the top level)")),
        }
    }
    out.typed_by_sift = sift_typed_columns(&at, object)?;
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
        out.object_quality(&format!("{at}.quality[{i}]"), rule)?;
    }
    keys.sort();
    // The null limits read from nullValues rules, and any other the document sets.
    limits.max_failure_pct.extend(out.null_limits);
    let contract = Contract {
        name,
        table: loads.then(|| TableTarget {
            name: table,
            key: keys.into_iter().map(|(_, k)| k).collect(),
            on_conflict,
        }),
        columns: out.columns,
        rules: out.rules,
        format,
        limits,
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
    /// The columns whose type a sift rule (`type: custom, engine: sift`) proves: their
    /// `logicalType` describes them for other readers and makes no check of its own.
    typed_by_sift: Vec<String>,
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

    /// The sift custom properties of `map` (`customProperties` entries whose `property` starts
    /// with `sift`) as (path, property, value); the others are listed.
    fn custom_properties(&mut self, path: &str, map: &Map<String, Value>) -> Vec<(String, String, Value)> {
        let mut sift = Vec::new();
        let entries = map.get("customProperties").and_then(Value::as_array).into_iter().flatten();
        for (i, entry) in entries.enumerate() {
            let at = format!("{path}customProperties[{i}]");
            let property = entry.get("property").and_then(Value::as_str).unwrap_or_default();
            match entry.get("value") {
                Some(value) if property.starts_with("sift") => {
                    sift.push((at, property.to_owned(), value.clone()));
                }
                _ => self.unmapped.push(format!("{at} ({property})")),
            }
        }
        sift
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
                "customProperties",
            ],
        );
        let mut load = true;
        for (at, property, value) in self.custom_properties(&format!("{path}."), p) {
            match property.as_str() {
                SIFT_LOAD => load = extension(&at, value)?,
                _ => self.unmapped.push(format!("{at}: {property} (sift reads this elsewhere)")),
            }
        }
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
        let column = if required { ColumnSpec::required(&name) } else { ColumnSpec::optional(&name) };
        self.columns.push(if load { column } else { column.not_loaded() });
        // A sift rule proves this column's type: the logical type only describes it.
        if !self.typed_by_sift.contains(&name) {
            let options = p.get("logicalTypeOptions").and_then(Value::as_object).cloned().unwrap_or_default();
            let logical = p.get("logicalType").and_then(Value::as_str).unwrap_or("string");
            let physical = p.get("physicalType").and_then(Value::as_str);
            for (id, check) in self.type_checks(path, &name, logical, physical, &options) {
                self.rules.push(Rule::new(id, check));
            }
        }
        if flag("unique") {
            self.rules.push(Rule::new(
                format!("unique_{name}"),
                Check::Unique { key: vec![KeyPart::exact(&name)] },
            ));
        }
        for (i, rule) in quality.iter().enumerate() {
            self.property_quality(&format!("{path}.quality[{i}]"), &name, rule)?;
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
        let mut checks = Vec::new();
        match logical {
            "integer" => {
                // The tighter of the inclusive and exclusive bound on each side, exact for
                // whole numbers (an f64 is not, past 2^53).
                let bound = |key: &str, round: fn(f64) -> f64, step: i64| {
                    let value = options.get(key)?;
                    let whole = value.as_i64().or_else(|| value.as_f64().map(|v| round(v) as i64))?;
                    Some(whole.saturating_add(step))
                };
                let min = [bound("minimum", f64::ceil, 0), bound("exclusiveMinimum", f64::floor, 1)];
                let max = [bound("maximum", f64::floor, 0), bound("exclusiveMaximum", f64::ceil, -1)];
                let min = min.into_iter().flatten().max();
                let max = max.into_iter().flatten().min();
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
                        min: min.map_or(type_min, |v| v.max(type_min)),
                        max: max.map_or(type_max, |v| v.min(type_max)),
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
                        min: options.get("minimum").map(decimal_text),
                        max: options.get("maximum").map(decimal_text),
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
    fn property_quality(&mut self, path: &str, column: &str, rule: &Value) -> Result<()> {
        if let Some(own) = self.sift_rule(path, rule)? {
            self.rules.push(own);
            return Ok(());
        }
        let Some(terms) = self.quality_terms(path, rule) else { return Ok(()) };
        match terms.kind.as_str() {
            "nullValues" => match terms.threshold {
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
                            Some(own) => terms.apply(path, own, &mut self.unmapped),
                            None => self
                                .unmapped
                                .push(format!("{path}: invalidValues on `{column}`, which has no check")),
                        }
                        return Ok(());
                    }
                };
                if matches!(&check, Check::OneOf { values, .. } if values.is_empty()) {
                    self.unmapped.push(format!("{path}: validValues of `{column}` hold only null"));
                    return Ok(());
                }
                let mut new = Rule::new(format!("{column}_valid"), check);
                terms.apply(path, &mut new, &mut self.unmapped);
                self.rules.push(new);
            }
            "duplicateValues" => {
                let mut new = Rule::new(
                    format!("duplicate_{column}"),
                    Check::Unique { key: vec![KeyPart::exact(column)] },
                );
                terms.apply(path, &mut new, &mut self.unmapped);
                self.rules.push(new);
            }
            other => self.unmapped.push(format!("{path}: rule {other} on `{column}`")),
        }
        Ok(())
    }

    /// A sift rule written into the document (`type: custom, engine: sift`, the rule as sift's
    /// TOML spells it in `implementation`); `None` for any other quality rule.
    fn sift_rule(&mut self, path: &str, rule: &Value) -> Result<Option<Rule>> {
        let Some(implementation) = sift_implementation(rule) else { return Ok(None) };
        if let Value::Object(map) = rule {
            self.unknown(
                &format!("{path}."),
                map,
                &["type", "engine", "implementation", "name", "description"],
            );
        }
        extension(&format!("{path}.implementation"), implementation.clone()).map(Some)
    }

    /// An object-level quality rule: `duplicateValues` over `arguments.properties`, or a sift
    /// rule.
    fn object_quality(&mut self, path: &str, rule: &Value) -> Result<()> {
        if let Some(own) = self.sift_rule(path, rule)? {
            self.rules.push(own);
            return Ok(());
        }
        let Some(terms) = self.quality_terms(path, rule) else { return Ok(()) };
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
        if terms.kind != "duplicateValues" || properties.is_empty() {
            self.unmapped.push(format!("{path}: rule {}", terms.kind));
            return Ok(());
        }
        let key = properties.iter().map(KeyPart::exact).collect();
        let mut new = Rule::new("duplicate", Check::Unique { key });
        terms.apply(path, &mut new, &mut self.unmapped);
        self.rules.push(new);
        Ok(())
    }

    /// A library quality rule's kind, threshold, severity and description; `None` (listed)
    /// when sift cannot express it.
    fn quality_terms(&mut self, path: &str, rule: &Value) -> Option<Terms> {
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
            self.unmapped.push(format!(
                "{path}: only library rules (metric: ...) and sift's own (type: custom, engine: sift) are mapped"
            ));
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
        let description = map.get("description").and_then(Value::as_str).map(str::to_owned);
        Some(Terms { kind, threshold, severity, description })
    }
}

/// What a library quality rule asks, in sift's terms.
struct Terms {
    /// The metric: `nullValues`, `invalidValues`, `duplicateValues`, ...
    kind: String,
    threshold: Threshold,
    severity: Severity,
    description: Option<String>,
}

impl Terms {
    /// Puts the threshold, severity and description on a sift rule (a check that fixes its
    /// column's type cannot warn: that is listed instead).
    fn apply(&self, path: &str, rule: &mut Rule, unmapped: &mut Vec<String>) {
        if let Threshold::Pct(pct) = self.threshold {
            rule.max_failure_pct = Some(pct);
        }
        if self.description.is_some() {
            rule.description.clone_from(&self.description);
        }
        if self.severity == Severity::Warn {
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
}

/// A library quality rule's metric: `metric` (ODCS v3.1), or `rule` (v3.0, deprecated in v3.1).
fn metric(rule: &Value) -> Option<&str> {
    rule.get("metric").or_else(|| rule.get("rule")).and_then(Value::as_str)
}

/// The `implementation` of a sift rule in the document (`type: custom, engine: sift`).
fn sift_implementation(rule: &Value) -> Option<&Value> {
    let field = |key: &str| rule.get(key).and_then(Value::as_str);
    (field("type") == Some("custom") && field("engine") == Some(SIFT_ENGINE))
        .then(|| rule.get("implementation"))?
}

/// The columns of the schema object at `at` whose type a sift rule proves, wherever in the
/// object the rule is written.
fn sift_typed_columns(at: &str, object: &Map<String, Value>) -> Result<Vec<String>> {
    let quality = |v: &Value| v.get("quality").and_then(Value::as_array).cloned().unwrap_or_default();
    let properties = object.get("properties").and_then(Value::as_array).cloned().unwrap_or_default();
    let lists = properties
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("{at}.properties[{i}]"), quality(p)))
        .chain([(at.to_owned(), quality(&Value::Object(object.clone())))]);
    let mut typed = Vec::new();
    for (path, rules) in lists {
        for (j, rule) in rules.iter().enumerate() {
            let Some(implementation) = sift_implementation(rule) else { continue };
            let rule: Rule =
                extension(&format!("{path}.quality[{j}].implementation"), implementation.clone())?;
            typed.extend(rule.check.proves().map(|(column, _)| column.to_owned()));
        }
    }
    Ok(typed)
}

/// A sift extension's value, read as sift's own TOML would read it.
fn extension<T: serde::de::DeserializeOwned>(path: &str, value: Value) -> Result<T> {
    serde_json::from_value(value)
        .map_err(|e| Error::Contract(format!("{path}: not what sift reads there: {e}")))
}

/// A decimal bound as text: a YAML number as written back, a string as is.
fn decimal_text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}
