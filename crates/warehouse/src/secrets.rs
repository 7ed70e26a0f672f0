//! Database credentials and where they come from.
//!
//! In production the credentials are a JSON SecureString in SSM Parameter Store (SPEC
//! section 5): `{"host", "port", "dbname", "username", "password"}` plus an optional
//! `"sslmode"` and `"sslrootcert"`. A [`SecretSource`] fetches them; `SsmSecretSource`
//! (feature `ssm`) reads the parameter with decryption.
//!
//! TLS is verified by default: with no `sslmode` the connection is `verify-full` (the server's
//! certificate must chain to a trusted root and name the host), against `sslrootcert` (a PEM
//! file's path, or the PEM text itself) when the secret has one, else the bundle the shell
//! gives ([`DbCredentials::connect_options`]; the Lambda ships Amazon RDS's), else the public
//! roots. Plain text only when the secret says `"sslmode": "disable"` itself.

use std::fmt;

use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::error::{Error, Result};

/// Credentials of the PostgreSQL warehouse. `Debug` never shows the password.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DbCredentials {
    /// Server host name or address.
    pub host: String,
    /// Server port (a number or a string of digits in the JSON).
    #[serde(deserialize_with = "port")]
    pub port: u16,
    /// Database name.
    pub dbname: String,
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// PostgreSQL `sslmode` (`disable`, `allow`, `prefer`, `require`, `verify-ca`,
    /// `verify-full`); `verify-full` when absent.
    #[serde(default)]
    pub sslmode: Option<String>,
    /// The certificate authority the server's certificate must chain to: a PEM file's path, or
    /// the PEM text (`-----BEGIN CERTIFICATE-----...`).
    #[serde(default)]
    pub sslrootcert: Option<String>,
}

/// The fields of the secret's JSON and what each must be, for the messages.
const FIELDS: [(&str, Kind); 7] = [
    ("host", Kind::Text),
    ("port", Kind::Port),
    ("dbname", Kind::Text),
    ("username", Kind::Text),
    ("password", Kind::Text),
    ("sslmode", Kind::OptionalText),
    ("sslrootcert", Kind::OptionalText),
];

#[derive(Clone, Copy)]
enum Kind {
    Text,
    OptionalText,
    Port,
}

/// What a JSON value is, in words (never the value itself: it may be the password).
fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

impl fmt::Debug for DbCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbCredentials")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("dbname", &self.dbname)
            .field("username", &self.username)
            .field("password", &"***")
            .field("sslmode", &self.sslmode)
            .field("sslrootcert", &self.sslrootcert.as_ref().map(|_| "..."))
            .finish()
    }
}

fn port<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Port {
        Number(u16),
        Text(String),
    }
    match Port::deserialize(d)? {
        Port::Number(n) => Ok(n),
        Port::Text(t) => {
            t.trim().parse().map_err(|_| serde::de::Error::custom(format!("port {t:?} is not a number")))
        }
    }
}

impl DbCredentials {
    /// Parses the SPEC section 5 JSON. The error names the field and what is wrong with it,
    /// never a value: JSON's own messages quote values, and a value may be the password.
    pub fn from_json(text: &str) -> Result<Self> {
        let expected =
            "{\"host\", \"port\", \"dbname\", \"username\", \"password\", \"sslmode\"?, \"sslrootcert\"?}";
        let bad = |what: String| {
            Error::Credentials(format!("the database secret is not the expected JSON {expected}: {what}"))
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            bad(format!("it does not parse as JSON (line {}, column {})", e.line(), e.column()))
        })?;
        let serde_json::Value::Object(fields) = &value else {
            return Err(bad(format!("it is {}, not an object", json_kind(&value))));
        };
        if let Some(unknown) = fields.keys().find(|k| !FIELDS.iter().any(|(name, _)| name == k)) {
            return Err(bad(format!("unknown field `{unknown}`")));
        }
        for (name, kind) in FIELDS {
            let problem = match (kind, fields.get(name)) {
                (Kind::OptionalText, None | Some(serde_json::Value::Null)) => None,
                (_, None) => return Err(bad(format!("missing field `{name}`"))),
                (_, Some(serde_json::Value::String(_))) => None,
                (Kind::Port, Some(serde_json::Value::Number(_))) => None,
                (Kind::Port, Some(v)) => {
                    Some(format!("must be a number or a string of digits, not {}", json_kind(v)))
                }
                (_, Some(v)) => Some(format!("must be a string, not {} (quote it)", json_kind(v))),
            };
            if let Some(problem) = problem {
                return Err(bad(format!("field `{name}` {problem}")));
            }
        }
        // The shape is checked: what is left is a port out of range or not digits.
        serde_json::from_value(value)
            .map_err(|_| bad("field `port` must be a port number from 0 to 65535".into()))
    }

    /// Connection options, TLS mode included: `verify-full` unless `sslmode` says otherwise,
    /// against the secret's `sslrootcert`, else `default_root` (a PEM file the shell ships),
    /// else the public roots.
    pub fn connect_options(&self, default_root: Option<&std::path::Path>) -> Result<PgConnectOptions> {
        let mode = match self.sslmode.as_deref().map(str::trim) {
            None | Some("") => PgSslMode::VerifyFull,
            Some(text) => text.parse::<PgSslMode>().map_err(|_| {
                Error::Credentials(format!(
                    "sslmode {text:?} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ))
            })?,
        };
        let options = PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .database(&self.dbname)
            .username(&self.username)
            .password(&self.password)
            .ssl_mode(mode);
        Ok(match (self.sslrootcert.as_deref().map(str::trim), default_root) {
            (Some(pem), _) if pem.starts_with("-----BEGIN") => {
                options.ssl_root_cert_from_pem(pem.as_bytes().to_vec())
            }
            (Some(path), _) if !path.is_empty() => options.ssl_root_cert(path),
            (_, Some(bundle)) => options.ssl_root_cert(bundle),
            _ => options,
        })
    }
}

/// Where database credentials come from.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait SecretSource: Send + Sync {
    /// Fetches the current credentials.
    async fn db_credentials(&self) -> Result<DbCredentials>;
}

#[cfg(feature = "ssm")]
pub use ssm::SsmSecretSource;

#[cfg(feature = "ssm")]
mod ssm {
    use super::{DbCredentials, Error, Result, SecretSource};

    /// Reads the credentials from an SSM Parameter Store SecureString, with decryption.
    #[derive(Debug, Clone)]
    pub struct SsmSecretSource {
        client: aws_sdk_ssm::Client,
        name: String,
    }

    impl SsmSecretSource {
        /// Reads parameter `name` (e.g. `/store/db-credentials/db-config`) through `client`.
        pub fn new(client: aws_sdk_ssm::Client, name: impl Into<String>) -> Self {
            Self { client, name: name.into() }
        }
    }

    #[async_trait::async_trait]
    impl SecretSource for SsmSecretSource {
        async fn db_credentials(&self) -> Result<DbCredentials> {
            let output =
                self.client.get_parameter().name(&self.name).with_decryption(true).send().await.map_err(
                    |e| {
                        let e = sift_aws::describe_error(&e);
                        Error::Credentials(format!(
                            "reading SSM parameter {}: {e}; check the name and that the role may \
                         ssm:GetParameter it and kms:Decrypt its key",
                            self.name
                        ))
                    },
                )?;
            let value = output
                .parameter()
                .and_then(|p| p.value())
                .ok_or_else(|| Error::Credentials(format!("SSM parameter {} has no value", self.name)))?;
            DbCredentials::from_json(value)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn parses_the_spec_json_with_numeric_or_text_port() {
        let c = DbCredentials::from_json(
            r#"{"host":"db.internal","port":"5432","dbname":"dw","username":"loader","password":"s3cr3t!"}"#,
        )
        .unwrap();
        assert_eq!((c.host.as_str(), c.port, c.sslmode.as_deref()), ("db.internal", 5432, None));
        let c = DbCredentials::from_json(
            r#"{"host":"h","port":6432,"dbname":"d","username":"u","password":"p","sslmode":"verify-full"}"#,
        )
        .unwrap();
        assert_eq!(c.port, 6432);
        assert!(matches!(c.connect_options(None).unwrap().get_ssl_mode(), PgSslMode::VerifyFull));
    }

    #[test]
    fn tls_is_verified_by_default_and_plain_only_when_asked() {
        let c =
            DbCredentials::from_json(r#"{"host":"h","port":1,"dbname":"d","username":"u","password":"p"}"#)
                .unwrap();
        assert!(matches!(c.connect_options(None).unwrap().get_ssl_mode(), PgSslMode::VerifyFull));
        let c = DbCredentials::from_json(
            r#"{"host":"h","port":1,"dbname":"d","username":"u","password":"p","sslmode":"disable"}"#,
        )
        .unwrap();
        assert!(matches!(c.connect_options(None).unwrap().get_ssl_mode(), PgSslMode::Disable));
    }

    #[test]
    fn bad_secrets_say_what_is_wrong_without_the_password() {
        let err =
            DbCredentials::from_json(r#"{"host":"h","port":1,"dbname":"d","username":"u"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `password`"), "{err}");
        let err = DbCredentials::from_json(
            r#"{"host":"h","port":"x1","dbname":"d","username":"u","password":"hunter2"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("field `port`") && !err.to_string().contains("hunter2"), "{err}");
        // JSON's own messages would quote these values.
        for secret in [
            r#"{"host":"h","port":1,"dbname":"d","username":"u","password":73519}"#,
            r#"{"host":"h","port":1,"dbname":"d","username":"u","password":[73519]}"#,
            r#"{"host":"h","port":1,"dbname":"d","username":"u","password":"73519","extra":"73519"}"#,
            r#"{"host":"h","port":1,"dbname":"d","username":"u","password":"73519"#,
            r#"{"host":"h","port":735190,"dbname":"d","username":"u","password":"73519"}"#,
            r#""73519""#,
        ] {
            let err = DbCredentials::from_json(secret).unwrap_err().to_string();
            assert!(!err.contains("73519"), "{secret}: {err}");
        }
        let err =
            DbCredentials::from_json(r#"{"host":"h","port":1,"dbname":"d","username":"u","password":73519}"#)
                .unwrap_err()
                .to_string();
        assert!(err.contains("field `password` must be a string, not a number"), "{err}");
        let c = DbCredentials::from_json(
            r#"{"host":"h","port":1,"dbname":"d","username":"u","password":"hunter2","sslmode":"sometimes"}"#,
        )
        .unwrap();
        let err = c.connect_options(None).unwrap_err().to_string();
        assert!(err.contains("sometimes") && !err.contains("hunter2"), "{err}");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
