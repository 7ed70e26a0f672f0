//! S3Store against a real implementation of the S3 API (moto, started by `scripts/test`;
//! SIFT_MOTO_ENDPOINT names it).

#![allow(clippy::unwrap_used)] // Tests fail loudly by design.

use bytes::Bytes;
use futures::TryStreamExt;
use sift_storage::{Encryption, Error, ObjectStore, S3Store};

fn client() -> aws_sdk_s3::Client {
    let endpoint = std::env::var("SIFT_MOTO_ENDPOINT").expect(
        "SIFT_MOTO_ENDPOINT must name an AWS API emulator; run `scripts/test`, which starts moto[server]",
    );
    let config =
        aws_sdk_s3::config::Builder::from(&sift_aws::emulator_config(&endpoint, 3)).force_path_style(true);
    aws_sdk_s3::Client::from_conf(config.build())
}

async fn bucket(client: &aws_sdk_s3::Client, name: &str) -> String {
    let bucket = format!("{name}-{}", std::process::id());
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    bucket
}

async fn read(store: &S3Store, key: &str) -> Vec<Bytes> {
    store.get(key).await.unwrap().try_collect().await.unwrap()
}

#[tokio::test]
async fn keys_with_spaces_plus_signs_and_non_ascii_round_trip() {
    let client = client();
    let store = S3Store::new(client.clone(), bucket(&client, "sift-keys").await);
    for key in
        ["incoming/my customers.csv", "incoming/a+b=c.csv", "incoming/café/Ünïcode 名前.csv", "x/%41.csv"]
    {
        store.put(key, Bytes::from(format!("body of {key}")), "text/csv").await.unwrap();
        assert_eq!(read(&store, key).await.concat(), format!("body of {key}").as_bytes(), "{key}");
        let size = store.get(key).await.unwrap().size();
        assert_eq!(size, Some(format!("body of {key}").len() as u64), "the object's size comes with it");
        let listed = client.list_objects_v2().bucket(store.bucket()).prefix(key).send().await.unwrap();
        assert_eq!(listed.contents()[0].key(), Some(key), "stored under the exact key");
    }
    assert_eq!(store.uri("a b/c+d.csv"), format!("s3://{}/a b/c+d.csv", store.bucket()));
    assert!(store.url("a b/c+d.csv").ends_with("?prefix=a%20b/c%2Bd.csv"), "{}", store.url("a b/c+d.csv"));
}

#[tokio::test]
async fn a_missing_object_or_bucket_is_not_found_naming_bucket_and_key() {
    let client = client();
    let store = S3Store::new(client.clone(), bucket(&client, "sift-missing").await);
    let err = store.get("incoming/nope.csv").await.err().unwrap();
    assert!(
        matches!(&err, Error::NotFound { uri } if uri == &format!("s3://{}/incoming/nope.csv", store.bucket())),
        "{err}"
    );
    assert!(!err.is_retryable());
    let err = S3Store::new(client, "no-such-bucket-sift").get("k.csv").await.err().unwrap();
    assert!(err.to_string().contains("s3://no-such-bucket-sift/k.csv"), "{err}");
}

#[tokio::test]
async fn an_empty_object_streams_nothing() {
    let client = client();
    let store = S3Store::new(client.clone(), bucket(&client, "sift-empty").await);
    store.put("empty.csv", Bytes::new(), "text/csv").await.unwrap();
    assert!(read(&store, "empty.csv").await.concat().is_empty());
}

#[tokio::test]
async fn large_objects_upload_in_parts_and_stream_back_in_chunks() {
    let client = client();
    let store = S3Store::new(client.clone(), bucket(&client, "sift-large").await)
        .with_encryption(Encryption::S3Managed);
    let body: Vec<u8> = (0..40 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    store.put("big/invalid.csv", Bytes::from(body.clone()), "text/csv").await.unwrap();
    let head = client.head_object().bucket(store.bucket()).key("big/invalid.csv").send().await.unwrap();
    assert_eq!(head.content_length(), Some(body.len() as i64));
    assert!(head.e_tag().unwrap_or_default().contains('-'), "a multipart ETag: {:?}", head.e_tag());
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("AES256"));
    let chunks = read(&store, "big/invalid.csv").await;
    assert!(chunks.len() > 1, "the body arrives as a stream of chunks");
    assert!(chunks.iter().all(|c| c.len() <= 8 * 1024 * 1024), "no chunk holds the whole object");
    assert_eq!(chunks.concat(), body);
}

#[tokio::test]
async fn a_write_to_a_missing_bucket_fails_clearly() {
    let store = S3Store::new(client(), "no-such-bucket-sift-put");
    let err = store.put("k.csv", Bytes::from_static(b"x"), "text/csv").await.unwrap_err();
    assert!(err.to_string().contains("s3://no-such-bucket-sift-put/k.csv"), "{err}");
}
