//! PostgreSQL's binary COPY format for a [`Batch`] of any table: each column's values written
//! in the wire form of the type its [`ColumnType`] creates (SPEC section 7), from the batch's
//! polars arrays without a per-value string copy.

use bytes::{BufMut, BytesMut};
use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray, Utf8ViewArray};
use sift_model::{Batch, ColumnType, TableSpec};

use super::numeric::put_numeric;
use crate::error::{Error, Result};

/// Days from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
const PG_EPOCH_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to PostgreSQL's epoch.
const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS as i64 * 86_400 * 1_000_000;

/// One column of a batch, ready to write row by row.
enum Writer<'a> {
    Int16(&'a PrimitiveArray<i64>),
    Int32(&'a PrimitiveArray<i64>),
    Int64(&'a PrimitiveArray<i64>),
    Numeric(&'a Utf8ViewArray, u16),
    Boolean(&'a BooleanArray),
    Date(&'a PrimitiveArray<i32>),
    Timestamp(&'a PrimitiveArray<i64>),
    Text(&'a Utf8ViewArray),
}

/// A batch's columns, each as one contiguous Arrow array, checked against the table.
pub(crate) struct Rows {
    /// Owned single-chunk columns the writers borrow from.
    columns: Vec<Column>,
    types: Vec<ColumnType>,
}

impl Rows {
    /// The batch's table columns, rechunked into one array each; an error when a column is
    /// missing or not of its type's physical form (a batch made for another table).
    pub(super) fn of(batch: &Batch, table: &TableSpec) -> Result<Self> {
        let mut columns = Vec::with_capacity(table.columns.len());
        for (i, spec) in table.columns.iter().enumerate() {
            let column = batch.column(i).filter(|c| c.name().as_str() == spec.name).ok_or_else(|| {
                Error::Batch(format!(
                    "the batch has no column `{}` at position {} of {}",
                    spec.name,
                    i + 1,
                    table.name
                ))
            })?;
            let wanted = spec.ty.physical();
            if column.dtype() != &wanted {
                return Err(Error::Batch(format!(
                    "column `{}` of the batch is {}, not {wanted} as {} needs for {}",
                    spec.name,
                    column.dtype(),
                    table.name,
                    spec.ty
                )));
            }
            // Dates are written as their day numbers.
            let column =
                if wanted == DataType::Date { column.cast(&DataType::Int32)? } else { column.clone() };
            columns.push(column.rechunk());
        }
        Ok(Self { columns, types: table.columns.iter().map(|c| c.ty).collect() })
    }

    fn writers(&self) -> Result<Vec<Writer<'_>>> {
        self.columns
            .iter()
            .zip(&self.types)
            .map(|(column, ty)| {
                let series = column.as_materialized_series();
                Ok(match ty {
                    ColumnType::Int16 => Writer::Int16(single(series.i64()?)?),
                    ColumnType::Int32 => Writer::Int32(single(series.i64()?)?),
                    ColumnType::Int64 => Writer::Int64(single(series.i64()?)?),
                    ColumnType::Timestamp => Writer::Timestamp(single(series.i64()?)?),
                    ColumnType::Decimal { scale, .. } => {
                        Writer::Numeric(single(series.str()?)?, u16::from(*scale))
                    }
                    ColumnType::Boolean => Writer::Boolean(single(series.bool()?)?),
                    ColumnType::Date => Writer::Date(single(series.i32()?)?),
                    ColumnType::Text => Writer::Text(single(series.str()?)?),
                })
            })
            .collect()
    }

    /// Appends rows `rows` in binary COPY format (header and trailer included), each followed
    /// by `source_uri` and `loaded_at` (microseconds since 1970-01-01 UTC).
    pub(super) fn encode(
        &self,
        rows: &[usize],
        source_uri: &str,
        loaded_at: i64,
        buf: &mut BytesMut,
    ) -> Result<()> {
        let writers = self.writers()?;
        let fields = i16::try_from(writers.len() + 2).unwrap_or(i16::MAX);
        buf.put_slice(b"PGCOPY\n\xff\r\n\0");
        buf.put_i32(0); // flags
        buf.put_i32(0); // header extension length
        for &i in rows {
            buf.put_i16(fields);
            for writer in &writers {
                write_value(writer, i, buf);
            }
            put_text(buf, source_uri);
            buf.put_i32(8);
            buf.put_i64(loaded_at - PG_EPOCH_MICROS);
        }
        buf.put_i16(-1); // trailer
        Ok(())
    }
}

/// The one Arrow array of a rechunked column.
fn single<T: PolarsDataType>(ca: &ChunkedArray<T>) -> Result<&T::Array> {
    ca.downcast_iter()
        .next()
        .filter(|_| ca.chunks().len() == 1)
        .ok_or_else(|| Error::Batch(format!("column `{}` is not in one piece after rechunking", ca.name())))
}

fn put_text(buf: &mut BytesMut, value: &str) {
    buf.put_i32(i32::try_from(value.len()).unwrap_or(i32::MAX));
    buf.put_slice(value.as_bytes());
}

fn write_value(writer: &Writer<'_>, i: usize, buf: &mut BytesMut) {
    macro_rules! or_null {
        ($array:expr, $put:expr) => {
            if $array.is_valid(i) { $put } else { buf.put_i32(-1) }
        };
    }
    match writer {
        // The check proved the range: the narrowing never loses a value.
        Writer::Int16(a) => or_null!(a, {
            buf.put_i32(2);
            buf.put_i16(a.value(i) as i16)
        }),
        Writer::Int32(a) => or_null!(a, {
            buf.put_i32(4);
            buf.put_i32(a.value(i) as i32)
        }),
        Writer::Int64(a) => or_null!(a, {
            buf.put_i32(8);
            buf.put_i64(a.value(i))
        }),
        Writer::Timestamp(a) => or_null!(a, {
            buf.put_i32(8);
            buf.put_i64(a.value(i) - PG_EPOCH_MICROS)
        }),
        Writer::Numeric(a, scale) => or_null!(a, put_numeric(buf, a.value(i), *scale)),
        Writer::Boolean(a) => or_null!(a, {
            buf.put_i32(1);
            buf.put_u8(u8::from(a.value(i)))
        }),
        Writer::Date(a) => or_null!(a, {
            buf.put_i32(4);
            buf.put_i32(a.value(i) - PG_EPOCH_DAYS)
        }),
        Writer::Text(a) => or_null!(a, put_text(buf, a.value(i))),
    }
}
