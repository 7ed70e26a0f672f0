//! Writes seed inputs for the `contract` fuzz target: the first COUNT of `sample_input(0..)` (the
//! drawn contracts and plausible files the stable test `tests/fuzz_contracts.rs` runs) that fit
//! the fuzzer's 4,096-byte input limit.
//!
//! ```sh
//! cargo run -p sift-validator --features fuzzing --example contract_seeds -- fuzz/corpus/contract 40
//! ```

use std::path::PathBuf;

/// `scripts/fuzz`'s `-max_len`.
const MAX_LEN: usize = 4096;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: contract_seeds DIR [COUNT]")?);
    let count: u64 = args.next().map(|n| n.parse()).transpose()?.unwrap_or(40);
    std::fs::create_dir_all(&dir)?;
    let mut written = 0;
    for seed in 0.. {
        if written == count {
            break;
        }
        let input = sift_validator::fuzzing::sample_input(seed);
        if input.len() <= MAX_LEN {
            std::fs::write(dir.join(format!("sample-{seed:03}")), input)?;
            written += 1;
        }
    }
    println!("wrote {count} seeds to {}", dir.display());
    Ok(())
}
