//! Helpers shared by the warehouse test binaries.

use chrono::NaiveDate;
use sift_validator::CustomerBatch;
use sift_warehouse::FileSeal;

/// Valid customers `(customer_id, full_name)`, numbered from row 1; even ids have a country.
pub fn batch(rows: &[(i64, &str)]) -> CustomerBatch {
    let mut b = CustomerBatch::default();
    for (n, (id, name)) in rows.iter().enumerate() {
        b.row_number.push(n as u64 + 1);
        b.customer_id.push(*id);
        b.full_name.push((*name).to_owned());
        b.email.push(format!("c{id}@example.com"));
        b.age.push(36);
        b.date_of_birth.push(NaiveDate::from_ymd_opt(1990, 5, 17).unwrap_or_default());
        b.phone_number.push("0123456789".into());
        b.country.push(if id % 2 == 0 { Some("us".into()) } else { None });
    }
    b
}

/// A seal with `checksum` and no counts.
pub fn seal(checksum: &str) -> FileSeal {
    FileSeal { checksum: checksum.into(), total_rows: 0, invalid_rows: 0 }
}
