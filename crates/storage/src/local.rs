//! Objects as files under a root folder.

use std::path::{Component, Path, PathBuf};

use bytes::{Bytes, BytesMut};
use futures::stream;
use tokio::io::AsyncReadExt;

use crate::error::{Error, Result};
use crate::{ByteStream, ObjectStore};

/// Read size of a local file stream.
const READ_CHUNK: usize = 256 * 1024;

/// An [`ObjectStore`] over a folder: key `a/b.csv` is the file `<root>/a/b.csv`.
///
/// Keys are `/`-separated relative paths. A key that is absolute, empty, contains `..`, `.`,
/// an empty segment, a backslash or a NUL byte is refused, so no key can reach outside the root.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file a key maps to, after checking that the key stays inside the root.
    pub fn path(&self, key: &str) -> Result<PathBuf> {
        let refuse = |reason| Err(Error::InvalidKey { key: key.to_owned(), reason });
        if key.is_empty() {
            return refuse("the key is empty");
        }
        if key.contains('\0') || key.contains('\\') {
            return refuse("keys may not contain NUL bytes or backslashes");
        }
        let mut path = self.root.clone();
        for segment in key.split('/') {
            let mut parts = Path::new(segment).components();
            match (parts.next(), parts.next()) {
                (Some(Component::Normal(part)), None) => path.push(part),
                _ => return refuse("keys must be relative paths without empty, `.` or `..` segments"),
            }
        }
        Ok(path)
    }

    fn display(&self, key: &str) -> String {
        self.root.join(key).display().to_string()
    }
}

#[async_trait::async_trait]
impl ObjectStore for LocalStore {
    async fn get(&self, key: &str) -> Result<ByteStream> {
        let path = self.path(key)?;
        let uri = self.display(key);
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NotFound { uri }),
            Err(source) => return Err(Error::Io { action: "opening", uri, source }),
        };
        let size = match file.metadata().await {
            Ok(meta) if meta.is_dir() => {
                return Err(Error::Io {
                    action: "opening",
                    uri,
                    source: std::io::Error::other("it is a folder, not a file"),
                });
            }
            Ok(meta) => Some(meta.len()),
            Err(_) => None,
        };
        let stream = stream::try_unfold((file, uri), |(mut file, uri)| async move {
            let mut buf = BytesMut::with_capacity(READ_CHUNK);
            match file.read_buf(&mut buf).await {
                Ok(0) => Ok(None),
                Ok(_) => Ok(Some((buf.freeze(), (file, uri)))),
                Err(source) => Err(Error::Io { action: "reading", uri, source }),
            }
        });
        Ok(ByteStream::new(stream).with_size(size))
    }

    async fn put(&self, key: &str, body: Bytes, _content_type: &str) -> Result<()> {
        let path = self.path(key)?;
        let uri = self.display(key);
        let io = |action| {
            let uri = uri.clone();
            move |source| Error::Io { action, uri, source }
        };
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io("creating the folder of"))?;
        }
        // Write beside the target, flush it to the disk, then rename: readers see the old object
        // or the whole new one. A failed write (a full disk) removes its partial file, so it
        // neither lingers nor takes the room a retry needs.
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
        let written = tokio::task::spawn_blocking(move || {
            let result = write_durably(&tmp, &body).and_then(|()| std::fs::rename(&tmp, &path));
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            result
        })
        .await
        .map_err(|join| std::io::Error::other(format!("the writing task failed: {join}")));
        written.and_then(|result| result).map_err(io("writing"))
    }

    fn uri(&self, key: &str) -> String {
        self.display(key)
    }

    fn url(&self, key: &str) -> String {
        let path = self.root.join(key);
        let absolute = std::path::absolute(&path).unwrap_or(path);
        format!("file://{}", crate::url_path(&absolute.to_string_lossy()))
    }
}

/// Writes `body` to a new file at `path` and flushes it to the disk (`fsync`): an error the
/// kernel reports late, when the data reach the disk, is an error here too.
fn write_durably(path: &Path, body: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(body)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests fail loudly by design.

    use futures::TryStreamExt;

    use super::*;

    #[test]
    fn keys_that_escape_the_root_are_refused() {
        let store = LocalStore::new("/srv/sift");
        for key in ["", "../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a/.", "a\\b", "a\0b", "a/"] {
            assert!(
                matches!(store.path(key), Err(Error::InvalidKey { .. })),
                "key {key:?} should be refused"
            );
        }
        assert_eq!(store.path("a/b c+d/é.csv").unwrap(), PathBuf::from("/srv/sift/a/b c+d/é.csv"));
    }

    #[tokio::test]
    async fn put_then_get_round_trips_large_objects_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let body: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        store.put("x/y/z.bin", Bytes::from(body.clone()), "application/octet-stream").await.unwrap();
        let stream = store.get("x/y/z.bin").await.unwrap();
        assert_eq!(stream.size(), Some(1_000_000), "the file's size comes with the stream");
        let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
        assert!(chunks.len() > 1, "a large object arrives in several chunks");
        assert_eq!(chunks.concat(), body);
        // No temporary file is left beside the object.
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("x/y")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["z.bin"]);
    }

    #[tokio::test]
    async fn missing_object_is_not_found_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        let err = store.get("nope.csv").await.err().unwrap();
        assert!(matches!(&err, Error::NotFound { uri } if uri.ends_with("nope.csv")), "{err}");
        assert!(!err.is_retryable());
    }

    #[tokio::test]
    async fn empty_object_streams_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
        store.put("empty.csv", Bytes::new(), "text/csv").await.unwrap();
        let chunks: Vec<Bytes> = store.get("empty.csv").await.unwrap().try_collect().await.unwrap();
        assert!(chunks.is_empty());
    }

    #[test]
    fn url_is_an_absolute_percent_encoded_file_link() {
        let store = LocalStore::new("/tmp/out dir");
        assert_eq!(store.url("invalid/a b.csv"), "file:///tmp/out%20dir/invalid/a%20b.csv");
        assert_eq!(store.uri("invalid/a b.csv"), "/tmp/out dir/invalid/a b.csv");
    }
}
