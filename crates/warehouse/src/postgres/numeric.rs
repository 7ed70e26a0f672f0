//! PostgreSQL's binary form of NUMERIC, from a decimal's canonical text.

use bytes::BufMut;

/// Appends the binary COPY field (length, then the value) of `text`, a canonical decimal
/// (`-?[0-9]+(\.[0-9]+)?` with `scale` digits after the point, as `sift_model::Decimal`
/// writes it): `ndigits`, `weight`, `sign`, `dscale`, then the base-10000 digits, the first
/// of which is worth 10000^weight.
pub(crate) fn put_numeric(buf: &mut impl BufMut, text: &str, scale: u16) {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digit = |b: u8| i16::from(b.wrapping_sub(b'0'));
    // Base-10000 groups: the integer part padded with zeros on the left and the fraction on
    // the right, so that groups meet at the point.
    let int_pad = (4 - int.len() % 4) % 4;
    let frac_pad = (4 - frac.len() % 4) % 4;
    let int_digits = std::iter::repeat_n(0, int_pad).chain(int.bytes().map(digit));
    let frac_digits = frac.bytes().map(digit).chain(std::iter::repeat_n(0, frac_pad));
    let all: Vec<i16> = int_digits.chain(frac_digits).collect();
    let groups: Vec<i16> = all.chunks(4).map(|g| g.iter().fold(0, |n, d| n * 10 + d)).collect();
    let int_groups = (int_pad + int.len()) / 4;
    let mut weight = i16::try_from(int_groups).unwrap_or(i16::MAX) - 1;
    let first = groups.iter().position(|&g| g != 0);
    let (sign, digits) = match first {
        None => (0u16, &groups[..0]),
        Some(first) => {
            weight -= i16::try_from(first).unwrap_or(0);
            let last = groups.iter().rposition(|&g| g != 0).unwrap_or(first);
            (if negative { 0x4000 } else { 0 }, &groups[first..=last])
        }
    };
    if digits.is_empty() {
        weight = 0;
    }
    let ndigits = i16::try_from(digits.len()).unwrap_or(i16::MAX);
    buf.put_i32(8 + 2 * i32::from(ndigits));
    buf.put_i16(ndigits);
    buf.put_i16(weight);
    buf.put_u16(sign);
    buf.put_i16(i16::try_from(scale).unwrap_or(i16::MAX));
    for &d in digits {
        buf.put_i16(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (ndigits, weight, sign, dscale, digits) of `text`.
    fn fields(text: &str, scale: u16) -> (i16, i16, u16, i16, Vec<i16>) {
        let mut buf = Vec::new();
        put_numeric(&mut buf, text, scale);
        let word = |i: usize| i16::from_be_bytes([buf[i], buf[i + 1]]);
        let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let n = word(4);
        assert_eq!(len, 8 + 2 * i32::from(n), "{text}");
        let digits = (0..n as usize).map(|k| word(12 + 2 * k)).collect();
        (n, word(6), u16::from_be_bytes([buf[8], buf[9]]), word(10), digits)
    }

    #[test]
    fn numerics_encode_as_postgres_reads_them() {
        assert_eq!(fields("0", 0), (0, 0, 0, 0, vec![]));
        assert_eq!(fields("0.00", 2), (0, 0, 0, 2, vec![]));
        assert_eq!(fields("1", 0), (1, 0, 0, 0, vec![1]));
        assert_eq!(fields("1.50", 2), (2, 0, 0, 2, vec![1, 5000]));
        assert_eq!(fields("-1.50", 2), (2, 0, 0x4000, 2, vec![1, 5000]));
        assert_eq!(fields("123456.78", 2), (3, 1, 0, 2, vec![12, 3456, 7800]));
        assert_eq!(fields("10000", 0), (1, 1, 0, 0, vec![1]));
        assert_eq!(fields("0.05", 2), (1, -1, 0, 2, vec![500]));
        assert_eq!(fields("0.00001", 5), (1, -2, 0, 5, vec![1000]));
        assert_eq!(fields("99999999.9999", 4), (3, 1, 0, 4, vec![9999, 9999, 9999]));
        assert_eq!(fields("1234", 0), (1, 0, 0, 0, vec![1234]));
        assert_eq!(fields("12345", 0), (2, 1, 0, 0, vec![1, 2345]));
    }
}
