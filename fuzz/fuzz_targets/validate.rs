//! CSV ingestion and validation: any byte string gives a summary or a clear file-level
//! rejection, never a panic or a hang. The check lives in `sift_validator::fuzzing::check`,
//! shared with the stable regression test `crates/validator/tests/fuzz_corpus.rs`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sift_validator::Contract;

/// The shipped customer contract, with the country rule or without.
fn customer(country: bool) -> Contract {
    let text = if country {
        include_str!("../../contracts/customer_country.toml")
    } else {
        include_str!("../../contracts/customer.toml")
    };
    Contract::from_toml(text).expect("the shipped customer contracts parse")
}

fuzz_target!(|data: &[u8]| sift_validator::fuzzing::check(data, customer));
