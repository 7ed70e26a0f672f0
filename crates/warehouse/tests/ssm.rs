//! SsmSecretSource against a real implementation of the SSM API (moto, started by
//! `scripts/test`; SIFT_MOTO_ENDPOINT names it).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use aws_sdk_ssm::types::ParameterType;
use sift_warehouse::SsmSecretSource;
use sift_warehouse::{DbCredentials, SecretSource};

fn client() -> aws_sdk_ssm::Client {
    let endpoint = std::env::var("SIFT_MOTO_ENDPOINT").expect(
        "SIFT_MOTO_ENDPOINT must name an AWS API emulator; run `scripts/test`, which starts moto[server]",
    );
    aws_sdk_ssm::Client::new(&sift_aws::emulator_config(&endpoint, 3))
}

async fn put(client: &aws_sdk_ssm::Client, name: &str, value: &str) {
    client
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn reads_and_decrypts_the_secure_string() {
    let client = client();
    let name = format!("/store/db-credentials/db-config-{}", std::process::id());
    put(
        &client,
        &name,
        r#"{"host":"db.internal","port":"5432","dbname":"dw","username":"loader","password":"p@ss\"word"}"#,
    )
    .await;
    let creds = SsmSecretSource::new(client, &name).db_credentials().await.unwrap();
    assert_eq!(
        creds,
        DbCredentials {
            host: "db.internal".into(),
            port: 5432,
            dbname: "dw".into(),
            username: "loader".into(),
            password: "p@ss\"word".into(),
            sslmode: None,
            sslrootcert: None,
        }
    );
}

#[tokio::test]
async fn a_missing_parameter_names_it_and_what_to_check() {
    let source = SsmSecretSource::new(client(), "/store/db-credentials/does-not-exist");
    let err = source.db_credentials().await.unwrap_err().to_string();
    assert!(
        err.contains("/store/db-credentials/does-not-exist") && err.contains("ssm:GetParameter"),
        "{err}"
    );
}

#[tokio::test]
async fn a_malformed_secret_is_refused_without_leaking_it() {
    let client = client();
    let name = format!("/sift/test/bad-{}", std::process::id());
    put(&client, &name, r#"{"host":"h","password":"hunter2"}"#).await;
    let err = SsmSecretSource::new(client, &name).db_credentials().await.unwrap_err().to_string();
    assert!(err.contains("missing field") && !err.contains("hunter2"), "{err}");
}
