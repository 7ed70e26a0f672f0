//! Replays the fuzz corpus (`fuzz/corpus/validate/`) and every saved crash
//! (`fuzz/regressions/`) through the fuzz target's own check, on stable, in `cargo test`.
//! See `fuzz/README.md`.

#![cfg(feature = "fuzzing")]
#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The input files of `dir`, sorted by name (hidden files, such as `.gitkeep`, are skipped).
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

/// Runs every input; a failing check names the files (every one, not only the first).
fn replay(files: &[PathBuf]) {
    let mut failed = Vec::new();
    for file in files {
        let data = std::fs::read(file).unwrap();
        if let Err(panic) =
            std::panic::catch_unwind(|| sift_validator::fuzzing::check(&data, common::customer_for))
        {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failed.push(format!("{}: {why}", file.display()));
        }
    }
    assert!(failed.is_empty(), "{} fuzz input(s) fail the check:\n{}", failed.len(), failed.join("\n"));
}

#[test]
fn the_fuzz_corpus_passes_the_check() {
    let dir = fuzz_dir().join("corpus/validate");
    let files = inputs(&dir);
    assert!(
        !files.is_empty(),
        "no fuzz corpus in {}: the seed inputs are committed with the repository (see fuzz/README.md)",
        dir.display()
    );
    replay(&files);
}

#[test]
fn every_saved_crash_passes_the_check() {
    // Optional: empty until the fuzzer has found something.
    replay(&inputs(&fuzz_dir().join("regressions")));
}
