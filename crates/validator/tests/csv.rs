//! The input format of SPEC section 2: quoting, line ends, headers, blank lines, short rows,
//! and every file-level rejection, fed whole and in pieces of every size.

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

mod common;

use chrono::NaiveDate;
use sift_validator::{FileReport, Rejection, validate_bytes};

const HEADER: &str = "customer_id,full_name,email,age,date_of_birth,phone_number";
const GOOD: &str = "1,Ann Lee,ann@example.com,36,1990-05-17,0123456789";

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// Validates `bytes` whole, then again pushed in pieces of 1, 2, 3, 7 and 64 bytes with tiny
/// chunks, and checks that every way gives the same outcome.
fn run(bytes: &[u8]) -> Result<FileReport, Rejection> {
    let whole = validate_bytes(common::customer(), as_of(), bytes, 1024);
    for piece in [1, 2, 3, 7, 64] {
        for chunk_rows in [1, 3] {
            let mut file =
                sift_validator::FileValidator::new(common::customer(), as_of(), chunk_rows).unwrap();
            let mut invalid = None;
            let mut outcome = Ok(());
            for part in bytes.chunks(piece) {
                match file.push(part) {
                    Ok(chunks) => {
                        for c in chunks {
                            let inv = invalid.get_or_insert_with(|| {
                                sift_validator::InvalidRecords::new(file.header().unwrap(), file.dialect())
                            });
                            inv.append(&c.invalid).unwrap();
                        }
                    }
                    Err(e) => {
                        outcome = Err(e);
                        break;
                    }
                }
            }
            if outcome.is_ok() {
                match file.finish() {
                    Ok(chunks) => {
                        for c in chunks {
                            let inv = invalid.get_or_insert_with(|| {
                                sift_validator::InvalidRecords::new(file.header().unwrap(), file.dialect())
                            });
                            inv.append(&c.invalid).unwrap();
                        }
                    }
                    Err(e) => outcome = Err(e),
                }
            }
            match (&whole, outcome) {
                (Ok(w), Ok(())) => {
                    assert_eq!(file.tally(), &w.tally, "pieces of {piece}, chunks of {chunk_rows}");
                    let got = invalid.map(|i| i.into_bytes()).unwrap_or_else(|| {
                        sift_validator::InvalidRecords::new(file.header().unwrap(), file.dialect())
                            .into_bytes()
                    });
                    assert_eq!(got, w.invalid_csv, "pieces of {piece}, chunks of {chunk_rows}");
                }
                (Err(w), Err(p)) => assert_eq!(w.to_string(), p.to_string(), "pieces of {piece}"),
                (w, p) => panic!("whole gave {w:?}, pieces of {piece} gave {p:?}"),
            }
        }
    }
    whole.map_err(|e| e.rejection().cloned().unwrap_or_else(|| panic!("not a rejection: {e}")))
}

fn ok(bytes: &[u8]) -> FileReport {
    run(bytes).unwrap_or_else(|r| panic!("rejected: {r}"))
}

fn invalid_text(report: &FileReport) -> String {
    String::from_utf8(report.invalid_csv.clone()).unwrap()
}

#[test]
fn header_only_is_zero_records_not_an_error() {
    for text in [format!("{HEADER}\n"), HEADER.to_owned(), format!("{HEADER}\r\n\r\n\n")] {
        let r = ok(text.as_bytes());
        assert_eq!((r.tally.total, r.tally.valid, r.tally.invalid), (0, 0, 0));
    }
}

#[test]
fn bom_crlf_and_missing_final_newline_are_fine() {
    let text = format!("\u{feff}{HEADER}\r\n{GOOD}\r\n2,Bo Li,bo@example.com,36,1990-05-18,0123456789");
    let r = ok(text.as_bytes());
    assert_eq!((r.tally.total, r.tally.valid), (2, 2));
    assert_eq!(r.header.raw()[0], "customer_id");
}

#[test]
fn header_names_match_trimmed_and_ignoring_ascii_case_in_any_order() {
    let text = " Phone_Number ,EMAIL,notes,customer_id,Full_Name , AGE,date_of_birth\n0123456789,ann@example.com,x,1,Ann Lee,36,1990-05-17\n";
    let r = ok(text.as_bytes());
    assert_eq!(r.tally.valid, 1);
}

#[test]
fn quoting_follows_rfc_4180() {
    let text = format!(
        "{HEADER},notes\n\
         1,\"Ann Lee\",\"ann@example.com\",36,1990-05-17,0123456789,\"a, b\"\n\
         2,\"Bo \"\"B\"\" Li\",bo@example.com,36,1990-05-18,0123456789,\"line one\nline two\"\n\
         3,Cy Ma,cy@example.com,36,1990-05-19,0123456789,\"\"\n\
         4,Di\"Ng,di@example.com,36,1990-05-20,0123456789,x\n"
    );
    let r = ok(text.as_bytes());
    assert_eq!(r.tally.total, 4);
    // Invalid: row 2 (quotes in the name), row 4 (a literal quote in an unquoted field).
    assert_eq!(
        invalid_text(&r),
        format!(
            "{HEADER},notes,row_number,failed_rules\n\
             2,\"Bo \"\"B\"\" Li\",bo@example.com,36,1990-05-18,0123456789,\"line one\nline two\",2,full_name\n\
             4,\"Di\"\"Ng\",di@example.com,36,1990-05-20,0123456789,x,4,full_name\n"
        )
    );
}

#[test]
fn quoted_line_breaks_do_not_shift_row_numbers_and_crlf_inside_quotes_is_kept() {
    let text = format!("{HEADER}\r\n1,\"Ann\r\nLee\",a@example.com,36,1990-05-17,0123456789\r\n{GOOD}x\r\n");
    let r = ok(text.as_bytes());
    assert_eq!(
        invalid_text(&r),
        format!(
            "{HEADER},row_number,failed_rules\n\
             1,\"Ann\r\nLee\",a@example.com,36,1990-05-17,0123456789,1,full_name\n\
             1,Ann Lee,ann@example.com,36,1990-05-17,0123456789x,2,phone_number\n"
        )
    );
}

#[test]
fn blank_lines_are_skipped_and_are_not_rows() {
    let text = format!("\n  \n{HEADER}\n\n{GOOD}\n   \n\t\n\r\n2,Bo Li,bad,36,1990-05-18,0123456789\n\n");
    let r = ok(text.as_bytes());
    assert_eq!(r.tally.total, 2);
    assert!(invalid_text(&r).ends_with(",2,email\n"), "{}", invalid_text(&r));
}

#[test]
fn invalid_records_keep_raw_values_original_order_and_extra_columns() {
    let text = "notes, Email ,customer_id,full_name,age,date_of_birth,phone_number,extra\n\
                \"hi, there\",  bad  , 007 ,Ann Lee,36,1990-05-17,0123456789,e1\n\
                x,ok@example.com,8,Bo Li\n";
    let r = ok(text.as_bytes());
    assert_eq!(
        invalid_text(&r),
        "notes, Email ,customer_id,full_name,age,date_of_birth,phone_number,extra,row_number,failed_rules\n\
         \"hi, there\",  bad  , 007 ,Ann Lee,36,1990-05-17,0123456789,e1,1,email\n\
         x,ok@example.com,8,Bo Li,,,,,2,not_null:age;not_null:date_of_birth;not_null:phone_number\n"
    );
}

#[test]
fn all_valid_gives_a_header_only_invalid_file() {
    let r = ok(format!("{HEADER}\n{GOOD}\n").as_bytes());
    assert_eq!(r.tally.invalid, 0);
    assert_eq!(invalid_text(&r), format!("{HEADER},row_number,failed_rules\n"));
}

#[test]
fn lone_cr_ends_a_line() {
    let r = ok(format!("{HEADER}\r{GOOD}\r").as_bytes());
    assert_eq!((r.tally.total, r.tally.valid), (1, 1));
}

#[test]
fn text_after_a_closing_quote_is_kept() {
    let r = ok(format!("{HEADER}\n1,\"Ann\" Lee,ann@example.com,36,1990-05-17,0123456789\n").as_bytes());
    assert_eq!(r.tally.valid, 1, "{}", invalid_text(&r));
}

#[test]
fn file_level_rejections_name_the_problem() {
    let many = "\n".repeat(5);
    let cases: Vec<(Vec<u8>, Rejection)> = vec![
        (Vec::new(), Rejection::Empty),
        (b"\xEF\xBB\xBF".to_vec(), Rejection::NoHeader),
        (b"\n\r\n   \n".to_vec(), Rejection::NoHeader),
        (
            b"customer_id,full_name,age\n1,Ann,3\n".to_vec(),
            Rejection::MissingColumns {
                columns: vec!["email".into(), "date_of_birth".into(), "phone_number".into()],
            },
        ),
        (
            format!("{HEADER}, EMAIL \n").into_bytes(),
            Rejection::DuplicateColumn { column: "email".into(), positions: (3, 7) },
        ),
        (
            [
                format!("{HEADER}\n{GOOD}\n2,Bo Li,b@example.com,36,1990-05-18,012345678").as_bytes(),
                b"\xff\n",
            ]
            .concat(),
            Rejection::InvalidUtf8 { line: 3 },
        ),
        (
            [
                format!("{HEADER}\n{GOOD}\n2,\"Bo\nLi").as_bytes(),
                b"\xc3\",b@example.com,36,1990-05-18,0123456789",
            ]
            .concat(),
            Rejection::InvalidUtf8 { line: 4 },
        ),
        (b"customer_id,full_\xe9name\n".to_vec(), Rejection::InvalidUtf8 { line: 1 }),
        (
            format!("{HEADER}\n{GOOD}\n2,\"Bo Li,b@example.com,36,1990-05-18,0123456789\n{GOOD}\n")
                .into_bytes(),
            Rejection::UnterminatedQuote { line: 3 },
        ),
        (
            format!("{HEADER}\n{GOOD}\n{many}{GOOD},\n").into_bytes(),
            Rejection::TooManyFields { line: 8, found: 7, expected: 6 },
        ),
        (
            format!("{HEADER}\n{GOOD},extra,more\n").into_bytes(),
            Rejection::TooManyFields { line: 2, found: 8, expected: 6 },
        ),
    ];
    for (bytes, expected) in cases {
        assert_eq!(run(&bytes).err(), Some(expected.clone()), "{:?}", String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn rejection_messages_say_what_to_do() {
    let cases = [
        (Rejection::Empty, "the file is empty (0 bytes); upload the complete export"),
        (
            Rejection::MissingColumns { columns: vec!["email".into(), "age".into()] },
            "missing required columns email, age; add them to the header (names match ignoring case and surrounding spaces)",
        ),
        (
            Rejection::TooManyFields { line: 8, found: 7, expected: 6 },
            "line 8 has 7 fields but the header has 6 (a trailing comma counts as a field); fix the row or the header",
        ),
        (Rejection::InvalidUtf8 { line: 3 }, "line 3 is not valid UTF-8; re-export the file as UTF-8"),
    ];
    for (r, text) in cases {
        assert_eq!(r.to_string(), text);
    }
}

#[test]
fn a_character_split_by_a_delimiter_is_invalid_utf8() {
    // "\xC3" and "\xA9" are each invalid alone; back to back (without the comma) they are "é".
    let bytes = [format!("{HEADER}\n1,Ann Lee,a@example.com,36,").as_bytes(), b"\xC3,\xA9\n"].concat();
    assert_eq!(run(&bytes).err(), Some(Rejection::InvalidUtf8 { line: 2 }));
}
