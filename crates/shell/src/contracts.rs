//! Contracts as the shells find them: the built-in ones (embedded from `contracts/`), an object
//! in S3, or a file; sift TOML, or ODCS YAML by the name's `.yaml` / `.yml`.

use std::path::{Path, PathBuf};

use futures::TryStreamExt as _;
use sift_storage::ObjectStore as _;
use sift_validator::Contract;

use crate::{Aws, Error};

/// The built-in customer contract's name in a route or a flag.
pub const BUILTIN_CUSTOMER: &str = "builtin:customer";

/// `contracts/customer.toml`: the customer contract of SPEC sections 3 and 7, the shells'
/// default.
pub(crate) const CUSTOMER_CONTRACT: &str = include_str!("../../../contracts/customer.toml");

/// `contracts/customer_country.toml`: the same with the country rule on (`--check-country`,
/// `SIFT_CHECK_COUNTRY`).
pub(crate) const CUSTOMER_COUNTRY_CONTRACT: &str = include_str!("../../../contracts/customer_country.toml");

/// Where a contract is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ContractSource {
    /// `builtin:NAME`.
    Builtin(String),
    /// `s3://BUCKET/KEY`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Object key.
        key: String,
    },
    /// Any other text: a file, relative to the shell's root when not absolute.
    Path(PathBuf),
}

impl ContractSource {
    /// Reads where a route's `contract` (or a `--contract` flag) points.
    pub(crate) fn parse(text: &str) -> ContractSource {
        if let Some(name) = text.strip_prefix("builtin:") {
            ContractSource::Builtin(name.to_owned())
        } else if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            ContractSource::S3 { bucket: bucket.to_owned(), key: key.to_owned() }
        } else {
            ContractSource::Path(PathBuf::from(text))
        }
    }
}

/// A contract, and the ODCS fields it could not map (empty for TOML).
#[derive(Debug, Clone)]
pub struct LoadedContract {
    /// The contract.
    pub contract: Contract,
    /// What an ODCS contract held that sift does not check, by path.
    pub unmapped: Vec<String>,
}

/// The built-in contract `name` (`customer`), with its country rule on or off.
pub(crate) fn builtin_contract(name: &str, check_country: bool) -> Result<Contract, Error> {
    let (location, text) = match (name, check_country) {
        ("customer", false) => ("contracts/customer.toml", CUSTOMER_CONTRACT),
        ("customer", true) => ("contracts/customer_country.toml", CUSTOMER_COUNTRY_CONTRACT),
        _ => return Err(Error::UnknownBuiltin(format!("builtin:{name}"))),
    };
    Contract::from_toml(text).map_err(|source| Error::Contract { location: location.into(), source })
}

/// `location` without the ODCS schema object it names, and the object: `orders.yaml#lines`
/// reads object `lines` of `orders.yaml`. A `#` in any other name is part of the name.
fn split_object(location: &str) -> (&str, Option<&str>) {
    match location.rsplit_once('#') {
        Some((base, object)) if is_odcs(base) && !object.is_empty() => (base, Some(object)),
        _ => (location, None),
    }
}

fn is_odcs(location: &str) -> bool {
    let lower = location.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml")
}

/// The contract in `text`, read from `location`: ODCS YAML when the name ends in `.yaml` or
/// `.yml` (its schema object named after a `#`, when the document has several), else sift TOML.
pub(crate) fn contract_from_text(location: &str, text: &str) -> Result<LoadedContract, Error> {
    let (base, object) = split_object(location);
    let loaded = if is_odcs(base) {
        let imported = match object {
            Some(object) => sift_validator::import_odcs_object(text, object),
            None => sift_validator::import_odcs(text),
        };
        imported.map(|imported| LoadedContract { contract: imported.contract, unmapped: imported.unmapped })
    } else {
        Contract::from_toml(text).map(|contract| LoadedContract { contract, unmapped: Vec::new() })
    };
    loaded.map_err(|source| Error::Contract { location: location.to_owned(), source })
}

/// The contract `source` names: `builtin:customer` (with the country rule when
/// `check_country`), `s3://BUCKET/KEY` read through `aws`, or a file under `root`; TOML, or ODCS
/// YAML by a `.yaml` / `.yml` name (`FILE.yaml#NAME` reads schema object `NAME`).
pub async fn load_contract(
    source: &str,
    check_country: bool,
    root: &Path,
    aws: &Aws,
) -> Result<LoadedContract, Error> {
    let text = match ContractSource::parse(split_object(source).0) {
        ContractSource::Builtin(name) => {
            return Ok(LoadedContract {
                contract: builtin_contract(&name, check_country)?,
                unmapped: Vec::new(),
            });
        }
        ContractSource::S3 { bucket, key } => {
            let store = aws.s3_store(&bucket).await;
            let object_error =
                |e| Error::ContractObject { location: format!("s3://{bucket}/{key}"), source: e };
            let chunks: Vec<bytes::Bytes> =
                store.get(&key).await.map_err(object_error)?.try_collect().await.map_err(object_error)?;
            String::from_utf8(chunks.concat()).map_err(|_| Error::NotText(source.to_owned()))?
        }
        ContractSource::Path(path) => {
            let path = root.join(path);
            std::fs::read_to_string(&path)
                .map_err(|e| Error::ContractRead { location: path.display().to_string(), source: e })?
        }
    };
    contract_from_text(source, &text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use super::*;

    #[test]
    fn contract_sources_are_builtin_s3_or_a_path() {
        assert_eq!(ContractSource::parse("builtin:customer"), ContractSource::Builtin("customer".into()));
        assert_eq!(
            ContractSource::parse("s3://cfg/contracts/orders.toml"),
            ContractSource::S3 { bucket: "cfg".into(), key: "contracts/orders.toml".into() }
        );
        assert_eq!(
            ContractSource::parse("contracts/orders.toml"),
            ContractSource::Path("contracts/orders.toml".into())
        );
    }

    #[test]
    fn an_odcs_location_may_name_its_schema_object_after_a_hash() {
        assert_eq!(split_object("s3://cfg/shop.yaml#lines"), ("s3://cfg/shop.yaml", Some("lines")));
        assert_eq!(split_object("shop.YML#orders"), ("shop.YML", Some("orders")));
        assert_eq!(split_object("odd#name.toml"), ("odd#name.toml", None));
        assert_eq!(split_object("shop.yaml#"), ("shop.yaml#", None));
        let yaml = "apiVersion: v3.1.0\nkind: DataContract\nname: shop\nschema:\n  - name: a\n    properties: [{name: x, required: true}]\n  - name: b\n    properties: [{name: y, required: true}]\n";
        assert_eq!(contract_from_text("shop.yaml#b", yaml).unwrap().contract.name, "b");
        assert!(contract_from_text("shop.yaml", yaml).is_err());
    }

    #[test]
    fn the_built_in_customer_contracts_are_the_shipped_files() {
        let plain = builtin_contract("customer", false).unwrap();
        let country = builtin_contract("customer", true).unwrap();
        assert_eq!((plain.name.as_str(), country.name.as_str()), ("customer", "customer"));
        assert!(!plain.failure_ids().contains(&"country".to_owned()));
        assert!(country.failure_ids().contains(&"country".to_owned()));
        assert_eq!(plain.table().unwrap().name, "dim_customer");
        let err = builtin_contract("orders", false).unwrap_err().to_string();
        assert!(err.contains("builtin:orders") && err.contains(BUILTIN_CUSTOMER), "{err}");
    }

    #[tokio::test]
    async fn a_file_is_read_under_the_root_and_its_errors_say_where() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.toml"), CUSTOMER_CONTRACT).unwrap();
        let aws = Aws::new(crate::AwsOptions::default());
        let loaded = load_contract("c.toml", false, dir.path(), &aws).await.unwrap();
        assert_eq!(loaded.contract, builtin_contract("customer", false).unwrap());
        let err = load_contract("missing.toml", false, dir.path(), &aws).await.unwrap_err();
        assert!(err.to_string().contains("missing.toml"), "{err}");
    }
}
