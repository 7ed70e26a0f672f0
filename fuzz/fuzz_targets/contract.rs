//! Any contract over any file: the contract is drawn from the input's first bytes and the file
//! is its header then the rest of the input. Streamed and whole must agree, with every
//! invariant of the customer target. The check lives in
//! `sift_validator::fuzzing::check_contract`, shared with the stable test
//! `crates/validator/tests/fuzz_contracts.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sift_validator::fuzzing::check_contract(data);
});
