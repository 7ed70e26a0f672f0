//! Files as they really arrive, through the real `sift` binary:
//! - compressed: a `.csv.gz` or `.csv.zst` file gives exactly what the plain file gives
//!   (counts, failures, the invalid-records file, named without the compression suffix), and a
//!   corrupt one is rejected with nothing loaded;
//! - spreadsheet exports: a contract's `[format]` (delimiter, quote, encoding) reads a
//!   Windows-1252 `;` export and a UTF-16 file with its accents intact in the table, writes the
//!   invalid records in UTF-8 with the source's delimiter, and rejects bytes the declared
//!   encoding does not allow, naming the line.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::Path;

use serde_json::Value;
use sift_tests::{example_path as example, gzip, zstd};

fn run_json(input: &Path, out: &Path) -> (i32, Value) {
    run_with(input, out, &[])
}

fn run_with(input: &Path, out: &Path, extra: &[&str]) -> (i32, Value) {
    sift_tests::sift_run_json(input, out, extra, &[])
}

/// The fields of a summary that describe the data (not where it ran or how long it took).
fn outcome(summary: &Value) -> Value {
    let mut o = serde_json::Map::new();
    for field in ["status", "total", "valid", "invalid", "inserted", "already_present", "rule_failures"] {
        o.insert(field.into(), summary[field].clone());
    }
    Value::Object(o)
}

#[test]
fn gzip_and_zstd_files_give_what_the_plain_file_gives() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(example()).unwrap();
    let (code, expected) = run_json(&example(), &dir.path().join("plain"));
    assert_eq!(code, 0, "{expected}");
    let expected_invalid = std::fs::read(expected["invalid_records_uri"].as_str().unwrap()).unwrap();

    for (suffix, bytes) in [("csv.gz", gzip(&plain)), ("csv.zst", zstd(&plain)), ("CSV.GZ", gzip(&plain))] {
        assert!(bytes.len() < plain.len() / 2, "{suffix}: {} bytes is not compressed", bytes.len());
        let input = dir.path().join(format!("customers.{suffix}"));
        std::fs::write(&input, &bytes).unwrap();
        let out = dir.path().join(suffix);
        let (code, summary) = run_json(&input, &out);
        assert_eq!(code, 0, "{suffix}: {summary}");
        assert_eq!(outcome(&summary), outcome(&expected), "{suffix}");
        let uri = summary["invalid_records_uri"].as_str().unwrap();
        sift_tests::invalid_key(uri, "", "invalid/2026-11-26/customers");
        assert!(std::fs::read(uri).unwrap() == expected_invalid, "{suffix}: the invalid records differ");

        // The same compressed file again: the ledger knows it (same source, same content).
        let (code, again) = run_json(&input, &out);
        assert_eq!(code, 0, "{again}");
        assert_eq!(again["inserted"], 0, "{suffix}: {again}");
    }
}

#[test]
fn a_corrupt_or_truncated_compressed_file_is_rejected_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plain = std::fs::read(example()).unwrap();
    let (code, fresh) = run_json(&example(), &dir.path().join("fresh"));
    assert_eq!(code, 0, "{fresh}");
    let gz = gzip(&plain);
    let zst = zstd(&plain);
    let mut flipped = gz.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x55;
    let cases = [
        ("truncated.csv.gz", gz[..gz.len() - 100].to_vec(), "gzip"),
        ("flipped.csv.gz", flipped, "gzip"),
        ("truncated.csv.zst", zst[..zst.len() - 100].to_vec(), "zstd"),
        ("plain-text-named.csv.gz", plain.clone(), "gzip"),
    ];
    for (name, bytes, format) in cases {
        let out = dir.path().join(format!("{name}.out"));
        let input = dir.path().join(name);
        std::fs::write(&input, bytes).unwrap();
        let (code, summary) = run_json(&input, &out);
        assert_eq!(code, 2, "{name}: {summary}");
        assert_eq!(summary["status"], "rejected", "{name}");
        let error = summary["error"].as_str().unwrap();
        assert!(error.starts_with("file rejected:") && error.contains(format), "{name}: {error}");
        assert!(!out.join("invalid").exists(), "{name}: no invalid-records file for a rejected file");

        // Nothing of it was loaded: the whole plain file is new to the same warehouse.
        let plain_input = dir.path().join(format!("{name}.plain.csv"));
        std::fs::write(&plain_input, &plain).unwrap();
        let (code, after) = run_json(&plain_input, &out);
        assert_eq!(code, 0, "{after}");
        assert_eq!(after["inserted"], fresh["inserted"], "{name}: rows of the rejected file were loaded");
    }
}

/// A people contract in `format` (TOML lines of the `[format]` section).
fn people_contract(dir: &Path, format: &str) -> std::path::PathBuf {
    let path = dir.join("people.toml");
    let text = format!(
        r#"name = "people"

[format]
{format}

[table]
name = "dim_person"
key = ["person_id"]

[[columns]]
name = "person_id"

[[columns]]
name = "full_name"

[[rules]]
id = "person_id"
check = "integer"
column = "person_id"
min = 1
max = 1000000

[[rules]]
id = "full_name"
check = "length"
column = "full_name"
min = 2
max = 40
"#
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The names in `dim_person`, by id.
async fn names(db: &Path) -> Vec<(i64, String)> {
    use sqlx::Connection;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
    sqlx::query_as("SELECT person_id, full_name FROM dim_person ORDER BY person_id")
        .fetch_all(&mut c)
        .await
        .unwrap()
}

const PEOPLE: [(i64, &str); 4] =
    [(1, "Zoë Müller"), (2, "François Ångström"), (3, "Crème; Brûlée"), (4, "Łukasz Żółć")];

#[tokio::test]
async fn a_windows_1252_semicolon_export_loads_with_its_accents() {
    let dir = tempfile::tempdir().unwrap();
    let contract = people_contract(dir.path(), "delimiter = \";\"\nencoding = \"windows-1252\"");
    // As a spreadsheet exports it: `;`, CRLF, Windows-1252 (Ł, ż and ó... are not in it: row 4
    // is written with what the code page has, and an invalid id row keeps its accents too).
    let text =
        "person_id;full_name\r\n1;Zoë Müller\r\n2;François Ångström\r\n3;\"Crème; Brûlée\"\r\nx;Désirée\r\n";
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| match c {
            'ë' => 0xEB,
            'ü' => 0xFC,
            'ç' => 0xE7,
            'Å' => 0xC5,
            'ö' => 0xF6,
            'è' => 0xE8,
            'û' => 0xFB,
            'é' => 0xE9,
            c => u8::try_from(c).unwrap(),
        })
        .collect();
    assert!(std::str::from_utf8(&bytes).is_err(), "the file is not UTF-8");
    let input = dir.path().join("people.csv");
    std::fs::write(&input, bytes).unwrap();
    let out = dir.path().join("out");
    let (code, summary) = run_with(&input, &out, &["--contract", contract.to_str().unwrap()]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!((summary["valid"].as_u64(), summary["invalid"].as_u64()), (Some(3), Some(1)), "{summary}");
    assert_eq!(
        names(&out.join("warehouse.db")).await,
        PEOPLE[..3].iter().map(|&(i, n)| (i, n.to_owned())).collect::<Vec<_>>()
    );
    // The invalid records: UTF-8, the source's delimiter.
    let invalid = std::fs::read_to_string(summary["invalid_records_uri"].as_str().unwrap()).unwrap();
    assert_eq!(invalid, "person_id;full_name;row_number;failed_rules\nx;Désirée;4;person_id\n");
}

#[tokio::test]
async fn a_utf16_file_with_its_byte_order_mark_loads_with_its_accents() {
    let dir = tempfile::tempdir().unwrap();
    let contract = people_contract(dir.path(), "encoding = \"utf-16\"");
    let mut text = String::from("person_id,full_name\n");
    for (id, name) in PEOPLE {
        text.push_str(&format!("{id},\"{name}\"\n"));
    }
    for (label, bom, little) in [("le", [0xFF, 0xFE], true), ("be", [0xFE, 0xFF], false)] {
        let mut bytes = bom.to_vec();
        for unit in text.encode_utf16() {
            bytes.extend(if little { unit.to_le_bytes() } else { unit.to_be_bytes() });
        }
        let input = dir.path().join(format!("people-{label}.csv"));
        std::fs::write(&input, &bytes).unwrap();
        let out = dir.path().join(label);
        let (code, summary) = run_with(&input, &out, &["--contract", contract.to_str().unwrap()]);
        assert_eq!(code, 0, "{label}: {summary}");
        assert_eq!(summary["inserted"], 4, "{label}: {summary}");
        let expected: Vec<(i64, String)> = PEOPLE.iter().map(|&(i, n)| (i, n.to_owned())).collect();
        assert_eq!(names(&out.join("warehouse.db")).await, expected, "{label}");

        // Without its byte-order mark, or with an unpaired surrogate on line 3: rejected.
        let no_bom = dir.path().join(format!("no-bom-{label}.csv"));
        std::fs::write(&no_bom, &bytes[2..]).unwrap();
        let (code, summary) = run_with(
            &no_bom,
            &dir.path().join(format!("{label}-x")),
            &["--contract", contract.to_str().unwrap()],
        );
        assert_eq!(code, 2, "{summary}");
        assert!(summary["error"].as_str().unwrap().contains("byte-order mark"), "{summary}");
        let mut broken = bytes.clone();
        let line3 = 2 + 2 * text.match_indices('\n').nth(1).unwrap().0 + 2;
        broken.splice(line3..line3, if little { [0x00, 0xD8] } else { [0xD8, 0x00] });
        let broken_path = dir.path().join(format!("broken-{label}.csv"));
        std::fs::write(&broken_path, &broken).unwrap();
        let (code, summary) = run_with(
            &broken_path,
            &dir.path().join(format!("{label}-y")),
            &["--contract", contract.to_str().unwrap()],
        );
        assert_eq!(code, 2, "{summary}");
        let error = summary["error"].as_str().unwrap();
        assert!(error.contains("line 3 is not valid UTF-16"), "{label}: {error}");
    }
}
