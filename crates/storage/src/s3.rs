//! Objects in Amazon S3 (or an S3-compatible emulator).

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream as SdkByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption};
use bytes::Bytes;
use futures::stream;

use crate::error::{Error, Result};
use crate::{ByteStream, ObjectStore};

/// Objects at or above this size are written with a multipart upload.
pub const MULTIPART_THRESHOLD: usize = 16 * 1024 * 1024;
/// Part size of multipart uploads (S3 allows 5 MiB to 5 GiB).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Server-side encryption of written objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Encryption {
    /// The bucket's default.
    BucketDefault,
    /// SSE-S3 (`AES256`).
    S3Managed,
    /// SSE-KMS with this key (ARN, id or alias), or the AWS-managed key when `None`.
    Kms(Option<String>),
}

impl Encryption {
    /// From a setting's text: `default` (or empty), `aes256`, or `kms` / `aws:kms` with an
    /// optional key; `None` for anything else, so the caller can name its own setting.
    pub fn from_setting(mode: &str, kms_key_id: Option<String>) -> Option<Self> {
        match mode.trim().to_ascii_lowercase().as_str() {
            "" | "default" => Some(Encryption::BucketDefault),
            "aes256" => Some(Encryption::S3Managed),
            "kms" | "aws:kms" => Some(Encryption::Kms(kms_key_id)),
            _ => None,
        }
    }
}

/// An [`ObjectStore`] over one S3 bucket: key `a/b.csv` is `s3://<bucket>/a/b.csv`.
///
/// Reads stream the object's body chunk by chunk (it is never held whole); writes use one
/// `PutObject` below [`MULTIPART_THRESHOLD`] and a multipart upload above it (aborted when a
/// part fails, so no partial object ever appears). Retries with backoff are the SDK's standard
/// retry mode, configured by the client (see `sift-aws`).
#[derive(Debug, Clone)]
pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    encryption: Encryption,
}

impl S3Store {
    /// A store over `bucket` through `client`.
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into(), encryption: Encryption::BucketDefault }
    }

    /// Encrypts written objects with `encryption`.
    pub fn with_encryption(mut self, encryption: Encryption) -> Self {
        self.encryption = encryption;
        self
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The encryption headers of a write: the algorithm and the KMS key, when any.
    fn sse(&self) -> (Option<ServerSideEncryption>, Option<String>) {
        match &self.encryption {
            Encryption::BucketDefault => (None, None),
            Encryption::S3Managed => (Some(ServerSideEncryption::Aes256), None),
            Encryption::Kms(key_id) => (Some(ServerSideEncryption::AwsKms), key_id.clone()),
        }
    }

    fn error<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
        &self,
        action: &'static str,
        key: &str,
        error: SdkError<E, HttpResponse>,
    ) -> Error {
        let uri = self.uri(key);
        let code = error.code().map(str::to_owned);
        if matches!(code.as_deref(), Some("NoSuchKey" | "NotFound" | "NoSuchBucket")) {
            return Error::NotFound { uri };
        }
        let retryable = match &error {
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(e) => {
                e.raw().status().is_server_error() || code.as_deref() == Some("SlowDown")
            }
            _ => false,
        };
        Error::Backend { action, uri, message: sift_aws::describe_error(&error), retryable }
    }

    async fn put_multipart(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        let (sse, kms_key) = self.sse();
        let upload = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .send()
            .await
            .map_err(|e| self.error("starting the upload of", key, e))?;
        let upload_id = upload.upload_id().unwrap_or_default().to_owned();
        let result = async {
            let mut parts = Vec::new();
            for (n, chunk) in body.chunks(PART_SIZE).enumerate() {
                let number = i32::try_from(n + 1).unwrap_or(i32::MAX);
                let part = self
                    .client
                    .upload_part()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .part_number(number)
                    .body(SdkByteStream::from(body.slice_ref(chunk)))
                    .send()
                    .await
                    .map_err(|e| self.error("uploading a part of", key, e))?;
                parts.push(CompletedPart::builder().part_number(number).set_e_tag(part.e_tag).build());
            }
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
                .send()
                .await
                .map_err(|e| self.error("completing the upload of", key, e))?;
            Ok(())
        }
        .await;
        if result.is_err() {
            // Leave no half-uploaded parts behind (and no partial object ever appears).
            let _ = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
        }
        result
    }
}

#[async_trait::async_trait]
impl ObjectStore for S3Store {
    async fn get(&self, key: &str) -> Result<ByteStream> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| self.error("reading", key, e))?;
        let uri = self.uri(key);
        let size = output.content_length.and_then(|n| u64::try_from(n).ok());
        let content_encoding = output.content_encoding.clone();
        let body = stream::try_unfold((output.body, uri), |(mut body, uri)| async move {
            match body.next().await {
                None => Ok(None),
                Some(Ok(bytes)) => Ok(Some((bytes, (body, uri)))),
                Some(Err(e)) => Err(Error::Backend {
                    action: "reading",
                    uri,
                    message: format!("the connection broke while streaming the object: {e}"),
                    retryable: true,
                }),
            }
        });
        Ok(ByteStream::new(body).with_size(size).with_content_encoding(content_encoding))
    }

    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        if body.len() >= MULTIPART_THRESHOLD {
            return self.put_multipart(key, body, content_type).await;
        }
        let (sse, kms_key) = self.sse();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .body(SdkByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.error("writing", key, e))?;
        Ok(())
    }

    fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    fn url(&self, key: &str) -> String {
        // The S3 console page of the object: clickable for a person signed in to the account.
        format!("https://s3.console.aws.amazon.com/s3/object/{}?prefix={}", self.bucket, crate::url_path(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_links_percent_encode_all_but_unreserved_characters_and_slashes() {
        let config = sift_aws::emulator_config("http://127.0.0.1:1", 1);
        let store = S3Store::new(aws_sdk_s3::Client::new(&config), "landing");
        assert_eq!(
            store.url("in/my customers+2026 é~_-.csv"),
            "https://s3.console.aws.amazon.com/s3/object/landing?prefix=in/my%20customers%2B2026%20%C3%A9~_-.csv"
        );
    }
}
