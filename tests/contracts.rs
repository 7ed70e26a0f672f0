//! Contracts other than the customer one, end to end with the real `sift` binary (SPEC section
//! 7): the orders example (composite key, decimals, booleans, timestamps, an optional column)
//! and the products example (a schema-qualified table), into SQLite and PostgreSQL. The table
//! is created from the contract, the counts are exactly what the generator planted, the values
//! are stored as section 7 says, a re-run inserts nothing, and a pre-existing table of the
//! wrong shape is refused with every difference listed and nothing loaded.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sift_tests::pg::fresh_database;
use sift_tests::{repo, sift};
use sqlx::{Connection, Row};

fn contract(name: &str) -> PathBuf {
    repo().join(format!("contracts/{name}.toml"))
}

fn example(name: &str) -> PathBuf {
    repo().join(format!("examples/{name}.csv"))
}

/// The example as the generator makes it, and what it planted: the committed file is exactly
/// the generator's output.
fn planted(dataset: &str, rows: u64) -> sift_datagen::DatasetSummary {
    let mut csv = Vec::new();
    let summary = match dataset {
        "orders" => sift_datagen::generate_orders(42, 5.0, rows, &mut csv).unwrap(),
        _ => sift_datagen::generate_products(42, 5.0, rows, &mut csv).unwrap(),
    };
    assert_eq!(
        csv,
        std::fs::read(example(dataset)).unwrap(),
        "examples/{dataset}.csv is the generator's output"
    );
    summary
}

/// `sift run` with `--json`; the exit status and the summary.
fn run(input: &Path, contract: &Path, out: &Path, warehouse: Option<&str>) -> (i32, Value) {
    let mut command = sift();
    command.arg("run").arg(input).arg("--contract").arg(contract).arg("--out").arg(out);
    command.args(["--as-of", "2026-11-26", "--json"]);
    if let Some(url) = warehouse {
        command.args(["--warehouse", url]);
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout:?} {}", String::from_utf8_lossy(&output.stderr)));
    (output.status.code().unwrap(), json)
}

/// The first run of a file: its counts are the generator's, and the invalid-records file has
/// one row per invalid row.
fn assert_first_run(json: &Value, planted: &sift_datagen::DatasetSummary, dataset: &str, table: &str) {
    assert_eq!(json["status"], "ok", "{json}");
    assert_eq!((json["dataset"].as_str(), json["table"].as_str()), (Some(dataset), Some(table)));
    assert_eq!(json["total"], planted.rows);
    assert_eq!(json["invalid"], planted.invalid);
    assert_eq!(json["valid"], planted.rows - planted.invalid);
    assert_eq!(json["already_present"], planted.repeats, "planted repeats of a key are already present");
    assert_eq!(json["inserted"], planted.rows - planted.invalid - planted.repeats);
    for (rule, n) in &planted.failures {
        assert_eq!(json["rule_failures"][rule], *n, "{rule}: {json}");
    }
    let invalid = std::fs::read_to_string(json["invalid_records_uri"].as_str().unwrap()).unwrap();
    assert_eq!(invalid.lines().count() as u64, planted.invalid + 1, "header + one line per invalid row");
    assert!(invalid.lines().next().unwrap().ends_with(",row_number,failed_rules"));
}

#[test]
fn orders_load_into_sqlite_from_their_contract_and_a_rerun_inserts_nothing() {
    let planted = planted("orders", 2000);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, first) = run(&example("orders"), &contract("orders"), &out, None);
    assert_eq!(code, 0, "{first}");
    assert_first_run(&first, &planted, "orders", "fact_order");
    let (code, again) = run(&example("orders"), &contract("orders"), &out, None);
    assert_eq!(code, 0);
    assert_eq!((again["inserted"].as_u64(), again["already_loaded"].as_bool()), (Some(0), Some(true)));
    assert_eq!(again["already_present"], first["valid"]);

    // The stored forms of SPEC section 7, read back with SQLite's own client.
    let db = out.join("warehouse.db");
    let query = "SELECT count(*), typeof(order_id), typeof(paid), min(paid), max(paid), \
                 min(length(unit_price) - instr(unit_price, '.')), max(length(unit_price) - instr(unit_price, '.')), \
                 min(ordered_at LIKE '____-__-__T__:__:__.______Z'), sum(note IS NULL) > 0 FROM fact_order";
    let dump = std::process::Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone())",
        ])
        .arg(&db)
        .arg(query)
        .output()
        .unwrap();
    let dump = String::from_utf8(dump.stdout).unwrap();
    let expected = format!("({}, 'integer', 'integer', 0, 1, 2, 2, 1, 1)", first["inserted"]);
    assert_eq!(
        dump.trim(),
        expected,
        "rows, INTEGER keys, 0/1 booleans, two decimals, RFC 3339 UTC, NULL notes"
    );
}

#[tokio::test]
async fn orders_and_products_load_into_postgres_with_their_types_and_keys() {
    let url = fresh_database("sift_contracts_e2e").await;
    let dir = tempfile::tempdir().unwrap();
    for (dataset, table, rows) in [("orders", "fact_order", 2000), ("products", "catalog.dim_product", 1000)]
    {
        let planted = planted(dataset, rows);
        let out = dir.path().join(dataset);
        let (code, first) = run(&example(dataset), &contract(dataset), &out, Some(&url));
        assert_eq!(code, 0, "{first}");
        assert_first_run(&first, &planted, dataset, table);
        let (_, again) = run(&example(dataset), &contract(dataset), &out, Some(&url));
        assert_eq!((again["inserted"].as_u64(), again["already_loaded"].as_bool()), (Some(0), Some(true)));
    }

    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let types: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_schema::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_name IN ('fact_order', 'dim_product') ORDER BY table_schema, table_name, ordinal_position",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let of =
        |column: &str| types.iter().find(|(_, c, _)| c == column).map(|(s, _, t)| (s.as_str(), t.as_str()));
    assert_eq!(of("order_id"), Some(("public", "bigint")));
    assert_eq!(of("line_no"), Some(("public", "smallint")));
    assert_eq!(of("unit_price"), Some(("public", "numeric")));
    assert_eq!(of("paid"), Some(("public", "boolean")));
    assert_eq!(of("ordered_at"), Some(("public", "timestamp with time zone")));
    assert_eq!(of("note"), Some(("public", "text")));
    assert_eq!(of("launched_on"), Some(("catalog", "date")));
    assert_eq!(of("price"), Some(("catalog", "numeric")));

    // The composite key is the primary key, every key loaded once, values as written.
    let row = sqlx::query(
        "SELECT count(*), count(DISTINCT (order_id, line_no)), min(unit_price)::text, bool_or(paid), \
         bool_and(paid) FROM fact_order",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    let (count, distinct): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(count, distinct);
    assert!(row.get::<String, _>(2).split_once('.').is_some_and(|(_, cents)| cents.len() == 2));
    assert_eq!((row.get::<bool, _>(3), row.get::<bool, _>(4)), (true, false));
    let ledger: Vec<String> =
        sqlx::query_scalar("SELECT table_name FROM sift_load_ledger ORDER BY table_name")
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(ledger, ["catalog.dim_product", "fact_order"], "one ledger row per file and table");
}

#[tokio::test]
async fn a_table_of_the_wrong_shape_is_refused_with_every_difference_and_nothing_loaded() {
    let url = fresh_database("sift_contracts_mismatch").await;
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(
        "CREATE TABLE fact_order (order_id TEXT NOT NULL, line_no INTEGER NOT NULL, customer_id BIGINT, \
         sku TEXT, quantity INTEGER, unit_price NUMERIC(10, 3), currency TEXT, paid BOOLEAN, \
         ordered_at TIMESTAMP, note TEXT NOT NULL, source_uri TEXT, loaded_at TIMESTAMPTZ)",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut command = sift();
    command.arg("run").arg(example("orders")).arg("--contract").arg(contract("orders"));
    command.arg("--out").arg(dir.path()).args(["--as-of", "2026-11-26", "--warehouse", &url]);
    let output = command.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for difference in [
        "table fact_order does not fit the contract (5 differences)",
        "column `order_id` is text, but the contract loads BIGINT into it",
        "column `unit_price` is numeric(10,3), but the contract loads NUMERIC(10, 2) into it",
        "column `ordered_at` is timestamp without time zone, but the contract loads TIMESTAMPTZ into it",
        "column `note` is NOT NULL, but the contract's column is optional",
        "no primary key or unique constraint on exactly (order_id, line_no)",
        "sift never alters an existing table",
    ] {
        assert!(stderr.contains(difference), "{difference:?} missing from:\n{stderr}");
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM fact_order").fetch_one(&mut db).await.unwrap();
    let ledger: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sift_load_ledger").fetch_one(&mut db).await.unwrap();
    assert_eq!((rows, ledger), (0, 0), "nothing loaded, nothing recorded");
    assert!(!dir.path().join("invalid").exists(), "refused before anything was read");
    // The table is left as it was: still text.
    let ty: String = sqlx::query_scalar(
        "SELECT data_type::text FROM information_schema.columns WHERE table_name = 'fact_order' AND column_name = 'order_id'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(ty, "text");
}

#[test]
fn sift_contract_check_prints_the_table_and_the_failure_ids() {
    let output = sift().args(["contract", "check"]).arg(contract("orders")).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    for line in [
        "dataset: orders",
        "format: delimiter ',', quote '\"', encoding UTF-8",
        "table: fact_order (key: order_id, line_no)",
        "\"unit_price\" NUMERIC(10, 2) NOT NULL",
        "\"note\" TEXT,",
        "PRIMARY KEY (\"order_id\", \"line_no\")",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    let ids: Vec<&str> =
        text.lines().skip_while(|l| !l.starts_with("failure ids")).skip(1).map(str::trim).collect();
    assert_eq!(ids.first(), Some(&"not_null:order_id"));
    assert_eq!(ids[ids.len() - 2], "ordered_at");
    assert!(ids.last().unwrap().starts_with("nul_byte (sift's own"), "{ids:?}");
    assert_eq!(ids.len(), 9 + 10 + 1, "nine required columns, ten rules, sift's nul_byte");
    assert!(
        text.contains("input limits: 1048576 bytes a value, 16777216 bytes a record, 16384 columns"),
        "{text}"
    );

    // SQLite's DDL, and a bad contract refused with the problem named.
    let sqlite =
        sift().args(["contract", "check", "--dialect", "sqlite"]).arg(contract("products")).output().unwrap();
    let sqlite = String::from_utf8(sqlite.stdout).unwrap();
    assert!(
        sqlite.contains("CREATE TABLE IF NOT EXISTS \"dim_product\" (")
            && sqlite.contains("\"active\" INTEGER NOT NULL"),
        "{sqlite}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"x\"\n[table]\nname = \"t\"\nkey = [\"a\"]\n[[columns]]\nname = \"a\"\nrequired = false\n",
    )
    .unwrap();
    let output = sift().args(["contract", "check"]).arg(&bad).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("key column `a` is optional"));
}

#[test]
fn an_odcs_contract_runs_directly_with_the_outcome_of_its_hand_written_twin() {
    let dir = tempfile::tempdir().unwrap();
    let odcs = repo().join("contracts/odcs/customers.odcs.yaml");
    let twin = repo().join("contracts/odcs/customers.toml");
    let input = repo().join("examples/customers.csv");
    let (code_a, a) = run(&input, &odcs, &dir.path().join("a"), None);
    let (code_b, b) = run(&input, &twin, &dir.path().join("b"), None);
    assert_eq!((code_a, code_b), (0, 0), "{a}\n{b}");
    for field in [
        "status",
        "dataset",
        "table",
        "total",
        "valid",
        "invalid",
        "inserted",
        "already_present",
        "rule_failures",
        "rule_warnings",
    ] {
        assert_eq!(a[field], b[field], "{field}");
    }
    assert!(a["rule_warnings"]["phone_number"].as_u64().unwrap() > 0, "{a}");
    for file in ["invalid_records_uri", "warnings_uri"] {
        let read = |json: &Value| std::fs::read(json[file].as_str().unwrap()).unwrap();
        assert_eq!(read(&a), read(&b), "{file} differs");
    }
    // `sift contract import` prints the TOML and lists what it could not map.
    let output = sift().args(["contract", "import"]).arg(&odcs).output().unwrap();
    assert!(output.status.success());
    let toml = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        sift_validator::Contract::from_toml(&toml).unwrap(),
        sift_validator::Contract::from_toml(&std::fs::read_to_string(&twin).unwrap()).unwrap()
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("not mapped from") && stderr.contains("schema[0].properties[5].classification"),
        "{stderr}"
    );
    // It ends with one line of counts.
    let twin = sift_validator::Contract::from_toml(&std::fs::read_to_string(&twin).unwrap()).unwrap();
    let last = stderr.lines().last().unwrap();
    let expected = format!(
        "{} checks, {} columns ({} required); 4 fields not mapped",
        twin.rules.len(),
        twin.columns.len(),
        twin.columns.iter().filter(|c| c.required).count()
    );
    assert!(last.starts_with("imported ") && last.ends_with(&expected), "{last}");
}

#[test]
fn sift_contract_check_into_a_closed_pipe_ends_quietly() {
    // 3,000 rules: the listing is larger than a pipe's buffer, so the write meets the closed end.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name = \"many\"\n\n[[columns]]\nname = \"a\"\n");
    for i in 0..3_000 {
        text.push_str(&format!(
            "\n[[rules]]\nid = \"rule_{i}_{}\"\ncheck = \"length\"\ncolumn = \"a\"\nmax = 9\n",
            "x".repeat(20)
        ));
    }
    let path = dir.path().join("many.toml");
    std::fs::write(&path, text).unwrap();
    let mut child = std::process::Command::new(sift_tests::sift_path())
        .args(["contract", "check"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, as `head -c 100` would, then close the pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(String::from_utf8_lossy(&first).starts_with("contract "), "{}", String::from_utf8_lossy(&first));
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A contract whose checks are on optional columns, and a file exercising them.
const OPTIONAL_CONTRACT: &str = r#"
name = "members"
table = { name = "members", key = ["id"] }
columns = [{ name = "id" }, { name = "email", required = false }, { name = "points", required = false }]
rules = [
    { id = "id", check = "integer", column = "id", min = 1, max = 1000000 },
    { id = "email", check = "regex", column = "email", pattern = "^[^@ ]+@[^@ ]+$" },
    { id = "points", check = "integer", column = "points", min = 0, max = 1000 },
]
"#;
const OPTIONAL_CSV: &str =
    "id,email,points\n1,ann@example.com,10\n2,,\n3,not-an-email,5\n4,bo@example.com,-1\n";

/// Runs the optional-column contract on its file into `warehouse` (SQLite when `None`): the
/// null email and points load as NULLs, each bad present value is quarantined with its id.
fn run_optional(dir: &Path, warehouse: Option<&str>) {
    let (contract, input) = (dir.join("members.toml"), dir.join("members.csv"));
    std::fs::write(&contract, OPTIONAL_CONTRACT).unwrap();
    std::fs::write(&input, OPTIONAL_CSV).unwrap();
    let (code, json) = run(&input, &contract, &dir.join("out"), warehouse);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        (&json["valid"], &json["invalid"], &json["inserted"]),
        (&2.into(), &2.into(), &2.into()),
        "{json}"
    );
    assert_eq!(json["rule_failures"], serde_json::json!({"email": 1, "points": 1}));
    let invalid = std::fs::read_to_string(json["invalid_records_uri"].as_str().unwrap()).unwrap();
    assert!(invalid.contains("not-an-email") && invalid.contains(",-1,"), "{invalid}");
}

#[tokio::test]
async fn checks_on_optional_columns_pass_nulls_and_quarantine_bad_values_in_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    run_optional(dir.path(), None);
    let url = format!("sqlite://{}/out/warehouse.db", dir.path().display());
    let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(i64, Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT id, email, points FROM members ORDER BY id").fetch_all(&mut db).await.unwrap();
    assert_eq!(rows, [(1, Some("ann@example.com".into()), Some(10)), (2, None, None)]);

    let url = fresh_database("sift_optional_checks").await;
    let pg_dir = tempfile::tempdir().unwrap();
    run_optional(pg_dir.path(), Some(&url));
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let rows: Vec<(i32, Option<String>, Option<i16>)> =
        sqlx::query_as("SELECT id, email, points FROM members ORDER BY id").fetch_all(&mut db).await.unwrap();
    assert_eq!(rows, [(1, Some("ann@example.com".into()), Some(10)), (2, None, None)]);
}

#[test]
fn sift_runs_and_imports_one_object_of_an_odcs_document_of_several() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = dir.path().join("shop.odcs.yaml");
    std::fs::write(
        &yaml,
        "apiVersion: v3.1.0\nkind: DataContract\nname: shop\nschema:\n  - name: orders\n    properties:\n      - {name: order_id, required: true, logicalType: integer, primaryKey: true}\n  - name: lines\n    properties:\n      - {name: line_no, required: true, logicalType: integer, primaryKey: true, logicalTypeOptions: {format: u8}}\n",
    )
    .unwrap();
    let input = dir.path().join("lines.csv");
    std::fs::write(&input, "line_no\n1\n2\n300\n").unwrap();
    let located = PathBuf::from(format!("{}#lines", yaml.display()));
    let (code, json) = run(&input, &located, &dir.path().join("out"), None);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        (&json["dataset"], &json["table"], &json["valid"], &json["invalid"]),
        (&"lines".into(), &"lines".into(), &2.into(), &1.into())
    );
    // Without naming one, the error lists the objects.
    let output = sift().args(["contract", "import"]).arg(&yaml).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 objects (orders, lines)") && stderr.contains("--object NAME"), "{stderr}");
    let output = sift().args(["contract", "import", "--object", "orders"]).arg(&yaml).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("name = \"orders\""));
}

#[test]
fn an_exported_odcs_contract_reads_back_and_runs_as_its_toml() {
    let dir = tempfile::tempdir().unwrap();
    for (dataset, file) in [("customer", "customers"), ("orders", "orders"), ("products", "products")] {
        let toml = contract(dataset);
        let yaml = dir.path().join(format!("{dataset}.odcs.yaml"));
        let output =
            sift().args(["contract", "export", "--odcs", "--out"]).arg(&yaml).arg(&toml).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        // Imported again, it is the same contract, with nothing left unmapped.
        let output = sift().args(["contract", "import"]).arg(&yaml).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(
            sift_validator::Contract::from_toml(&String::from_utf8(output.stdout).unwrap()).unwrap(),
            sift_validator::Contract::from_toml(&std::fs::read_to_string(&toml).unwrap()).unwrap(),
            "{dataset}"
        );
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.trim_end().ends_with("; 0 fields not mapped"), "{stderr}");
        // And a run under it gives the TOML's outcome.
        let (code_a, a) = run(&example(file), &toml, &dir.path().join(format!("{dataset}-toml")), None);
        let (code_b, b) = run(&example(file), &yaml, &dir.path().join(format!("{dataset}-odcs")), None);
        assert_eq!((code_a, code_b), (0, 0), "{a}\n{b}");
        for field in ["rows", "valid", "invalid", "inserted", "rule_failures", "rule_warnings"] {
            assert_eq!(a[field], b[field], "{dataset}: {field}");
        }
        assert!(a["invalid"].as_u64().unwrap() > 0, "the example plants invalid rows: {a}");
    }
}

/// `sift contract suggest FILE` (with `extra` flags): the contract, with the stderr line.
fn suggest(input: &Path, out: &Path, extra: &[&str]) -> String {
    let output = sift()
        .args(["contract", "suggest", "--as-of", "2026-11-26", "--out"])
        .arg(out)
        .args(extra)
        .arg(input)
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    stderr
}

#[test]
fn a_suggested_contract_checks_and_its_file_validates_with_no_invalid_row() {
    let dir = tempfile::tempdir().unwrap();
    // Each shipped example, and generated files of every dataset: planted defects, none, and
    // the customers' country column.
    let mut inputs: Vec<PathBuf> = ["customers", "orders", "products"].iter().map(|f| example(f)).collect();
    for (dataset, invalid_pct, country) in [
        ("customers", 0.0, false),
        ("customers", 5.0, true),
        ("orders", 0.0, false),
        ("products", 0.0, false),
    ] {
        let mut csv = Vec::new();
        match dataset {
            "orders" => {
                sift_datagen::generate_orders(7, invalid_pct, 3_000, &mut csv).unwrap();
            }
            "products" => {
                sift_datagen::generate_products(7, invalid_pct, 3_000, &mut csv).unwrap();
            }
            _ => {
                let config = sift_datagen::Config { seed: 7, invalid_pct, country };
                sift_datagen::generate(&config, 3_000, &mut csv).unwrap();
            }
        }
        let path = dir.path().join(format!("{dataset}-{invalid_pct}-{country}.csv"));
        std::fs::write(&path, csv).unwrap();
        inputs.push(path);
    }
    for (i, input) in inputs.iter().enumerate() {
        for (kind, extra) in [("toml", &[][..]), ("odcs.yaml", &["--odcs"][..])] {
            let contract = dir.path().join(format!("suggested-{i}.{kind}"));
            let stderr = suggest(input, &contract, extra);
            assert!(stderr.contains("suggested ") && stderr.contains(" rows"), "{stderr}");
            let check = sift().args(["contract", "check"]).arg(&contract).output().unwrap();
            assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
            let (code, json) = run(input, &contract, &dir.path().join(format!("out-{i}-{kind}")), None);
            assert_eq!(code, 0, "{json}");
            assert_eq!(json["invalid"], 0, "{}: {json}", input.display());
            assert_eq!(json["valid"], json["total"], "{json}");
            assert!(json["total"].as_u64().unwrap() >= 1_000, "{json}");
        }
    }
    // The clean customers file: its id, age and date of birth are typed, its email a pattern.
    let text = std::fs::read_to_string(dir.path().join("suggested-3.toml")).unwrap();
    let contract = sift_validator::Contract::from_toml(&text).unwrap();
    let table = contract.table().unwrap();
    let ty = |name: &str| table.columns.iter().find(|c| c.name == name).unwrap().ty;
    assert!(ty("customer_id").is_integer() && ty("age").is_integer(), "{text}");
    assert_eq!(ty("date_of_birth"), sift_model::ColumnType::Date, "{text}");
    assert!(text.contains("# date_of_birth: 0 nulls in 3,000 rows: required"), "{text}");
}

#[test]
fn suggest_reads_a_compressed_file_as_run_does_and_refuses_what_run_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let plain = example("orders");
    let gz = dir.path().join("orders.csv.gz");
    std::fs::write(&gz, sift_tests::gzip(&std::fs::read(&plain).unwrap())).unwrap();
    suggest(&plain, &dir.path().join("plain.toml"), &[]);
    suggest(&gz, &dir.path().join("gz.toml"), &[]);
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    // The same contract, named `orders` from the file's name without its extensions.
    let parse = |name: &str| sift_validator::Contract::from_toml(&read(name)).unwrap();
    assert_eq!(parse("plain.toml"), parse("gz.toml"));
    assert_eq!(parse("gz.toml").name, "orders");
    // A row longer than the header: rejected, exit 2, the line named.
    let ragged = dir.path().join("ragged.csv");
    std::fs::write(&ragged, "a,b\n1,2\n3,4,5\n").unwrap();
    let output = sift().args(["contract", "suggest"]).arg(&ragged).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("file rejected") && stderr.contains("line 3"), "{stderr}");
}
