//! sift to ODCS: [`export_odcs`].
//!
//! Each rule is written where the import reads it back as the same rule at the same place in
//! the report order. The import orders a schema object's rules property by property (each
//! property's type check, then its `string` length check, then its `unique` flag, then its
//! quality rules in order) and then the object's quality rules. The export walks the
//! contract's rules in order and writes each one natively when its native place comes after
//! the previous rule's; otherwise it is a sift rule (`type: custom, engine: sift`) in the
//! quality list of the nearest property that keeps the order (its own when it can), or of the
//! object. A sift rule that proves a column's type still gives the column its `logicalType`,
//! for other readers.

use serde::Serialize;
use serde_norway::{Mapping, Value as Yaml};
use sift_model::ColumnType;

use super::types::ecma_pattern;
use super::{SIFT_ENGINE, SIFT_FORMAT, SIFT_LIMITS, SIFT_LOAD, SIFT_ON_CONFLICT, SIFT_TABLE};
use crate::contract::{Check, Contract, KeyPart, Limits, Rule, Severity};
use crate::error::{Error, Result};

/// The contract as an ODCS v3.1 document (YAML): natively wherever ODCS can say it, in sift's
/// own terms (module docs of `odcs`) elsewhere. [`super::import_odcs`] reads it back to an
/// equal contract.
pub fn export_odcs(contract: &Contract) -> Result<String> {
    let plan = Plan::new(contract);
    let mut root = Mapping::new();
    put(&mut root, "apiVersion", "v3.1.0");
    put(&mut root, "kind", "DataContract");
    put(&mut root, "id", format!("urn:sift:contract:{}", contract.name));
    put(&mut root, "name", contract.name.as_str());
    put(&mut root, "version", "1.0.0");
    put(&mut root, "status", "active");
    let mut custom = Vec::new();
    if !contract.format.is_default() {
        custom.push(custom_property(SIFT_FORMAT, yaml(&contract.format)?));
    }
    let limits = plan.sift_limits(contract);
    if !limits.is_default() {
        custom.push(custom_property(SIFT_LIMITS, yaml(&limits)?));
    }
    if !custom.is_empty() {
        put(&mut root, "customProperties", Yaml::Sequence(custom));
    }
    put(&mut root, "schema", Yaml::Sequence(vec![plan.object(contract)?]));
    let text = serde_norway::to_string(&Yaml::Mapping(root))
        .map_err(|e| Error::Contract(format!("writing ODCS YAML: {e}")))?;
    let text = quote_timestamps(&text);
    Ok(format!(
        "# The sift contract `{}` as an Open Data Contract Standard v3.1 document, written by `sift\n\
         # contract export --odcs`; `sift contract import` reads it back to the same contract.\n{text}",
        contract.name
    ))
}

/// Where in the import's order a rule is read: a property and the stage within it, or the
/// object (after every property).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Place {
    property: usize,
    stage: Stage,
}

/// The stages of one property, in the import's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Nothing read yet.
    Start,
    /// The check of the `logicalType` and its options.
    Type,
    /// A `string`'s length check after its pattern (`<column>_length`).
    TypeLength,
    /// `unique: true` (`unique_<column>`).
    UniqueFlag,
    /// The property's (or the object's) quality rules, in list order.
    Quality,
}

impl Place {
    /// The object's quality list, after every property.
    const OBJECT: Place = Place { property: usize::MAX, stage: Stage::Quality };

    fn at(property: usize, stage: Stage) -> Self {
        Self { property, stage }
    }

    /// Whether a rule read here comes after one read at `last`: a quality list keeps its order,
    /// so a place equal to `last` there comes after it.
    fn follows(self, last: Place) -> bool {
        self > last || (self == last && self.stage == Stage::Quality)
    }
}

/// A quality rule of a property's (or the object's) list.
enum Item {
    /// The limit of `not_null:<column>` (`nullValues`).
    NullLimit(f64),
    /// A rule written natively.
    Native(usize),
    /// A rule written as sift's own.
    Sift(usize),
}

/// What each property holds.
#[derive(Default)]
struct PropertyPlan {
    /// The rule its `logicalType` and options are read as.
    type_rule: Option<usize>,
    /// The length rule its options also hold (after a pattern).
    length_rule: Option<usize>,
    /// `unique: true`.
    unique_flag: bool,
    /// A sift rule proving the column's type, which the `logicalType` then describes.
    described_by: Option<usize>,
    quality: Vec<Item>,
}

/// Where every rule of a contract is written.
struct Plan {
    properties: Vec<PropertyPlan>,
    object: Vec<Item>,
    /// The null limits written as `nullValues` rules.
    native_null_limits: Vec<String>,
}

impl Plan {
    fn new(contract: &Contract) -> Self {
        let index = |column: &str| contract.columns.iter().position(|c| c.name == column);
        let mut plan = Plan {
            properties: contract.columns.iter().map(|_| PropertyPlan::default()).collect(),
            object: Vec::new(),
            native_null_limits: Vec::new(),
        };
        for (i, column) in contract.columns.iter().enumerate() {
            let id = format!("not_null:{}", column.name);
            if let Some(&pct) = contract.limits.max_failure_pct.get(&id)
                && column.required
                && (0.0..=100.0).contains(&pct)
            {
                plan.properties[i].quality.push(Item::NullLimit(pct));
                plan.native_null_limits.push(id);
            }
        }
        let mut last = Place::at(0, Stage::Start);
        for (i, rule) in contract.rules.iter().enumerate() {
            let native =
                native_place(contract, rule, &index, &plan, last).filter(|place| place.follows(last));
            let place = match native {
                Some(place) => {
                    plan.native(i, place);
                    place
                }
                None => {
                    let place = sift_place(contract, i, &index, last);
                    plan.item(place, Item::Sift(i));
                    if let Some((column, _)) = rule.check.proves()
                        && let Some(p) = index(column)
                    {
                        plan.properties[p].described_by = Some(i);
                    }
                    place
                }
            };
            last = place;
        }
        plan
    }

    /// Records rule `i` written natively at `place`.
    fn native(&mut self, i: usize, place: Place) {
        if place == Place::OBJECT {
            self.object.push(Item::Native(i));
            return;
        }
        let property = &mut self.properties[place.property];
        match place.stage {
            Stage::Type => property.type_rule = Some(i),
            Stage::TypeLength => property.length_rule = Some(i),
            Stage::UniqueFlag => property.unique_flag = true,
            Stage::Quality | Stage::Start => property.quality.push(Item::Native(i)),
        }
    }

    fn item(&mut self, place: Place, item: Item) {
        match self.properties.get_mut(place.property) {
            Some(property) => property.quality.push(item),
            None => self.object.push(item),
        }
    }

    /// The `[limits]` ODCS has no field for: `max_invalid_pct`, and failure limits other than
    /// a required column's null limit.
    fn sift_limits(&self, contract: &Contract) -> Limits {
        let mut limits = contract.limits.clone();
        limits.max_failure_pct.retain(|id, _| !self.native_null_limits.contains(id));
        limits
    }

    /// The schema object.
    fn object(&self, contract: &Contract) -> Result<Yaml> {
        let mut object = Mapping::new();
        put(&mut object, "name", contract.name.as_str());
        match &contract.table {
            Some(table) => {
                put(&mut object, "physicalName", table.name.as_str());
                put(&mut object, "logicalType", "object");
                put(&mut object, "physicalType", "table");
                if table.on_conflict != sift_model::OnConflict::Skip {
                    let mode = custom_property(SIFT_ON_CONFLICT, yaml(&table.on_conflict)?);
                    put(&mut object, "customProperties", Yaml::Sequence(vec![mode]));
                }
            }
            None => {
                put(&mut object, "logicalType", "object");
                put(
                    &mut object,
                    "customProperties",
                    Yaml::Sequence(vec![custom_property(SIFT_TABLE, Yaml::Bool(false))]),
                );
            }
        }
        let mut properties = Vec::new();
        for (i, plan) in self.properties.iter().enumerate() {
            properties.push(property(contract, i, plan)?);
        }
        put(&mut object, "properties", Yaml::Sequence(properties));
        if !self.object.is_empty() {
            put(&mut object, "quality", quality(contract, &self.object)?);
        }
        Ok(Yaml::Mapping(object))
    }
}

/// The native place of a rule, if ODCS can say it exactly: the import reads the native field
/// back to this rule (same id, same check, same terms).
fn native_place(
    contract: &Contract,
    rule: &Rule,
    index: &impl Fn(&str) -> Option<usize>,
    plan: &Plan,
    last: Place,
) -> Option<Place> {
    if !rule.only_if_passed.is_empty() {
        return None;
    }
    let terms_fit = rule.max_failure_pct.is_none_or(|pct| (0.0..=100.0).contains(&pct))
        && (rule.severity == Severity::Error || rule.check.proves().is_none());
    let plain =
        rule.max_failure_pct.is_none() && rule.severity == Severity::Error && rule.description.is_none();
    let column = *rule.check.columns().first()?;
    let p = index(column);
    let id_is = |id: String| rule.id == id;
    match &rule.check {
        Check::Unique { key } if key.iter().all(is_exact) && rule.id == "duplicate" && terms_fit => {
            Some(Place::OBJECT)
        }
        Check::Unique { key } if matches!(key.as_slice(), [k] if is_exact(k)) => {
            if id_is(format!("unique_{column}")) && plain {
                Some(Place::at(p?, Stage::UniqueFlag))
            } else if id_is(format!("duplicate_{column}")) && terms_fit {
                Some(Place::at(p?, Stage::Quality))
            } else {
                None
            }
        }
        // Only right after the same property's pattern.
        Check::Length { .. }
            if id_is(format!("{column}_length"))
                && plain
                && last == Place::at(p?, Stage::Type)
                && plan.properties[p?]
                    .type_rule
                    .is_some_and(|r| matches!(contract.rules[r].check, Check::Regex { .. })) =>
        {
            Some(Place::at(p?, Stage::TypeLength))
        }
        Check::OneOf { values, case_insensitive: false, .. }
            if id_is(format!("{column}_valid"))
                && terms_fit
                && !values.is_empty()
                && values.iter().all(|v| !v.trim().is_empty()) =>
        {
            Some(Place::at(p?, Stage::Quality))
        }
        Check::Regex { pattern, .. } if id_is(format!("{column}_valid")) && terms_fit && is_ecma(pattern) => {
            Some(Place::at(p?, Stage::Quality))
        }
        // A pattern or length is the type check of a text column only: a column whose type
        // another rule proves is read with that rule's logical type. A threshold, severity or
        // description would need an `invalidValues` rule with no argument, which the import
        // reads but ODCS linters flag: such a check is sift's own.
        check
            if id_is(column.to_owned())
                && plain
                && type_options(check, true).is_some()
                && (check.proves().is_some()
                    || !contract
                        .rules
                        .iter()
                        .any(|r| r.check.proves().is_some_and(|(c, _)| c == column))) =>
        {
            Some(Place::at(p?, Stage::Type))
        }
        _ => None,
    }
}

/// Where a sift rule goes: its own column's property when that keeps the order (the object for
/// trailing rules over several columns), else the property (or object) of the rule before it.
fn sift_place(contract: &Contract, i: usize, index: &impl Fn(&str) -> Option<usize>, last: Place) -> Place {
    let several = |r: &Rule| r.check.columns().len() > 1;
    if last == Place::OBJECT || contract.rules[i..].iter().all(several) {
        return Place::OBJECT;
    }
    let home = contract.rules[i].check.columns().into_iter().filter_map(index).max();
    match home.map(|p| Place::at(p, Stage::Quality)) {
        Some(place) if place.follows(last) => place,
        _ => Place::at(last.property, Stage::Quality),
    }
}

fn is_exact(part: &KeyPart) -> bool {
    !part.lowercase && !part.collapse_spaces
}

/// Whether a pattern means the same read as ECMA-262 (what the import assumes) as sift's.
fn is_ecma(pattern: &str) -> bool {
    ecma_pattern(pattern) == pattern
}

/// A column's `logicalType` and `logicalTypeOptions` (and `physicalType`) for a check that can
/// be its type check. `exact`: only when the import reads them back to the same check.
fn type_options(check: &Check, exact: bool) -> Option<(&'static str, Mapping)> {
    let mut options = Mapping::new();
    let logical = match check {
        Check::Integer { min, max, .. } => {
            let (format, lo, hi) = match ColumnType::integer(*min, *max) {
                ColumnType::Int16 => ("i16", i16::MIN.into(), i16::MAX.into()),
                ColumnType::Int32 => ("i32", i32::MIN.into(), i32::MAX.into()),
                _ => ("i64", i64::MIN, i64::MAX),
            };
            put(&mut options, "format", format);
            if *min != lo {
                put(&mut options, "minimum", *min);
            }
            if *max != hi {
                put(&mut options, "maximum", *max);
            }
            "integer"
        }
        Check::Decimal { min, max, .. } => {
            for (key, bound) in [("minimum", min), ("maximum", max)] {
                if let Some(bound) = bound {
                    match decimal_number(bound) {
                        Some((number, same)) if same || !exact => put(&mut options, key, number),
                        _ if exact => return None,
                        _ => {}
                    }
                }
            }
            "number"
        }
        Check::Boolean { true_values, false_values, .. } => {
            if exact && (true_values.is_some() || false_values.is_some()) {
                return None;
            }
            "boolean"
        }
        Check::Date { after, before_as_of, .. } => {
            if exact && *before_as_of {
                return None;
            }
            put(&mut options, "format", "yyyy-MM-dd");
            if let Some(after) = after {
                put(&mut options, "exclusiveMinimum", after.to_string());
            }
            "date"
        }
        Check::Timestamp { after, before_as_of, .. } => {
            if exact && *before_as_of {
                return None;
            }
            if let Some(after) = after {
                put(&mut options, "exclusiveMinimum", after.as_str());
            }
            "timestamp"
        }
        Check::Regex { pattern, .. } => {
            if exact && !is_ecma(pattern) {
                return None;
            }
            put(&mut options, "pattern", pattern.as_str());
            "string"
        }
        Check::Length { min, max, .. } => {
            length_options(&mut options, *min, *max);
            "string"
        }
        _ => return None,
    };
    Some((logical, options))
}

fn length_options(options: &mut Mapping, min: Option<u64>, max: Option<u64>) {
    if let Some(min) = min {
        put(options, "minLength", min);
    }
    if let Some(max) = max {
        put(options, "maxLength", max);
    }
}

/// A decimal bound as a YAML number, and whether the import reads that number back as the
/// same text (`0.50` is read back as `0.5`).
fn decimal_number(text: &str) -> Option<(Yaml, bool)> {
    if let Ok(whole) = text.parse::<i64>() {
        return Some((Yaml::from(whole), whole.to_string() == text));
    }
    let value: f64 = text.parse().ok()?;
    Some((Yaml::from(value), serde_json::to_string(&value).is_ok_and(|written| written == text)))
}

/// The SQL type a column's proven type is written as (`physicalType`); `None` for text.
fn physical_type(ty: ColumnType) -> Option<String> {
    Some(match ty {
        ColumnType::Int16 => "smallint".into(),
        ColumnType::Int32 => "integer".into(),
        ColumnType::Int64 => "bigint".into(),
        ColumnType::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
        ColumnType::Boolean => "boolean".into(),
        ColumnType::Date => "date".into(),
        ColumnType::Timestamp => "timestamp".into(),
        ColumnType::Text => return None,
    })
}

/// Property `i` of the schema object.
fn property(contract: &Contract, i: usize, plan: &PropertyPlan) -> Result<Yaml> {
    let column = &contract.columns[i];
    let mut out = Mapping::new();
    put(&mut out, "name", column.name.as_str());
    let typed = plan.type_rule.or(plan.described_by).map(|r| &contract.rules[r].check);
    let (logical, mut options) =
        typed.and_then(|check| type_options(check, false)).unwrap_or(("string", Mapping::new()));
    if let Some(Check::Length { min, max, .. }) = plan.length_rule.map(|r| &contract.rules[r].check) {
        length_options(&mut options, *min, *max);
    }
    put(&mut out, "logicalType", logical);
    if let Some(physical) = typed.and_then(Check::proves).and_then(|(_, ty)| physical_type(ty)) {
        put(&mut out, "physicalType", physical);
    }
    put(&mut out, "required", column.required);
    if plan.unique_flag {
        put(&mut out, "unique", true);
    }
    if let Some(position) = contract.table.as_ref().and_then(|t| t.key.iter().position(|k| *k == column.name))
    {
        put(&mut out, "primaryKey", true);
        put(&mut out, "primaryKeyPosition", position as u64 + 1);
    }
    if !options.is_empty() {
        put(&mut out, "logicalTypeOptions", Yaml::Mapping(options));
    }
    if !column.load {
        put(
            &mut out,
            "customProperties",
            Yaml::Sequence(vec![custom_property(SIFT_LOAD, Yaml::Bool(false))]),
        );
    }
    if !plan.quality.is_empty() {
        put(&mut out, "quality", quality(contract, &plan.quality)?);
    }
    Ok(Yaml::Mapping(out))
}

/// A quality list.
fn quality<'a>(contract: &Contract, items: impl IntoIterator<Item = &'a Item>) -> Result<Yaml> {
    let mut list = Vec::new();
    for item in items {
        let mut out = Mapping::new();
        match item {
            Item::NullLimit(pct) => {
                library(&mut out, "nullValues");
                put(&mut out, "mustBeLessOrEqualTo", *pct);
                put(&mut out, "unit", "percent");
            }
            Item::Native(r) => {
                let rule = &contract.rules[*r];
                match &rule.check {
                    Check::OneOf { values, .. } => {
                        library(&mut out, "invalidValues");
                        let values = values.iter().map(|v| Yaml::from(v.as_str())).collect();
                        put(&mut out, "arguments", mapping("validValues", Yaml::Sequence(values)));
                    }
                    Check::Regex { pattern, .. } => {
                        library(&mut out, "invalidValues");
                        put(&mut out, "arguments", mapping("pattern", pattern.as_str()));
                    }
                    Check::Unique { key } => {
                        library(&mut out, "duplicateValues");
                        if key.len() > 1 || rule.id == "duplicate" {
                            let columns = key.iter().map(|k| Yaml::from(k.column.as_str())).collect();
                            put(&mut out, "arguments", mapping("properties", Yaml::Sequence(columns)));
                        }
                    }
                    // `native_place` writes no other check as a quality rule.
                    _ => {}
                }
                terms(&mut out, rule);
            }
            Item::Sift(r) => {
                let rule = &contract.rules[*r];
                put(&mut out, "type", "custom");
                put(&mut out, "engine", SIFT_ENGINE);
                put(&mut out, "name", rule.id.as_str());
                put(&mut out, "implementation", yaml(rule)?);
            }
        }
        list.push(Yaml::Mapping(out));
    }
    Ok(Yaml::Sequence(list))
}

fn library(out: &mut Mapping, metric: &str) {
    put(out, "type", "library");
    put(out, "metric", metric);
}

/// A rule's threshold, severity and description on its quality rule.
fn terms(out: &mut Mapping, rule: &Rule) {
    match rule.max_failure_pct {
        Some(pct) => {
            put(out, "mustBeLessOrEqualTo", pct);
            put(out, "unit", "percent");
        }
        None => put(out, "mustBe", 0),
    }
    if rule.severity == Severity::Warn {
        put(out, "severity", "warning");
    }
    if let Some(description) = &rule.description {
        put(out, "description", description.as_str());
    }
}

fn custom_property(property: &str, value: Yaml) -> Yaml {
    let mut out = mapping("property", property);
    put(&mut out, "value", value);
    Yaml::Mapping(out)
}

fn mapping(key: &str, value: impl Into<Yaml>) -> Mapping {
    let mut out = Mapping::new();
    put(&mut out, key, value);
    out
}

fn put(map: &mut Mapping, key: &str, value: impl Into<Yaml>) {
    map.insert(Yaml::from(key), value.into());
}

/// The YAML with every plain scalar that looks like a date or a timestamp in single quotes: it
/// is a string (the JSON Schema says so), but a YAML 1.1 reader (PyYAML's default) would read
/// `1900-12-31` as a date.
fn quote_timestamps(text: &str) -> String {
    static PLAIN: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?m)^(\s*(?:- )*(?:[A-Za-z_]+: )?)([0-9]{4}-[0-9]{2}-[0-9]{2}(?:[Tt ][0-9:.]+(?:Z|[+-][0-9:]+)?)?)$").ok()
    });
    match &*PLAIN {
        Some(plain) => plain.replace_all(text, "$1'$2'").into_owned(),
        None => text.to_owned(),
    }
}

/// A sift value (a rule, the format, the limits) as YAML, as sift's TOML spells it.
fn yaml(value: &impl Serialize) -> Result<Yaml> {
    serde_norway::to_value(value).map_err(|e| Error::Contract(format!("writing ODCS YAML: {e}")))
}
