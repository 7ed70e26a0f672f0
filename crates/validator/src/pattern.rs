//! The patterns of [`Check::Regex`](crate::contract::Check::Regex), compiled for one question:
//! does this value match?
//!
//! A pattern means what it means to the `regex` crate (Unicode, unanchored unless it anchors
//! itself). The evaluation path is chosen when the rule set is bound:
//!
//! - a whole value of one ASCII class with length bounds (`^[A-Za-z ]+$`, `^[0-9]{10}$`) is a
//!   byte-table scan: a few cycles a byte;
//! - a whole value made of ASCII classes and literals, each once or repeated (`+`, `{m}`,
//!   `{m,}`), with at most 64 positions (`^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`),
//!   runs as a bit-parallel NFA (shift-and): one table lookup and a few bit operations a byte;
//! - anything else runs a lazy DFA (`regex_automata::hybrid`) over the value's bytes with no
//!   per-call setup, stopping at the first match or dead state. Should the DFA refuse the
//!   pattern (a Unicode word boundary, say) or give up on an input, the `regex` crate answers.
//!
//! Every path is checked against the `regex` crate in the tests below.

use regex_automata::Input;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// A compiled pattern with its scratch space (hence `&mut self` to match).
#[derive(Debug)]
pub(crate) struct Pattern {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// `^[class]{min,max}$` where the class holds only ASCII characters: every byte of the
    /// value is in the class and the length is in bounds (ASCII: one byte a character).
    ClassRun { allowed: Box<[bool; 256]>, min: usize, max: usize },
    /// `^...$` over a sequence of positions, each an ASCII class: bit `i` of `masks[b]` is set
    /// when byte `b` is in position `i`'s class; `loops` marks positions that may repeat.
    Sequence { masks: Box<[u64; 256]>, loops: u64, last: u64 },
    /// A lazy DFA and its cache; the `regex` crate answers when the DFA gives up on an input.
    Dfa { dfa: Box<DFA>, cache: Box<Cache>, regex: regex::Regex },
    /// Only the `regex` crate.
    Regex(regex::Regex),
}

impl Pattern {
    /// Compiles `pattern` (the `regex` crate's syntax).
    pub(crate) fn new(pattern: &str) -> Result<Self, regex::Error> {
        let hir = regex_syntax::parse(pattern).ok();
        if let Some(kind) = hir.as_ref().and_then(|hir| class_run(hir).or_else(|| sequence(hir))) {
            return Ok(Self { kind });
        }
        let regex = regex::Regex::new(pattern)?;
        let kind = match DFA::new(pattern) {
            Ok(dfa) => {
                let cache = dfa.create_cache();
                Kind::Dfa { dfa: Box::new(dfa), cache: Box::new(cache), regex }
            }
            Err(_) => Kind::Regex(regex),
        };
        Ok(Self { kind })
    }

    /// True when `value` matches.
    #[cfg(test)]
    pub(crate) fn is_match(&mut self, value: &str) -> bool {
        let mut fail = [false];
        self.mark_mismatches(&[Some(value)], &mut fail);
        !fail[0]
    }

    /// Sets `fail[i]` when `values[i]` is present and does not match (and clears it
    /// otherwise): one pass per column, the path chosen once rather than per value.
    pub(crate) fn mark_mismatches(&mut self, values: &[Option<&str>], fail: &mut [bool]) {
        let each = values.iter().zip(fail);
        match &mut self.kind {
            Kind::ClassRun { allowed, min, max } => {
                for (v, f) in each {
                    *f = v.is_some_and(|v| !class_run_matches(allowed, *min, *max, v.as_bytes()));
                }
            }
            Kind::Sequence { masks, loops, last } => {
                for (v, f) in each {
                    *f = v.is_some_and(|v| !sequence_matches(masks, *loops, *last, v.as_bytes()));
                }
            }
            Kind::Dfa { dfa, cache, regex } => {
                for (v, f) in each {
                    *f = v.is_some_and(|v| {
                        !dfa_is_match(dfa, cache, v.as_bytes()).unwrap_or_else(|| regex.is_match(v))
                    });
                }
            }
            Kind::Regex(regex) => {
                for (v, f) in each {
                    *f = v.is_some_and(|v| !regex.is_match(v));
                }
            }
        }
    }

    #[cfg(test)]
    fn path(&self) -> &'static str {
        match self.kind {
            Kind::ClassRun { .. } => "class",
            Kind::Sequence { .. } => "sequence",
            Kind::Dfa { .. } => "dfa",
            Kind::Regex(_) => "regex",
        }
    }
}

/// Every byte of `b` is in the class and its length is in bounds (ASCII: one byte a character).
#[inline]
fn class_run_matches(allowed: &[bool; 256], min: usize, max: usize, b: &[u8]) -> bool {
    // Eight bytes at a time without a branch each: independent lookups.
    let in_class = |bytes: &[u8]| bytes.iter().fold(true, |all, &c| all & allowed[usize::from(c)]);
    let mut words = b.chunks_exact(8);
    b.len() >= min && b.len() <= max && words.all(in_class) && in_class(words.remainder())
}

/// The shift-and recogniser over `b`.
#[inline]
fn sequence_matches(masks: &[u64; 256], loops: u64, last: u64, b: &[u8]) -> bool {
    let mut bytes = b.iter();
    let Some(&first) = bytes.next() else { return false };
    // Bit i: the bytes so far match the pattern up to and including position i. A dead state
    // stays dead: checked once at the end, not at every byte.
    let mut state = masks[usize::from(first)] & 1;
    for &b in bytes {
        state = ((state << 1) | (state & loops)) & masks[usize::from(b)];
    }
    state & last != 0
}

/// Runs the lazy DFA over `hay`; `None` when it cannot answer (a quit byte, a cache that
/// keeps being cleared).
fn dfa_is_match(dfa: &DFA, cache: &mut Cache, hay: &[u8]) -> Option<bool> {
    let mut sid = dfa.start_state_forward(cache, &Input::new(hay)).ok()?;
    for &byte in hay {
        sid = dfa.next_state(cache, sid, byte).ok()?;
        if sid.is_tagged() {
            if sid.is_match() {
                return Some(true);
            }
            if sid.is_dead() {
                return Some(false);
            }
            if sid.is_quit() {
                return None;
            }
        }
    }
    let sid = dfa.next_eoi_state(cache, sid).ok()?;
    Some(sid.is_match())
}

/// The parts between `^` and `$`, when the pattern is anchored at both ends.
fn anchored(hir: &Hir) -> Option<&[Hir]> {
    let HirKind::Concat(parts) = hir.kind() else { return None };
    let [start, inner @ .., end] = parts.as_slice() else { return None };
    (start.kind() == &HirKind::Look(Look::Start) && end.kind() == &HirKind::Look(Look::End)).then_some(inner)
}

/// The bytes of an ASCII-only class or one-character literal, as a table.
fn ascii_set(hir: &Hir) -> Option<[bool; 256]> {
    let mut set = [false; 256];
    let mut add = |lo: u32, hi: u32| -> Option<()> {
        if hi > 0x7F {
            return None;
        }
        set[lo as usize..=hi as usize].iter_mut().for_each(|a| *a = true);
        Some(())
    };
    match hir.kind() {
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.ranges() {
                add(u32::from(range.start()), u32::from(range.end()))?;
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.ranges() {
                add(u32::from(range.start()), u32::from(range.end()))?;
            }
        }
        HirKind::Literal(literal) if literal.0.len() == 1 => {
            add(u32::from(literal.0[0]), u32::from(literal.0[0]))?
        }
        _ => return None,
    }
    Some(set)
}

/// Recognises `^[class]{min,max}$` (or `+`, `*`, `?`) over an ASCII-only class.
fn class_run(hir: &Hir) -> Option<Kind> {
    let [run] = anchored(hir)? else { return None };
    let HirKind::Repetition(rep) = run.kind() else { return None };
    let allowed = Box::new(ascii_set(&rep.sub)?);
    let min = usize::try_from(rep.min).ok()?;
    let max = rep.max.map_or(Some(usize::MAX), |m| usize::try_from(m).ok())?;
    Some(Kind::ClassRun { allowed, min, max })
}

/// Recognises `^...$` over ASCII classes and literals, each once, `{m}`, `+` or `{m,}`
/// (m >= 1), in at most 64 positions: `{m}` is m positions, `{m,}` is m positions whose last
/// repeats.
fn sequence(hir: &Hir) -> Option<Kind> {
    let mut positions: Vec<([bool; 256], bool)> = Vec::new();
    for part in anchored(hir)? {
        match part.kind() {
            HirKind::Literal(literal) => {
                for &b in literal.0.iter() {
                    if !b.is_ascii() || positions.len() == 64 {
                        return None;
                    }
                    let mut set = [false; 256];
                    set[usize::from(b)] = true;
                    positions.push((set, false));
                }
            }
            HirKind::Class(_) if positions.len() < 64 => positions.push((ascii_set(part)?, false)),
            HirKind::Repetition(rep) if rep.min >= 1 && rep.max.is_none_or(|max| max == rep.min) => {
                let min = usize::try_from(rep.min).ok().filter(|&m| positions.len() + m <= 64)?;
                let set = ascii_set(&rep.sub)?;
                for i in 0..min {
                    positions.push((set, rep.max.is_none() && i + 1 == min));
                }
            }
            _ => return None,
        }
    }
    let n = positions.len();
    if n == 0 {
        return None;
    }
    let mut masks = Box::new([0u64; 256]);
    let mut loops = 0u64;
    for (i, (set, repeats)) in positions.iter().enumerate() {
        for (b, &in_set) in set.iter().enumerate() {
            if in_set {
                masks[b] |= 1 << i;
            }
        }
        if *repeats {
            loops |= 1 << i;
        }
    }
    Some(Kind::Sequence { masks, loops, last: 1 << (n - 1) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUES: &[&str] = &[
        "",
        "a",
        "Ann Lee",
        "Ann  Lee",
        "O'Brien",
        "José",
        "ſam Kelvin",
        "ann\n",
        "0123456789",
        "012345678",
        "01234567890",
        "12345678a9",
        "٠١٢٣٤٥٦٧٨٩",
        "ann@example.com",
        "a.b+c%d-e_f@sub-domain.example.co",
        "ann@example.c",
        "ann@@example.com",
        "@example.com",
        "ann@example..com",
        "ann@.com",
        "ann@example.com ",
        "x ann@example.com",
        "ÿ@example.com",
        "42",
        "-7",
        "007",
        "555-1234",
        "55-51234",
        "abbbc",
        "ac",
        "abc",
        "ab",
        "a12",
        "a1234",
        "éé",
    ];

    #[test]
    fn every_path_agrees_with_the_regex_crate() {
        let cases = [
            ("^[A-Za-z ]+$", "class"),
            ("^[0-9]{10}$", "class"),
            ("^[0-9]+$", "class"),
            ("^[0-9]{2,3}$", "class"),
            ("^[a-z]*$", "class"),
            // Unicode case folding adds the Kelvin sign and the long s: not ASCII-only.
            ("(?i)^[a-z ]+$", "dfa"),
            ("(?i-u)^[a-z ]+$", "class"),
            (r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$", "sequence"),
            ("^[0-9]{3}-[0-9]{4}$", "sequence"),
            ("^ab+c$", "sequence"),
            ("^[a-z]+[a-z]{2}$", "sequence"),
            ("^a[0-9]{2,3}$", "dfa"),
            ("^é+$", "dfa"),
            ("^\\w+$", "dfa"),
            ("[0-9]", "dfa"),
            ("Lee$", "dfa"),
            ("^[^@]+$", "dfa"),
            ("^\\d{10}$", "dfa"),
            (r"\bLee\b", "regex"),
        ];
        for (pattern, path) in cases {
            let mut compiled = Pattern::new(pattern).expect("valid pattern");
            assert_eq!(compiled.path(), path, "{pattern}");
            let reference = regex::Regex::new(pattern).expect("valid pattern");
            for value in VALUES {
                assert_eq!(
                    compiled.is_match(value),
                    reference.is_match(value),
                    "{pattern} on {value:?} ({path})"
                );
            }
        }
    }
}
