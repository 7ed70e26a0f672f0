//! Dates as the rules use them: parsed once from `YYYY-MM-DD` into plain integers, so that
//! comparing them, counting completed years and writing the output's day numbers take no
//! calendar arithmetic per row.

use chrono::{Datelike, NaiveDate};

/// Days from 0001-01-01 (day 1 of the common era) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// A calendar date (proleptic Gregorian, years 0 to 9999, as `YYYY-MM-DD` writes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Day {
    /// Days since 1970-01-01: dates compare as their day numbers do.
    pub days: i32,
    pub year: i32,
    /// `month * 32 + day`: orders as (month, day) does.
    pub month_day: u32,
}

impl Day {
    /// The date, when `month` and `day` make one in `year`.
    pub(crate) fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self { days: days_from_civil(year, month, day), year, month_day: month * 32 + day })
    }

    pub(crate) fn from_date(date: NaiveDate) -> Self {
        Self { days: days_since_epoch(date), year: date.year(), month_day: date.month() * 32 + date.day() }
    }

    /// Completed years from `self` (a birth date) to `as_of`: a birthday not yet reached this
    /// year does not count, so a 29 February birthday is reached on 1 March in a non-leap year.
    pub(crate) fn completed_years_at(self, as_of: Day) -> i64 {
        i64::from(as_of.year - self.year) - i64::from(as_of.month_day < self.month_day)
    }
}

/// Parses exactly `YYYY-MM-DD` as a real calendar date.
pub(crate) fn parse_day(text: &str) -> Option<Day> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    // Every digit at once, then one check: no branch per byte.
    let digit = |i: usize| u32::from(b[i].wrapping_sub(b'0'));
    let digits = [digit(0), digit(1), digit(2), digit(3), digit(5), digit(6), digit(8), digit(9)];
    if digits.iter().fold(false, |bad, &d| bad | (d > 9)) {
        return None;
    }
    let [y0, y1, y2, y3, m0, m1, d0, d1] = digits;
    let (year, month, day) = (y0 * 1000 + y1 * 100 + y2 * 10 + y3, m0 * 10 + m1, d0 * 10 + d1);
    // Four digits: at most 9999.
    Day::from_ymd(i32::try_from(year).ok()?, month, day)
}

fn is_leap(year: i32) -> bool {
    year & 3 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 => 28 + u32::from(is_leap(year)),
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a valid date of years 0 to 9999 (Howard Hinnant's
/// `days_from_civil`: years counted from March, so that the leap day ends the year; shifted by
/// 400 years so that the arithmetic is unsigned).
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    /// 400 years: the Gregorian cycle.
    const CYCLE_YEARS: u32 = 400;
    const CYCLE_DAYS: i64 = 146_097;
    let march_based = if month <= 2 { (month + 9, 1) } else { (month - 3, 0) };
    // Years 0 to 9999 and the shift: no sign and no overflow.
    let y = year.unsigned_abs() + CYCLE_YEARS - march_based.1;
    let day_of_year = (153 * march_based.0 + 2) / 5 + day - 1;
    let days = i64::from(y * 365 + y / 4 - y / 100 + y / 400 + day_of_year) - 719_468 - CYCLE_DAYS;
    i32::try_from(days).unwrap_or(i32::MIN)
}

/// The day number of `date` (days since 1970-01-01).
pub(crate) fn days_since_epoch(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

/// The date `days` after 1970-01-01.
pub fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days.checked_add(EPOCH_DAYS_FROM_CE)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_date_of_four_digit_years_agrees_with_chrono() {
        let (mut date, last) = (
            NaiveDate::from_ymd_opt(0, 1, 1).expect("a date"),
            NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date"),
        );
        let mut days = days_since_epoch(date);
        loop {
            let day = Day::from_ymd(date.year(), date.month(), date.day());
            assert_eq!(day, Some(Day::from_date(date)), "{date}");
            assert_eq!(day.map(|d| d.days), Some(days), "{date}");
            // Parsing too, on a sample (formatting every date is slow in a debug build).
            if days % 97 == 0 {
                let text = date.format("%Y-%m-%d").to_string();
                assert_eq!(parse_day(&text), day, "{text}");
            }
            if date == last {
                break;
            }
            date = date.succ_opt().expect("a next day");
            days += 1;
        }
    }

    #[test]
    fn impossible_dates_and_other_shapes_do_not_parse() {
        for text in [
            "2023-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "2024-1-01",
            "2024/01/01",
            "20240101",
            "2024-01-01 ",
            "+024-01-01",
            "2024-0a-01",
            "２０２４-01-01",
            "",
        ] {
            assert_eq!(parse_day(text), None, "{text:?}");
        }
        assert!(parse_day("2000-02-29").is_some() && parse_day("2024-02-29").is_some());
    }

    #[test]
    fn completed_years_count_birthdays_reached() {
        let day = |y, m, d| Day::from_ymd(y, m, d).expect("a date");
        let as_of = day(2026, 11, 26);
        assert_eq!(day(2000, 11, 26).completed_years_at(as_of), 26);
        assert_eq!(day(2000, 11, 27).completed_years_at(as_of), 25);
        assert_eq!(day(2000, 12, 1).completed_years_at(as_of), 25);
        assert_eq!(day(2008, 2, 29).completed_years_at(day(2026, 2, 28)), 17);
        assert_eq!(day(2008, 2, 29).completed_years_at(day(2026, 3, 1)), 18);
        assert_eq!(day(2026, 11, 27).completed_years_at(as_of), -1);
    }
}
