//! Hostile input and hostile machines, through the real `sift` binary (`sift run`, and `sift
//! contract suggest` on the inputs it reads the same way): compression bombs, an endless field, headers of millions of columns, hundreds of failing rules, all under a memory
//! limit (`prlimit --as`); a value PostgreSQL cannot store; a full disk (`prlimit --fsize`);
//! concurrent first loads into a new schema. Each run ends with a clear outcome (processed, or
//! rejected naming the line and the limit; never killed, never exit 1 for the input's fault),
//! and no output of any run holds the warehouse password.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const HEADER: &str = "customer_id,full_name,email,age,date_of_birth,phone_number";
const GOOD: &str = "1,Ann Lee,ann@example.com,36,1990-05-17,0123456789";
/// The address space each hostile run may take (`prlimit --as`): an unbounded run (the whole
/// 2 GiB line or field in memory, once or several times over) cannot finish inside it. It is
/// address space, not resident memory: jemalloc keeps what it freed mapped for reuse, so a run
/// whose peak RSS is 180 MiB (the 200 rules, debug build) maps about 1.2 GiB.
const MEMORY_LIMIT: u64 = 2 << 30;
/// Planted in the warehouse URL (the throwaway server trusts loopback, so any password works):
/// no output may hold it.
const PASSWORD: &str = "planted-Hostile-Pa55";

/// A zstd frame of `prefix` (one raw block) then `repeat` bytes of `byte` as run-length blocks
/// of 128 KiB: 2 GiB of output in 64 KiB of input, as a bomb is written.
fn zstd_bomb(prefix: &[u8], byte: u8, repeat: u64) -> Vec<u8> {
    const BLOCK: u64 = 128 * 1024;
    let mut out = vec![0x28, 0xB5, 0x2F, 0xFD]; // magic number
    out.push(0x00); // no content size, no checksum, not single-segment: a window descriptor follows
    out.push(7 << 3); // window of 2^(10 + 7) = 128 KiB
    let mut block = |kind: u32, size: u64, last: bool, body: &[u8]| {
        let header = (u32::try_from(size).unwrap() << 3) | (kind << 1) | u32::from(last);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.extend_from_slice(body);
    };
    let blocks = repeat.div_ceil(BLOCK);
    if !prefix.is_empty() {
        block(0, prefix.len() as u64, blocks == 0, prefix);
    }
    for n in 0..blocks {
        let size = BLOCK.min(repeat - n * BLOCK);
        block(1, size, n + 1 == blocks, &[byte]);
    }
    out
}

/// `sift ARGS` under the memory limit (and `fsize`, a file size limit, with SIGXFSZ ignored so a
/// write past it fails with EFBIG as on a full disk); checks that no output holds the password.
fn sift_limited(args: &[&str], fsize: Option<u64>, out: &Path) -> Output {
    let sift = sift_tests::sift_path();
    let mut limits = vec![format!("--as={MEMORY_LIMIT}")];
    limits.extend(fsize.map(|n| format!("--fsize={n}")));
    let output = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; exec prlimit \"$@\"")
        .arg("sh")
        .args(&limits)
        .arg("--")
        .arg(sift)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("SIFT_AUTO_MIGRATE")
        .output()
        .expect("prlimit (util-linux) runs the binary under limits");
    scan_for_secrets(&output, out);
    output
}

/// No stream and no file under `out` holds the planted password.
fn scan_for_secrets(output: &Output, out: &Path) {
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(PASSWORD), "a password was printed");
    }
    let mut stack = vec![out.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e != "db" && e != "db-wal") {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                assert!(!text.contains(PASSWORD), "{} holds the password", path.display());
            }
        }
    }
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

fn summary(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: status {:?}, stdout {:?}, stderr {}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `sift run INPUT --json` into `out` (SQLite there) under the memory limit.
fn run(input: &Path, out: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["run", input.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend(["--as-of", "2026-11-26", "--json"]);
    args.extend(extra);
    let output = sift_limited(&args, None, out);
    (output.status.code(), summary(&output))
}

fn assert_rejected(input: &Path, out: &Path, needle: &str) {
    // `sift contract suggest` reads the file as `sift run` does: refused the same way.
    let suggested = sift_limited(&["contract", "suggest", input.to_str().unwrap()], None, out);
    let stderr = String::from_utf8_lossy(&suggested.stderr);
    assert_eq!(suggested.status.code(), Some(2), "suggest: rejected, never killed: {stderr}");
    assert!(stderr.contains(needle), "{stderr}");
    let (code, json) = run(input, out, &[]);
    assert_eq!(code, Some(2), "rejected, never killed: {json}");
    assert_eq!(json["status"], "rejected");
    let error = json["error"].as_str().unwrap();
    assert!(error.contains(needle) && error.contains("in the contract"), "{error}");
    assert_eq!(json["inserted"], 0);
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_64_kib_zstd_object_of_one_2_gib_line_is_rejected_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = write(dir.path(), "bomb.csv.zst", &zstd_bomb(b"", b'a', 2 << 30));
    assert!(std::fs::metadata(&bomb).unwrap().len() < 70_000);
    assert_rejected(&bomb, &dir.path().join("out"), "line 1: a value is longer than max_field_bytes");
}

#[test]
fn a_2_gib_quoted_field_is_rejected_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = format!("{HEADER}\n{GOOD}\n2,\"");
    let bomb = write(dir.path(), "field.csv.zst", &zstd_bomb(prefix.as_bytes(), b'x', 2 << 30));
    assert_rejected(&bomb, &dir.path().join("out"), "line 3: a value is longer than max_field_bytes");
}

#[test]
fn headers_of_2_000_000_and_100_000_columns_are_rejected_and_10_000_run() {
    let dir = tempfile::tempdir().unwrap();
    for columns in [2_000_000, 100_000] {
        let names: Vec<String> = (0..columns).map(|i| format!("c{i}")).collect();
        let file =
            write(dir.path(), &format!("wide{columns}.csv"), format!("{}\n", names.join(",")).as_bytes());
        assert_rejected(&file, &dir.path().join(format!("out{columns}")), "more than max_columns = 16384");
    }
    // 10,000 columns, within the limits: processed, every row read.
    let extra: Vec<String> = (6..10_000).map(|i| format!("x{i}")).collect();
    let values = vec!["v"; extra.len()].join(",");
    let mut text = format!("{HEADER},{}\n", extra.join(","));
    for id in 1..=200u32 {
        let name: String = [id / 26, id % 26].iter().map(|&d| char::from(b'a' + d as u8)).collect();
        text.push_str(&format!("{id},Ann {name},ann@example.com,36,1990-05-17,0123456789,{values}\n"));
    }
    let wide = write(dir.path(), "wide10000.csv", text.as_bytes());
    let (code, json) = run(&wide, &dir.path().join("out10000"), &[]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!((json["total"].as_u64(), json["inserted"].as_u64()), (Some(200), Some(200)));
    // Suggested too, one check for each of the 10,000 columns.
    let out = dir.path().join("out10000");
    let contract = out.join("wide.toml");
    let args = ["contract", "suggest", wide.to_str().unwrap(), "--out", contract.to_str().unwrap()];
    let suggested = sift_limited(&args, None, &out);
    assert!(suggested.status.success(), "{}", String::from_utf8_lossy(&suggested.stderr));
    let contract = sift_validator::Contract::from_toml(&std::fs::read_to_string(&contract).unwrap()).unwrap();
    assert_eq!((contract.columns.len(), contract.rules.len()), (10_000, 10_000));
}

#[test]
fn a_200_rule_contract_on_an_all_invalid_file_runs_to_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut contract = String::from("name = \"wide\"\n");
    for i in 0..200 {
        contract.push_str(&format!("\n[[columns]]\nname = \"c{i}\"\n"));
    }
    for i in 0..200 {
        contract.push_str(&format!(
            "\n[[rules]]\nid = \"r{i}\"\ncheck = \"integer\"\ncolumn = \"c{i}\"\nmin = 0\nmax = 9\n"
        ));
    }
    let contract = write(dir.path(), "wide.toml", contract.as_bytes());
    let header: Vec<String> = (0..200).map(|i| format!("c{i}")).collect();
    let row = format!("{}\n", vec!["99"; 200].join(","));
    let file = write(
        dir.path(),
        "all-invalid.csv",
        format!("{}\n{}", header.join(","), row.repeat(20_000)).as_bytes(),
    );
    let (code, json) = run(&file, &dir.path().join("out"), &["--contract", contract.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!((json["total"].as_u64(), json["invalid"].as_u64()), (Some(20_000), Some(20_000)));
    assert_eq!(json["rule_failures"]["r199"], 20_000);
}

/// A fresh database on the test server, as a URL with the planted password.
fn fresh_database(name: &str) -> String {
    let url = tokio::runtime::Runtime::new().unwrap().block_on(sift_tests::pg::fresh_database(name));
    let mut url = url::Url::parse(&url).unwrap();
    if url.password().is_none() {
        url.set_password(Some(PASSWORD)).unwrap();
    }
    url.to_string()
}

fn table_rows(url: &str, table: &str) -> i64 {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut db)
            .await
            .unwrap()
    })
}

#[test]
fn a_nul_byte_in_a_value_fails_its_row_the_same_way_in_sqlite_and_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER},country\n{GOOD},\n2,Bo Li,bo@example.com,36,1990-05-18,0123456789,F\0R\n\
         3,Cy Ma,cy@example.com,36,1990-05-19,0123456789,DE\n"
    );
    let file = write(dir.path(), "nul.csv", text.as_bytes());
    let (sqlite_code, sqlite) = run(&file, &dir.path().join("sqlite"), &[]);
    let url = fresh_database("sift_hostile_nul");
    let out = dir.path().join("pg");
    let (pg_code, pg) = run(&file, &out, &["--warehouse", &url]);
    assert_eq!((sqlite_code, pg_code), (Some(0), Some(0)), "{sqlite}\n{pg}");
    for field in ["status", "total", "valid", "invalid", "inserted", "already_present", "rule_failures"] {
        assert_eq!(sqlite[field], pg[field], "{field}: {sqlite} / {pg}");
    }
    assert_eq!(pg["rule_failures"]["nul_byte"], 1, "{pg}");
    assert_eq!(table_rows(&url, "dim_customer"), 2);
}

/// Files listed under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { found.push(path) }
        }
    }
    found
}

#[test]
fn a_full_disk_is_a_failure_and_leaves_no_partial_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database("sift_hostile_disk");
    // A small file with one invalid row: its invalid records fit in 4 KiB, its report does not.
    let small = write(
        dir.path(),
        "small.csv",
        format!("{HEADER}\n{GOOD}\n2,Bo Li,not-an-email,36,1990-05-18,0123456789\n").as_bytes(),
    );
    let out = dir.path().join("out");
    let args = |input: &Path| {
        let args: Vec<String> = ["run", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--json"]
            .into_iter()
            .map(str::to_owned)
            .chain(["--warehouse".to_owned(), url.clone()])
            .collect();
        args
    };
    let output = sift_limited(&strs(&args(&small)), Some(4 << 10), &out);
    let json = summary(&output);
    assert_eq!(output.status.code(), Some(0), "the load stands: {json}");
    assert_eq!(json["notification"], "failed", "an unwritten report is no report: {json}");
    assert_eq!(table_rows(&url, "dim_customer"), 1);
    let outbox: Vec<PathBuf> = files(&out.join("outbox"));
    assert!(outbox.is_empty(), "no empty or partial report is left: {outbox:?}");

    // Invalid records over the limit: the run fails, loads nothing, leaves no partial file,
    // and the same run with room completes.
    let mut text = format!("{HEADER}\n");
    for id in 10..400 {
        text.push_str(&format!("{id},Bo Li,not-an-email-{id},36,1990-05-18,0123456789\n"));
    }
    let big = write(dir.path(), "big.csv", text.as_bytes());
    let output = sift_limited(&strs(&args(&big)), Some(4 << 10), &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("File too large") || stderr.contains("No space"), "{stderr}");
    assert_eq!(table_rows(&url, "dim_customer"), 1, "nothing of the file is loaded");
    let left: Vec<PathBuf> = files(&out.join("invalid"));
    assert_eq!(left.len(), 1, "only the small file's invalid records, no partial file: {left:?}");
    let output = sift_limited(&strs(&args(&big)), None, &out);
    let json = summary(&output);
    assert_eq!((output.status.code(), json["invalid"].as_u64()), (Some(0), Some(390)), "{json}");
    assert_eq!(files(&out.join("invalid")).len(), 2);
    assert_eq!(table_rows(&url, "dim_customer"), 1, "every row of the big file is invalid");
}

#[test]
fn eight_concurrent_first_loads_into_a_new_schema_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database("sift_hostile_schema");
    let contract = |table: &str| {
        let text = std::fs::read_to_string(sift_tests::repo().join("contracts/customer.toml"))
            .unwrap()
            .replace("name = \"dim_customer\"", &format!("name = \"{table}\""));
        assert!(text.contains(table), "the customer contract names its table as expected");
        let path = dir.path().join(format!("{}.toml", table.replace('.', "_")));
        std::fs::write(&path, text).unwrap();
        path
    };
    let example = sift_tests::example_path();
    // Four into one table, four into tables of their own, all in one schema no run has made.
    let tables = [
        "fresh.dim_shared",
        "fresh.dim_shared",
        "fresh.dim_shared",
        "fresh.dim_shared",
        "fresh.t1",
        "fresh.t2",
        "fresh.t3",
        "fresh.t4",
    ];
    let sift = sift_tests::sift_path();
    let contracts: Vec<PathBuf> = tables.iter().map(|table| contract(table)).collect();
    let children: Vec<_> = contracts
        .iter()
        .enumerate()
        .map(|(n, contract)| {
            let out = dir.path().join(format!("out{n}"));
            Command::new(&sift)
                .args(["run", example.to_str().unwrap(), "--out", out.to_str().unwrap(), "--json"])
                .args(["--as-of", "2026-11-26", "--warehouse", &url, "--contract"])
                .arg(contract)
                .env_remove("DATABASE_URL")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let valid =
        sift_tests::oracle(&sift_tests::example(), chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap())
            .tally
            .valid;
    for (child, table) in children.into_iter().zip(tables) {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{table}: {}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(table_rows(&url, "fresh.dim_shared") > 0);
    for table in ["fresh.t1", "fresh.t2", "fresh.t3", "fresh.t4"] {
        assert!(table_rows(&url, table) > 0 && valid > 0, "{table}");
    }
}
