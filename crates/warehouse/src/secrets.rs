//! Database credentials and where they come from.
//!
//! In production the credentials are a JSON SecureString in SSM Parameter Store (SPEC
//! section 5): `{"host", "port", "dbname", "username", "password"}` plus an optional
//! `"sslmode"` (PostgreSQL's values; `require` when absent). A [`SecretSource`] fetches them;
//! `SsmSecretSource` (feature `ssm`) reads the parameter with decryption.

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
    /// `verify-full`); `require` when absent.
    #[serde(default)]
    pub sslmode: Option<String>,
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
    /// Parses the SPEC section 5 JSON. The error names the problem, never the password.
    pub fn from_json(text: &str) -> Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            Error::Credentials(format!(
                "the database secret is not the expected JSON \
                 {{\"host\", \"port\", \"dbname\", \"username\", \"password\", \"sslmode\"?}}: {e}"
            ))
        })
    }

    /// Connection options, TLS mode included (`require` unless `sslmode` says otherwise).
    pub fn connect_options(&self) -> Result<PgConnectOptions> {
        let mode = match self.sslmode.as_deref().map(str::trim) {
            None | Some("") => PgSslMode::Require,
            Some(text) => text.parse::<PgSslMode>().map_err(|_| {
                Error::Credentials(format!(
                    "sslmode {text:?} is not one of disable, allow, prefer, require, verify-ca, verify-full"
                ))
            })?,
        };
        Ok(PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .database(&self.dbname)
            .username(&self.username)
            .password(&self.password)
            .ssl_mode(mode))
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
        assert!(matches!(c.connect_options().unwrap().get_ssl_mode(), PgSslMode::VerifyFull));
    }

    #[test]
    fn tls_is_required_by_default() {
        let c =
            DbCredentials::from_json(r#"{"host":"h","port":1,"dbname":"d","username":"u","password":"p"}"#)
                .unwrap();
        assert!(matches!(c.connect_options().unwrap().get_ssl_mode(), PgSslMode::Require));
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
        assert!(err.to_string().contains("not a number") && !err.to_string().contains("hunter2"), "{err}");
        let c = DbCredentials::from_json(
            r#"{"host":"h","port":1,"dbname":"d","username":"u","password":"hunter2","sslmode":"sometimes"}"#,
        )
        .unwrap();
        let err = c.connect_options().unwrap_err().to_string();
        assert!(err.contains("sometimes") && !err.contains("hunter2"), "{err}");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
