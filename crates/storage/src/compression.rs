//! Compressed objects: gzip and zstd, recognised by the key's suffix or the object's
//! `Content-Encoding`, decompressed as the bytes stream in (memory stays bounded: one piece of
//! input and what it expands to at a time).
//!
//! A stream that is corrupt, or ends before its last member or frame is complete, ends with
//! [`Error::Corrupt`]: the object's fault, never retried, and nothing of it is loaded (the
//! pipeline seals a load only after the end of the stream).

use std::io::Write;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;

use crate::{ByteStream, Error, Result};

/// How an object's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), one member or several one after the other (as `cat a.gz b.gz` makes).
    Gzip,
    /// Zstandard, one frame or several.
    Zstd,
}

impl Compression {
    /// The compression of the object at `key`: by its suffix (`.gz`, `.gzip`, `.zst`, `.zstd`,
    /// in any case), else by its `Content-Encoding` (`gzip`, `x-gzip`, `zstd`); `None` for
    /// plain bytes.
    pub fn detect(key: &str, content_encoding: Option<&str>) -> Option<Self> {
        if let Some((_, compression)) = Self::suffix_of(key) {
            return Some(compression);
        }
        let encoding = content_encoding?.trim();
        if encoding.eq_ignore_ascii_case("gzip") || encoding.eq_ignore_ascii_case("x-gzip") {
            Some(Compression::Gzip)
        } else if encoding.eq_ignore_ascii_case("zstd") {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// `key` without its compression suffix: `in/a.csv.gz` is `in/a.csv`.
    pub fn strip_suffix(key: &str) -> &str {
        match Self::suffix_of(key) {
            Some((len, _)) => &key[..key.len() - len],
            None => key,
        }
    }

    /// The length of `key`'s compression suffix and the compression it names.
    fn suffix_of(key: &str) -> Option<(usize, Self)> {
        const SUFFIXES: [(&str, Compression); 4] = [
            (".gz", Compression::Gzip),
            (".gzip", Compression::Gzip),
            (".zst", Compression::Zstd),
            (".zstd", Compression::Zstd),
        ];
        let bytes = key.as_bytes();
        SUFFIXES.iter().find_map(|&(suffix, compression)| {
            let tail = bytes.len().checked_sub(suffix.len()).and_then(|start| bytes.get(start..))?;
            tail.eq_ignore_ascii_case(suffix.as_bytes()).then_some((suffix.len(), compression))
        })
    }

    /// The format's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

impl std::fmt::Display for Compression {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How much a decompressing stream has read and given, shared with its [`ByteStream`] so that
/// [`ByteStream::estimated_size`] can answer while the stream is being read.
#[derive(Debug)]
pub(crate) struct Expansion {
    /// The compressed object's size, when the store said.
    compressed: Option<u64>,
    read: AtomicU64,
    given: AtomicU64,
}

impl Expansion {
    /// The compressed size times the expansion so far; `None` before any output.
    pub(crate) fn estimate(&self) -> Option<u64> {
        let (read, given) = (self.read.load(Ordering::Relaxed), self.given.load(Ordering::Relaxed));
        if read == 0 || given == 0 {
            return None;
        }
        let estimate = u128::from(self.compressed?) * u128::from(given) / u128::from(read);
        Some(u64::try_from(estimate).unwrap_or(u64::MAX))
    }
}

impl ByteStream {
    /// The decompressed bytes of this stream (compressed as `compression`), for the object
    /// `uri` (named in errors). The decompressed size is unknown.
    pub fn decompressed(self, compression: Compression, uri: impl Into<String>) -> ByteStream {
        let decoder = match compression {
            Compression::Gzip => Decoder::Gzip(Box::new(flate2::write::MultiGzDecoder::new(Vec::new()))),
            Compression::Zstd => match zstd::stream::raw::Decoder::new() {
                Ok(decoder) => Decoder::Zstd {
                    decoder: Box::new(decoder),
                    buffer: vec![0; ZSTD_BUFFER],
                    complete: true,
                    more: false,
                },
                Err(e) => Decoder::Failed(Some(e)),
            },
        };
        let content_encoding = self.content_encoding.clone();
        let expansion =
            Arc::new(Expansion { compressed: self.size, read: AtomicU64::new(0), given: AtomicU64::new(0) });
        let stream = Decompressed {
            expansion: expansion.clone(),
            inner: self,
            decoder,
            pending: Bytes::new(),
            compression,
            uri: uri.into(),
            read: 0,
            done: false,
        };
        ByteStream { expansion: Some(expansion), ..ByteStream::new(stream) }
            .with_content_encoding(content_encoding)
    }
}

/// Output buffer of one zstd decoding step.
const ZSTD_BUFFER: usize = 128 * 1024;

enum Decoder {
    Gzip(Box<flate2::write::MultiGzDecoder<Vec<u8>>>),
    Zstd {
        decoder: Box<zstd::stream::raw::Decoder<'static>>,
        buffer: Vec<u8>,
        /// The last frame is complete: no input yet, or the decoder said the frame ended.
        complete: bool,
        /// The last step filled the buffer: the decoder may hold more output.
        more: bool,
    },
    /// The decoder could not be made: the stream yields this error first.
    Failed(Option<std::io::Error>),
}

impl Decoder {
    /// Decodes from the front of `input` into `out` until `input` is used up or `out` holds
    /// `limit` bytes; returns how many bytes of `input` it used.
    fn decode(&mut self, input: &[u8], out: &mut Vec<u8>, limit: usize) -> std::io::Result<usize> {
        let mut used = 0;
        match self {
            Decoder::Gzip(d) => {
                // Deflate expands at most about a thousand times: a step's output is bounded.
                while used < input.len() && out.len() < limit {
                    let step = input.get(used..input.len().min(used + STEP)).unwrap_or_default();
                    d.write_all(step)?;
                    used += step.len();
                    out.append(d.get_mut());
                }
                Ok(used)
            }
            Decoder::Zstd { decoder, buffer, complete, more } => {
                use zstd::stream::raw::Operation;
                // zstd's expansion has no bound (a run of zeros is a few bytes): stop at `limit`
                // and keep what is left, in `input` or inside the decoder (`more`).
                while out.len() < limit {
                    let rest = input.get(used..).unwrap_or_default();
                    let status = decoder.run_on_buffers(rest, buffer)?;
                    out.extend_from_slice(buffer.get(..status.bytes_written).unwrap_or_default());
                    used += status.bytes_read;
                    // A call that did nothing says what the next frame's header would need, not
                    // whether this frame ended.
                    if status.bytes_read > 0 || status.bytes_written > 0 {
                        *complete = status.remaining == 0;
                    }
                    *more = status.bytes_written == buffer.len();
                    if used == input.len() && !*more {
                        break;
                    }
                }
                Ok(used)
            }
            Decoder::Failed(e) => {
                Err(e.take().unwrap_or_else(|| std::io::Error::other("decoder unavailable")))
            }
        }
    }

    /// Whether the decoder holds output it has not given yet.
    fn has_more(&self) -> bool {
        matches!(self, Decoder::Zstd { more: true, .. })
    }

    /// The input has ended: the rest of the output, or an error when the last member or frame
    /// is incomplete.
    fn finish(&mut self) -> std::io::Result<Vec<u8>> {
        match self {
            Decoder::Gzip(d) => {
                d.try_finish()?;
                Ok(std::mem::take(d.get_mut()))
            }
            Decoder::Zstd { complete: true, .. } => Ok(Vec::new()),
            Decoder::Zstd { .. } => {
                Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the last frame is incomplete"))
            }
            Decoder::Failed(e) => {
                Err(e.take().unwrap_or_else(|| std::io::Error::other("decoder unavailable")))
            }
        }
    }
}

/// The stream [`ByteStream::decompressed`] returns.
struct Decompressed {
    inner: ByteStream,
    decoder: Decoder,
    /// Shared with the returned stream, for its size estimate.
    expansion: Arc<Expansion>,
    /// Compressed bytes received and not yet decoded.
    pending: Bytes,
    compression: Compression,
    uri: String,
    /// Compressed bytes consumed so far (for messages).
    read: u64,
    done: bool,
}

impl Decompressed {
    /// Passes `out` on, counting it for the size estimate.
    fn give(&self, out: Vec<u8>) -> Bytes {
        self.expansion.given.fetch_add(out.len() as u64, Ordering::Relaxed);
        Bytes::from(out)
    }

    fn corrupt(&mut self, error: &std::io::Error) -> Error {
        self.done = true;
        Error::Corrupt {
            uri: std::mem::take(&mut self.uri),
            reason: format!(
                "the {} stream is corrupt or incomplete after {} compressed bytes ({error})",
                self.compression, self.read
            ),
        }
    }
}

/// gzip input decoded per step: a step's output is at most about a thousand times this
/// (deflate's largest ratio), so a small, hugely compressible object cannot balloon memory.
const STEP: usize = 4 * 1024;
/// Output gathered before it is passed on: fewer, larger pieces for the validator, and the
/// bound on what one piece of output holds (plus at most one gzip step).
const OUTPUT_PIECE: usize = 1024 * 1024;

impl Stream for Decompressed {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let mut out: Vec<u8> = Vec::new();
        loop {
            if this.done {
                return Poll::Ready((!out.is_empty()).then(|| Ok(this.give(out))));
            }
            if !this.pending.is_empty() || this.decoder.has_more() {
                match this.decoder.decode(&this.pending, &mut out, OUTPUT_PIECE) {
                    Ok(used) => {
                        this.read += used as u64;
                        this.expansion.read.store(this.read, Ordering::Relaxed);
                        bytes::Buf::advance(&mut this.pending, used);
                    }
                    Err(e) => return Poll::Ready(Some(Err(this.corrupt(&e)))),
                }
                if out.len() >= OUTPUT_PIECE {
                    return Poll::Ready(Some(Ok(this.give(out))));
                }
                continue;
            }
            if !out.is_empty() {
                // This input is used up: pass its output on before waiting for more.
                return Poll::Ready(Some(Ok(this.give(out))));
            }
            match Pin::new(&mut this.inner).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(Some(Ok(input))) => this.pending = input,
                Poll::Ready(None) => match this.decoder.finish() {
                    Ok(rest) => {
                        this.done = true;
                        out = rest;
                    }
                    Err(e) => return Poll::Ready(Some(Err(this.corrupt(&e)))),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[test]
    fn detection_by_suffix_then_content_encoding() {
        let cases = [
            ("in/a.csv.gz", None, Some(Compression::Gzip)),
            ("in/a.CSV.GZ", None, Some(Compression::Gzip)),
            ("in/a.csv.gzip", None, Some(Compression::Gzip)),
            ("in/a.csv.zst", None, Some(Compression::Zstd)),
            ("in/a.csv.ZSTD", None, Some(Compression::Zstd)),
            ("in/a.csv", None, None),
            ("in/a.csv", Some("gzip"), Some(Compression::Gzip)),
            ("in/a.csv", Some(" X-GZIP "), Some(Compression::Gzip)),
            ("in/a.csv", Some("zstd"), Some(Compression::Zstd)),
            ("in/a.csv", Some("identity"), None),
            ("in/a.csv.zst", Some("gzip"), Some(Compression::Zstd)),
            ("gz", None, None),
            ("é.gz", None, Some(Compression::Gzip)),
        ];
        for (key, encoding, expected) in cases {
            assert_eq!(Compression::detect(key, encoding), expected, "{key} {encoding:?}");
        }
        assert_eq!(Compression::strip_suffix("in/a.csv.gz"), "in/a.csv");
        assert_eq!(Compression::strip_suffix("in/a.csv.ZST"), "in/a.csv");
        assert_eq!(Compression::strip_suffix("in/a.csv"), "in/a.csv");
        assert_eq!(Compression::strip_suffix("é"), "é");
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    /// As the `zstd` command line writes it: with the frame's content checksum.
    fn zstd(data: &[u8]) -> Vec<u8> {
        let mut e = zstd::stream::write::Encoder::new(Vec::new(), 1).expect("in memory");
        e.include_checksum(true).expect("in memory");
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    /// `bytes` as a stream of pieces of `piece` bytes, through the decompressor.
    async fn decompress(bytes: &[u8], piece: usize, compression: Compression) -> Result<Vec<u8>> {
        let pieces: Vec<Result<Bytes>> = bytes.chunks(piece).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
        let mut stream = ByteStream::new(futures::stream::iter(pieces)).decompressed(compression, "mem://x");
        let mut out = Vec::new();
        while let Some(piece) = stream.next().await {
            out.extend_from_slice(&piece?);
        }
        Ok(out)
    }

    fn sample() -> Vec<u8> {
        (0..20_000).flat_map(|i| format!("{i},name {i},user{i}@example.com\n").into_bytes()).collect()
    }

    #[tokio::test]
    async fn round_trips_in_any_pieces() {
        let data = sample();
        for (compression, packed) in [(Compression::Gzip, gzip(&data)), (Compression::Zstd, zstd(&data))] {
            for piece in [1, 7, 4096, packed.len()] {
                let out = decompress(&packed, piece, compression).await.expect("decompresses");
                assert!(out == data, "{compression} in pieces of {piece}: {} bytes out", out.len());
            }
        }
    }

    #[tokio::test]
    async fn a_small_object_that_expands_hugely_comes_in_bounded_pieces() {
        let zeros = vec![0u8; 32 * 1024 * 1024];
        for (compression, packed) in [(Compression::Gzip, gzip(&zeros)), (Compression::Zstd, zstd(&zeros))] {
            let one_piece: Vec<Result<Bytes>> = vec![Ok(Bytes::from(packed.clone()))];
            let mut stream =
                ByteStream::new(futures::stream::iter(one_piece)).decompressed(compression, "mem://zeros");
            let (mut total, mut largest) = (0, 0);
            while let Some(piece) = stream.next().await {
                let piece = piece.expect("decompresses");
                total += piece.len();
                largest = largest.max(piece.len());
            }
            assert_eq!(total, zeros.len(), "{compression}");
            assert!(
                largest <= 6 * 1024 * 1024,
                "{compression}: a piece of {largest} bytes from {} compressed",
                packed.len()
            );
        }
    }

    #[tokio::test]
    async fn the_decompressed_size_is_estimated_from_the_expansion_so_far() {
        // 3 MB, read in pieces of 64 KiB as a store gives them.
        let data: Vec<u8> =
            (0..80_000).flat_map(|i| format!("{i},name {i},user{i}@example.com\n").into_bytes()).collect();
        for (compression, packed) in [(Compression::Gzip, gzip(&data)), (Compression::Zstd, zstd(&data))] {
            let pieces: Vec<Result<Bytes>> =
                packed.chunks(64 * 1024).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
            let plain = ByteStream::new(futures::stream::iter(pieces)).with_size(Some(packed.len() as u64));
            assert_eq!(plain.estimated_size(), Some(packed.len() as u64));
            let mut stream = plain.decompressed(compression, "mem://x");
            assert_eq!(stream.estimated_size(), None, "{compression}: nothing read yet");
            let first = stream.next().await.expect("a piece").expect("decompresses");
            assert!(!first.is_empty());
            let estimate = stream.estimated_size().expect("an estimate after the first piece") as f64;
            let actual = data.len() as f64;
            assert!(
                (estimate / actual - 1.0).abs() < 0.25,
                "{compression}: estimated {estimate}, actual {actual}"
            );
        }
    }

    #[tokio::test]
    async fn several_members_or_frames_are_one_stream() {
        let (a, b) = (b"id,name\n1,a\n".as_slice(), b"2,b\n3,c\n".as_slice());
        for (compression, packed) in [
            (Compression::Gzip, [gzip(a), gzip(b)].concat()),
            (Compression::Zstd, [zstd(a), zstd(b)].concat()),
        ] {
            let out = decompress(&packed, 5, compression).await.expect("decompresses");
            assert_eq!(out, [a, b].concat(), "{compression}");
        }
    }

    #[tokio::test]
    async fn truncated_or_corrupt_streams_are_refused() {
        let data = sample();
        for (compression, packed) in [(Compression::Gzip, gzip(&data)), (Compression::Zstd, zstd(&data))] {
            let truncated = &packed[..packed.len() - 3];
            let mut corrupt = packed.clone();
            let middle = corrupt.len() / 2;
            corrupt[middle] ^= 0xFF;
            let not_compressed = data.as_slice();
            for (what, bytes) in
                [("truncated", truncated), ("corrupt", &corrupt[..]), ("plain", not_compressed)]
            {
                match decompress(bytes, 1000, compression).await {
                    Err(Error::Corrupt { uri, reason }) => {
                        assert_eq!(uri, "mem://x");
                        assert!(reason.contains(compression.name()), "{reason}");
                    }
                    Err(other) => panic!("{compression} {what}: {other}"),
                    Ok(out) => panic!("{compression} {what}: accepted, {} bytes", out.len()),
                }
            }
        }
    }
}
