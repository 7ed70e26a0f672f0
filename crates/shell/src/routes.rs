//! Routes (SPEC section 7): which contract and invalid-records prefix an object's key takes.
//!
//! A deployment lists its routes as JSON (`SIFT_ROUTES`, read by the Lambda and by
//! `sift run` alike, so a large object sent to the Fargate task is validated exactly as the
//! Lambda would): `[{"prefix": "orders/", "contract": "s3://cfg/orders.toml",
//! "invalid_prefix": "invalid/orders"}]`. The first route whose prefix starts the key wins.

use crate::Error;

/// One route: objects whose key starts with `prefix` use `contract` and write their invalid
/// records under `invalid_prefix`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Key prefix of the objects the route takes.
    pub prefix: String,
    /// Where the contract comes from; see [`crate::load_contract`].
    pub contract: String,
    /// Key prefix of the route's invalid-records files (no leading or trailing slash).
    pub invalid_prefix: String,
}

impl Route {
    /// Parses a JSON list of routes, trimming the invalid prefixes' slashes. The error says
    /// what is expected, for the caller to put beside the setting's name.
    pub(crate) fn parse_list(json: &str) -> Result<Vec<Route>, Error> {
        let mut routes: Vec<Route> = serde_json::from_str(json).map_err(|e| {
            Error::Routes(format!(
                "a JSON list of {{\"prefix\", \"contract\", \"invalid_prefix\"}} routes ({e})"
            ))
        })?;
        for route in &mut routes {
            route.invalid_prefix = route.invalid_prefix.trim_matches('/').to_owned();
            if route.contract.trim().is_empty() || route.invalid_prefix.is_empty() {
                return Err(Error::Routes(
                    "every route with a contract and a non-empty invalid_prefix".into(),
                ));
            }
        }
        Ok(routes)
    }

    /// The one route of a deployment without routes: every key, `contract`, and invalid
    /// records under `invalid_prefix`.
    pub fn catch_all(contract: &str, invalid_prefix: &str) -> Route {
        Route {
            prefix: String::new(),
            contract: contract.to_owned(),
            invalid_prefix: invalid_prefix.trim_matches('/').to_owned(),
        }
    }

    /// The first route whose prefix starts `key`.
    pub fn find<'a>(routes: &'a [Route], key: &str) -> Option<&'a Route> {
        Self::position(routes, key).map(|i| &routes[i])
    }

    /// The index of [`Route::find`]'s route in `routes` (for what a caller keeps per route).
    pub fn position(routes: &[Route], key: &str) -> Option<usize> {
        routes.iter().position(|r| key.starts_with(&r.prefix))
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
        assert_eq!(Route::find(&routes, "x.csv").unwrap().contract, crate::BUILTIN_CUSTOMER);
        assert_eq!(Route::find(&routes[..2], "x.csv"), None);
        assert_eq!(
            (Route::position(&routes, "orders/us/1.csv"), Route::position(&routes[..2], "x.csv")),
            (Some(1), None)
        );
        for bad in [
            "{}",
            r#"[{"prefix": "a/"}]"#,
            r#"[{"prefix": "a/", "contract": " ", "invalid_prefix": "b"}]"#,
            r#"[{"prefix": "a/", "contract": "c", "invalid_prefix": "/"}]"#,
        ] {
            assert!(Route::parse_list(bad).is_err(), "{bad}");
        }
    }
}
