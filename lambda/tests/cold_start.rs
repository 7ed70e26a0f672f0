//! The `bootstrap` binary's cold start on its own: a setting it cannot use stops it before it
//! contacts anything, with one JSON log line that names the variable. (The end-to-end suites,
//! with a Runtime API, moto and PostgreSQL, are in the workspace's `tests/`.)

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::process::Command;

#[test]
fn a_bad_setting_stops_the_cold_start_with_one_log_line_naming_it() {
    let output = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("SIFT_ALERT_INVALID_PCT", "ten")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    let errors: Vec<&serde_json::Value> = lines.iter().filter(|l| l["level"] == "ERROR").collect();
    assert_eq!(errors.len(), 1, "one error line: {stdout}");
    let error = errors[0]["error"].as_str().unwrap();
    assert!(error.contains("SIFT_ALERT_INVALID_PCT=\"ten\": expected a percentage"), "{error}");
    // Said once: not repeated on stderr nor elsewhere in the logs.
    assert_eq!(stdout.matches("expected a percentage").count(), 1, "{stdout}");
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}
