//! The frames of a validated chunk: the invalid rows (raw, with `row_number` and
//! `failed_rules`), the warned ones (raw, with `row_number` and `warned_rules`) and the valid
//! rows (typed, in the table's column order).

use polars::prelude::*;
use rayon::prelude::*;
use sift_model::ROW_NUMBER;

use super::kernels::Columns;
use super::plan::{Output, Plan};

/// The valid rows of a chunk: the table's columns, typed ([`ColumnType::physical`]), then
/// [`ROW_NUMBER`].
pub(super) fn valid_rows_frame(
    plan: &Plan,
    c: &Columns<'_, '_>,
    invalid_mask: &[bool],
    invalid_rows: usize,
    first_row: u64,
) -> PolarsResult<DataFrame> {
    let kept_rows = c.rows - invalid_rows;
    let valid_mask = (invalid_rows > 0).then(|| {
        let keep: Vec<bool> = invalid_mask.iter().map(|bad| !bad).collect();
        BooleanChunked::from_slice("valid".into(), &keep)
    });
    let parsed = c.parsed;
    let mut out: Vec<Column> = plan
        .outputs
        .par_iter()
        .map(|output| {
            Ok(match output {
                Output::Text { name, column } if c.trimmed[*column] => {
                    kept_trimmed_text(name, c.raw[*column].str()?, &c.values[*column], invalid_mask)
                        .into_column()
                }
                Output::Text { name, column } => {
                    // Nothing to trim: the same Arrow buffers, only the kept views.
                    let same = c.raw[*column].clone().with_name(name.as_str().into());
                    match &valid_mask {
                        Some(mask) => same.filter(mask)?,
                        None => same,
                    }
                }
                Output::Int { name, int } => {
                    kept_column::<i64, Int64Type>(name, parsed.ints[*int].iter().copied(), invalid_mask)
                }
                Output::Timestamp { name, instant } => kept_column::<i64, Int64Type>(
                    name,
                    parsed.instants[*instant].iter().copied(),
                    invalid_mask,
                ),
                Output::Date { name, date } => {
                    let days = parsed.dates[*date].iter().map(|d| d.map(|d| d.days));
                    kept_column::<i32, Int32Type>(name, days, invalid_mask)
                        .as_materialized_series()
                        .clone()
                        .into_date()
                        .into_column()
                }
                Output::Decimal { name, decimal, scale } => {
                    let mut text = String::new();
                    let kept = parsed.decimals[*decimal].iter().zip(invalid_mask).filter(|(_, bad)| !**bad);
                    let mut builder = StringChunkedBuilder::new(name.as_str().into(), kept_rows);
                    for (value, _) in kept {
                        match value {
                            Some(d) => {
                                text.clear();
                                d.canonical(*scale, &mut text);
                                builder.append_value(&text);
                            }
                            None => builder.append_null(),
                        }
                    }
                    builder.finish().into_column()
                }
                Output::Boolean { name, boolean } => {
                    let kept = parsed.booleans[*boolean].iter().zip(invalid_mask).filter(|(_, bad)| !**bad);
                    BooleanChunked::from_iter_options(name.as_str().into(), kept.map(|(v, _)| *v))
                        .into_column()
                }
                Output::Missing { name, ty } => {
                    Column::full_null(name.as_str().into(), kept_rows, &ty.physical())
                }
            })
        })
        .collect::<PolarsResult<_>>()?;
    let numbers: Vec<u64> = (0..c.rows).filter(|&i| !invalid_mask[i]).map(|i| first_row + i as u64).collect();
    out.push(Column::new(ROW_NUMBER.into(), numbers));
    DataFrame::new(kept_rows, out)
}

/// The kept rows of a string column whose trimming changed some values, as views into the raw
/// column's Arrow buffers: a value trimming left alone keeps its view, a trimmed one gets a
/// view of its trimmed bytes in the same buffer (inline when 12 bytes or fewer). No value is
/// copied, only 16-byte views, and the text stays the raw column's, already checked UTF-8.
fn kept_trimmed_text(
    name: &str,
    raw: &StringChunked,
    values: &[Option<&str>],
    drop: &[bool],
) -> StringChunked {
    use polars_arrow::array::{MutableBinaryViewArray, View};

    let mut start = 0;
    let arrays = raw.downcast_iter().map(|array| {
        let rows = start..start + array.len();
        start = rows.end;
        let kept = drop[rows.clone()].iter().filter(|d| !**d).count();
        let mut out = MutableBinaryViewArray::<str>::with_capacity(kept);
        let (views, buffers) = (array.views(), array.data_buffers());
        let each = values[rows.clone()].iter().zip(&drop[rows]).enumerate();
        for (i, (value, _)) in each.filter(|(_, (_, d))| !**d) {
            let Some(value) = value else {
                out.push_null();
                continue;
            };
            let view = views[i];
            if value.len() == view.length as usize {
                out.push_view(view, buffers);
            } else {
                // `value` lies within the raw one: its offset there is what trimming took off
                // the front.
                let lead = (value.as_ptr() as usize).wrapping_sub(array.value(i).as_ptr() as usize);
                let offset = view.offset.wrapping_add(u32::try_from(lead).unwrap_or(u32::MAX));
                out.push_view(View::new_from_bytes(value.as_bytes(), view.buffer_idx, offset), buffers);
            }
        }
        out.freeze()
    });
    StringChunked::from_chunk_iter(name.into(), arrays.collect::<Vec<_>>())
}

/// The rows of a chunk that `mask` flags (`rows` of them): the raw columns, [`ROW_NUMBER`]
/// and `rules_column`, the `;`-joined ids of `rules` (masks and ids) each row fails: the
/// invalid rows with their `error` rules, or the warned ones with their `warn` rules.
pub(super) fn flagged_rows_frame(
    frame: &DataFrame,
    (fails, ids): (&[&[bool]], &[&str]),
    mask: &[bool],
    rows: usize,
    first_row: u64,
    rules_column: &str,
) -> PolarsResult<DataFrame> {
    if rows == 0 {
        let mut empty = frame.clear();
        empty.with_column(Column::new(ROW_NUMBER.into(), Vec::<u64>::new()))?;
        empty.with_column(Column::new(rules_column.into(), Vec::<String>::new()))?;
        return Ok(empty);
    }
    let mut numbers = Vec::with_capacity(rows);
    let mut joined = Vec::with_capacity(rows);
    for (i, _) in mask.iter().enumerate().filter(|(_, flagged)| **flagged) {
        numbers.push(first_row + i as u64);
        let mut text = String::new();
        for (fail, id) in fails.iter().zip(ids) {
            if fail[i] {
                if !text.is_empty() {
                    text.push(';');
                }
                text.push_str(id);
            }
        }
        joined.push(text);
    }
    let keep = BooleanChunked::from_slice("flagged".into(), mask);
    let mut flagged = frame.filter(&keep)?;
    flagged.with_column(Column::new(ROW_NUMBER.into(), numbers))?;
    flagged.with_column(Column::new(rules_column.into(), joined))?;
    Ok(flagged)
}

/// The kept rows of `values` (one per row of the chunk) as a column; a column without nulls is
/// built from a plain vector (the fast path: valid rows have no null in a checked column),
/// compacted in one pass that writes every row and advances past the kept ones only.
fn kept_column<T, N>(name: &str, values: impl Iterator<Item = Option<T>> + Clone, drop: &[bool]) -> Column
where
    T: Copy + Default,
    N: PolarsNumericType<Native = T>,
    ChunkedArray<N>: IntoColumn,
{
    let mut out = vec![T::default(); drop.len()];
    let (mut kept, mut nulls) = (0, false);
    for (value, &dropped) in values.clone().zip(drop) {
        if let Some(slot) = out.get_mut(kept) {
            *slot = value.unwrap_or_default();
        }
        nulls |= !dropped && value.is_none();
        kept += usize::from(!dropped);
    }
    if nulls {
        let kept = values.zip(drop).filter(|(_, d)| !**d).map(|(v, _)| v);
        return ChunkedArray::<N>::from_iter_options(name.into(), kept).into_column();
    }
    out.truncate(kept);
    ChunkedArray::<N>::from_vec(name.into(), out).into_column()
}

#[cfg(test)]
mod tests {
    use sift_model::ColumnType;

    use super::*;

    #[test]
    fn kept_columns_compact_the_kept_rows_and_keep_their_nulls() {
        let values = [Some(1i64), None, Some(3), Some(4)];
        let kept = |drop: &[bool]| {
            let column = kept_column::<i64, Int64Type>("x", values.iter().copied(), drop);
            column.i64().map(|ca| ca.iter().collect::<Vec<_>>()).unwrap_or_default()
        };
        assert_eq!(kept(&[false, true, false, false]), [Some(1), Some(3), Some(4)]);
        assert_eq!(kept(&[false, false, true, false]), [Some(1), None, Some(4)]);
        assert_eq!(kept(&[true, true, true, true]), []);
        assert_eq!(kept(&[false; 4]), values);
    }

    #[test]
    fn a_missing_optional_column_is_null_of_its_physical_type() {
        let column =
            Column::full_null("note".into(), 3, &ColumnType::Decimal { precision: 5, scale: 2 }.physical());
        assert_eq!((column.len(), column.null_count(), column.dtype()), (3, 3, &DataType::String));
    }
}
