//! Helpers shared by the warehouse test binaries: customers in `dim_customer`'s shape, built
//! as the validator builds them (typed polars columns in table order, then `row_number`).

#![allow(dead_code, clippy::unwrap_used)] // Each test binary uses a part; tests fail loudly.

use chrono::NaiveDate;
use polars::prelude::*;
use sift_model::{Batch, ColumnType, ROW_NUMBER, TableColumn, TableSpec};
use sift_model::{FileHistory, RuleHistory};
use sift_warehouse::{FileSeal, LoadStream, Warehouse};

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
        on_conflict: Default::default(),
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

/// A history entry of `dataset`: `rows` rows of which `email` fail the email rule.
pub(crate) fn file_history(dataset: &str, uri: &str, checksum: &str, rows: u64, email: u64) -> FileHistory {
    FileHistory {
        dataset: dataset.into(),
        source_uri: uri.into(),
        checksum: checksum.into(),
        held: email * 2 > rows,
        total_rows: rows,
        valid_rows: rows - email,
        invalid_rows: email,
        rules: vec![
            RuleHistory { rule: "not_null:email".into(), failures: 0, warnings: 0 },
            RuleHistory { rule: "email".into(), failures: email, warnings: 0 },
            RuleHistory { rule: "phone_number".into(), failures: 0, warnings: 7 },
        ],
        recorded_at: None,
    }
}

/// What both backends must do with the history: record each file once, read back the newest
/// files of one dataset (or of each) with their rules in contract order.
pub(crate) async fn the_history_round_trips(w: &dyn Warehouse) {
    assert!(w.history(None, 10).await.unwrap().is_empty(), "nothing yet");
    let started = chrono::Utc::now() - chrono::Duration::seconds(5);
    for day in 1..=12u64 {
        let file = file_history("customer", &format!("in/day-{day}.csv"), &format!("sum-{day}"), 1000, day);
        assert!(w.record_history(&file).await.unwrap(), "day {day} is new");
    }
    let orders = file_history("orders", "in/orders.csv", "sum-o", 10, 9);
    assert!(w.record_history(&orders).await.unwrap());
    // A re-delivered file is recorded once; the same URI with other content is another file.
    let again = file_history("customer", "in/day-12.csv", "sum-12", 1000, 12);
    assert!(!w.record_history(&again).await.unwrap(), "recorded once");
    let changed = file_history("customer", "in/day-12.csv", "sum-12b", 1000, 500);
    assert!(w.record_history(&changed).await.unwrap());

    let recent = w.history(Some("customer"), 5).await.unwrap();
    let days: Vec<&str> = recent.iter().map(|f| f.source_uri.as_str()).collect();
    assert_eq!(days, ["in/day-12.csv", "in/day-12.csv", "in/day-11.csv", "in/day-10.csv", "in/day-9.csv"]);
    assert_eq!(recent[0].checksum, "sum-12b");
    assert!(!recent[0].held && !recent[1].held);
    let newest = FileHistory { recorded_at: None, ..recent[2].clone() };
    assert_eq!(newest, file_history("customer", "in/day-11.csv", "sum-11", 1000, 11), "read back as written");
    let when = recent[2].recorded_at.unwrap();
    assert!(when > started && when < chrono::Utc::now() + chrono::Duration::seconds(5), "{when}");

    let every = w.history(None, 2).await.unwrap();
    let by: Vec<(&str, &str)> = every.iter().map(|f| (f.dataset.as_str(), f.checksum.as_str())).collect();
    assert_eq!(by, [("customer", "sum-12b"), ("customer", "sum-12"), ("orders", "sum-o")]);
    assert!(every[2].held, "held files are remembered as such");
    assert!(w.history(Some("nothing"), 5).await.unwrap().is_empty());
}
