//! Body decompression with a cap on the output (gzip-bomb safety): the codecs that bodies
//! come in (gzip, zlib, raw deflate, brotli), told by their magic bytes or a Content-Encoding
//! name, and one bounded inflate used by the leak detector and by the sinks' event reading.

use std::io::Read;

use flate2::bufread::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

/// The most a body may inflate to; past it the output is cut.
pub(crate) const MAX_INFLATED: usize = 8 << 20;

/// How a body was compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Codec {
    Gzip,
    Zlib,
    RawDeflate,
    Brotli,
}

impl Codec {
    /// The Content-Encoding name, also the step in a finding's chain.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zlib | Codec::RawDeflate => "deflate",
            Codec::Brotli => "br",
        }
    }

    /// From the magic bytes: gzip `1f 8b`, zlib `78 01|5e|9c|da`.
    pub(crate) fn sniff(body: &[u8]) -> Option<Codec> {
        match body {
            [0x1f, 0x8b, ..] => Some(Codec::Gzip),
            [0x78, 0x01 | 0x5e | 0x9c | 0xda, ..] => Some(Codec::Zlib),
            _ => None,
        }
    }

    /// From a Content-Encoding name; "deflate" without a zlib header is raw deflate.
    pub(crate) fn claimed(encoding: &str) -> Option<Codec> {
        match encoding {
            "gzip" | "x-gzip" => Some(Codec::Gzip),
            "deflate" => Some(Codec::RawDeflate),
            "br" => Some(Codec::Brotli),
            _ => None,
        }
    }

    fn reader<'a>(self, body: &'a [u8]) -> Box<dyn Read + 'a> {
        match self {
            Codec::Gzip => Box::new(MultiGzDecoder::new(body)),
            Codec::Zlib => Box::new(ZlibDecoder::new(body)),
            Codec::RawDeflate => Box::new(DeflateDecoder::new(body)),
            Codec::Brotli => Box::new(brotli_decompressor::Decompressor::new(body, 4096)),
        }
    }
}

/// What inflating a body gave: at most [`MAX_INFLATED`] bytes, and whether the stream broke
/// or went on past the cap.
#[derive(Debug)]
pub(crate) struct Inflated {
    /// What decoded before the end, the damage or the cap.
    pub bytes: Vec<u8>,
    /// The stream is corrupt or truncated.
    pub corrupt: bool,
    /// The output went on past the cap and was cut there.
    pub capped: bool,
}

impl Inflated {
    /// The whole output, when the stream was sound and within the cap.
    pub(crate) fn complete(self) -> Option<Vec<u8>> {
        (!self.corrupt && !self.capped).then_some(self.bytes)
    }
}

/// Decompresses `body` as `codec`, stopping at [`MAX_INFLATED`] bytes of output.
pub(crate) fn inflate(codec: Codec, body: &[u8]) -> Inflated {
    inflate_at_most(codec, body, MAX_INFLATED)
}

/// Decompresses `body` as `codec`, stopping at `cap` bytes of output.
pub(crate) fn inflate_at_most(codec: Codec, body: &[u8], cap: usize) -> Inflated {
    // Room for a typical ratio up front: the stream is then read in few large steps rather
    // than many small ones as the output grows.
    let mut bytes = Vec::with_capacity(body.len().saturating_mul(4).min(cap) + 1);
    let read = codec
        .reader(body)
        .take(u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes);
    let capped = bytes.len() > cap;
    bytes.truncate(cap);
    Inflated {
        bytes,
        corrupt: read.is_err(),
        capped,
    }
}

/// `bytes` gzip'd, for tests.
#[cfg(test)]
pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflates_within_the_cap_and_cuts_past_it() {
        let small = inflate(Codec::Gzip, &gzip(b"{}"));
        assert_eq!(
            (small.bytes.as_slice(), small.corrupt, small.capped),
            (&b"{}"[..], false, false)
        );
        let bomb = inflate(Codec::Gzip, &gzip(&vec![b' '; MAX_INFLATED + 1]));
        assert_eq!(
            (bomb.bytes.len(), bomb.corrupt, bomb.capped),
            (MAX_INFLATED, false, true)
        );
        assert_eq!(bomb.complete(), None);
    }

    #[test]
    fn keeps_what_decoded_before_the_damage() {
        let whole = gzip(&b"abc".repeat(1000));
        let broken = inflate(Codec::Gzip, &whole[..whole.len() - 8]);
        assert!(broken.corrupt && !broken.capped);
        assert_eq!(broken.complete(), None);
        assert_eq!(Codec::sniff(&whole), Some(Codec::Gzip));
        assert_eq!(Codec::claimed("deflate").map(Codec::name), Some("deflate"));
    }
}
