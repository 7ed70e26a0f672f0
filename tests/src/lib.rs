//! What the end-to-end suites share: where the repository, the real binaries and the servers
//! are, the world a Lambda runs in (`world`), a local Lambda Runtime API (`runtime`), a
//! fault-injecting proxy in front of the AWS emulator (`proxy`) and PostgreSQL clusters a test
//! can cut or stop (`pg`).
//!
//! The suites run the real binaries, `target/<profile>/sift` and `bootstrap` next to the test
//! executables, built before first use. `SIFT_BIN` and `SIFT_BOOTSTRAP` point them at
//! other builds, and `SIFT_BOOTSTRAP_RUNNER` runs `bootstrap` under a command, so the shipped
//! arm64 artifact runs the same suite under qemu (`scripts/package --check`).

// Test support: a failed step panics with its context, which is the test's failure message.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod emf;
pub mod pg;
pub mod proxy;
pub mod runtime;
pub mod world;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `examples/customers.csv`.
pub fn example_path() -> PathBuf {
    repo().join("examples/customers.csv")
}

/// The bytes of `examples/customers.csv`.
pub fn example() -> Vec<u8> {
    std::fs::read(example_path()).unwrap()
}

/// Checks that `uri` (a summary's `invalid_records_uri` or `warnings_uri`) ends with
/// `<start>_<tag><suffix>`, the tag being sift's 12 hex digits of the source and its content,
/// and returns what comes after `base` (the object's key, with `base` = `s3://BUCKET/`).
pub fn quarantined<'a>(uri: &'a str, base: &str, start: &str, suffix: &str) -> &'a str {
    let shape = || format!("{uri} is not {base}...{start}_<12 hex digits>{suffix}");
    let tagged = uri.strip_suffix(suffix).unwrap_or_else(|| panic!("{}", shape()));
    let (before, tag) = tagged.split_at(tagged.len().saturating_sub(13));
    assert!(
        before.ends_with(start) && tag.starts_with('_') && tag[1..].bytes().all(|b| b.is_ascii_hexdigit()),
        "{}",
        shape()
    );
    uri.strip_prefix(base).unwrap_or_else(|| panic!("{}", shape()))
}

/// [`quarantined`] for invalid records.
pub fn invalid_key<'a>(uri: &'a str, base: &str, start: &str) -> &'a str {
    quarantined(uri, base, start, "_invalid_records.csv")
}

/// The reports in a run's outbox (`OUT/outbox/*.eml`), oldest first (their names start with
/// the time): each one's subject and text part.
pub fn outbox_reports(out: &Path) -> Vec<(String, String)> {
    let mut emls: Vec<PathBuf> =
        std::fs::read_dir(out.join("outbox")).unwrap().map(|e| e.unwrap().path()).collect();
    emls.sort();
    emls.iter()
        .map(|eml| {
            let raw = std::fs::read(eml).unwrap();
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            (message.subject().unwrap_or_default().to_owned(), message.body_text(0).unwrap().into_owned())
        })
        .collect()
}

/// Runs `sift run INPUT --out OUT --as-of 2026-11-26 --json` with `extra` arguments and `env`;
/// returns the exit code and the JSON summary (panics with stderr when stdout is not one).
pub fn sift_run_json(
    input: &Path,
    out: &Path,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, serde_json::Value) {
    let output = sift()
        .args([
            "run",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--as-of",
            "2026-11-26",
            "--json",
        ])
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON summary ({e}): {stdout:?}\nstderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap(), json)
}

/// The shipped customer contract, `contracts/customer.toml`, the binaries' built-in default.
pub fn customer_contract() -> sift_validator::Contract {
    sift_validator::Contract::from_toml(
        &std::fs::read_to_string(repo().join("contracts/customer.toml")).unwrap(),
    )
    .unwrap()
}

/// What the validator library gives for `body` under the customer contract on `as_of`: the
/// oracle the end-to-end suites compare the binaries' counts and invalid records with.
pub fn oracle(body: &[u8], as_of: chrono::NaiveDate) -> sift_validator::FileReport {
    sift_validator::validate_bytes(customer_contract(), as_of, body, sift_validator::DEFAULT_CHUNK_ROWS)
        .unwrap()
}

/// `data` gzip-compressed, as `gzip` writes it.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// `data` zstd-compressed, as the `zstd` command line writes it (with the content checksum).
pub fn zstd(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    e.include_checksum(true).unwrap();
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The AWS API emulator's endpoint (`SIFT_MOTO_ENDPOINT`, set by `scripts/test`).
pub fn moto_endpoint() -> String {
    std::env::var("SIFT_MOTO_ENDPOINT").expect(
        "SIFT_MOTO_ENDPOINT must name an AWS API emulator; run `scripts/test`, which starts moto[server]",
    )
}

/// The standard AWS variables that point a binary at the emulator (fixed test credentials), and
/// nothing else.
pub fn emulator_env() -> [(&'static str, String); 5] {
    [
        ("AWS_ENDPOINT_URL", moto_endpoint()),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// A PostgreSQL server where the user may create databases (`DATABASE_URL`, set by
/// `scripts/test`).
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").expect(
        "DATABASE_URL must name a PostgreSQL server where the user may create databases; run \
         `scripts/test`, which starts a throwaway cluster",
    )
}

/// A binary of the workspace: `override_var` when set, else `name` of package `package` built
/// beside this test (`target/<profile>/<name>`), brought up to date first.
///
/// `cargo test --workspace` builds the binaries itself, but `cargo test -p sift-tests` does
/// not: so each test process runs `cargo build -p PACKAGE --bin NAME` once per binary (a no-op
/// when it is current), and a suite never runs a stale binary.
fn binary(package: &str, name: &str, override_var: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    if let Some(path) = std::env::var_os(override_var) {
        return PathBuf::from(path);
    }
    // Test executables live in <target>/<profile>/deps/.
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let path = profile_dir.join(name);
    let mut built = BUILT.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.current_dir(repo()).args(["build", "--quiet", "--locked", "-p", package, "--bin", name]);
        build.arg("--target-dir").arg(profile_dir.parent().unwrap());
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        let output = build.output().unwrap();
        assert!(
            output.status.success(),
            "building {name} failed (set {override_var} to use another build):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        built.push(name.to_owned());
    }
    path
}

/// The `sift` binary (`SIFT_BIN` overrides).
pub fn sift_path() -> PathBuf {
    binary("sift-cli", "sift", "SIFT_BIN")
}

/// `sift` as a command with a clean slate: no DATABASE_URL or SIFT_AUTO_MIGRATE from the
/// test's own environment.
pub fn sift() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::new(sift_path());
    command.env_remove("SIFT_AUTO_MIGRATE").env_remove("DATABASE_URL");
    command
}

/// The `bootstrap` binary (`SIFT_BOOTSTRAP` overrides).
pub fn bootstrap() -> PathBuf {
    binary("sift-lambda", "bootstrap", "SIFT_BOOTSTRAP")
}

/// A command that runs `binary`: directly, or under `SIFT_BOOTSTRAP_RUNNER` when that is set
/// (words split on spaces, e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu`).
pub fn bootstrap_command(binary: &Path) -> Command {
    match std::env::var("SIFT_BOOTSTRAP_RUNNER").ok().filter(|r| !r.trim().is_empty()) {
        Some(runner) => {
            let mut words = runner.split_whitespace();
            let mut command = Command::new(words.next().unwrap());
            command.args(words).arg(binary);
            command
        }
        None => Command::new(binary),
    }
}
