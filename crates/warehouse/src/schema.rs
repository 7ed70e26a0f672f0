//! A contract's table in the warehouse: its DDL, derived from the [`TableSpec`], and the check
//! of an existing table against it (SPEC section 7). sift creates a missing table and never
//! alters or drops an existing one: a mismatch is refused with every difference listed.

use sift_model::{ColumnType, OnConflict, TableSpec, VALIDITY_COLUMNS};

/// An identifier quoted for SQL (both PostgreSQL and SQLite): `"name"`, `"` doubled.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The table as PostgreSQL names it: `"schema"."table"` or `"table"`.
pub(crate) fn pg_table(spec: &TableSpec) -> String {
    match spec.qualified() {
        (Some(schema), table) => format!("{}.{}", quote(schema), quote(table)),
        (None, table) => quote(table),
    }
}

/// The table as SQLite names it: a schema qualifier is ignored (SPEC section 7).
pub(crate) fn sqlite_table(spec: &TableSpec) -> String {
    quote(spec.unqualified_name())
}

/// Every column a load writes, quoted and comma-separated: the loaded columns in
/// [`TableSpec`] order, then `source_uri` and `loaded_at` (the order of a load's `COPY` and
/// `INSERT`).
pub(crate) fn row_columns(spec: &TableSpec) -> String {
    let mut columns: Vec<String> = spec.columns.iter().map(|c| quote(&c.name)).collect();
    columns.extend(["source_uri".to_owned(), "loaded_at".to_owned()]);
    columns.join(", ")
}

/// The loaded columns outside the key, quoted: what an update compares and replaces.
pub(crate) fn non_key_columns(spec: &TableSpec) -> Vec<String> {
    spec.columns.iter().filter(|c| !spec.key.contains(&c.name)).map(|c| quote(&c.name)).collect()
}

/// The PostgreSQL type a column of `ty` is created with.
pub(crate) fn pg_type(ty: ColumnType) -> String {
    match ty {
        ColumnType::Int16 => "SMALLINT".into(),
        ColumnType::Int32 => "INTEGER".into(),
        ColumnType::Int64 => "BIGINT".into(),
        ColumnType::Decimal { precision, scale } => format!("NUMERIC({precision}, {scale})"),
        ColumnType::Boolean => "BOOLEAN".into(),
        ColumnType::Date => "DATE".into(),
        ColumnType::Timestamp => "TIMESTAMPTZ".into(),
        ColumnType::Text => "TEXT".into(),
    }
}

/// The SQLite type a column of `ty` is created with: INTEGER for integers and booleans (0/1),
/// TEXT for the rest (canonical decimals, `YYYY-MM-DD`, RFC 3339 UTC, text).
pub(crate) fn sqlite_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64 | ColumnType::Boolean => "INTEGER",
        _ => "TEXT",
    }
}

/// `CREATE TABLE IF NOT EXISTS` for the table: its columns (`NOT NULL` when required), then
/// `source_uri` and `loaded_at`, and the key as the primary key. A history table
/// (`on_conflict = "history"`) has the validity columns (`history`: their DDL) instead of
/// a primary key; [`current_key_index`] makes its key unique among current rows.
pub(crate) fn create_table(
    spec: &TableSpec,
    table: &str,
    type_of: impl Fn(ColumnType) -> String,
    loaded_at: &str,
    history: [&str; 3],
) -> String {
    let mut lines: Vec<String> = spec
        .columns
        .iter()
        .map(|c| {
            format!("    {} {}{}", quote(&c.name), type_of(c.ty), if c.nullable { "" } else { " NOT NULL" })
        })
        .collect();
    lines.push("    source_uri TEXT NOT NULL".into());
    lines.push(format!("    loaded_at {loaded_at}"));
    if spec.on_conflict == OnConflict::History {
        for (name, ty) in VALIDITY_COLUMNS.iter().zip(history) {
            lines.push(format!("    {name} {ty}"));
        }
    } else if !spec.key.is_empty() {
        let key: Vec<String> = spec.key.iter().map(|k| quote(k)).collect();
        lines.push(format!("    PRIMARY KEY ({})", key.join(", ")));
    }
    format!("CREATE TABLE IF NOT EXISTS {table} (\n{}\n)", lines.join(",\n"))
}

/// The PostgreSQL DDL of the table (and its schema, when qualified).
pub(crate) fn pg_create(spec: &TableSpec) -> Vec<String> {
    let mut statements = Vec::new();
    if let (Some(schema), _) = spec.qualified() {
        statements.push(format!("CREATE SCHEMA IF NOT EXISTS {}", quote(schema)));
    }
    let history = ["TIMESTAMPTZ NOT NULL DEFAULT now()", "TIMESTAMPTZ", "BOOLEAN NOT NULL DEFAULT TRUE"];
    statements.push(create_table(
        spec,
        &pg_table(spec),
        pg_type,
        "TIMESTAMPTZ NOT NULL DEFAULT now()",
        history,
    ));
    statements.extend(current_key_index(spec, &pg_table(spec)));
    statements
}

/// The SQLite DDL of the table.
pub(crate) fn sqlite_create(spec: &TableSpec) -> Vec<String> {
    let history = ["TEXT NOT NULL", "TEXT", "INTEGER NOT NULL DEFAULT 1"];
    let mut statements = vec![create_table(
        spec,
        &sqlite_table(spec),
        |ty| sqlite_type(ty).to_owned(),
        "TEXT NOT NULL",
        history,
    )];
    statements.extend(current_key_index(spec, &sqlite_table(spec)));
    statements
}

/// A history table's key, unique among its current rows: a partial unique index.
fn current_key_index(spec: &TableSpec, table: &str) -> Option<String> {
    (spec.on_conflict == OnConflict::History && !spec.key.is_empty()).then(|| {
        let key: Vec<String> = spec.key.iter().map(|k| quote(k)).collect();
        let index = quote(&format!("{}_current_key", spec.unqualified_name()));
        format!("CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} ({}) WHERE is_current", key.join(", "))
    })
}

/// A column of an existing table, as its catalog describes it.
#[derive(Debug, Clone)]
pub(crate) struct ExistingColumn {
    pub name: String,
    /// PostgreSQL: `format_type` (`numeric(12,2)`, `character varying`); SQLite: the declared
    /// type.
    pub ty: String,
    pub not_null: bool,
    pub has_default: bool,
}

/// An existing table: its columns and the column sets of its primary key and unique
/// constraints (each sorted), and of its unique indexes partial on `is_current` (a history
/// table's key).
#[derive(Debug, Clone, Default)]
pub(crate) struct ExistingTable {
    pub columns: Vec<ExistingColumn>,
    pub unique_keys: Vec<Vec<String>>,
    pub current_keys: Vec<Vec<String>>,
}

/// The SQL dialect of a warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlDialect {
    /// PostgreSQL ([`crate::PgWarehouse`]).
    Postgres,
    /// SQLite ([`crate::SqliteWarehouse`]).
    Sqlite,
}

/// The `CREATE` statements sift runs for `table` in `dialect` (a schema first when the
/// PostgreSQL name is qualified), as `sift contract check` prints them.
pub fn ddl(table: &TableSpec, dialect: SqlDialect) -> Vec<String> {
    match dialect {
        SqlDialect::Postgres => pg_create(table),
        SqlDialect::Sqlite => sqlite_create(table),
    }
}

/// Whether a column declared `existing` holds every value of `ty`.
fn compatible(dialect: SqlDialect, ty: ColumnType, existing: &str) -> bool {
    let existing = existing.trim().to_ascii_lowercase();
    match dialect {
        SqlDialect::Sqlite => affinity(&existing) == affinity(&sqlite_type(ty).to_ascii_lowercase()),
        SqlDialect::Postgres => match ty {
            ColumnType::Int16 => matches!(existing.as_str(), "smallint" | "integer" | "bigint"),
            ColumnType::Int32 => matches!(existing.as_str(), "integer" | "bigint"),
            ColumnType::Int64 => existing == "bigint",
            ColumnType::Decimal { precision, scale } => match existing.strip_prefix("numeric") {
                Some("") => true,
                Some(rest) => {
                    let inner = rest.trim().trim_start_matches('(').trim_end_matches(')');
                    let mut parts = inner.split(',').map(|p| p.trim().parse::<i64>());
                    match (parts.next(), parts.next()) {
                        (Some(Ok(p)), Some(Ok(s))) => {
                            s == i64::from(scale) && p - s >= i64::from(precision) - i64::from(scale)
                        }
                        _ => false,
                    }
                }
                None => false,
            },
            ColumnType::Boolean => existing == "boolean",
            ColumnType::Date => existing == "date",
            ColumnType::Timestamp => existing == "timestamp with time zone",
            ColumnType::Text => matches!(existing.as_str(), "text" | "character varying"),
        },
    }
}

/// SQLite's type affinity of a declared type (section 3.1 of its datatype documentation).
fn affinity(declared: &str) -> &'static str {
    let d = declared.to_ascii_uppercase();
    if d.contains("INT") {
        "INTEGER"
    } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        "TEXT"
    } else if d.is_empty() || d.contains("BLOB") {
        "BLOB"
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// Every way `existing` differs from what `spec` needs, in words (empty when it fits): a loaded
/// column missing or of an incompatible type, or NOT NULL where the contract's column is
/// optional; `source_uri` or `loaded_at` missing; a NOT NULL column without a default that
/// the contract does not load; a key no primary key or unique constraint backs.
pub(crate) fn differences(dialect: SqlDialect, spec: &TableSpec, existing: &ExistingTable) -> Vec<String> {
    let mut out = Vec::new();
    let find = |name: &str| existing.columns.iter().find(|c| c.name == name);
    let want = |ty: ColumnType| match dialect {
        SqlDialect::Postgres => pg_type(ty),
        SqlDialect::Sqlite => format!("{} affinity", sqlite_type(ty)),
    };
    for column in &spec.columns {
        match find(&column.name) {
            None => out.push(format!(
                "column `{}` is missing (the contract loads it as {})",
                column.name,
                want(column.ty)
            )),
            Some(found) if !compatible(dialect, column.ty, &found.ty) => out.push(format!(
                "column `{}` is {}, but the contract loads {} into it",
                column.name,
                if found.ty.is_empty() { "untyped".to_owned() } else { found.ty.clone() },
                want(column.ty)
            )),
            Some(found) if found.not_null && column.nullable => out.push(format!(
                "column `{}` is NOT NULL, but the contract's column is optional (null when absent or empty)",
                column.name
            )),
            Some(_) => {}
        }
    }
    // The columns sift writes itself: on every row, and a history table's validity.
    let history = spec.on_conflict == OnConflict::History;
    let every_row = "sift records it on every row";
    let validity = "a table with on_conflict = \"history\" keeps each version's validity";
    let mut own =
        vec![("source_uri", ColumnType::Text, every_row), ("loaded_at", ColumnType::Timestamp, every_row)];
    if history {
        let types = [ColumnType::Timestamp, ColumnType::Timestamp, ColumnType::Boolean];
        own.extend(VALIDITY_COLUMNS.iter().zip(types).map(|(name, ty)| (*name, ty, validity)));
    }
    for &(name, ty, why) in &own {
        // SQLite keeps instants as text.
        let fits = |found: &ExistingColumn| match (dialect, ty) {
            (SqlDialect::Sqlite, ColumnType::Timestamp) => affinity(&found.ty.to_ascii_lowercase()) == "TEXT",
            _ => compatible(dialect, ty, &found.ty),
        };
        match find(name) {
            None => out.push(format!("column `{name}` is missing ({why})")),
            Some(found) if !fits(found) => {
                out.push(format!("column `{name}` is {}, but sift writes {} into it", found.ty, want(ty)))
            }
            // PostgreSQL loads leave a new version's validity to the defaults.
            Some(found)
                if dialect == SqlDialect::Postgres
                    && ["valid_from", "is_current"].contains(&name)
                    && !found.has_default =>
            {
                out.push(format!(
                    "column `{name}` has no default (a new version takes {} from it)",
                    if name == "valid_from" { "now()" } else { "TRUE" }
                ))
            }
            Some(_) => {}
        }
    }
    for found in &existing.columns {
        let loaded = spec.column(&found.name).is_some() || own.iter().any(|(name, ..)| *name == found.name);
        if !loaded && found.not_null && !found.has_default {
            out.push(format!(
                "column `{}` is NOT NULL without a default, and the contract does not load it",
                found.name
            ));
        }
    }
    if history {
        let mut key = spec.key.clone();
        key.sort();
        if !existing.current_keys.contains(&key) {
            out.push(format!(
                "no unique index on exactly ({}) WHERE is_current, the contract's key among current rows",
                spec.key.join(", ")
            ));
        }
    } else if !spec.key.is_empty() {
        let mut key = spec.key.clone();
        key.sort();
        if !existing.unique_keys.contains(&key) {
            out.push(format!(
                "no primary key or unique constraint on exactly ({}), the contract's key",
                spec.key.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use sift_model::TableColumn;

    use super::*;

    fn orders() -> TableSpec {
        TableSpec {
            name: "sales.fact_order".into(),
            columns: vec![
                TableColumn::new("order_id", ColumnType::Int64, false),
                TableColumn::new("line_no", ColumnType::Int16, false),
                TableColumn::new("amount", ColumnType::Decimal { precision: 12, scale: 2 }, false),
                TableColumn::new("paid", ColumnType::Boolean, false),
                TableColumn::new("ordered_at", ColumnType::Timestamp, false),
                TableColumn::new("note", ColumnType::Text, true),
            ],
            key: vec!["order_id".into(), "line_no".into()],
            on_conflict: Default::default(),
        }
    }

    fn column(name: &str, ty: &str, not_null: bool) -> ExistingColumn {
        ExistingColumn { name: name.into(), ty: ty.into(), not_null, has_default: false }
    }

    fn fitting() -> ExistingTable {
        ExistingTable {
            columns: vec![
                column("order_id", "bigint", true),
                column("line_no", "integer", true),
                column("amount", "numeric(14,2)", true),
                column("paid", "boolean", true),
                column("ordered_at", "timestamp with time zone", true),
                column("note", "character varying", false),
                column("source_uri", "text", true),
                column("loaded_at", "timestamp with time zone", true),
            ],
            unique_keys: vec![vec!["line_no".into(), "order_id".into()]],
            current_keys: Vec::new(),
        }
    }

    #[test]
    fn the_ddl_follows_the_contract() {
        let ddl = pg_create(&orders());
        assert_eq!(ddl[0], "CREATE SCHEMA IF NOT EXISTS \"sales\"");
        assert!(ddl[1].starts_with("CREATE TABLE IF NOT EXISTS \"sales\".\"fact_order\" (\n"), "{}", ddl[1]);
        for line in [
            "\"order_id\" BIGINT NOT NULL",
            "\"line_no\" SMALLINT NOT NULL",
            "\"amount\" NUMERIC(12, 2) NOT NULL",
            "\"paid\" BOOLEAN NOT NULL",
            "\"ordered_at\" TIMESTAMPTZ NOT NULL",
            "\"note\" TEXT,",
            "source_uri TEXT NOT NULL",
            "loaded_at TIMESTAMPTZ NOT NULL DEFAULT now()",
            "PRIMARY KEY (\"order_id\", \"line_no\")",
        ] {
            assert!(ddl[1].contains(line), "{line} in {}", ddl[1]);
        }
        let sqlite = sqlite_create(&orders()).join(";\n");
        assert!(sqlite.starts_with("CREATE TABLE IF NOT EXISTS \"fact_order\" ("), "{sqlite}");
        assert!(
            sqlite.contains("\"paid\" INTEGER NOT NULL") && sqlite.contains("\"amount\" TEXT NOT NULL"),
            "{sqlite}"
        );
    }

    #[test]
    fn a_fitting_table_has_no_difference_and_each_mismatch_is_named() {
        assert_eq!(differences(SqlDialect::Postgres, &orders(), &fitting()), Vec::<String>::new());
        let mut wrong = fitting();
        wrong.columns[0].ty = "text".into(); // order_id
        wrong.columns[2].ty = "numeric(12,3)".into(); // amount: another scale
        wrong.columns[5].not_null = true; // note is optional in the contract
        wrong.columns.retain(|c| c.name != "paid");
        wrong.columns.push(column("region", "text", true));
        wrong.unique_keys.clear();
        let found = differences(SqlDialect::Postgres, &orders(), &wrong);
        let expected = [
            "column `order_id` is text, but the contract loads BIGINT into it",
            "column `amount` is numeric(12,3), but the contract loads NUMERIC(12, 2) into it",
            "column `paid` is missing",
            "column `note` is NOT NULL",
            "column `region` is NOT NULL without a default",
            "no primary key or unique constraint on exactly (order_id, line_no)",
        ];
        assert_eq!(found.len(), expected.len(), "{found:#?}");
        for (f, e) in found.iter().zip(expected) {
            assert!(f.starts_with(e), "{f:?} should start with {e:?}");
        }
    }

    #[test]
    fn a_history_table_has_its_validity_columns_and_its_key_unique_among_current_rows() {
        let history = TableSpec { on_conflict: OnConflict::History, ..orders() };
        let ddl = pg_create(&history);
        assert!(!ddl[1].contains("PRIMARY KEY"), "{}", ddl[1]);
        for line in
            ["valid_from TIMESTAMPTZ NOT NULL DEFAULT now()", "valid_to TIMESTAMPTZ", "is_current BOOLEAN"]
        {
            assert!(ddl[1].contains(line), "{line} in {}", ddl[1]);
        }
        assert_eq!(
            ddl[2],
            "CREATE UNIQUE INDEX IF NOT EXISTS \"fact_order_current_key\" ON \"sales\".\"fact_order\" (\"order_id\", \"line_no\") WHERE is_current"
        );
        assert!(sqlite_create(&history)[1].ends_with("WHERE is_current"));
        // The fitting skip table is not a history table: no validity, no current key.
        let found = differences(SqlDialect::Postgres, &history, &fitting());
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found[0].starts_with("column `valid_from` is missing"), "{found:#?}");
        assert!(found[3].starts_with("no unique index on exactly (order_id, line_no) WHERE is_current"));
        let mut versioned = fitting();
        versioned.columns.extend([
            ExistingColumn { has_default: true, ..column("valid_from", "timestamp with time zone", true) },
            column("valid_to", "timestamp with time zone", false),
            ExistingColumn { has_default: true, ..column("is_current", "boolean", true) },
        ]);
        versioned.current_keys = versioned.unique_keys.clone();
        assert_eq!(differences(SqlDialect::Postgres, &history, &versioned), Vec::<String>::new());
        // A new version's validity comes from the defaults.
        versioned.columns.iter_mut().filter(|c| c.name == "is_current").for_each(|c| c.has_default = false);
        assert_eq!(
            differences(SqlDialect::Postgres, &history, &versioned),
            ["column `is_current` has no default (a new version takes TRUE from it)"]
        );
    }

    #[test]
    fn type_compatibility_follows_the_spec() {
        use ColumnType::*;
        let pg = |ty, existing| compatible(SqlDialect::Postgres, ty, existing);
        assert!(pg(Int16, "integer") && pg(Int16, "bigint") && pg(Int32, "bigint") && !pg(Int64, "integer"));
        assert!(!pg(Int64, "text") && !pg(Text, "bigint"));
        assert!(
            pg(Decimal { precision: 5, scale: 2 }, "numeric")
                && pg(Decimal { precision: 5, scale: 2 }, "numeric(7,2)")
        );
        assert!(
            !pg(Decimal { precision: 5, scale: 2 }, "numeric(4,2)")
                && !pg(Decimal { precision: 5, scale: 2 }, "numeric(6,3)")
        );
        assert!(
            !pg(Timestamp, "timestamp without time zone") && pg(Date, "date") && !pg(Boolean, "smallint")
        );
        let lite = |ty, existing| compatible(SqlDialect::Sqlite, ty, existing);
        assert!(lite(Int64, "INTEGER") && lite(Boolean, "int") && lite(Int16, "BIGINT"));
        assert!(
            lite(Text, "VARCHAR(20)")
                && lite(Date, "TEXT")
                && lite(Decimal { precision: 5, scale: 2 }, "text")
        );
        assert!(!lite(Int64, "TEXT") && !lite(Date, "DATE") && !lite(Text, "INTEGER"));
    }
}
