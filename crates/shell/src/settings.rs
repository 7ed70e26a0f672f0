//! The settings both shells read, parsed one way: the Lambda from its environment, the command
//! line from flags whose values may come from the same variables. Each parser returns what it
//! expected when the value does not fit, for the caller to put beside the setting's name.

use sift_storage::Encryption;

use crate::Route;

/// `SIFT_ALERT_INVALID_PCT`, `--alert-invalid-pct`: a percentage from 0 to 100.
pub fn percent(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(pct) if (0.0..=100.0).contains(&pct) => Ok(pct),
        _ => Err("a percentage from 0 to 100".into()),
    }
}

/// A switch (`SIFT_AUTO_MIGRATE`, `SIFT_CHECK_COUNTRY`, `SIFT_S3_PATH_STYLE`): `true`, `1`,
/// `yes`, `on` or `false`, `0`, `no`, `off`, in any case.
pub fn flag(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("true or false".into()),
    }
}

/// A count of at least 1 (`SIFT_AWS_MAX_ATTEMPTS`, `SIFT_DB_CONNECT_ATTEMPTS`,
/// `SIFT_CHUNK_ROWS`).
pub fn count(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("a whole number of at least 1".into()),
    }
}

/// `SIFT_S3_SSE` (`default`, `aes256`, `kms`; empty: `default`) with `SIFT_S3_SSE_KMS_KEY_ID`.
pub fn encryption(mode: &str, kms_key_id: Option<String>) -> Result<Encryption, String> {
    Encryption::from_setting(mode, kms_key_id).ok_or_else(|| "default, aes256 or kms".into())
}

/// `SIFT_ROUTES`: an ordered JSON list of routes.
pub fn routes(json: &str) -> Result<Vec<Route>, String> {
    Route::parse_list(json).map_err(|e| match e {
        crate::Error::Routes(expected) => expected,
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn each_parser_takes_its_values_and_says_what_it_expected() {
        assert_eq!((percent("2.5"), percent(" 100 ")), (Ok(2.5), Ok(100.0)));
        for bad in ["ten", "120", "-1", ""] {
            assert_eq!(percent(bad), Err("a percentage from 0 to 100".into()), "{bad}");
        }
        assert_eq!(
            (flag("Yes"), flag("off"), flag("maybe")),
            (Ok(true), Ok(false), Err("true or false".into()))
        );
        assert_eq!((count("3"), count("0").is_err(), count("x").is_err()), (Ok(3), true, true));
        assert_eq!(encryption("KMS", Some("alias/k".into())), Ok(Encryption::Kms(Some("alias/k".into()))));
        assert_eq!(encryption("", None), Ok(Encryption::BucketDefault));
        assert_eq!(encryption("rot13", None), Err("default, aes256 or kms".into()));
        assert!(routes("[]").unwrap().is_empty());
        assert!(routes("{}").unwrap_err().starts_with("a JSON list of"));
    }
}
