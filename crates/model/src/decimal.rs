//! Exact decimals as the `decimal` check reads them and as tables store them.

use std::cmp::Ordering;

/// A decimal number as written: `-?[0-9]+(\.[0-9]+)?`, borrowed from its text.
///
/// Two decimals compare by value (`1.50` equals `1.5`); [`Decimal::canonical`] writes the form
/// a table stores, with a fixed number of digits after the point.
#[derive(Debug, Clone, Copy)]
pub struct Decimal<'a> {
    negative: bool,
    /// Digits before the point, leading zeros removed (empty for zero).
    int: &'a str,
    /// Digits after the point, as written (trailing zeros kept: they count against a scale).
    frac: &'a str,
}

impl<'a> Decimal<'a> {
    /// Reads `-?[0-9]+(\.[0-9]+)?` (ASCII digits; no `+`, no exponent, no spaces).
    pub fn parse(text: &'a str) -> Option<Self> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = match rest.split_once('.') {
            Some((int, frac)) => (int, frac),
            None => (rest, ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || (rest.contains('.') && !digits(frac)) {
            return None;
        }
        let int = int.trim_start_matches('0');
        let zero = int.is_empty() && frac.bytes().all(|b| b == b'0');
        Some(Self { negative: negative && !zero, int, frac })
    }

    /// Digits before the point, leading zeros not counted (`007.5` has 1, `0.5` has 0).
    pub fn integer_digits(&self) -> usize {
        self.int.len()
    }

    /// Digits after the point as written (`1.500` has 3).
    pub fn fraction_digits(&self) -> usize {
        self.frac.len()
    }

    /// Whether the value is below zero (`-0` is not).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The value's magnitude compared with `other`'s.
    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        self.int.len().cmp(&other.int.len()).then_with(|| self.int.cmp(other.int)).then_with(|| {
            let (a, b) = (self.frac.trim_end_matches('0'), other.frac.trim_end_matches('0'));
            // Lexicographic order of the digits after the point is numeric order once the
            // shorter one is read as padded with zeros.
            a.bytes()
                .chain(std::iter::repeat(b'0'))
                .take(a.len().max(b.len()))
                .cmp(b.bytes().chain(std::iter::repeat(b'0')).take(a.len().max(b.len())))
        })
    }

    /// Appends the canonical text with exactly `scale` digits after the point (none and no
    /// point when `scale` is 0): `-` only when negative, one `0` before the point when the
    /// value is below one. Digits after the point beyond `scale` are cut, not rounded: the
    /// `decimal` check refuses such values before they reach a table.
    pub fn canonical(&self, scale: usize, out: &mut String) {
        if self.negative {
            out.push('-');
        }
        out.push_str(if self.int.is_empty() { "0" } else { self.int });
        if scale > 0 {
            out.push('.');
            let frac = &self.frac[..self.frac.len().min(scale)];
            out.push_str(frac);
            out.extend(std::iter::repeat_n('0', scale - frac.len()));
        }
    }
}

impl PartialEq for Decimal<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal<'_> {}

impl PartialOrd for Decimal<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly by design.
mod tests {
    use super::*;

    fn canonical(text: &str, scale: usize) -> Option<String> {
        let mut out = String::new();
        Decimal::parse(text)?.canonical(scale, &mut out);
        Some(out)
    }

    #[test]
    fn parsing_takes_the_grammar_and_nothing_else() {
        for good in ["0", "7", "-7", "007", "1.5", "-0.50", "0.000", "123456789012345678901234567890.1"] {
            assert!(Decimal::parse(good).is_some(), "{good}");
        }
        for bad in ["", "-", ".5", "5.", "+5", "1e3", "1.2.3", " 1", "1 ", "--1", "1,5", "١", "0x1", "-.5"] {
            assert!(Decimal::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn digits_are_counted_as_the_spec_says() {
        let d = |t| Decimal::parse(t).unwrap();
        assert_eq!((d("007.5").integer_digits(), d("007.5").fraction_digits()), (1, 1));
        assert_eq!((d("0.500").integer_digits(), d("0.500").fraction_digits()), (0, 3));
        assert_eq!((d("-120").integer_digits(), d("-120").fraction_digits()), (3, 0));
    }

    #[test]
    fn values_compare_by_number_not_by_text() {
        let d = |t| Decimal::parse(t).unwrap();
        assert_eq!(d("1.50"), d("1.5"));
        assert_eq!(d("-0"), d("0.000"));
        assert!(!d("-0.0").is_negative());
        let ordered = [
            "-100", "-9.99", "-9.9", "-0.001", "0", "0.001", "0.01", "0.1", "1", "1.05", "1.5", "9.99", "10",
            "100.0",
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(d(a).cmp(&d(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn canonical_text_has_exactly_the_scale() {
        assert_eq!(canonical("1.5", 2).as_deref(), Some("1.50"));
        assert_eq!(canonical("001.50", 2).as_deref(), Some("1.50"));
        assert_eq!(canonical("-0.5", 3).as_deref(), Some("-0.500"));
        assert_eq!(canonical("-0.00", 2).as_deref(), Some("0.00"));
        assert_eq!(canonical(".5", 2), None);
        assert_eq!(canonical("42", 0).as_deref(), Some("42"));
        assert_eq!(canonical("0", 1).as_deref(), Some("0.0"));
    }
}
