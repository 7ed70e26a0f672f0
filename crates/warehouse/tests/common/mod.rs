//! Helpers shared by the warehouse test binaries: customers in `dim_customer`'s shape, built
//! as the validator builds them (typed polars columns in table order, then `row_number`).

#![allow(dead_code, clippy::unwrap_used)] // Each test binary uses a part; tests fail loudly.

use chrono::NaiveDate;
use polars::prelude::*;
use sift_table::{Batch, ColumnType, ROW_NUMBER, TableColumn, TableSpec};
use sift_warehouse::{FileSeal, LoadStream};

/// `dim_customer` as the built-in customer contract derives it.
pub(crate) fn customers() -> TableSpec {
    let text = |name| TableColumn::new(name, ColumnType::Text, false);
    TableSpec {
        name: "dim_customer".into(),
        columns: vec![
            TableColumn::new("customer_id", ColumnType::Int64, false),
            text("full_name"),
            text("email"),
            TableColumn::new("age", ColumnType::Int16, false),
            TableColumn::new("date_of_birth", ColumnType::Date, false),
            text("phone_number"),
            TableColumn::new("country", ColumnType::Text, true),
        ],
        key: vec!["customer_id".into()],
    }
}

/// Valid customers, column by column, before they become a [`Batch`] (tests edit them).
#[derive(Debug, Clone, Default)]
pub struct Customers {
    pub row_number: Vec<u64>,
    pub customer_id: Vec<i64>,
    pub full_name: Vec<String>,
    pub email: Vec<String>,
    pub age: Vec<i64>,
    pub date_of_birth: Vec<NaiveDate>,
    pub phone_number: Vec<String>,
    pub country: Vec<Option<String>>,
}

impl Customers {
    pub fn len(&self) -> usize {
        self.customer_id.len()
    }

    pub fn push(&mut self, id: i64, name: &str) {
        self.row_number.push(self.len() as u64 + 1);
        self.customer_id.push(id);
        self.full_name.push(name.to_owned());
        self.email.push(format!("c{id}@example.com"));
        self.age.push(36);
        self.date_of_birth.push(NaiveDate::from_ymd_opt(1990, 5, 17).unwrap());
        self.phone_number.push("0123456789".into());
        self.country.push(if id % 2 == 0 { Some("us".into()) } else { None });
    }
}

impl From<Customers> for Batch {
    fn from(c: Customers) -> Batch {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        let days: Vec<i32> = c.date_of_birth.iter().map(|d| (*d - epoch).num_days() as i32).collect();
        let rows = c.customer_id.len();
        let dob = Int32Chunked::from_vec("date_of_birth".into(), days).into_date().into_column();
        let frame = DataFrame::new(
            rows,
            vec![
                Column::new("customer_id".into(), c.customer_id),
                Column::new("full_name".into(), c.full_name),
                Column::new("email".into(), c.email),
                Column::new("age".into(), c.age),
                dob,
                Column::new("phone_number".into(), c.phone_number),
                Column::new("country".into(), c.country),
                Column::new(ROW_NUMBER.into(), c.row_number),
            ],
        )
        .unwrap();
        Batch::new(frame)
    }
}

/// Valid customers `(customer_id, full_name)`, numbered from row 1; even ids have a country.
pub(crate) fn batch(rows: &[(i64, &str)]) -> Customers {
    let mut b = Customers::default();
    for (id, name) in rows {
        b.push(*id, name);
    }
    b
}

/// Ready customer batches followed by the seal, as a [`LoadStream`].
pub(crate) fn sealed_customers(items: Vec<Customers>, seal: FileSeal) -> LoadStream {
    sift_warehouse::sealed(items.into_iter().map(Batch::from).collect(), seal)
}

/// A seal with `checksum` and no counts.
pub(crate) fn seal(checksum: &str) -> FileSeal {
    FileSeal { checksum: checksum.into(), total_rows: 0, invalid_rows: 0 }
}
