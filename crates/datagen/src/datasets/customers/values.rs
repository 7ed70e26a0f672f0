//! The customer columns' values: valid base values (emails, phone numbers, countries) and the
//! malformed variants the defects write.

use super::AS_OF;
use super::names::{FIRST, LAST};
use crate::date::{Date, is_leap};
use crate::rng::Rng;
use crate::write::{push_date, push_padded, push_u64, push_ymd};

fn push_digits(rng: &mut Rng, s: &mut String, count: usize) {
    for _ in 0..count {
        s.push(char::from(b'0' + rng.below(10) as u8));
    }
}

pub(super) fn set_name(s: &mut String, first: usize, last: usize) {
    s.clear();
    s.push_str(FIRST[first]);
    s.push(' ');
    s.push_str(LAST[last]);
}

pub(super) fn set_null(rng: &mut Rng, s: &mut String) {
    s.clear();
    s.push_str(match rng.below(10) {
        0..=5 => "",
        6 => " ",
        7 => "  ",
        8 => "    ",
        _ => " \t ",
    });
}

pub(super) fn pick_weighted<'a>(rng: &mut Rng, items: &[(&'a str, u64)]) -> &'a str {
    let total: u64 = items.iter().map(|(_, w)| w).sum();
    let mut r = rng.below(total);
    for &(item, w) in items {
        if r < w {
            return item;
        }
        r -= w;
    }
    items[0].0
}

pub(super) fn capitalise_parts(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        out.push(if start { c.to_ascii_uppercase() } else { c });
        start = matches!(c, '.' | '_');
    }
    out
}

const DOMAINS: &[(&str, u64)] = &[
    ("gmail.com", 30),
    ("yahoo.com", 10),
    ("outlook.com", 8),
    ("hotmail.com", 7),
    ("icloud.com", 5),
    ("aol.com", 2),
    ("proton.me", 2),
    ("gmx.de", 2),
    ("web.de", 1),
    ("yahoo.co.uk", 2),
    ("btinternet.com", 1),
    ("orange.fr", 1),
    ("live.com", 2),
    ("mail.com", 1),
    ("fastmail.com", 1),
    ("example.org", 1),
    ("acme-corp.com", 1),
];

pub(super) const PLUS_TAGS: &[&str] = &["news", "shop", "2024", "promo", "bank", "x"];

pub(super) const COUNTRIES: &[(&str, u64)] = &[
    ("US", 30),
    ("GB", 12),
    ("CA", 6),
    ("AU", 5),
    ("DE", 6),
    ("FR", 5),
    ("IE", 2),
    ("NL", 3),
    ("ES", 3),
    ("IT", 3),
    ("IN", 5),
    ("NZ", 1),
    ("SE", 2),
    ("NO", 1),
    ("DK", 1),
    ("BR", 3),
    ("MX", 2),
    ("JP", 2),
    ("ZA", 1),
    ("SG", 1),
    ("PL", 2),
    ("PT", 1),
    ("BE", 1),
    ("CH", 1),
    ("AT", 1),
    ("NG", 1),
    ("KE", 1),
];

/// Country values that are not ISO 3166-1 alpha-2 codes (no reserved codes such as `UK`).
pub(super) const BAD_COUNTRIES: &[&str] =
    &["USA", "GBR", "DEU", "XX", "ZZ", "U1", "E", "1", "Germany", "United States", "U.S.", "Frnace"];

pub(super) fn base_email(rng: &mut Rng, s: &mut String, first: usize, last: usize, dob: Date) {
    let f = FIRST[first];
    let l = LAST[last];
    let push_lower = |s: &mut String, part: &str| {
        for c in part.chars() {
            s.push(c.to_ascii_lowercase());
        }
    };
    let initial = |part: &str| part.chars().next().map_or('x', |c| c.to_ascii_lowercase());
    match rng.below(8) {
        0 => {
            push_lower(s, f);
            s.push('.');
            push_lower(s, l);
        }
        1 => {
            push_lower(s, f);
            s.push('.');
            push_lower(s, l);
            push_u64(s, rng.range(1, 99));
        }
        2 => {
            push_lower(s, f);
            push_lower(s, l);
            push_padded(s, (dob.year % 100) as u64, 2);
        }
        3 => {
            s.push(initial(f));
            push_lower(s, l);
            push_u64(s, rng.range(1, 999));
        }
        4 => {
            push_lower(s, f);
            s.push('_');
            push_lower(s, l);
            push_u64(s, rng.range(1, 99));
        }
        5 => {
            push_lower(s, l);
            s.push('.');
            push_lower(s, f);
            push_u64(s, dob.year as u64);
        }
        6 => {
            push_lower(s, f);
            push_u64(s, rng.range(1, 9999));
        }
        _ => {
            push_lower(s, f);
            s.push('.');
            s.push(initial(l));
            push_u64(s, rng.range(10, 99));
        }
    }
    s.push('@');
    s.push_str(pick_weighted(rng, DOMAINS));
}

pub(super) fn base_phone(rng: &mut Rng, s: &mut String) {
    if rng.chance(0.25) {
        // Trunk-prefixed national number, e.g. a UK mobile 07xxxxxxxx.
        s.push('0');
        s.push(if rng.chance(0.6) { '7' } else { char::from(b'1' + rng.below(9) as u8) });
        push_digits(rng, s, 8);
    } else {
        // NANP-style: area code and exchange start with 2-9.
        s.push(char::from(b'2' + rng.below(8) as u8));
        push_digits(rng, s, 2);
        s.push(char::from(b'2' + rng.below(8) as u8));
        push_digits(rng, s, 6);
    }
}

pub(super) fn bad_id(rng: &mut Rng, s: &mut String) {
    let id = s.clone();
    s.clear();
    match rng.below(14) {
        0 | 1 => *s = format!("C{id}"),
        2 => *s = format!("{id}A"),
        3 => *s = format!("CUST-{id}"),
        4 | 5 => s.push('0'),
        6 => s.push_str("000"),
        7 | 8 => *s = format!("-{id}"),
        9 | 10 => {
            // 20 digits: always above 9223372036854775807 (and above u64::MAX half the time).
            s.push(char::from(b'1' + rng.below(9) as u8));
            push_digits(rng, s, 19);
        }
        11 => s.push_str("9223372036854775808"),
        12 => *s = format!("{id}.0"),
        _ => *s = format!("{id} {}", rng.range(1, 9)),
    }
}

const ACCENTED_FIRST: &[&str] = &[
    "José",
    "Zoë",
    "Renée",
    "Björn",
    "Łukasz",
    "Anaïs",
    "Søren",
    "Chloé",
    "Jürgen",
    "François",
    "Núria",
    "Siobhán",
    "Dóra",
    "Ångström",
];

pub(super) fn bad_name(rng: &mut Rng, s: &mut String, first: usize, last: usize) {
    let f = FIRST[first];
    let l = LAST[last];
    *s = match rng.below(16) {
        0 | 1 => {
            let leet: String = f
                .chars()
                .map(|c| match c {
                    'o' => '0',
                    'e' => '3',
                    'i' => '1',
                    'a' => '4',
                    other => other,
                })
                .collect();
            if leet == f { format!("{f}{} {l}", rng.range(1, 9)) } else { format!("{leet} {l}") }
        }
        2 => format!("{f} {l} {}", rng.pick(&["2nd", "3rd", "4th", "5th"])),
        3 => format!("{f} O'{l}"),
        4 => format!("{f} {l}-{}", LAST[(last + 7) % LAST.len()]),
        5 | 6 => format!("{l}, {f}"),
        7 => format!("{f} {l} Jr."),
        8 => format!("Dr. {f} {l}"),
        9 => format!("{}. {l}", f.chars().next().unwrap_or('X')),
        10 => {
            let nick: String = f.chars().take(3).collect();
            format!("{f} \"{nick}\" {l}")
        }
        11 | 12 => format!("{} {l}", rng.pick(ACCENTED_FIRST)),
        13 => format!("{f}_{l}"),
        14 => {
            if rng.chance(0.5) {
                format!("{f}\n{l}")
            } else {
                format!("{f} {l} \u{1F600}")
            }
        }
        _ => format!("{f} & {} {l}", FIRST[(first + 11) % FIRST.len()]),
    };
}

pub(super) fn bad_email(rng: &mut Rng, s: &mut String) {
    let email = s.clone();
    let (local, domain) = email.split_once('@').unwrap_or((&email, "example.com"));
    let (host, _) = domain.split_once('.').unwrap_or((domain, "com"));
    *s = match rng.below(14) {
        0 | 1 => format!("{local}{domain}"),
        2 => format!("{local}@@{domain}"),
        3 => format!("{local}@{host}"),
        4 => format!("{local}@{host}.c"),
        5 => format!("{local}@{host}.c0m"),
        6 => format!("{} @{domain}", local.replacen('.', " ", 1)),
        7 => format!("@{domain}"),
        8 => format!("{local}@"),
        9 => format!("{local}@{host},com"),
        10 => format!("{local}@{domain}."),
        11 => format!("<{local}@{domain}>"),
        12 => format!("{local}(at){domain}"),
        _ => format!("{local}é@{domain}"),
    };
}

pub(super) fn bad_age(rng: &mut Rng, s: &mut String) {
    let age = s.clone();
    *s = match rng.below(12) {
        0..=2 => "0".to_string(),
        3..=5 => "121".to_string(),
        6 => rng.range(122, 999).to_string(),
        7 => format!("-{age}"),
        8 => format!("{age}.5"),
        9 => rng.pick(&["abc", "forty", "N/A", "unknown", "?"]).to_string(),
        10 => format!("{age} years"),
        _ => format!("{age}y"),
    };
}

const MONTHS: &[&str] = &["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

pub(super) fn bad_dob(rng: &mut Rng, s: &mut String, dob: Date) {
    let (y, m, d) = (dob.year, dob.month, dob.day);
    s.clear();
    match rng.below(10) {
        // Not YYYY-MM-DD.
        0..=2 => {
            *s = match rng.below(10) {
                0 => format!("{d:02}/{m:02}/{y}"),
                1 => format!("{m:02}/{d:02}/{y}"),
                2 => format!("{y}/{m:02}/{d:02}"),
                3 => format!("{y}{m:02}{d:02}"),
                4 => format!("{d:02}-{m:02}-{y}"),
                5 => format!("{y}-{m:02}-{d:02}T00:00:00Z"),
                6 => format!("{y}-{m:02}-{d:02} 00:00"),
                7 => format!("{} {d}, {y}", MONTHS[(m as usize - 1) % 12]),
                8 => format!("{:02}-{m:02}-{d:02}", y % 100),
                _ if m < 10 || d < 10 => format!("{y}-{m}-{d}"),
                _ => format!("{y}.{m:02}.{d:02}"),
            }
        }
        // Not a calendar date.
        3..=5 => {
            let year = i64::from(y);
            match rng.below(8) {
                0 => s.push_str("2023-02-30"),
                1 => push_ymd(s, year, 2, rng.range(30, 31) as u32),
                2 => push_ymd(s, year, *rng.pick(&[4, 6, 9, 11]), 31),
                3 => push_ymd(s, year, 13, d),
                4 => push_ymd(s, year, 0, d),
                5 => push_ymd(s, year, m, 0),
                6 => push_ymd(s, year, m, 32),
                _ => {
                    let mut leapless = year;
                    while is_leap(leapless as i32) {
                        leapless += 1;
                    }
                    push_ymd(s, leapless, 2, 29);
                }
            }
        }
        // Year 1900 or before.
        6 | 7 => {
            let year = if rng.chance(0.4) { 1900 } else { rng.range(1850, 1899) as i32 };
            let day = if m == 2 && d == 29 && !is_leap(year) { 28 } else { d };
            push_date(s, Date::new(year, m, day));
        }
        // On or after the as-of date.
        _ => {
            let date = match rng.below(4) {
                0 => AS_OF,
                1 => Date::from_days(AS_OF.to_days() + 1),
                _ => {
                    let end = Date::new(2099, 12, 31).to_days();
                    let start = AS_OF.to_days();
                    Date::from_days(start + rng.below((end - start + 1) as u64) as i64)
                }
            };
            push_date(s, date);
        }
    }
}

pub(super) fn bad_phone(rng: &mut Rng, s: &mut String) {
    let p = s.clone();
    *s = match rng.below(12) {
        0..=2 => p[..9].to_string(),
        3 | 4 => format!("1{p}"),
        5 => format!("{p}{}", rng.below(10)),
        6..=8 => format!("{}-{}-{}", &p[..3], &p[3..6], &p[6..]),
        9 => format!("({}) {}-{}", &p[..3], &p[3..6], &p[6..]),
        10 => format!("+1 {} {} {}", &p[..3], &p[3..6], &p[6..]),
        _ => format!("{}.{}.{}", &p[..3], &p[3..6], &p[6..]),
    };
}
