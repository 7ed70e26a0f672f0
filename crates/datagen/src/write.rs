//! Shared writing helpers: CSV fields and records (RFC 4180 quoting) and the number and date
//! formatting the generators append to their field buffers.

use crate::date::Date;

/// Appends `value` to `out` as one CSV field, quoted (RFC 4180) when it holds a comma, a quote
/// or a line break, or when `force` is set.
pub fn push_csv_field(out: &mut Vec<u8>, value: &str, force: bool) {
    let needs = value.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if needs || force {
        out.push(b'"');
        for b in value.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

pub(crate) fn push_u64(s: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        s.push(char::from(d));
    }
}

pub(crate) fn push_padded(s: &mut String, mut v: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let start = i.min(digits.len().saturating_sub(width));
    for &d in &digits[start..] {
        s.push(char::from(d));
    }
}

pub(crate) fn push_date(s: &mut String, d: Date) {
    push_ymd(s, i64::from(d.year), d.month, d.day);
}

/// `YYYY-MM-DD` from parts that need not form a real date.
pub(crate) fn push_ymd(s: &mut String, year: i64, month: u32, day: u32) {
    push_padded(s, year.unsigned_abs(), 4);
    s.push('-');
    push_padded(s, u64::from(month), 2);
    s.push('-');
    push_padded(s, u64::from(day), 2);
}

fn field(out: &mut Vec<u8>, first: bool, value: &str) {
    if !first {
        out.push(b',');
    }
    push_csv_field(out, value, false);
}

/// Appends one CSV record of `values` (each field quoted only when it must be), ending in LF.
pub(crate) fn push_record(out: &mut Vec<u8>, values: &[String]) {
    for (i, v) in values.iter().enumerate() {
        field(out, i == 0, v);
    }
    out.push(b'\n');
}
