//! `sift contract check`, `import` and `export`, and reading a contract file the way every
//! command does.

use std::path::Path;

use anyhow::{Context, Result};
use sift_validator::Contract;
use sift_warehouse::SqlDialect;

use crate::output::{out, outln};

/// The SQL dialects `sift contract check` prints DDL for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum DialectArg {
    Postgres,
    Sqlite,
}

/// `sift contract check`: the contract as sift reads it, without data.
pub(crate) async fn check_contract(path: &Path, dialect: DialectArg) -> Result<()> {
    let contract = read_contract(path).await?;
    outln!("contract {} is valid", path.display());
    outln!("dataset: {}", contract.name);
    let format = contract.format;
    let delimiter =
        if format.delimiter == '\t' { "tab".to_owned() } else { format!("{:?}", format.delimiter) };
    outln!("format: delimiter {delimiter}, quote {:?}, encoding {}", format.quote, format.encoding.name());
    if format.extra_columns == sift_validator::ExtraColumns::Reject {
        outln!("extra header columns: the file is rejected (extra_columns = \"reject\")");
    }
    outln!(
        "input limits: {} bytes a value, {} bytes a record, {} columns (past one, a file is rejected)",
        format.max_field_bytes,
        format.max_record_bytes,
        format.max_columns
    );
    match contract.table() {
        Some(table) => {
            let key =
                if table.key.is_empty() { "none (append-only)".to_owned() } else { table.key.join(", ") };
            outln!("table: {} (key: {key})", table.name);
            outln!("columns loaded:");
            for column in &table.columns {
                let null = if column.nullable { "optional" } else { "required" };
                outln!("  {:<24} {:<20} {null}", column.name, column.ty.to_string());
            }
            let dialect = match dialect {
                DialectArg::Postgres => SqlDialect::Postgres,
                DialectArg::Sqlite => SqlDialect::Sqlite,
            };
            outln!("DDL:");
            for statement in sift_warehouse::ddl(&table, dialect) {
                outln!("{statement};");
            }
        }
        None => outln!("table: none (validate only: nothing is loaded)"),
    }
    if let Some(pct) = contract.limits.max_invalid_pct {
        outln!("held when over: {pct}% invalid rows");
    }
    outln!("failure ids, in report order:");
    for id in contract.failure_ids() {
        let rule = contract.rules.iter().find(|r| r.id == id);
        let mut notes = Vec::new();
        if contract.is_warning(&id) {
            notes.push("warn: the row loads".to_owned());
        }
        if id == sift_validator::NUL_BYTE {
            notes.push(
                "sift's own: a loaded text value holds a NUL byte, which no warehouse stores".to_owned(),
            );
        }
        if let Some(pct) = rule.and_then(|r| r.max_failure_pct) {
            notes.push(format!("held when over {pct}%"));
        }
        if notes.is_empty() {
            outln!("  {id}");
        } else {
            outln!("  {id} ({})", notes.join("; "));
        }
    }
    Ok(())
}

/// Reads and checks a contract as a route names one (a file, TOML or ODCS YAML, `s3://...` or
/// `builtin:customer`), listing on stderr the ODCS fields sift cannot map.
pub(crate) async fn read_contract(path: &Path) -> Result<Contract> {
    let location = path.display().to_string();
    let aws = sift_shell::Aws::new(sift_shell::AwsOptions::default());
    let loaded = sift_shell::load_contract(&location, false, Path::new(""), &aws).await?;
    note_unmapped(&location, &loaded.unmapped);
    Ok(loaded.contract)
}

/// Says on stderr which ODCS fields of the contract at `location` sift does not check.
pub(crate) fn note_unmapped(location: &str, unmapped: &[String]) {
    for item in unmapped {
        eprintln!("note: {location}: not mapped from ODCS: {item}");
    }
}

/// `sift contract export`: a contract as sift TOML, or as ODCS v3.1 YAML.
pub(crate) async fn export_contract(path: &Path, odcs: bool, out: Option<&Path>) -> Result<()> {
    let contract = read_contract(path).await?;
    let text = if odcs {
        sift_validator::export_odcs(&contract).with_context(|| format!("exporting {}", path.display()))?
    } else {
        contract.to_toml()
    };
    write_out(&text, out)
}

/// Writes `text` to the file `out`, or to stdout.
fn write_out(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(out) => std::fs::write(out, text).with_context(|| format!("writing {}", out.display())),
        None => {
            out!("{text}");
            Ok(())
        }
    }
}

/// `sift contract import`: an ODCS contract as sift TOML.
pub(crate) fn import_contract(path: &Path, object: Option<&str>, out: Option<&Path>) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let imported = match object {
        Some(object) => sift_validator::import_odcs_object(&text, object),
        None => sift_validator::import_odcs(&text),
    }
    .with_context(|| format!("in {}", path.display()))?;
    write_out(&imported.contract.to_toml(), out)?;
    if !imported.unmapped.is_empty() {
        eprintln!("not mapped from {} ({}):", path.display(), imported.unmapped.len());
        for item in &imported.unmapped {
            eprintln!("  {item}");
        }
    }
    // One line to end on: what was mapped, and what was not.
    let contract = &imported.contract;
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    eprintln!(
        "imported {}: {}, {} ({} required); {} not mapped",
        path.display(),
        plural(contract.rules.len(), "check", "checks"),
        plural(contract.columns.len(), "column", "columns"),
        contract.columns.iter().filter(|c| c.required).count(),
        plural(imported.unmapped.len(), "field", "fields"),
    );
    Ok(())
}
