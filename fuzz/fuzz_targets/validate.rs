//! CSV ingestion and validation: any byte string gives a summary or a clear file-level
//! rejection, never a panic or a hang. The check lives in `sift_validator::fuzzing::check`,
//! shared with the stable regression test `crates/validator/tests/fuzz_corpus.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sift_validator::fuzzing::check(data));
