//! Source text in an encoding other than UTF-8 (a contract's `[format] encoding`), converted to
//! UTF-8 as the bytes stream in, before the CSV reader sees them. Conversion is by
//! `encoding_rs` (the WHATWG decoders browsers use) for UTF-16 and Windows-1252, and by hand for
//! ISO 8859-1 (every byte is the code point of the same number; WHATWG maps that label to
//! Windows-1252, which is not the same for 0x80 to 0x9F).
//!
//! Bytes that are not valid in the declared encoding reject the file, naming the line (counted
//! in the converted text, as the reader counts). Only UTF-16 can have such bytes (an unpaired
//! surrogate, or an odd byte at the end); a UTF-16 file must start with its byte-order mark,
//! which says the byte order.

use crate::contract::{Encoding, Format};
use crate::csv::{CsvDecoder, RawChunk};
use crate::error::{Rejection, Result};

/// A file's bytes read as its contract's `[format]` says: converted to UTF-8 (nothing to do
/// for UTF-8), then decoded as CSV within the input limits. What `sift run` and `sift contract
/// suggest` both read a file with.
pub(crate) struct Decoding {
    transcoder: Option<Transcoder>,
    decoder: CsvDecoder,
}

impl Decoding {
    pub(crate) fn new(format: &Format, chunk_rows: usize) -> Self {
        Self {
            transcoder: Transcoder::new(format.encoding),
            decoder: CsvDecoder::with_limits(chunk_rows, format.dialect(), format.input_limits()),
        }
    }

    /// The CSV reader (its header, its row count).
    pub(crate) fn decoder(&self) -> &CsvDecoder {
        &self.decoder
    }

    /// Reads the next bytes; returns the chunks they complete.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result<Vec<RawChunk>> {
        match &mut self.transcoder {
            None => self.decoder.push(bytes),
            Some(transcoder) => {
                let (text, bad) = transcoder.push(bytes);
                // The text before a bad byte is read first: a problem in it comes first.
                self.decoder.push(&text).and_then(|chunks| bad.map_or(Ok(chunks), Err))
            }
        }
    }

    /// Ends the file; returns the last chunks.
    pub(crate) fn finish(&mut self) -> Result<Vec<RawChunk>> {
        match &mut self.transcoder {
            None => self.decoder.finish(),
            Some(transcoder) => {
                let (text, bad) = transcoder.finish();
                self.decoder.push(&text).and_then(|mut chunks| match bad {
                    Some(e) => Err(e),
                    None => {
                        chunks.extend(self.decoder.finish()?);
                        Ok(chunks)
                    }
                })
            }
        }
    }
}

/// Converts a stream of bytes in one encoding to UTF-8.
pub(crate) struct Transcoder {
    encoding: Encoding,
    state: State,
    /// Line breaks (LF) in the converted text so far: the line of a bad byte is one more.
    lines: u64,
}

enum State {
    /// UTF-16 before its byte-order mark is complete: the bytes so far.
    Bom(Vec<u8>),
    /// Converting with a WHATWG decoder.
    Decoder(encoding_rs::Decoder),
    /// ISO 8859-1: no state.
    Latin1,
}

impl std::fmt::Debug for Transcoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcoder").field("encoding", &self.encoding).field("lines", &self.lines).finish()
    }
}

impl Transcoder {
    /// A converter from `encoding`; `None` for UTF-8, which needs none.
    pub(crate) fn new(encoding: Encoding) -> Option<Self> {
        let state = match encoding {
            Encoding::Utf8 => return None,
            Encoding::Utf16 => State::Bom(Vec::with_capacity(2)),
            Encoding::Windows1252 => {
                State::Decoder(encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling())
            }
            Encoding::Latin1 => State::Latin1,
        };
        Some(Self { encoding, state, lines: 0 })
    }

    /// Converts the next bytes; returns their UTF-8 text (a character split across pieces comes
    /// out with the piece that completes it) and, at a bad byte, the rejection with the text
    /// before it (the reader reads that text first: an earlier problem wins).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> (Vec<u8>, Option<crate::error::Error>) {
        self.convert(bytes, false)
    }

    /// The input has ended: the rest of the text, and the rejection of an incomplete character.
    pub(crate) fn finish(&mut self) -> (Vec<u8>, Option<crate::error::Error>) {
        self.convert(&[], true)
    }

    fn convert(&mut self, mut bytes: &[u8], last: bool) -> (Vec<u8>, Option<crate::error::Error>) {
        if let State::Bom(seen) = &mut self.state {
            let take = (2 - seen.len()).min(bytes.len());
            seen.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if seen.len() < 2 {
                // At the end, an empty file is left to the reader (it rejects it as empty).
                let bad = (last && !seen.is_empty()).then(|| self.bad_bom());
                return (Vec::new(), bad);
            }
            let encoding = match seen.as_slice() {
                [0xFF, 0xFE] => encoding_rs::UTF_16LE,
                [0xFE, 0xFF] => encoding_rs::UTF_16BE,
                _ => return (Vec::new(), Some(self.bad_bom())),
            };
            self.state = State::Decoder(encoding.new_decoder_without_bom_handling());
        }
        let mut bad = None;
        let out = match &mut self.state {
            State::Bom(_) => Vec::new(),
            State::Latin1 => {
                let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 4);
                for &b in bytes {
                    if b < 0x80 {
                        out.push(b);
                    } else {
                        out.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                    }
                }
                out
            }
            State::Decoder(decoder) => {
                let capacity = decoder
                    .max_utf8_buffer_length_without_replacement(bytes.len())
                    .unwrap_or(bytes.len().saturating_mul(3));
                let mut out = vec![0; capacity];
                let (result, _read, written) =
                    decoder.decode_to_utf8_without_replacement(bytes, &mut out, last);
                out.truncate(written);
                if let encoding_rs::DecoderResult::Malformed(..) = result {
                    let line = self.lines + 1 + memchr::memchr_iter(b'\n', &out).count() as u64;
                    bad = Some(Rejection::InvalidEncoding { encoding: self.encoding.name(), line }.into());
                }
                // Otherwise the buffer holds the worst case, so the whole input was read.
                out
            }
        };
        self.lines += memchr::memchr_iter(b'\n', &out).count() as u64;
        (out, bad)
    }

    fn bad_bom(&self) -> crate::error::Error {
        Rejection::MissingByteOrderMark { encoding: self.encoding.name() }.into()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly by design.
mod tests {
    use super::*;
    use crate::error::{Error, Result};

    /// `bytes` through a transcoder in pieces of `piece` bytes.
    fn convert(encoding: Encoding, bytes: &[u8], piece: usize) -> Result<String> {
        let mut t = Transcoder::new(encoding).expect("a converter");
        let mut out = Vec::new();
        for p in bytes.chunks(piece.max(1)).map(Some).chain([None]) {
            let (text, bad) = match p {
                Some(p) => t.push(p),
                None => t.finish(),
            };
            out.extend(text);
            if let Some(e) = bad {
                return Err(e);
            }
        }
        Ok(String::from_utf8(out).expect("UTF-8 out"))
    }

    fn utf16(text: &str, little: bool) -> Vec<u8> {
        let mut out = if little { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
        for unit in text.encode_utf16() {
            out.extend(if little { unit.to_le_bytes() } else { unit.to_be_bytes() });
        }
        out
    }

    #[test]
    fn each_encoding_converts_in_any_pieces() {
        let text = "id;name\n1;Zoë Müller-Ŝtraße\n2;Ångström €5 “quoted”\n";
        let cp1252: Vec<u8> = b"id;name\n1;Zo\xEB M\xFCller\n2;\xC5ngstr\xF6m \x805 \x93q\x94\n".to_vec();
        let latin1: Vec<u8> = b"1;Zo\xEB\n2;\x80\n".to_vec();
        for piece in [1, 2, 3, 7, 1000] {
            assert_eq!(convert(Encoding::Utf16, &utf16(text, true), piece).unwrap(), text, "LE, {piece}");
            assert_eq!(convert(Encoding::Utf16, &utf16(text, false), piece).unwrap(), text, "BE, {piece}");
            assert_eq!(
                convert(Encoding::Windows1252, &cp1252, piece).unwrap(),
                "id;name\n1;Zoë Müller\n2;Ångström €5 “q”\n"
            );
            // ISO 8859-1 keeps 0x80 as U+0080, where Windows-1252 reads the euro sign.
            assert_eq!(convert(Encoding::Latin1, &latin1, piece).unwrap(), "1;Zoë\n2;\u{80}\n");
        }
    }

    #[test]
    fn bad_bytes_reject_the_file_naming_the_line() {
        // An unpaired high surrogate on line 3.
        let mut bytes = utf16("a\nb\n", true);
        bytes.extend([0x00, 0xD8, b'x', 0x00]);
        for piece in [1, 2, 5, 100] {
            match convert(Encoding::Utf16, &bytes, piece) {
                Err(Error::Rejected(Rejection::InvalidEncoding { encoding, line })) => {
                    assert_eq!((encoding, line), ("UTF-16", 3), "pieces of {piece}");
                }
                other => panic!("pieces of {piece}: {other:?}"),
            }
        }
        // An odd byte at the end.
        let mut odd = utf16("a\n", true);
        odd.push(b'b');
        assert!(matches!(
            convert(Encoding::Utf16, &odd, 4),
            Err(Error::Rejected(Rejection::InvalidEncoding { line: 2, .. }))
        ));
        // No byte-order mark.
        let no_bom: Vec<u8> = "a\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(matches!(
            convert(Encoding::Utf16, &no_bom, 1),
            Err(Error::Rejected(Rejection::MissingByteOrderMark { encoding: "UTF-16" }))
        ));
        assert!(matches!(
            convert(Encoding::Utf16, &[0xFF], 1),
            Err(Error::Rejected(Rejection::MissingByteOrderMark { .. }))
        ));
        assert_eq!(convert(Encoding::Utf16, &[], 1).unwrap(), "", "an empty file is left to the reader");
    }
}
