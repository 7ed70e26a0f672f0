//! Names from outside (source keys, file names, contract ids, error reasons) as text that
//! cannot forge lines or terminal output: control characters written as escapes.

use std::borrow::Cow;

/// `text` with every control character (C0, DEL, C1) and every bidirectional-text control
/// written as its Rust escape (`\n`, `\u{1b}`, `\u{202e}`), so that a file name holding a line
/// break or an ANSI escape shows as what it is in a terminal or a plain-text email, and never
/// starts a line of its own. Other text is unchanged (borrowed).
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_become_escapes_and_other_text_stays() {
        assert!(matches!(printable("s3://b/é customers+2026.csv"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\nTotal: 0\r\x1b[31mred\x07\u{202e}"),
            "a\\nTotal: 0\\r\\u{1b}[31mred\\u{7}\\u{202e}"
        );
        assert_eq!(printable("tab\there\u{85}"), "tab\\there\\u{85}");
    }
}
