//! Object storage behind one small trait.
//!
//! [`ObjectStore`] reads an object as a stream of byte chunks (so a file never has to fit in
//! memory twice) and writes an object whole. [`LocalStore`] keeps objects as files under a root
//! folder and refuses any key that would leave it. Other backends (S3) implement the same trait.
//! [`ByteStream::decompressed`] decompresses a gzip or zstd object as it streams in
//! ([`Compression::detect`] tells which, by key suffix or `Content-Encoding`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> sift_storage::Result<()> {
//! use futures::TryStreamExt;
//! use sift_storage::{LocalStore, ObjectStore};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = LocalStore::new(dir.path());
//! store.put("invalid/2026-11-26/a.csv", "a,b\n".into(), "text/csv").await?;
//! let chunks: Vec<_> = store.get("invalid/2026-11-26/a.csv").await?.try_collect().await?;
//! assert_eq!(chunks.concat(), b"a,b\n");
//! # Ok(()) }
//! ```

mod compression;
mod error;
mod local;
#[cfg(feature = "s3")]
mod s3;

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

pub use crate::compression::Compression;
pub use crate::error::{Error, Result};
pub use crate::local::LocalStore;
#[cfg(feature = "s3")]
pub use crate::s3::{Encryption, MULTIPART_THRESHOLD, PART_SIZE, S3Store};

/// `path` percent-encoded for a URL, except for RFC 3986's unreserved characters and `/`.
pub(crate) fn url_path(path: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
    percent_encoding::utf8_percent_encode(path, KEEP).to_string()
}

/// An object's bytes, in order, as they arrive, and the object's size when the store knows it
/// (a reader can size its work once instead of growing it).
pub struct ByteStream {
    chunks: Pin<Box<dyn Stream<Item = Result<Bytes>> + Send>>,
    size: Option<u64>,
    content_encoding: Option<String>,
    /// For a decompressing stream: how far it has got, to estimate the decompressed size.
    expansion: Option<std::sync::Arc<compression::Expansion>>,
}

impl ByteStream {
    /// The bytes of `chunks`, size unknown.
    pub fn new(chunks: impl Stream<Item = Result<Bytes>> + Send + 'static) -> Self {
        Self { chunks: Box::pin(chunks), size: None, content_encoding: None, expansion: None }
    }

    /// The same stream, with the object's size in bytes when the store knows it.
    pub fn with_size(self, size: Option<u64>) -> Self {
        Self { size, ..self }
    }

    /// The object's size in bytes, when the store said.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The size of what this stream gives, as well as it is known so far: the object's size for
    /// plain bytes; for a decompressing stream, once it has given something, the compressed
    /// size times the expansion so far. Only a hint, for sizing work.
    pub fn estimated_size(&self) -> Option<u64> {
        match &self.expansion {
            None => self.size,
            Some(expansion) => expansion.estimate(),
        }
    }

    /// The same stream, with the object's `Content-Encoding` when the store keeps one.
    pub fn with_content_encoding(self, content_encoding: Option<String>) -> Self {
        Self { content_encoding, ..self }
    }

    /// The object's `Content-Encoding` (`gzip`, `zstd`, ...), when the store said.
    pub fn content_encoding(&self) -> Option<&str> {
        self.content_encoding.as_deref()
    }
}

impl std::fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteStream")
            .field("size", &self.size)
            .field("content_encoding", &self.content_encoding)
            .finish_non_exhaustive()
    }
}

impl Stream for ByteStream {
    type Item = Result<Bytes>;

    fn poll_next(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.chunks.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

/// Where objects are read from and written to.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync {
    /// Opens the object at `key` for reading, as a stream of chunks (with the object's size when
    /// the store knows it).
    async fn get(&self, key: &str) -> Result<ByteStream>;

    /// Writes `body` at `key`, replacing any object there. Readers never see a partial object.
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()>;

    /// How the object at `key` is named for people and summaries (`s3://bucket/key`, a path).
    fn uri(&self, key: &str) -> String;

    /// A link a person can click to reach the object at `key` (`https://...`, `file:///...`).
    fn url(&self, key: &str) -> String;
}
