//! The command line's own conventions, on the real binary: settings with a fixed set of values
//! are listed by `--help` and a typo gets a suggestion; `sift completions` writes a script for
//! each shell. (The end-to-end runs are in the workspace's `tests/`.)

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use std::process::{Command, Output};

fn sift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift")).args(args).env_clear().output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn help_lists_the_values_of_fixed_settings() {
    // -h: the compact form, one line per flag.
    let help = sift(&["run", "-h"]);
    assert!(help.status.success());
    let help = text(&help.stdout);
    for (flag, values) in [("--s3-sse", "default, aes256, kms"), ("--notify", "outbox, ses, none")] {
        let at = help.find(flag).unwrap_or_else(|| panic!("{flag} missing from --help:\n{help}"));
        let after = &help[at..];
        let line_end = after.find('\n').unwrap_or(after.len());
        assert!(after[..line_end].contains(&format!("[possible values: {values}]")), "{flag}:\n{help}");
    }
}

#[test]
fn a_typo_in_a_fixed_setting_gets_a_suggestion_and_status_2() {
    for (args, suggestion) in [
        (vec!["run", "x.csv", "--s3-sse", "kmx"], "'kms'"),
        (vec!["run", "x.csv", "--notify", "outbx"], "'outbox'"),
        (vec!["completions", "fsh"], "'fish'"),
    ] {
        let output = sift(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains(&format!("a similar value exists: {suggestion}")), "{args:?}: {stderr}");
    }
    // The environment variable takes the same values.
    let output = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["run", "x.csv"])
        .env_clear()
        .env("SIFT_S3_SSE", "aes128")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("[possible values: default, aes256, kms]"), "{output:?}");
}

#[test]
fn completions_are_written_for_bash_zsh_and_fish() {
    for (shell, marker) in [("bash", "_sift()"), ("zsh", "#compdef sift"), ("fish", "complete -c sift")] {
        let output = sift(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        assert!(script.contains(marker), "{shell}: no {marker:?} in\n{script}");
        // Subcommands, flags and the values of value enums are all completed.
        for word in ["run", "migrate", "warehouse", "s3-sse", "aes256", "outbox"] {
            assert!(script.contains(word), "{shell}: {word:?} is not completed");
        }
    }
}

#[test]
fn help_never_prints_the_database_url_it_names() {
    let url = "postgres://sift:hunter2@db.internal:5432/dw";
    for command in ["run", "history", "migrate"] {
        let output = Command::new(env!("CARGO_BIN_EXE_sift"))
            .args([command, "--help"])
            .env_clear()
            .env("DATABASE_URL", url)
            .output()
            .unwrap();
        let help = text(&output.stdout);
        assert!(help.contains("[env: DATABASE_URL]"), "{command}:\n{help}");
        assert!(!help.contains("hunter2"), "{command} --help shows the password:\n{help}");
    }
}
