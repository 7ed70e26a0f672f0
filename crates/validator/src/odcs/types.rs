//! What ODCS's types and patterns mean in sift's terms: integer formats and SQL physical types
//! as ranges, character and decimal physical types, and ECMA-262 patterns in the regex crate's
//! syntax.

/// An ODCS pattern (ECMA-262, as JSON Schema's `pattern`) in the regex crate's syntax, with
/// ECMA's meaning of its class escapes: `\d` is `[0-9]` and `\w` `[0-9A-Za-z_]` (ASCII, where
/// the regex crate's are Unicode: `\d` would match `١٢٣`), `\b` the boundary of those, `\s`
/// ECMA's white space and line terminators, and `[\b]` a backspace. Everything else is passed
/// on as written.
pub(super) fn ecma_pattern(pattern: &str) -> String {
    const SPACE: &str = "\\t\\n\\x0B\\x0C\\r \\u{A0}\\u{1680}\\u{2000}-\\u{200A}\\u{2028}\\u{2029}\\u{202F}\\u{205F}\\u{3000}\\u{FEFF}";
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str("[0-9]"),
                Some('D') => out.push_str("[^0-9]"),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('W') => out.push_str("[^0-9A-Za-z_]"),
                Some('s') => out.push_str(&format!("[{SPACE}]")),
                Some('S') => out.push_str(&format!("[^{SPACE}]")),
                Some('b') if in_class => out.push_str("\\x08"),
                Some('b') => out.push_str("(?-u:\\b)"),
                Some('B') if !in_class => out.push_str("(?-u:\\B)"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },

            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            // Literal inside an ECMA class; a nested class or a set operator in the regex crate's.
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The range of an ODCS integer `format` (the JSON Schema's enum: Rust's integer types), within
/// i64; `None` for another value.
pub(super) fn integer_format(format: &str) -> Option<(i64, i64)> {
    Some(match format {
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" | "i128" => (i64::MIN, i64::MAX),
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "u128" => (0, i64::MAX),
        _ => return None,
    })
}

/// The range of an SQL integer `physicalType` (`tinyint`, `smallint`, `int`, `bigint` and their
/// aliases); `None` for anything else.
pub(super) fn integer_physical(physical: &str) -> Option<(i64, i64)> {
    match physical.trim().to_ascii_lowercase().as_str() {
        "tinyint" | "byte" => integer_format("i8"),
        "smallint" | "int2" | "short" => integer_format("i16"),
        "int" | "integer" | "int4" | "serial" => integer_format("i32"),
        "bigint" | "int8" | "long" | "bigserial" => integer_format("i64"),
        _ => None,
    }
}

/// The `n` of a `varchar(n)`, `char(n)`, `character varying(n)` or `nvarchar(n)` physical type.
pub(super) fn char_length(physical: &str) -> Option<u64> {
    let lower = physical.trim().to_ascii_lowercase();
    let (name, rest) = lower.split_once('(')?;
    let known = ["varchar", "char", "character varying", "character", "nvarchar", "nchar", "string"];
    known.contains(&name.trim()).then_some(())?;
    rest.strip_suffix(')')?.trim().parse().ok()
}

/// `(p, s)` of a `decimal(p,s)` or `numeric(p,s)` physical type.
pub(super) fn decimal_type(physical: &str) -> Option<(u8, u8)> {
    let lower = physical.trim().to_ascii_lowercase();
    let inner =
        lower.strip_prefix("decimal(").or_else(|| lower.strip_prefix("numeric("))?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn ecma_class_escapes_keep_their_ecma_meaning() {
        let matches =
            |pattern: &str, text: &str| regex::Regex::new(&ecma_pattern(pattern)).unwrap().is_match(text);
        // `\d` and `\w` are ASCII: Arabic-Indic digits and accented letters are not in them.
        assert!(matches(r"^\d{3}$", "123") && !matches(r"^\d{3}$", "١٢٣"));
        assert!(matches(r"^\w+$", "ab_9") && !matches(r"^\w+$", "é"));
        assert!(matches(r"^\D$", "é") && matches(r"^\W$", "é"));
        // Inside a class too, and with a literal `[` there.
        assert!(matches(r"^[\d.]+$", "1.5") && !matches(r"^[\d.]+$", "١.٥"));
        assert!(matches(r"^[[a]+$", "[a[") && matches(r"^[a&&b]$", "&"));
        // `\b` is the boundary of ASCII words; `[\b]` a backspace.
        assert!(matches(r"\bé", "xé") && matches(r"\bx", "éx"));
        assert!(matches(r"^[\b]$", "\u{8}"));
        // `\s` is ECMA's white space: a no-break space and a BOM are in it, NEL is not.
        assert!(matches(r"^\s$", "\u{a0}") && matches(r"^\s$", "\u{feff}") && !matches(r"^\s$", "\u{85}"));
        assert!(matches(r"^\S$", "\u{85}"));
        // Other escapes and text pass through.
        assert_eq!(ecma_pattern(r"^[A-Z]{2}\.\-x$"), r"^[A-Z]{2}\.\-x$");
    }
}
