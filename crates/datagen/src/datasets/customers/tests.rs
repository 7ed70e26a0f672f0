//! Unit tests: determinism, shape, the planted-defect rate, and a re-implementation of the
//! SPEC section 3 rules checking that valid rows pass and every planted defect fails.

use std::collections::{HashMap, HashSet};

use super::*;

fn csv(config: &Config, rows: u64) -> Vec<u8> {
    let mut out = Vec::new();
    generate(config, rows, &mut out).expect("writing to a Vec cannot fail");
    out
}

fn seeded(seed: u64) -> Config {
    Config { seed, ..Config::default() }
}

/// A small RFC 4180 reader: quoted fields may hold commas, doubled quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                at_field_start = false;
            }
            '"' => panic!("quote inside an unquoted field: {field:?}"),
            ',' => {
                record.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                at_field_start = true;
            }
            '\r' => panic!("CR outside quotes: line ends must be LF"),
            other => {
                field.push(other);
                at_field_start = false;
            }
        }
    }
    assert!(!in_quotes, "unterminated quote");
    assert!(field.is_empty() && record.is_empty(), "last record has no LF");
    records
}

#[test]
fn same_seed_gives_same_bytes() {
    for country in [false, true] {
        let config = Config { seed: 7, invalid_pct: 20.0, country };
        let a = csv(&config, 500);
        let b = csv(&config, 500);
        assert!(!a.is_empty());
        assert_eq!(a, b);
    }
}

#[test]
fn different_seeds_differ() {
    let a = csv(&seeded(1), 300);
    let b = csv(&seeded(2), 300);
    assert_ne!(a, b);
    // Not just a few bytes: most rows differ.
    let (ta, tb) = (String::from_utf8(a).expect("utf-8"), String::from_utf8(b).expect("utf-8"));
    let differing = ta.lines().zip(tb.lines()).filter(|(x, y)| x != y).count();
    assert!(differing > 250, "only {differing} rows differ");
}

#[test]
fn prefix_is_stable_when_rows_grow() {
    let short = csv(&seeded(9), 100);
    let long = csv(&seeded(9), 300);
    assert!(long.starts_with(&short));
}

#[test]
fn header_is_correct() {
    let plain = String::from_utf8(csv(&seeded(3), 0)).expect("utf-8");
    assert_eq!(plain, "customer_id,full_name,email,age,date_of_birth,phone_number\n");
    let with_country = Config { country: true, ..seeded(3) };
    let text = String::from_utf8(csv(&with_country, 0)).expect("utf-8");
    assert_eq!(text, "customer_id,full_name,email,age,date_of_birth,phone_number,country\n");
}

#[test]
fn every_row_has_the_header_field_count() {
    for country in [false, true] {
        let config = Config { seed: 11, invalid_pct: 30.0, country };
        let rows = 5000;
        let text = String::from_utf8(csv(&config, rows)).expect("output is UTF-8");
        let records = parse_csv(&text);
        assert_eq!(records.len() as u64, rows + 1);
        let width = records[0].len();
        assert_eq!(width, if country { 7 } else { 6 });
        for (i, record) in records.iter().enumerate() {
            assert_eq!(record.len(), width, "record {i}: {record:?}");
        }
    }
}

#[test]
fn invalid_pct_is_roughly_respected() {
    for (pct, rows) in [(5.0, 40_000u64), (30.0, 20_000), (0.5, 40_000)] {
        let mut generator = Generator::new(&Config { seed: 5, invalid_pct: pct, country: false });
        let mut buf = Vec::new();
        let mut defective = 0u64;
        for _ in 0..rows {
            buf.clear();
            defective += u64::from(generator.next_row(&mut buf).is_defective());
        }
        let measured = defective as f64 * 100.0 / rows as f64;
        // Binomial: five standard deviations.
        let sd = (pct * (100.0 - pct) / rows as f64).sqrt();
        assert!((measured - pct).abs() <= 5.0 * sd + 0.01, "asked {pct}%, got {measured:.3}%");
    }
}

#[test]
fn zero_and_hundred_percent() {
    for (pct, expected) in [(0.0, 0u64), (100.0, 2000)] {
        let summary = generate(&Config { seed: 1, invalid_pct: pct, country: true }, 2000, &mut io::sink())
            .expect("sink");
        assert_eq!(summary.defective, expected);
    }
}

#[test]
fn name_lists_are_letters_and_unique() {
    for list in [FIRST, LAST] {
        let mut seen = HashSet::new();
        for name in list {
            assert!(name.bytes().all(|b| b.is_ascii_alphabetic()), "{name}");
            assert!(seen.insert(name.to_ascii_lowercase()), "{name} twice");
        }
    }
}

#[test]
fn dob_day_count_matches_the_range() {
    assert_eq!((DOB_LAST.to_days() - DOB_FIRST.to_days() + 1) as u64, DOB_DAYS);
}

#[test]
fn dates_round_trip_and_ages() {
    for days in -30_000..30_000 {
        assert_eq!(Date::from_days(days).to_days(), days);
    }
    assert_eq!(Date::new(1970, 1, 1).to_days(), 0);
    assert_eq!(Date::new(2000, 3, 1).to_days(), 11_017);
    let as_of = AS_OF;
    assert_eq!(Date::new(2000, 11, 26).completed_years_at(as_of), 26);
    assert_eq!(Date::new(2000, 11, 27).completed_years_at(as_of), 25);
    assert_eq!(Date::new(2008, 2, 29).completed_years_at(Date::new(2026, 2, 28)), 17);
    assert_eq!(Date::new(2008, 2, 29).completed_years_at(Date::new(2026, 3, 1)), 18);
}

#[test]
fn permutation_is_a_bijection() {
    for n in [1u64, 2, 3, 10, 1000, 4097] {
        let perm = Permutation::new(n, 99);
        let images: HashSet<u64> = (0..n).map(|x| perm.apply(x)).collect();
        assert_eq!(images.len() as u64, n);
        assert!(images.iter().all(|&y| y < n));
    }
}

// ---- A re-implementation of the SPEC section 3 rules, for the checks below. ----

const ISO_SAMPLE: &[&str] = &[
    "US", "GB", "CA", "AU", "DE", "FR", "IE", "NL", "ES", "IT", "IN", "NZ", "SE", "NO", "DK", "BR", "MX",
    "JP", "ZA", "SG", "PL", "PT", "BE", "CH", "AT", "NG", "KE",
];

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn email_ok(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok =
        !local.is_empty() && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b));
    let domain_chars = domain.bytes().all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b));
    let tld_ok = match domain.rsplit_once('.') {
        Some((host, tld)) => {
            !host.is_empty() && tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic())
        }
        None => false,
    };
    local_ok && domain_chars && tld_ok
}

fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (&s[..4], &s[5..7], &s[8..]);
    if !(digits(y) && digits(m) && digits(d)) {
        return None;
    }
    let date = Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    (Date::from_days(date.to_days()) == date).then_some(date)
}

/// Failure ids of one record (trimmed values), given the duplicate keys seen so far.
fn failures(record: &[String], country: bool, keys: &mut HashSet<(String, String)>) -> Vec<String> {
    let v: Vec<&str> = record.iter().map(|s| s.trim()).collect();
    let names = ["customer_id", "full_name", "email", "age", "date_of_birth", "phone_number", "country"];
    let columns = if country { 7 } else { 6 };
    let mut out = Vec::new();
    for i in 0..columns {
        if v[i].is_empty() {
            out.push(format!("not_null:{}", names[i]));
        }
    }
    let nonnull = |i: usize| !v[i].is_empty();
    if nonnull(0) && !(digits(v[0]) && v[0].parse::<i64>().is_ok_and(|x| x >= 1)) {
        out.push("customer_id".into());
    }
    if nonnull(1) && !v[1].bytes().all(|b| b.is_ascii_alphabetic() || b == b' ') {
        out.push("full_name".into());
    }
    if nonnull(2) && !email_ok(v[2]) {
        out.push("email".into());
    }
    let age = (digits(v[3])).then(|| v[3].parse::<u32>().ok()).flatten().filter(|a| (1..=120).contains(a));
    if nonnull(3) && age.is_none() {
        out.push("age".into());
    }
    let dob = parse_date(v[4]).filter(|d| d.year > 1900 && *d < AS_OF);
    if nonnull(4) && dob.is_none() {
        out.push("date_of_birth".into());
    }
    if nonnull(5) && !(v[5].len() == 10 && digits(v[5])) {
        out.push("phone_number".into());
    }
    if nonnull(1) && nonnull(4) {
        let name = v[1].to_lowercase().split(' ').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
        if !keys.insert((name, v[4].to_string())) {
            out.push("duplicate".into());
        }
    }
    if let (Some(age), Some(dob)) = (age, dob)
        && age as i32 != dob.completed_years_at(AS_OF)
    {
        out.push("age_consistency".into());
    }
    if country && nonnull(6) && !ISO_SAMPLE.contains(&v[6].to_ascii_uppercase().as_str()) {
        out.push("country".into());
    }
    out
}

#[test]
fn valid_rows_pass_and_planted_defects_fail() {
    for country in [false, true] {
        let config = Config { seed: 2026, invalid_pct: 25.0, country };
        let mut generator = Generator::new(&config);
        let mut keys = HashSet::new();
        let mut valid_ids: HashSet<i64> = HashSet::new();
        let mut seen_defects = HashSet::new();
        let mut seen_tricks = HashSet::new();
        let mut already_present = 0;
        let mut buf = Vec::new();
        for row in 0..30_000 {
            buf.clear();
            let info = generator.next_row(&mut buf);
            let text = std::str::from_utf8(&buf).expect("UTF-8");
            let records = parse_csv(text);
            assert_eq!(records.len(), 1, "row {row} is one record: {text:?}");
            let record = &records[0];
            assert_eq!(record.len(), if country { 7 } else { 6 });
            let failed = failures(record, country, &mut keys);
            if info.is_defective() {
                for defect in info.defects() {
                    seen_defects.insert(defect);
                    assert!(
                        failed.iter().any(|f| f == defect.rule_id()),
                        "row {row} {text:?}: planted {defect:?} but failures are {failed:?}"
                    );
                }
            } else {
                assert!(
                    failed.is_empty(),
                    "row {row} {text:?} ({:?}) should be valid, fails {failed:?}",
                    info.trick
                );
                let id: i64 = record[0].trim().parse().expect("valid id");
                if !valid_ids.insert(id) {
                    already_present += 1;
                    assert_eq!(info.trick, Some(Trick::RepeatedId), "row {row}: {text:?}");
                }
            }
            if let Some(trick) = info.trick {
                seen_tricks.insert(trick);
            }
        }
        for defect in Defect::ALL {
            if country || !defect.needs_country() {
                assert!(seen_defects.contains(&defect), "{defect:?} never planted");
            }
        }
        for trick in Trick::ALL {
            if country || trick != Trick::CountryCase {
                assert!(seen_tricks.contains(&trick), "{trick:?} never planted");
            }
        }
        assert!(already_present > 0);
    }
}

#[test]
fn defect_variants_cover_the_spec_examples() {
    // Over many rows, specific hard cases named in the brief must show up.
    let config = Config { seed: 8, invalid_pct: 60.0, country: true };
    let text = String::from_utf8(csv(&config, 40_000)).expect("UTF-8");
    let records = parse_csv(&text);
    let column = |i: usize| records.iter().skip(1).map(move |r| r[i].as_str());
    let has = |i: usize, pred: &dyn Fn(&str) -> bool| column(i).any(pred);
    assert!(has(0, &|v| v == "0"));
    assert!(has(0, &|v| v.starts_with('-')));
    assert!(has(0, &|v| v.len() == 20 && digits(v)));
    assert!(has(0, &|v| v.bytes().any(|b| b.is_ascii_alphabetic())));
    assert!(has(0, &|v| v.len() > 1 && v.starts_with('0') && digits(v)));
    assert!(has(1, &|v| v.contains(',')));
    assert!(has(1, &|v| v.contains('"')));
    assert!(has(1, &|v| v.contains('\n')));
    assert!(has(1, &|v| v.bytes().any(|b| b.is_ascii_digit())));
    assert!(has(1, &|v| !v.is_ascii()));
    assert!(has(1, &|v| v.contains("  ")));
    assert!(has(3, &|v| v == "0"));
    assert!(has(3, &|v| v == "121"));
    assert!(has(3, &|v| !v.is_empty() && !digits(v.trim())));
    assert!(has(4, &|v| v == "2023-02-30"));
    assert!(has(4, &|v| v.starts_with("1900-")));
    assert!(has(4, &|v| v == "2026-11-26"));
    assert!(has(4, &|v| v.contains('/')));
    assert!(has(5, &|v| v.len() == 9 && digits(v)));
    assert!(has(5, &|v| v.len() == 11 && digits(v)));
    assert!(has(5, &|v| v.contains('-')));
    assert!(has(5, &|v| v.len() == 10 && v.starts_with('0')));
    assert!(has(6, &|v| v.len() == 3));
    for i in 0..7 {
        assert!(has(i, &|v| v.is_empty()), "column {i} never empty");
        assert!(has(i, &|v| !v.is_empty() && v.trim().is_empty()), "column {i} never whitespace-only");
    }
    // Raw text: a needlessly quoted plain name such as "Ann Lee".
    assert!(text.lines().any(|line| {
        line.split_once(",\"").and_then(|(_, rest)| rest.split_once("\",")).is_some_and(|(name, _)| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphabetic() || b == b' ')
        })
    }));
}

#[test]
fn valid_rows_have_unique_ids_mostly_increasing() {
    let text = String::from_utf8(csv(&seeded(42), 5000)).expect("UTF-8");
    let records = parse_csv(&text);
    let mut last = 0i64;
    let mut increasing = 0;
    let mut ids: HashMap<i64, usize> = HashMap::new();
    for record in records.iter().skip(1) {
        if let Ok(id) = record[0].trim().parse::<i64>() {
            if id > last {
                increasing += 1;
                last = id;
            }
            *ids.entry(id).or_default() += 1;
        }
    }
    assert!(increasing > 4500, "{increasing}");
    let repeated = ids.values().filter(|&&n| n > 1).count();
    assert!(repeated < 50, "{repeated} customer ids repeated");
}
