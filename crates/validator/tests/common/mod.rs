//! The contracts the validator's tests run: the shipped customer contract, read as data like
//! any other.

#![allow(dead_code, clippy::unwrap_used)] // Each test file uses its part; tests fail loudly.

use sift_validator::Contract;

/// `contracts/customer.toml`.
pub(crate) fn customer() -> Contract {
    Contract::from_toml(include_str!("../../../../contracts/customer.toml")).unwrap()
}

/// `contracts/customer_country.toml`: the customer contract with the country rule on.
pub(crate) fn customer_with_country() -> Contract {
    Contract::from_toml(include_str!("../../../../contracts/customer_country.toml")).unwrap()
}

/// The customer contract, with the country rule on or off (the fuzz checks' choice).
pub(crate) fn customer_for(country: bool) -> Contract {
    if country { customer_with_country() } else { customer() }
}
