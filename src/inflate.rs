//! Body decompression with a cap on the output (gzip-bomb safety): the codecs that bodies
//! come in (gzip, zlib, raw deflate, brotli), told by their magic bytes or a Content-Encoding
//! name, and one bounded inflate used by the leak detector and by the sinks' event reading.
//! Deflate streams (gzip's members, zlib, raw) go through one inflater per thread, reset for
//! each stream rather than made anew: making one sets up and zeroes its tables and window,
//! which costs more than inflating a typical analytics batch.

use std::cell::RefCell;
use std::io::Read;

use flate2::{Decompress, FlushDecompress, Status};

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
    // Room for a typical ratio up front: the stream is then inflated in few large steps rather
    // than many small ones as the output grows.
    let mut bytes = Vec::with_capacity(body.len().saturating_mul(4).min(cap) + 1);
    // One byte past the cap tells a stream that goes on past it.
    let limit = cap.saturating_add(1);
    let sound = match codec {
        Codec::Gzip => gunzip(body, limit, &mut bytes),
        Codec::Zlib => deflate(body, true, limit, &mut bytes).map(drop),
        Codec::RawDeflate => deflate(body, false, limit, &mut bytes).map(drop),
        Codec::Brotli => brotli_decompressor::Decompressor::new(body, 4096)
            .take(u64::try_from(limit).unwrap_or(u64::MAX))
            .read_to_end(&mut bytes)
            .map(drop)
            .map_err(|_| Broken),
    };
    let capped = bytes.len() > cap;
    bytes.truncate(cap);
    Inflated {
        bytes,
        corrupt: sound.is_err(),
        capped,
    }
}

/// A stream that is corrupt or cut short.
#[derive(Debug)]
struct Broken;

/// Where a deflate stream stopped.
enum End {
    /// At its end, after this many bytes of its input.
    Stream(usize),
    /// At the output limit.
    Full,
}

thread_local! {
    static INFLATER: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// Runs `f` with this thread's inflater, reset for a stream with or without a zlib header.
pub(crate) fn with_inflater<T>(zlib_header: bool, f: impl FnOnce(&mut Decompress) -> T) -> T {
    INFLATER.with_borrow_mut(|inflater| {
        inflater.reset(zlib_header);
        f(inflater)
    })
}

/// Inflates the deflate stream that opens `input` (after a zlib header if `zlib_header`) onto
/// `out`, until the stream ends or `out` holds `limit` bytes.
fn deflate(
    input: &[u8],
    zlib_header: bool,
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<End, Broken> {
    with_inflater(zlib_header, |inflater| loop {
        if out.len() >= limit {
            return Ok(End::Full);
        }
        if out.len() == out.capacity() {
            out.reserve_exact(out.len().max(4096).min(limit - out.len()));
        }
        let read = usize::try_from(inflater.total_in()).map_err(|_| Broken)?;
        let rest = input.get(read..).unwrap_or_default();
        let status = inflater
            .decompress_vec(rest, out, FlushDecompress::Finish)
            .map_err(|_| Broken)?;
        if status == Status::StreamEnd {
            let read = usize::try_from(inflater.total_in()).map_err(|_| Broken)?;
            return Ok(End::Stream(read));
        }
        // The inflater stops when its input or its output runs out: with room left in the
        // output, the input ran out before the stream ended.
        if out.len() < out.capacity() {
            return Err(Broken);
        }
    })
}

/// Inflates each member of the gzip file `body` onto `out`, checking each member's CRC and
/// length, until the last member ends or `out` holds `limit` bytes.
fn gunzip(body: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), Broken> {
    let mut rest = body;
    loop {
        let member = rest.get(gzip_header(rest).ok_or(Broken)?..).ok_or(Broken)?;
        let start = out.len();
        let End::Stream(read) = deflate(member, false, limit, out)? else {
            return Ok(());
        };
        let trailer = member.get(read..read + 8).ok_or(Broken)?;
        let word = |at: usize| {
            trailer
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
        };
        let inflated = out.get(start..).unwrap_or_default();
        // The length is kept modulo 2^32.
        let length = (inflated.len() & 0xffff_ffff) as u32;
        if word(0) != Some(crc32fast::hash(inflated)) || word(4) != Some(length) {
            return Err(Broken);
        }
        rest = member.get(read + 8..).unwrap_or_default();
        if rest.is_empty() {
            return Ok(());
        }
    }
}

/// The length of the gzip member header that opens `bytes` (RFC 1952, section 2.3), if one
/// does: the magic bytes, deflate, no reserved flag, and its optional fields all there.
fn gzip_header(bytes: &[u8]) -> Option<usize> {
    const FHCRC: u8 = 1 << 1;
    const FEXTRA: u8 = 1 << 2;
    const FNAME: u8 = 1 << 3;
    const FCOMMENT: u8 = 1 << 4;
    const RESERVED: u8 = 0xe0;
    let [0x1f, 0x8b, 8, flags, ..] = *bytes.get(..10)? else {
        return None;
    };
    if flags & RESERVED != 0 {
        return None;
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?);
        at += 2 + usize::from(len);
    }
    for field in [FNAME, FCOMMENT] {
        if flags & field != 0 {
            at += bytes.get(at..)?.iter().position(|&b| b == 0)? + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    (at <= bytes.len()).then_some(at)
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

    #[test]
    fn gzip_members_are_read_whole_and_checked() {
        // Two members, the second with a name, a comment, an extra field and a header CRC.
        let first = gzip(b"first,");
        let mut second = gzip(b"second");
        second[3] = 0b1_1110;
        let fields = [&[2, 0, b'x', b'y'][..], b"name\0", b"comment\0", &[0, 0]].concat();
        second.splice(10..10, fields);
        let both = [first.as_slice(), &second].concat();
        let read = inflate(Codec::Gzip, &both);
        assert_eq!(read.complete().as_deref(), Some(&b"first,second"[..]));
        // A wrong CRC, a wrong length, trailing bytes that are no member, a reserved flag.
        let mut bad_crc = first.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 1;
        let mut bad_len = first.clone();
        let at = bad_len.len() - 4;
        bad_len[at] ^= 1;
        let trailing = [first.as_slice(), b"junk"].concat();
        let mut reserved = first.clone();
        reserved[3] = 0x80;
        for broken in [bad_crc, bad_len, trailing] {
            let read = inflate(Codec::Gzip, &broken);
            assert!(read.corrupt);
            assert_eq!(read.bytes, b"first,");
        }
        assert!(inflate(Codec::Gzip, &reserved).corrupt);
        // Cut inside the header: nothing decoded, and no panic.
        for cut in 0..12 {
            assert!(inflate(Codec::Gzip, &second[..cut]).corrupt);
        }
    }

    #[test]
    fn zlib_and_raw_deflate_share_the_inflater() {
        use std::io::Write;
        let text = b"abc".repeat(5000);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(&text).unwrap();
        let zlib = zlib.finish().unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        raw.write_all(&text).unwrap();
        let raw = raw.finish().unwrap();
        for _ in 0..2 {
            assert_eq!(inflate(Codec::Zlib, &zlib).complete().as_ref(), Some(&text));
            assert_eq!(
                inflate(Codec::RawDeflate, &raw).complete().as_ref(),
                Some(&text)
            );
            let capped = inflate_at_most(Codec::Zlib, &zlib, 100);
            assert!(capped.capped && !capped.corrupt && capped.bytes == text[..100]);
            let cut = inflate(Codec::RawDeflate, &raw[..raw.len() / 2]);
            assert!(cut.corrupt && !cut.bytes.is_empty());
        }
    }
}
