//! What sift's two shells, the `sift` command line and the Lambda, compose the same way, so
//! that a file is validated alike wherever it runs:
//!
//! - [`settings`]: the parsers of the settings both read (flags or environment variables), so
//!   a value one accepts the other accepts too;
//! - [`Route`]: which contract and invalid-records prefix an object's key takes (SPEC
//!   section 7), found with [`Route::find`];
//! - [`load_contract`]: a contract from where a route or a flag names it (a built-in, an S3
//!   object, a file; TOML or ODCS YAML), and the built-in contracts, embedded from
//!   `contracts/` ([`BUILTIN_CUSTOMER`]);
//! - [`open_warehouse`]: the warehouse from a URL or from credentials in SSM ([`Database`]);
//! - [`Aws`]: the SDK configuration, built once and only when something needs AWS, and the
//!   S3, SES, SNS and SSM backends made from it.
//!
//! The libraries below know no dataset; this crate holds the shells' defaults, and the
//! customer contract is one of them, as data.

mod aws;
mod contracts;
mod error;
mod routes;
pub mod settings;
mod warehouse;

pub use crate::aws::{Aws, AwsOptions};
pub use crate::contracts::{BUILTIN_CUSTOMER, LoadedContract, load_contract};
pub use crate::error::Error;
pub use crate::routes::Route;
pub use crate::warehouse::{Database, open_warehouse, sslmode_note};
