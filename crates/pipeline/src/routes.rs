//! Routes (SPEC section 7): which contract and invalid-records prefix an object's key takes.
//!
//! A deployment lists its routes as JSON (`SIFT_ROUTES`, read by the Lambda and by
//! `sift run` alike, so a large object sent to the Fargate task is validated exactly as the
//! Lambda would): `[{"prefix": "orders/", "contract": "s3://cfg/orders.toml",
//! "invalid_prefix": "invalid/orders"}]`. The first route whose prefix starts the key wins.

use std::path::PathBuf;

/// The name of the built-in customer contract in a route.
pub const BUILTIN_CUSTOMER: &str = "builtin:customer";

/// One route: objects whose key starts with `prefix` use `contract` and write their invalid
/// records under `invalid_prefix`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Key prefix of the objects the route takes.
    pub prefix: String,
    /// Where the contract comes from; see [`ContractSource::parse`].
    pub contract: String,
    /// Key prefix of the route's invalid-records files (no leading or trailing slash).
    pub invalid_prefix: String,
}

impl Route {
    /// Parses a JSON list of routes, trimming the invalid prefixes' slashes. `Err` is the
    /// reason, for the caller to put beside the setting's name.
    pub fn parse_list(json: &str) -> Result<Vec<Route>, String> {
        let mut routes: Vec<Route> = serde_json::from_str(json).map_err(|e| {
            format!("a JSON list of {{\"prefix\", \"contract\", \"invalid_prefix\"}} routes ({e})")
        })?;
        for route in &mut routes {
            route.invalid_prefix = route.invalid_prefix.trim_matches('/').to_owned();
            if route.contract.trim().is_empty() || route.invalid_prefix.is_empty() {
                return Err("every route with a contract and a non-empty invalid_prefix".into());
            }
        }
        Ok(routes)
    }

    /// The first route whose prefix starts `key`.
    pub fn find<'a>(routes: &'a [Route], key: &str) -> Option<&'a Route> {
        routes.iter().find(|r| key.starts_with(&r.prefix))
    }
}

/// Where a route's contract is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractSource {
    /// `builtin:customer`.
    BuiltinCustomer,
    /// `s3://BUCKET/KEY`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// Any other text: a file, relative to the deployment's root when not absolute.
    Path(PathBuf),
}

impl ContractSource {
    /// The contract in `text`, read from `source`: ODCS YAML when the name ends in `.yaml` or
    /// `.yml` (with what it could not map), else sift TOML.
    pub fn contract_from_text(
        source: &str,
        text: &str,
    ) -> Result<(sift_validator::Contract, Vec<String>), sift_validator::Error> {
        let lower = source.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            let imported = sift_validator::import_odcs(text)?;
            Ok((imported.contract, imported.unmapped))
        } else {
            Ok((sift_validator::Contract::from_toml(text)?, Vec::new()))
        }
    }

    /// Reads a route's `contract` text.
    pub fn parse(text: &str) -> ContractSource {
        if text == BUILTIN_CUSTOMER {
            ContractSource::BuiltinCustomer
        } else if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            ContractSource::S3 { bucket: bucket.to_owned(), key: key.to_owned() }
        } else {
            ContractSource::Path(PathBuf::from(text))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn routes_parse_in_order_and_the_first_matching_prefix_wins() {
        let routes = Route::parse_list(
            r#"[{"prefix": "orders/eu/", "contract": "s3://cfg/eu.toml", "invalid_prefix": "/bad/eu/"},
                {"prefix": "orders/", "contract": "/etc/sift/contracts/orders.toml", "invalid_prefix": "bad/orders"},
                {"prefix": "", "contract": "builtin:customer", "invalid_prefix": "bad/customers"}]"#,
        )
        .unwrap();
        assert_eq!(routes[0].invalid_prefix, "bad/eu");
        assert_eq!(Route::find(&routes, "orders/eu/1.csv").unwrap().contract, "s3://cfg/eu.toml");
        assert_eq!(Route::find(&routes, "orders/us/1.csv").unwrap().invalid_prefix, "bad/orders");
        assert_eq!(Route::find(&routes, "x.csv").unwrap().contract, BUILTIN_CUSTOMER);
        assert_eq!(Route::find(&routes[..2], "x.csv"), None);
        for bad in [
            "{}",
            r#"[{"prefix": "a/"}]"#,
            r#"[{"prefix": "a/", "contract": " ", "invalid_prefix": "b"}]"#,
            r#"[{"prefix": "a/", "contract": "c", "invalid_prefix": "/"}]"#,
        ] {
            assert!(Route::parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn contract_sources_are_builtin_s3_or_a_path() {
        assert_eq!(ContractSource::parse("builtin:customer"), ContractSource::BuiltinCustomer);
        assert_eq!(
            ContractSource::parse("s3://cfg/contracts/orders.toml"),
            ContractSource::S3 { bucket: "cfg".into(), key: "contracts/orders.toml".into() }
        );
        assert_eq!(
            ContractSource::parse("contracts/orders.toml"),
            ContractSource::Path("contracts/orders.toml".into())
        );
    }
}
