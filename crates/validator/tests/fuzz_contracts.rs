//! Random contracts with random files, through the contract fuzz check: for every drawn
//! contract (every type a check proves, optional, unloaded and undeclared columns, uniqueness
//! and table keys, `warn` rules, validate-only), the file pushed in small pieces and chunks must give exactly
//! what it gives whole, and every invariant of an accepted or rejected file must hold. The
//! same check runs under cargo-fuzz (`fuzz/fuzz_targets/contract.rs`); see `fuzz/README.md`.

#![cfg(feature = "fuzzing")]

use sift_validator::fuzzing::{check_contract, sample_input};

/// How many drawn contracts and files one `cargo test` runs.
const SAMPLES: u64 = 1000;

#[test]
fn drawn_contracts_stream_as_they_validate_whole() {
    let mut failed = Vec::new();
    let (mut accepted, mut rejected, mut valid, mut invalid) = (0u64, 0u64, 0u64, 0u64);
    let mut warned = 0u64;
    let mut failing_ids = std::collections::BTreeSet::new();
    for seed in 0..SAMPLES {
        let input = sample_input(seed);
        match std::panic::catch_unwind(|| check_contract(&input)) {
            Ok(Some(tally)) => {
                accepted += 1;
                valid += tally.valid;
                invalid += tally.invalid;
                warned += tally.warned;
                failing_ids.extend(
                    tally.nonzero_failures().map(|(id, _)| id.split(':').next().unwrap_or(id).to_owned()),
                );
            }
            Ok(None) => rejected += 1,
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failed.push(format!("seed {seed}: {why}"));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {SAMPLES} drawn contracts fail the check:\n{}",
        failed.len(),
        failed.join("\n\n")
    );
    // The samples must reach both outcomes and both kinds of row, or the check proves little.
    assert!(accepted > SAMPLES / 2 && rejected > 0, "accepted {accepted}, rejected {rejected}");
    assert!(valid > 10_000 && invalid > 10_000, "valid rows {valid}, invalid rows {invalid}");
    assert!(warned > 1_000, "valid rows with a warning: {warned}");
    for id in ["not_null", "duplicate", "c0", "c5"] {
        assert!(failing_ids.contains(id), "no sample fails `{id}`: {failing_ids:?}");
    }
}

#[test]
fn the_contract_corpus_and_saved_crashes_pass_the_check() {
    let fuzz = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus/contract", "regressions/contract"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir)) else { continue };
        files.extend(
            entries
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<Vec<_>, _>>()
                .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
                .into_iter()
                .filter(|p| {
                    p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
                }),
        );
    }
    assert!(files.len() >= 40, "the committed seeds of fuzz/corpus/contract are missing: {files:?}");
    files.sort();
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if std::panic::catch_unwind(|| check_contract(&data)).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "contract fuzz inputs fail the check (run each alone for the reason):\n{}",
        failed.join("\n")
    );
}
