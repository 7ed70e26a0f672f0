//! [`OutboxNotifier`]: reports as `.eml` files in a folder.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;

use crate::error::{Error, Result};
use crate::message::{build_mime, render};
use crate::report::Report;
use crate::{Delivery, Notifier};

/// How many names (`x.eml`, `x-1.eml`, ...) to try before giving up.
const MAX_TRIES: u32 = 10_000;

/// Writes each report as one `.eml` file (RFC 5322, multipart/alternative) into a folder.
///
/// Files are named `<executed_at as %Y%m%dT%H%M%S%.3fZ>-<source file stem>.eml`; an existing
/// file is never overwritten (`-1`, `-2`, ... is added instead), and each file appears
/// complete or not at all (written to a temporary file in the same folder, then linked into place).
#[derive(Debug, Clone)]
pub struct OutboxNotifier {
    dir: PathBuf,
    from: String,
    to: Vec<String>,
}

impl OutboxNotifier {
    /// An outbox writing into `dir` (created when needed), with these From and To addresses.
    pub fn new(dir: impl Into<PathBuf>, from: impl Into<String>, to: Vec<String>) -> Self {
        Self { dir: dir.into(), from: from.into(), to }
    }

    /// The folder the `.eml` files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The last path segment of `source` without its extension, reduced to `[A-Za-z0-9_.-]`.
fn sanitised_stem(source: &str) -> String {
    let name = source.trim_end_matches(['/', '\\']).rsplit(['/', '\\']).next().unwrap_or("");
    let stem = match name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    };
    let cleaned: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .take(80)
        .collect();
    let cleaned = cleaned.trim_matches(['.', '_']);
    if cleaned.is_empty() { "report".to_owned() } else { cleaned.to_owned() }
}

/// The file name for the `n`th attempt (0 = no suffix).
fn file_name(base: &str, n: u32) -> String {
    if n == 0 { format!("{base}.eml") } else { format!("{base}-{n}.eml") }
}

/// A temporary file name in the outbox, unique within this process and across processes.
fn temp_name(base: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".{base}.{}.{n}.tmp", std::process::id())
}

fn outbox_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Outbox { path: path.to_owned(), source }
}

/// Writes `bytes` to a fresh temporary file in `dir`, flushed to disk.
async fn write_temp(dir: &Path, base: &str, bytes: &[u8]) -> Result<PathBuf> {
    let tmp = dir.join(temp_name(base));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .await
        .map_err(outbox_err(&tmp))?;
    // tokio's `write_all` hands the bytes to a background write and may return before it
    // fails: `flush` waits for it and returns its error (a full disk), which `sync_all` alone
    // would drop, leaving an empty report in place.
    let written = async {
        file.write_all(bytes).await?;
        file.flush().await?;
        file.sync_all().await
    }
    .await;
    if let Err(source) = written {
        drop(file);
        let _ = tokio::fs::remove_file(&tmp).await; // Best effort: the write error matters more.
        return Err(Error::Outbox { path: tmp, source });
    }
    Ok(tmp)
}

/// Moves `tmp` to the first free name `base.eml`, `base-1.eml`, ... without overwriting.
async fn publish(dir: &Path, tmp: &Path, base: &str) -> Result<PathBuf> {
    for n in 0..MAX_TRIES {
        let target = dir.join(file_name(base, n));
        // A hard link fails when the target exists, so it never replaces another report.
        match tokio::fs::hard_link(tmp, &target).await {
            Ok(()) => {
                let _ = tokio::fs::remove_file(tmp).await; // Best effort: the report is in place.
                return Ok(target);
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            // Some file systems have no hard links: fall back to rename onto a free name.
            Err(_) => match tokio::fs::try_exists(&target).await {
                Ok(true) => continue,
                Ok(false) => {
                    tokio::fs::rename(tmp, &target).await.map_err(outbox_err(&target))?;
                    return Ok(target);
                }
                Err(source) => {
                    return Err(Error::Outbox { path: target, source });
                }
            },
        }
    }
    Err(Error::OutboxFull { dir: dir.to_owned(), tries: MAX_TRIES })
}

#[async_trait::async_trait]
impl Notifier for OutboxNotifier {
    async fn send(&self, report: &Report) -> Result<Delivery> {
        let rendered = render(report)?;
        let bytes = build_mime(&self.from, &self.to, &rendered, report.executed_at)?;
        tokio::fs::create_dir_all(&self.dir).await.map_err(outbox_err(&self.dir))?;
        let base =
            format!("{}-{}", report.executed_at.format("%Y%m%dT%H%M%S%.3fZ"), sanitised_stem(&report.source));
        let tmp = write_temp(&self.dir, &base, &bytes).await?;
        match publish(&self.dir, &tmp, &base).await {
            Ok(path) => {
                tracing::info!(path = %path.display(), "report written to outbox");
                Ok(Delivery { id: path.display().to_string() })
            }
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await; // Best effort: report the real error.
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        let cases = [
            ("s3://bucket/incoming/customers.csv", "customers"),
            ("/data/in/customers.2026-11-26.csv", "customers.2026-11-26"),
            ("C:\\data\\Kunden Liste.csv", "Kunden_Liste"),
            ("customers", "customers"),
            (".hidden", "hidden"),
            ("<script>&\"x\".csv", "script___x"),
            ("", "report"),
            ("s3://bucket/dir/", "dir"),
            ("../..", "report"),
        ];
        for (source, stem) in cases {
            assert_eq!(sanitised_stem(source), stem, "{source}");
        }
        assert_eq!(sanitised_stem(&"a".repeat(500)).len(), 80);
    }

    #[test]
    fn names() {
        assert_eq!(file_name("x", 0), "x.eml");
        assert_eq!(file_name("x", 2), "x-2.eml");
        assert!(temp_name("x").starts_with(".x."));
        assert_ne!(temp_name("x"), temp_name("x"));
    }
}
