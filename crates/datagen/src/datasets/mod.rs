//! The datasets: customers (the built-in contract, SPEC sections 2 and 3), and orders and
//! products.
//!
//! Orders and products are two more datasets besides customers, for contracts other than the
//! built-in one (the orders and products examples): deterministic rows with planted defects,
//! each defect making the row fail exactly one rule of `contracts/orders.toml` or
//! `contracts/products.toml`, and planted repeats of a key (valid rows whose key an earlier
//! valid row already has: `already_present`). `examples/orders.csv` and `examples/products.csv`
//! are seed 42, 5% defects.

mod customers;
mod orders;
mod products;
mod rows;

pub use self::customers::{
    AS_OF, Config, DEFAULT_INVALID_PCT, DEFAULT_SEED, DOB_FIRST, DOB_LAST, Defect, Generator, HEADER,
    HEADER_WITH_COUNTRY, RowInfo, Summary, TRICKY_PCT, Trick, generate,
};
pub use self::orders::{ORDERS_HEADER, generate_orders};
pub use self::products::{PRODUCTS_HEADER, generate_products};
pub use self::rows::DatasetSummary;
