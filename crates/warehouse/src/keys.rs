//! A file's keys, the same for every warehouse: the first row with a key in file order wins
//! (SPEC section 7), and later rows with it are `already_present`. Keys are read from a
//! batch's typed columns and encoded without ambiguity.

use hashbrown::HashSet;
use polars::prelude::*;
use sift_model::{Batch, TableSpec};

use crate::error::Result;

/// The keys of a file's valid rows seen so far.
#[derive(Debug)]
pub(crate) enum FileKeys {
    /// An append-only table: every row is new.
    None,
    /// One integer key column (the customer contract's `customer_id`): a compressed bitmap,
    /// about one bit per id when ids are dense (a 5,000,000-row file of ids 1..N: under 1 MiB,
    /// against 72 MiB for a hash set of `i64`), a few bytes each when they are sparse.
    Integer(roaring::RoaringTreemap),
    /// Any other key: each row's key columns, encoded without ambiguity.
    Bytes(HashSet<Vec<u8>>),
}

impl FileKeys {
    pub(crate) fn for_table(table: &TableSpec) -> Self {
        match table.key_positions().as_deref() {
            None => FileKeys::None,
            Some([k]) if table.columns[*k].ty.is_integer() => {
                FileKeys::Integer(roaring::RoaringTreemap::new())
            }
            Some(_) => FileKeys::Bytes(HashSet::new()),
        }
    }
}

/// The rows of `batch` whose key is new to the file, in order (all rows for an append-only
/// table), recording their keys in `seen`.
pub(crate) fn first_occurrences(batch: &Batch, table: &TableSpec, seen: &mut FileKeys) -> Result<Vec<usize>> {
    let rows = batch.len();
    let positions = table.key_positions().unwrap_or_default();
    Ok(match seen {
        FileKeys::None => (0..rows).collect(),
        FileKeys::Integer(bitmap) => {
            let ids = key_column(batch, positions[0])?.i64()?.rechunk();
            ids.iter()
                .enumerate()
                // A key column is required, so never null.
                .filter(|(_, id)| id.is_some_and(|id| bitmap.insert(flip(id))))
                .map(|(i, _)| i)
                .collect()
        }
        FileKeys::Bytes(set) => {
            let parts: Vec<KeyArray> =
                positions.iter().map(|&p| KeyArray::of(key_column(batch, p)?)).collect::<Result<_>>()?;
            let mut key = Vec::new();
            let mut first = Vec::new();
            for i in 0..rows {
                key.clear();
                for part in &parts {
                    part.encode(i, &mut key);
                }
                if !set.contains(key.as_slice()) {
                    set.insert(key.clone());
                    first.push(i);
                }
            }
            first
        }
    })
}

/// An order-preserving bijection of i64 onto u64 (the sign bit flipped): how integer keys are
/// kept in bitmaps.
pub(crate) fn flip(id: i64) -> u64 {
    (id as u64) ^ (1 << 63)
}

pub(crate) fn key_column(batch: &Batch, position: usize) -> Result<&Column> {
    batch
        .column(position)
        .ok_or_else(|| crate::error::Error::Batch(format!("the batch has no key column at {position}")))
}

/// One key column of a batch, rechunked into one typed array (read by index without going
/// through polars' `AnyValue`).
pub(crate) enum KeyArray {
    Int(Int64Chunked),
    Date(Int32Chunked),
    Bool(BooleanChunked),
    Text(StringChunked),
}

impl KeyArray {
    pub(crate) fn of(column: &Column) -> Result<Self> {
        Ok(match column.dtype() {
            DataType::Int64 => KeyArray::Int(column.i64()?.rechunk().into_owned()),
            DataType::Date => KeyArray::Date(column.cast(&DataType::Int32)?.i32()?.rechunk().into_owned()),
            DataType::Boolean => KeyArray::Bool(column.bool()?.rechunk().into_owned()),
            DataType::String => KeyArray::Text(column.str()?.rechunk().into_owned()),
            other => {
                return Err(crate::error::Error::Batch(format!(
                    "a key column of type {other}, which sift does not key on"
                )));
            }
        })
    }

    /// Appends row `i`: a type tag, then the value (integers and days as 8 big-endian bytes,
    /// text and canonical decimals with their length in front); a null (never in a key column
    /// of a valid row) as its own tag.
    pub(crate) fn encode(&self, i: usize, out: &mut Vec<u8>) {
        match self {
            KeyArray::Int(ca) => match ca.get(i) {
                Some(v) => {
                    out.push(1);
                    out.extend_from_slice(&v.to_be_bytes());
                }
                None => out.push(0),
            },
            KeyArray::Date(ca) => match ca.get(i) {
                Some(v) => {
                    out.push(2);
                    out.extend_from_slice(&i64::from(v).to_be_bytes());
                }
                None => out.push(0),
            },
            KeyArray::Bool(ca) => match ca.get(i) {
                Some(v) => out.extend_from_slice(&[3, u8::from(v)]),
                None => out.push(0),
            },
            KeyArray::Text(ca) => match ca.get(i) {
                Some(s) => {
                    out.push(4);
                    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
                None => out.push(0),
            },
        }
    }
}
