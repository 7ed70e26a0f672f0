//! What a contract must hold together ([`Contract::check`]), and the shape of the text it may
//! be read from (size and nesting, checked before parsing).

use std::collections::{HashMap, HashSet};

use sift_model::Decimal;

use super::{Check, Contract, Format, NUL_BYTE, Rule, Severity};
use crate::error::{Error, Result};

impl Contract {
    /// Checks that the contract is consistent; the error names the first problem.
    ///
    /// Columns: at least one, unique names. Rules: unique ids, reading declared columns
    /// (required or optional: a null passes a check), compilable patterns, non-empty ranges and sets, at most one type-proving
    /// check per column, preconditions naming earlier column rules. Table: a name, key
    /// columns that are declared, required and loaded, each once. Format: the delimiter one of
    /// `,` `;` tab `|`, the quote `"` or `'`.
    pub fn check(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::Contract(msg));
        let Format { delimiter, quote, .. } = self.format;
        if !matches!(delimiter, ',' | ';' | '\t' | '|') {
            return bad(format!(
                "[format] delimiter {delimiter:?} must be one of \",\", \";\", \"\\t\" (tab) or \"|\""
            ));
        }
        if !matches!(quote, '"' | '\'') {
            return bad(format!("[format] quote {quote:?} must be '\"' or \"'\""));
        }
        let Format { max_field_bytes, max_record_bytes, max_columns, .. } = self.format;
        if max_field_bytes == 0 || max_record_bytes == 0 || max_columns == 0 {
            return bad(format!(
                "[format] max_field_bytes = {max_field_bytes}, max_record_bytes = {max_record_bytes} and \
                 max_columns = {max_columns} must each be at least 1"
            ));
        }
        if self.columns.is_empty() {
            return bad(format!("contract `{}` declares no column", self.name));
        }
        if let Some(pct) = self.limits.max_invalid_pct
            && !(0.0..=100.0).contains(&pct)
        {
            return bad(format!("[limits] max_invalid_pct = {pct} must be a percentage from 0 to 100"));
        }
        let failure_ids = self.failure_ids();
        for (id, pct) in &self.limits.max_failure_pct {
            if !(0.0..=100.0).contains(pct) {
                return bad(format!(
                    "[limits.max_failure_pct] {id} = {pct} must be a percentage from 0 to 100"
                ));
            }
            if !failure_ids.contains(id) {
                return bad(format!(
                    "[limits.max_failure_pct] names `{id}`, which is not a failure id of the contract"
                ));
            }
        }
        let mut names = HashSet::new();
        for c in &self.columns {
            let n = crate::csv::normalise(&c.name);
            if n.is_empty() {
                return bad("a column has an empty name".into());
            }
            if !names.insert(n) {
                return bad(format!("column `{}` is declared twice", c.name));
            }
        }
        let mut ids: HashSet<String> =
            self.columns.iter().filter(|c| c.required).map(|c| format!("not_null:{}", c.name)).collect();
        let mut proven: HashMap<&str, &str> = HashMap::new();
        let mut earlier_unique = HashSet::new();
        for rule in &self.rules {
            let id = &rule.id;
            if id.is_empty() || id.contains(';') {
                return bad(format!("rule id `{id}` must be non-empty and contain no `;`"));
            }
            if id == NUL_BYTE {
                return bad(format!(
                    "rule id `{id}` is sift's own (a loaded text value holding a NUL byte); name the rule otherwise"
                ));
            }
            if !ids.insert(id.clone()) {
                return bad(format!("rule id `{id}` is used twice"));
            }
            for col in rule.check.columns() {
                if self.column(col).is_none() {
                    return bad(format!("rule `{id}` reads column `{col}`, which is not declared"));
                }
            }
            if let Some((column, _)) = rule.check.proves()
                && let Some(other) = proven.insert(column, id)
            {
                return bad(format!(
                    "column `{column}` has two type-proving checks, `{other}` and `{id}`; keep one \
                     (integer, decimal, boolean, date and timestamp each fix the column's type)"
                ));
            }
            check_parameters(rule)?;
            if rule.severity == Severity::Warn
                && let Some((column, ty)) = rule.check.proves()
            {
                return bad(format!(
                    "rule `{id}` fixes the type of column `{column}` ({ty}), so it cannot be `warn`: a row \
                     failing it could not load; keep it `error`, or warn with a `regex` or `length` check"
                ));
            }
            if let Some(pct) = rule.max_failure_pct
                && !(0.0..=100.0).contains(&pct)
            {
                return bad(format!(
                    "rule `{id}`: max_failure_pct = {pct} must be a percentage from 0 to 100"
                ));
            }
            for pre in &rule.only_if_passed {
                if self.rules.iter().any(|r| &r.id == pre && r.severity == Severity::Warn) {
                    return bad(format!(
                        "rule `{id}` runs only if `{pre}` passes, but `{pre}` only warns: a row failing \
                         it still loads, so `{id}` must check it; drop the precondition or make `{pre}` \
                         an error"
                    ));
                }
                let known = self.rules.iter().take_while(|r| &r.id != id).any(|r| &r.id == pre);
                if !known || earlier_unique.contains(pre) {
                    return bad(format!(
                        "rule `{id}` runs only if `{pre}` passes, but `{pre}` is not an earlier column rule"
                    ));
                }
            }
            if matches!(rule.check, Check::Unique { .. }) {
                earlier_unique.insert(id.clone());
            }
        }
        if let Some(table) = &self.table {
            let (schema, name) = match table.name.split_once('.') {
                Some((schema, name)) => (Some(schema), name),
                None => (None, table.name.as_str()),
            };
            if name.trim().is_empty() || schema.is_some_and(|s| s.trim().is_empty()) || name.contains('.') {
                return bad(format!(
                    "[table] name `{}` must be a table name, optionally schema-qualified (`schema.table`)",
                    table.name
                ));
            }
            for part in schema.into_iter().chain([name]) {
                check_identifier(&format!("[table] name `{}`", table.name), part)?;
            }
            let lower = name.to_ascii_lowercase();
            if lower.starts_with("sift_") || lower.starts_with("sqlite_") || lower == "_sqlx_migrations" {
                return bad(format!(
                    "[table] name `{}`: tables named sift_*, sqlite_* and _sqlx_migrations are sift's own \
                     (its ledger, claims and history) or the database's; name the dataset's table otherwise",
                    table.name
                ));
            }
            for column in self.columns.iter().filter(|c| c.load) {
                check_identifier(&format!("column `{}`", column.name), &column.name)?;
            }
            if table.on_conflict.changes_rows() && table.key.is_empty() {
                let mode =
                    if table.on_conflict == sift_model::OnConflict::History { "history" } else { "update" };
                return bad(format!(
                    "[table] on_conflict = \"{mode}\" needs a key: with none, no row is the one a later \
                     row changes"
                ));
            }
            if table.on_conflict == sift_model::OnConflict::History
                && let Some(column) = self.columns.iter().find(|c| {
                    c.load && sift_model::VALIDITY_COLUMNS.iter().any(|v| c.name.eq_ignore_ascii_case(v))
                })
            {
                return bad(format!(
                    "column `{}` is one sift adds to a table with on_conflict = \"history\"; rename it or set \
                     load = false",
                    column.name
                ));
            }
            let mut seen = HashSet::new();
            for key in &table.key {
                match self.column(key) {
                    None => return bad(format!("[table] key column `{key}` is not declared in [[columns]]")),
                    Some(c) if !c.required => {
                        return bad(format!(
                            "[table] key column `{key}` is optional; key columns must be required"
                        ));
                    }
                    Some(c) if !c.load => {
                        return bad(format!(
                            "[table] key column `{key}` is not loaded (load = false); key columns must load"
                        ));
                    }
                    Some(_) if !seen.insert(key) => {
                        return bad(format!("[table] key names column `{key}` twice"));
                    }
                    Some(_) => {}
                }
            }
            for reserved in ["source_uri", "loaded_at"] {
                if self.columns.iter().any(|c| c.load && c.name.eq_ignore_ascii_case(reserved)) {
                    return bad(format!(
                        "column `{reserved}` is one sift adds to every table; rename it or set load = false"
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Longest identifier PostgreSQL keeps (`NAMEDATALEN` - 1, in bytes): a longer one is cut
/// silently, so the table sift creates would not be the one the contract names.
pub(crate) const MAX_IDENTIFIER_BYTES: usize = 63;

/// An identifier of the table (`what` says which) that every warehouse keeps as written: at most
/// [`MAX_IDENTIFIER_BYTES`] bytes, no control character.
fn check_identifier(what: &str, identifier: &str) -> Result<()> {
    if identifier.len() > MAX_IDENTIFIER_BYTES {
        return Err(Error::Contract(format!(
            "{what}: `{identifier}` is {} bytes; PostgreSQL keeps {MAX_IDENTIFIER_BYTES} and would cut it \
             (later runs would not find the table they created): shorten it",
            identifier.len()
        )));
    }
    if identifier.chars().any(char::is_control) {
        return Err(Error::Contract(format!(
            "{what} holds a control character; table and column names cannot"
        )));
    }
    Ok(())
}

/// Most bytes of a contract's text (TOML or YAML): contracts are a few kilobytes, and one
/// declaring and checking the widest header a file may have (`max_columns`, 16,384), with a
/// suggestion's evidence, about 5 MiB.
pub(crate) const MAX_CONTRACT_BYTES: usize = 8 << 20;

/// Deepest nesting of a contract's text (mappings, sequences, arrays, inline tables).
pub(crate) const MAX_CONTRACT_DEPTH: usize = 64;

/// Refuses a contract text too large or nested too deep, before any parser sees it: a hostile
/// file costs a scan, never a parser's time or stack. The depth counts flow brackets (`[`, `{`
/// outside quotes and comments) and, for YAML, indentation levels and `- ` item markers.
pub(crate) fn check_text_shape(text: &str, kind: &str) -> Result<()> {
    if text.len() > MAX_CONTRACT_BYTES {
        return Err(Error::Contract(format!(
            "the {kind} contract is {} bytes, more than the {MAX_CONTRACT_BYTES} a contract may have",
            text.len()
        )));
    }
    let yaml = kind == "YAML";
    let (mut flow, mut quote) = (0usize, None::<char>);
    let mut indents: Vec<usize> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut block = 0;
        if yaml && flow == 0 && quote.is_none() {
            let content = line.trim_start_matches(' ');
            if !content.is_empty() && !content.starts_with('#') {
                let indent = line.len() - content.len();
                while indents.last().is_some_and(|&top| top >= indent) {
                    indents.pop();
                }
                indents.push(indent);
                let items = content.split_inclusive("- ").take_while(|part| part.trim() == "-").count();
                block = indents.len() + items;
            }
        }
        for c in line.chars() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => flow += 1,
                (None, ']' | '}') => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        // A quote never spans lines in TOML's basic strings nor in YAML's plain scalars: a
        // stray one ends with its line (multi-line strings are rare in contracts, and only
        // make this count lower).
        quote = None;
        if block + flow > MAX_CONTRACT_DEPTH {
            return Err(Error::Contract(format!(
                "line {}: the {kind} contract nests deeper than {MAX_CONTRACT_DEPTH} levels",
                n + 1
            )));
        }
    }
    Ok(())
}

/// The parameters of one rule's check: compilable patterns, non-empty ranges and sets, valid
/// bounds.
fn check_parameters(rule: &Rule) -> Result<()> {
    let id = &rule.id;
    let bad = |msg: String| Err(Error::Contract(format!("rule `{id}`: {msg}")));
    match &rule.check {
        Check::Regex { pattern, .. } => {
            regex::Regex::new(pattern).map_err(|source| Error::Regex { rule: id.clone(), source })?;
        }
        Check::Integer { min, max, .. } if min > max => {
            return bad(format!("min {min} is greater than max {max}"));
        }
        Check::Decimal { precision, scale, min, max, .. } => {
            if *precision == 0 || scale > precision {
                return bad(format!(
                    "precision {precision} and scale {scale}: precision must be at least 1 and at least the scale"
                ));
            }
            let bound = |name: &str, text: &Option<String>| -> Result<Option<String>> {
                match text {
                    None => Ok(None),
                    Some(t) if Decimal::parse(t).is_some() => Ok(Some(t.clone())),
                    Some(t) => Err(Error::Contract(format!(
                        "rule `{id}`: {name} {t:?} is not a decimal (write it as a string like \"12.50\")"
                    ))),
                }
            };
            if let (Some(lo), Some(hi)) = (bound("min", min)?, bound("max", max)?)
                && Decimal::parse(&lo) > Decimal::parse(&hi)
            {
                return bad(format!("min {lo} is greater than max {hi}"));
            }
        }
        Check::Boolean { .. } => {
            let (yes, no) = rule.check.boolean_words();
            if yes.is_empty() || no.is_empty() || yes.iter().chain(&no).any(String::is_empty) {
                return bad("true_values and false_values must each name at least one non-empty word".into());
            }
            if let Some(both) = yes.iter().find(|w| no.contains(w)) {
                return bad(format!("{both:?} is both a true value and a false value"));
            }
        }
        Check::Timestamp { after: Some(after), .. } if crate::instant::parse_instant(after).is_none() => {
            return bad(format!(
                "after {after:?} is not an RFC 3339 timestamp (like \"2020-01-01T00:00:00Z\")"
            ));
        }
        Check::Length { min: Some(min), max: Some(max), .. } if min > max => {
            return bad(format!("min {min} is greater than max {max}"));
        }
        Check::OneOf { values, .. } if values.is_empty() => return bad("the allowed set is empty".into()),
        Check::Unique { key } if key.is_empty() => return bad("the uniqueness key has no column".into()),
        _ => {}
    }
    Ok(())
}
