//! The Lambda's configuration: environment variables, read once at cold start (SPEC section 5).
//! Every variable, its default and its meaning is in docs/lambda.md; the values both shells
//! read are parsed by `sift_shell::settings`, as the command line parses them.

use sift_shell::{Database, Route, settings};
use sift_storage::Encryption;

use crate::error::Error;

/// Typed settings of the Lambda.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by the runtime): the function named in the report's
    /// subject.
    pub function_name: String,
    /// `SIFT_INVALID_BUCKET`: bucket of the invalid-records files.
    pub invalid_bucket: String,
    /// `SIFT_INVALID_PREFIX`: their key prefix (no leading or trailing slash); objects under it
    /// never trigger processing.
    pub invalid_prefix: String,
    /// `DATABASE_URL`, else `SIFT_DB_SECRET_PARAMETER`.
    pub database: Database,
    /// `SIFT_EMAIL_FROM` and `SIFT_EMAIL_TO`: the report's sender and recipients; `None` when
    /// both are unset (the summary then says `notification: "skipped"`).
    pub email: Option<(String, Vec<String>)>,
    /// `SIFT_ALERT_INVALID_PCT`: alert when the invalid share is strictly above this.
    pub alert_invalid_pct: f64,
    /// `SIFT_ALERT_TOPIC_ARN`: SNS topic of alerts.
    pub alert_topic_arn: Option<String>,
    /// `SIFT_AUTO_MIGRATE`: apply the embedded migrations at cold start.
    pub auto_migrate: bool,
    /// `SIFT_CHECK_COUNTRY`: turn the country rule on.
    pub check_country: bool,
    /// `SIFT_AWS_MAX_ATTEMPTS`: attempts per AWS call (standard retry mode).
    pub aws_max_attempts: u32,
    /// `SIFT_DB_CONNECT_ATTEMPTS`: attempts to connect to PostgreSQL, with backoff.
    pub db_connect_attempts: u32,
    /// `SIFT_DB_CA_BUNDLE`: a PEM file of the certificate authorities a server named by the
    /// SSM secret must chain to, when the secret has no `sslrootcert` (the package ships
    /// Amazon RDS's bundle; unset: the public roots).
    pub db_ca_bundle: Option<std::path::PathBuf>,
    /// `SIFT_S3_SSE` and `SIFT_S3_SSE_KMS_KEY_ID`: encryption of the invalid-records files.
    pub s3_encryption: Encryption,
    /// `SIFT_S3_PATH_STYLE`: path-style S3 addressing (default: on when `AWS_ENDPOINT_URL` is
    /// set, as emulators need).
    pub s3_path_style: bool,
    /// `SIFT_DEADLINE_MARGIN_MS`: a file still reading or validating this long before the
    /// invocation's deadline is stopped and rolled back, leaving time for the `[FAILED]` report
    /// and a clean error instead of a killed process.
    pub deadline_margin: std::time::Duration,
    /// `SIFT_FUNCTION_TIMEOUT_S`: the function's configured timeout (the template sets it from
    /// its `Timeout`), used when an invocation's deadline cannot be right (a local emulator's).
    pub function_timeout: std::time::Duration,
    /// `SIFT_CHUNK_ROWS`: rows per validation chunk; smaller chunks use less memory per file
    /// and run a little slower.
    pub chunk_rows: usize,
    /// `SIFT_LARGE_OBJECT_BYTES`: objects of this size or more are the Fargate task's (the
    /// template's `LargeObjectRule`); unset or 0 when there is no such route.
    pub large_object_bytes: Option<u64>,
    /// `SIFT_ROUTES`: an ordered JSON list of routes (`[{"prefix", "contract",
    /// "invalid_prefix"}]`); empty: every object uses the built-in customer contract and
    /// `SIFT_INVALID_PREFIX`.
    pub routes: Vec<Route>,
}

impl Settings {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests). Empty values
    /// count as unset.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let database = match get("DATABASE_URL") {
            Some(url) => Database::Url(url),
            None => Database::SsmParameter(
                get("SIFT_DB_SECRET_PARAMETER").unwrap_or_else(|| "/store/db-credentials/db-config".into()),
            ),
        };
        let email_to: Vec<String> = get("SIFT_EMAIL_TO")
            .map(|v| v.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        let email = match (get("SIFT_EMAIL_FROM"), email_to.is_empty()) {
            (Some(from), false) => Some((from, email_to)),
            (None, true) => None,
            (Some(_), true) => {
                return Err(setting(
                    "SIFT_EMAIL_TO",
                    "",
                    "recipients, comma-separated (SIFT_EMAIL_FROM is set)",
                ));
            }
            (None, false) => {
                return Err(setting("SIFT_EMAIL_FROM", "", "an SES-verified sender (SIFT_EMAIL_TO is set)"));
            }
        };
        let alert_invalid_pct = match get("SIFT_ALERT_INVALID_PCT") {
            None => 10.0,
            Some(v) => {
                settings::percent(&v).map_err(|expected| setting("SIFT_ALERT_INVALID_PCT", &v, &expected))?
            }
        };
        let sse_mode = get("SIFT_S3_SSE").unwrap_or_default();
        let s3_encryption = settings::encryption(&sse_mode, get("SIFT_S3_SSE_KMS_KEY_ID"))
            .map_err(|expected| setting("SIFT_S3_SSE", &sse_mode, &expected))?;
        let endpoint_set = get("AWS_ENDPOINT_URL").is_some();
        let routes = match get("SIFT_ROUTES") {
            None => Vec::new(),
            Some(v) => settings::routes(&v).map_err(|expected| setting("SIFT_ROUTES", &v, &expected))?,
        };
        Ok(Settings {
            function_name: get("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "sift".into()),
            invalid_bucket: get("SIFT_INVALID_BUCKET")
                .unwrap_or_else(|| "data-engineering-generic-bkt".into()),
            invalid_prefix: get("SIFT_INVALID_PREFIX")
                .unwrap_or_else(|| "Curoupt_Records/Customer".into())
                .trim_matches('/')
                .to_owned(),
            database,
            email,
            alert_invalid_pct,
            alert_topic_arn: get("SIFT_ALERT_TOPIC_ARN"),
            auto_migrate: flag(&get, "SIFT_AUTO_MIGRATE", true)?,
            check_country: flag(&get, "SIFT_CHECK_COUNTRY", false)?,
            aws_max_attempts: count(&get, "SIFT_AWS_MAX_ATTEMPTS", 5)?,
            db_connect_attempts: count(&get, "SIFT_DB_CONNECT_ATTEMPTS", 6)?,
            db_ca_bundle: get("SIFT_DB_CA_BUNDLE").filter(|v| !v.trim().is_empty()).map(Into::into),
            s3_encryption,
            s3_path_style: flag(&get, "SIFT_S3_PATH_STYLE", endpoint_set)?,
            chunk_rows: count(&get, "SIFT_CHUNK_ROWS", sift_validator::DEFAULT_CHUNK_ROWS as u32)? as usize,
            deadline_margin: std::time::Duration::from_millis(millis(
                &get,
                "SIFT_DEADLINE_MARGIN_MS",
                10_000,
            )?),
            function_timeout: std::time::Duration::from_secs(u64::from(count(
                &get,
                "SIFT_FUNCTION_TIMEOUT_S",
                900,
            )?)),
            routes,
            large_object_bytes: match get("SIFT_LARGE_OBJECT_BYTES") {
                None => None,
                Some(v) => match v.parse::<u64>() {
                    Ok(0) => None,
                    Ok(n) => Some(n),
                    Err(_) => {
                        return Err(setting("SIFT_LARGE_OBJECT_BYTES", &v, "a number of bytes (0: off)"));
                    }
                },
            },
        })
    }
}

fn setting(variable: &str, value: &str, expected: &str) -> Error {
    Error::Setting { variable: variable.to_owned(), value: value.to_owned(), expected: expected.to_owned() }
}

fn flag(get: &impl Fn(&str) -> Option<String>, name: &str, default: bool) -> Result<bool, Error> {
    match get(name) {
        None => Ok(default),
        Some(v) => settings::flag(&v).map_err(|expected| setting(name, &v, &expected)),
    }
}

fn count(get: &impl Fn(&str) -> Option<String>, name: &str, default: u32) -> Result<u32, Error> {
    match get(name) {
        None => Ok(default),
        Some(v) => settings::count(&v).map_err(|expected| setting(name, &v, &expected)),
    }
}

fn millis(get: &impl Fn(&str) -> Option<String>, name: &str, default: u64) -> Result<u64, Error> {
    match get(name) {
        None => Ok(default),
        Some(v) => v.parse::<u64>().map_err(|_| setting(name, &v, "a whole number of milliseconds")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use std::collections::HashMap;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, Error> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn the_spec_defaults() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.invalid_bucket, "data-engineering-generic-bkt");
        assert_eq!(s.invalid_prefix, "Curoupt_Records/Customer");
        assert_eq!(s.database, Database::SsmParameter("/store/db-credentials/db-config".into()));
        assert_eq!(s.email, None);
        assert_eq!(s.alert_invalid_pct, 10.0);
        assert_eq!(s.alert_topic_arn, None);
        assert!(s.auto_migrate && !s.check_country && !s.s3_path_style);
        assert_eq!((s.aws_max_attempts, s.db_connect_attempts), (5, 6));
        assert_eq!(s.s3_encryption, Encryption::BucketDefault);
        assert_eq!(s.deadline_margin, std::time::Duration::from_secs(10));
        assert_eq!(s.function_timeout, std::time::Duration::from_secs(900));
        assert_eq!(s.chunk_rows, sift_validator::DEFAULT_CHUNK_ROWS);
    }

    #[test]
    fn routes_are_an_ordered_json_list() {
        assert!(settings(&[]).unwrap().routes.is_empty());
        let s = settings(&[(
            "SIFT_ROUTES",
            r#"[{"prefix": "incoming/orders/", "contract": "s3://cfg/orders.toml", "invalid_prefix": "/Bad/Orders/"},
                {"prefix": "", "contract": "builtin:customer", "invalid_prefix": "Bad/Customer"}]"#,
        )])
        .unwrap();
        let routes: Vec<(&str, &str, &str)> = s
            .routes
            .iter()
            .map(|r| (r.prefix.as_str(), r.contract.as_str(), r.invalid_prefix.as_str()))
            .collect();
        assert_eq!(
            routes,
            [
                ("incoming/orders/", "s3://cfg/orders.toml", "Bad/Orders"),
                ("", "builtin:customer", "Bad/Customer")
            ]
        );
        for bad in [
            "not json",
            r#"{"prefix": "a"}"#,
            r#"[{"prefix": "a", "contract": "x"}]"#,
            r#"[{"prefix": "a", "contract": "x", "invalid_prefix": "/"}]"#,
            r#"[{"prefix": "a", "contract": "x", "invalid_prefix": "p", "extra": 1}]"#,
        ] {
            let err = settings(&[("SIFT_ROUTES", bad)]).unwrap_err().to_string();
            assert!(err.starts_with("SIFT_ROUTES="), "{bad}: {err}");
        }
    }

    #[test]
    fn every_variable_is_read() {
        let s = settings(&[
            ("SIFT_INVALID_BUCKET", "quarantine"),
            ("SIFT_INVALID_PREFIX", "/bad/rows/"),
            ("DATABASE_URL", "postgres://u:hunter2@h/d"),
            ("SIFT_DB_SECRET_PARAMETER", "/ignored/when/url"),
            ("SIFT_EMAIL_FROM", "sift@example.com"),
            ("SIFT_EMAIL_TO", " a@example.com, ,b@example.com "),
            ("SIFT_ALERT_INVALID_PCT", "2.5"),
            ("SIFT_ALERT_TOPIC_ARN", "arn:aws:sns:us-east-1:123456789012:alerts"),
            ("SIFT_AUTO_MIGRATE", "false"),
            ("SIFT_CHECK_COUNTRY", "yes"),
            ("SIFT_AWS_MAX_ATTEMPTS", "3"),
            ("SIFT_DB_CONNECT_ATTEMPTS", "1"),
            ("SIFT_S3_SSE", "kms"),
            ("SIFT_S3_SSE_KMS_KEY_ID", "alias/sift"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000"),
            ("SIFT_DEADLINE_MARGIN_MS", "2500"),
            ("SIFT_CHUNK_ROWS", "4096"),
        ])
        .unwrap();
        assert_eq!((s.invalid_bucket.as_str(), s.invalid_prefix.as_str()), ("quarantine", "bad/rows"));
        assert_eq!(s.database, Database::Url("postgres://u:hunter2@h/d".into()));
        assert!(!format!("{s:?}").contains("hunter2"), "the URL's password must not be printed");
        assert_eq!(
            s.email,
            Some(("sift@example.com".into(), vec!["a@example.com".into(), "b@example.com".into()]))
        );
        assert_eq!(s.alert_invalid_pct, 2.5);
        assert_eq!(s.alert_topic_arn.as_deref(), Some("arn:aws:sns:us-east-1:123456789012:alerts"));
        assert!(!s.auto_migrate && s.check_country && s.s3_path_style);
        assert_eq!((s.aws_max_attempts, s.db_connect_attempts), (3, 1));
        assert_eq!(s.s3_encryption, Encryption::Kms(Some("alias/sift".into())));
        assert_eq!(s.deadline_margin, std::time::Duration::from_millis(2500));
        assert_eq!(s.chunk_rows, 4096);
    }

    #[test]
    fn bad_values_name_the_variable_and_what_it_takes() {
        for (vars, needle) in [
            (
                vec![("SIFT_ALERT_INVALID_PCT", "ten")],
                "SIFT_ALERT_INVALID_PCT=\"ten\": expected a percentage",
            ),
            (vec![("SIFT_ALERT_INVALID_PCT", "120")], "a percentage from 0 to 100"),
            (vec![("SIFT_AUTO_MIGRATE", "maybe")], "SIFT_AUTO_MIGRATE=\"maybe\": expected true or false"),
            (vec![("SIFT_AWS_MAX_ATTEMPTS", "0")], "SIFT_AWS_MAX_ATTEMPTS=\"0\""),
            (vec![("SIFT_S3_SSE", "rot13")], "default, aes256 or kms"),
            (
                vec![("SIFT_DEADLINE_MARGIN_MS", "10s")],
                "SIFT_DEADLINE_MARGIN_MS=\"10s\": expected a whole number",
            ),
            (vec![("SIFT_EMAIL_FROM", "sift@example.com")], "SIFT_EMAIL_TO"),
            (vec![("SIFT_EMAIL_TO", "a@example.com")], "SIFT_EMAIL_FROM"),
        ] {
            let err = settings(&vars).unwrap_err().to_string();
            assert!(err.contains(needle), "{vars:?}: {err}");
        }
    }
}
