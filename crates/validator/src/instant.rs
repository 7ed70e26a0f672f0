//! Timestamps as the `timestamp` check reads them: `YYYY-MM-DD[T| ]HH:MM:SS[.f{1,9}]` then
//! `Z`, `+HH:MM`, `-HH:MM` or nothing (UTC), into microseconds since 1970-01-01 UTC.

use crate::calendar::parse_day;

const MICROS_PER_SECOND: i64 = 1_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// The instant `text` names, in microseconds since 1970-01-01T00:00:00Z; `None` when it is not
/// exactly the grammar above with a real calendar date, hours 00-23, minutes and seconds 00-59
/// (no leap second), and an offset of at most 23:59. Fractions finer than a microsecond are
/// rounded to the nearest one, halves to even, as PostgreSQL rounds them.
pub(crate) fn parse_instant(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 19 || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let day = parse_day(text.get(..10)?)?;
    let two = |i: usize| -> Option<i64> {
        let (h, l) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (h <= 9 && l <= 9).then(|| i64::from(h * 10 + l))
    };
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &b[19..];
    let mut micros = 0i64;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        let value = |d: &[u8]| d.iter().fold(0i64, |n, c| n * 10 + i64::from(c - b'0'));
        let (kept, cut) = fraction[..digits].split_at(digits.min(6));
        micros = value(kept) * 10i64.pow(u32::try_from(6 - kept.len()).ok()?);
        if !cut.is_empty() {
            // The cut digits against half of their unit: above rounds up, exactly half to even.
            let cut_value = value(cut);
            let half = 5 * 10i64.pow(u32::try_from(cut.len() - 1).ok()?);
            if cut_value > half || (cut_value == half && micros % 2 == 1) {
                micros += 1;
            }
        }
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digit = |c: u8| c.wrapping_sub(b'0');
            if [*h1, *h2, *m1, *m2].iter().any(|&c| digit(c) > 9) {
                return None;
            }
            let (oh, om) = (i64::from(digit(*h1) * 10 + digit(*h2)), i64::from(digit(*m1) * 10 + digit(*m2)));
            if oh > 23 || om > 59 {
                return None;
            }
            let seconds = oh * 3600 + om * 60;
            if *sign == b'+' { seconds } else { -seconds }
        }
        _ => return None,
    };
    let local = i64::from(day.days) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    Some((local - offset_seconds) * MICROS_PER_SECOND + micros)
}

/// Microseconds since 1970-01-01 UTC at the start of day `days` (days since 1970-01-01).
pub(crate) fn day_start_micros(days: i32) -> i64 {
    i64::from(days) * SECONDS_PER_DAY * MICROS_PER_SECOND
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_micros(rfc3339: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(rfc3339).map(|t| t.timestamp_micros()).unwrap_or(i64::MIN)
    }

    #[test]
    fn instants_agree_with_chrono_where_both_read_them() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2026-11-26T08:15:00Z",
            "2026-11-26T08:15:00.5Z",
            "2026-11-26T08:15:00.123456Z",
            "2026-11-26T08:15:00+01:00",
            "2026-11-26T08:15:00-05:30",
            "2026-11-26T23:59:59.999999+23:59",
            "1900-02-28T00:00:00-23:59",
            "2024-02-29T12:00:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ] {
            assert_eq!(parse_instant(text), Some(chrono_micros(text)), "{text}");
        }
    }

    #[test]
    fn the_grammar_edges() {
        let at = |t| parse_instant(t);
        let base = chrono_micros("2026-11-26T08:15:00Z");
        assert_eq!(at("2026-11-26 08:15:00"), Some(base), "a space and no offset: UTC");
        assert_eq!(at("2026-11-26T08:15:00"), Some(base));
        assert_eq!(at("2026-11-26T08:15:00.000000001Z"), Some(base), "nine digits");
        assert_eq!(at("2026-11-26T08:15:00.0000005Z"), Some(base), "half a microsecond: to even (0)");
        assert_eq!(at("2026-11-26T08:15:00.0000015Z"), Some(base + 2), "half: to even (2)");
        assert_eq!(at("2026-11-26T08:15:00.00000051Z"), Some(base + 1), "above half: up");
        assert_eq!(at("2026-11-26T08:15:59.9999995Z"), Some(base + 60_000_000), "rounding carries");
        for bad in [
            "2026-11-26t08:15:00Z",
            "2026-11-26T08:15:00z",
            "2026-11-26T08:15Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T08:60:00Z",
            "2026-11-26T08:15:60Z",
            "2026-02-30T08:15:00Z",
            "2026-11-26T08:15:00.Z",
            "2026-11-26T08:15:00.1234567890Z",
            "2026-11-26T08:15:00+24:00",
            "2026-11-26T08:15:00+01:60",
            "2026-11-26T08:15:00+0100",
            "2026-11-26T08:15:00+01",
            "2026-11-26T08:15:00 Z",
            "2026-11-26T08:15:00ZZ",
            "2026-11-26",
            "26-11-2026T08:15:00Z",
            "２026-11-26T08:15:00Z",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }
}
