//! Haystack decoding: body decompression (gzip, deflate, brotli, sniffed from the bytes
//! because Content-Encoding lies, capped at 8 MiB of output), JSON sniffing, and the string
//! decoders a scan recurses through: url (percent, `+`), HTML entities, JSON escapes,
//! base64/base64url and hex; and, gated by alphabet and length because they cost more, the
//! rarer token encodings trackers use (base32, base58, LZ-String) and compressed streams
//! inside tokens (zlib, gzip, raw deflate).

use std::borrow::Cow;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

use super::shape::{self, Alphabets};
use crate::inflate::{self, Codec};

/// A body after decompression: the bytes to scan, the chain step if it was decompressed, and
/// notes on caps and lying headers.
pub(super) struct Inflated<'a> {
    pub bytes: Cow<'a, [u8]>,
    pub step: Option<&'static str>,
    pub notes: Vec<String>,
}

/// Decompresses `body` by its magic bytes, or else by the Content-Encoding it `claimed`.
pub(super) fn inflate<'a>(body: &'a [u8], claimed: Option<&str>) -> Inflated<'a> {
    let claimed = claimed
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity");
    let sniffed = Codec::sniff(body);
    let codec = sniffed.or_else(|| claimed.as_deref().and_then(Codec::claimed));
    let mut notes = Vec::new();
    if let Some(codec) = codec {
        let out = crate::inflate::inflate(codec, body);
        // A corrupt or truncated stream still yields what decoded before the damage, but only
        // when the magic bytes vouch for the codec. Without them, a text body that "decodes"
        // to binary was never compressed.
        let head = |bytes: &[u8]| printable(bytes.get(..4096).unwrap_or(bytes));
        let usable = if out.corrupt {
            sniffed.is_some() && !out.bytes.is_empty()
        } else {
            sniffed.is_some() || head(&out.bytes) || !head(body)
        };
        if usable {
            let name = codec.name();
            if out.corrupt {
                notes.push(format!("body: {name} stream is corrupt or truncated; scanned the {} bytes that decoded", out.bytes.len()));
            }
            if out.capped {
                notes.push(format!("body: {name} output capped at 8 MiB"));
            }
            if let Some(claimed) =
                claimed.filter(|c| Codec::claimed(c).map(Codec::name) != Some(name))
            {
                notes.push(format!(
                    "body: Content-Encoding says {claimed} but the body is {name}"
                ));
            }
            return Inflated {
                bytes: Cow::Owned(out.bytes),
                step: Some(name),
                notes,
            };
        }
    }
    if let Some(claimed) = claimed {
        notes.push(match Codec::claimed(&claimed) {
            Some(_) => format!("body: Content-Encoding says {claimed} but the body is not {claimed}; scanned as is"),
            None => format!("body: Content-Encoding {claimed} is not supported; scanned as is"),
        });
    }
    Inflated {
        bytes: Cow::Borrowed(body),
        step: None,
        notes,
    }
}

/// Whether `text` opens and closes like a JSON object or array: a document cut short or
/// followed by more is told without parsing it.
pub(super) fn looks_like_json(text: &[u8]) -> bool {
    matches!(
        (
            text.trim_ascii_start().first(),
            text.trim_ascii_end().last()
        ),
        (Some(b'{'), Some(b'}')) | (Some(b'['), Some(b']'))
    )
}

/// Percent-decoded, `+` as a space; `None` when that changes nothing.
pub(super) fn url(text: &[u8]) -> Option<Vec<u8>> {
    // Most text has neither: told by a vector search.
    memchr::memchr2(b'%', b'+', text)?;
    // A `+` is a space, and a `%2B` a `+`: the spaces first.
    let spaced: Cow<[u8]> = match memchr::memchr(b'+', text) {
        Some(_) => Cow::Owned(
            text.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        ),
        None => Cow::Borrowed(text),
    };
    // The decoding is borrowed when there was nothing to decode.
    if let Cow::Owned(decoded) = Cow::from(percent_encoding::percent_decode(&spaced)) {
        return Some(decoded);
    }
    match spaced {
        Cow::Owned(spaced) => Some(spaced),
        Cow::Borrowed(_) => None,
    }
}

/// HTML entities (`&#64;`, `&amp;`) decoded; `None` when there are none.
pub(super) fn html(text: &[u8]) -> Option<Vec<u8>> {
    if !(text.contains(&b'&') && text.contains(&b';')) {
        return None;
    }
    match html_escape::decode_html_entities(&String::from_utf8_lossy(text)) {
        Cow::Owned(decoded) => Some(decoded.into_bytes()),
        Cow::Borrowed(_) => None,
    }
}

/// JSON string escapes (`\u0040`, `\/`, `\"`) undone, surrogate pairs included; `None` when
/// `text` has no `\u` or `\/`. Malformed escapes are kept as they are.
pub(super) fn json_escape(text: &[u8]) -> Option<Vec<u8>> {
    if !text.windows(2).any(|w| w == b"\\u" || w == b"\\/") {
        return None;
    }
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut units: Vec<u16> = Vec::new();
    let mut rest = text.as_ref();
    while let Some(at) = rest.find('\\') {
        let (before, escape) = rest.split_at(at);
        if !before.is_empty() {
            flush_utf16(&mut units, &mut out);
            out.push_str(before);
        }
        let unit = escape
            .strip_prefix("\\u")
            .and_then(|hex| hex.get(..4))
            .and_then(|hex| u16::from_str_radix(hex, 16).ok());
        if let Some(unit) = unit {
            units.push(unit);
            rest = escape.get(6..).unwrap_or_default();
            continue;
        }
        flush_utf16(&mut units, &mut out);
        let mut chars = escape.chars().skip(1);
        let (decoded, width) = match chars.next() {
            Some(c @ ('/' | '"' | '\\')) => (c, 2),
            Some('n') => ('\n', 2),
            Some('t') => ('\t', 2),
            Some('r') => ('\r', 2),
            Some('b') => ('\u{8}', 2),
            Some('f') => ('\u{c}', 2),
            _ => ('\\', 1),
        };
        out.push(decoded);
        rest = escape.get(width..).unwrap_or_default();
    }
    flush_utf16(&mut units, &mut out);
    out.push_str(rest);
    Some(out.into_bytes())
}

fn flush_utf16(units: &mut Vec<u16>, out: &mut String) {
    out.extend(
        char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)),
    );
}

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::RequireNone)
    .with_decode_allow_trailing_bits(true);
const BASE64: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const BASE64URL: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// A base64 or base64url run decoded (without its padding); the alphabet is told by `-`/`_`.
/// A run in the standard alphabet (nearly all of them: JSON and form payloads, digests) goes
/// through a vector decoder, whose WHATWG "forgiving" decoding is the lenient one here on a
/// run of the alphabet alone: no padding needed, the bits past the last byte ignored.
pub(super) fn base64(run: &[u8]) -> Option<Vec<u8>> {
    debug_assert!(
        run.iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/-_".contains(b)),
        "a run of the base64 alphabets: no padding, no whitespace"
    );
    let engine = base64_engine(run);
    if std::ptr::eq(engine, &BASE64) {
        return base64_simd::forgiving_decode_to_vec(run).ok();
    }
    engine.decode(run).ok()
}

/// The engine of a run's alphabet.
fn base64_engine(run: &[u8]) -> &'static GeneralPurpose {
    if run.iter().any(|b| matches!(b, b'-' | b'_')) {
        &BASE64URL
    } else {
        &BASE64
    }
}

/// The shortest base64 run worth decoding.
pub(super) const MIN_BASE64: usize = 12;

/// The bytes a base64 run without padding decodes to.
pub(super) fn base64_len(run: &[u8]) -> usize {
    run.len() / 4 * 3 + (run.len() % 4).saturating_sub(1)
}

/// Whether a base64 run can decode to text ([`printable`]). The first character of each
/// quartet carries the top six bits of a byte, which for printable ASCII and whitespace is one
/// of `C D I…Z a…f`: more other ones than `printable` allows non-printable bytes rule text out.
pub(super) fn base64_may_be_text(run: &[u8]) -> bool {
    let other = run
        .iter()
        .step_by(4)
        .filter(|&&c| !matches!(c, b'C' | b'D' | b'I'..=b'Z' | b'a'..=b'f'))
        .count();
    other * 100 <= base64_len(run) * 15
}

/// Whether a run is only hex digits and dashes: a digest, a uuid, an api key or a number, read
/// as hex, never as base64, base32, base58, LZ-String or a compressed stream.
pub(super) fn hexish(run: &[u8]) -> bool {
    run.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-')
}

/// Whether a base64 run can hold a compressed stream: its first 33 bytes open a gzip or zlib
/// stream, or a raw deflate block ([`deflate_header`]).
pub(super) fn base64_may_be_stream(run: &[u8]) -> bool {
    let head = run.get(..44).unwrap_or(run);
    let mut bytes = [0u8; 33];
    let decoded = base64_engine(head).decode_slice(head, &mut bytes).ok();
    decoded
        .and_then(|len| bytes.get(..len))
        .is_some_and(|bytes| Codec::sniff(bytes).is_some() || deflate_header(bytes))
}

/// Whether a hex run can hold a gzip or zlib stream (raw deflate is not tried in hex).
pub(super) fn hex_may_be_stream(run: &[u8]) -> bool {
    let mut head = [0u8; 2];
    run.get(..4).is_some_and(|digits| {
        const_hex::decode_to_slice(digits, &mut head).is_ok() && Codec::sniff(&head).is_some()
    })
}

/// Whether a hex run can decode to text ([`printable`]): the first digit of each pair is the
/// byte's high nibble, `0` or `2`…`7` for printable ASCII and whitespace.
pub(super) fn hex_may_be_text(run: &[u8]) -> bool {
    let other = run
        .iter()
        .step_by(2)
        .filter(|&&c| !matches!(c, b'0' | b'2'..=b'7'))
        .count();
    other * 100 <= run.len() / 2 * 15
}

/// A hex run decoded (either case); `None` for an odd length. Digests are decoded by the
/// thousand per scan: by a vector decoder.
pub(super) fn hex(run: &[u8]) -> Option<Vec<u8>> {
    // A run of hex digits has no `0x`, which `const_hex` would strip.
    const_hex::decode(run).ok()
}

/// Tokens shorter than this are not tried in the rarer encodings: too short to hold a value.
pub(super) const MIN_RARE: usize = 12;
/// Base58 decoding is quadratic: longer tokens are not tried.
const MAX_BASE58: usize = 256;
/// LZ-String output can grow quadratically with its input: longer tokens are not tried.
const MAX_LZ: usize = 2048;
/// The value of a character in LZ-String's `compressToBase64` alphabet (`A`…`Z a`…`z 0`…`9 + /`),
/// plus one; 0 for a character outside it.
const fn lz_base64_value(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A' + 1,
        b'a'..=b'z' => b - b'a' + 27,
        b'0'..=b'9' => b - b'0' + 53,
        b'+' => 63,
        b'/' => 64,
        _ => 0,
    }
}

/// [`lz_base64_value`] for `compressToEncodedURIComponent`, whose last two are `-` and `$`.
const fn lz_uri_value(b: u8) -> u8 {
    match b {
        b'-' => 64,
        b'$' => 65,
        b'/' => 0,
        _ => lz_base64_value(b),
    }
}

const LZ_BASE64: [u8; 256] = byte_table!(u8, lz_base64_value);
const LZ_URI: [u8; 256] = byte_table!(u8, lz_uri_value);

/// The decodings of a run of 12 or more letters, digits and `+/-$` that is not [`hexish`],
/// written in `alphabets`, in the rarer encodings, by chain step: base32, base58, and
/// LZ-String as trackers send it, a `whole` value (`compressToBase64` or
/// `compressToEncodedURIComponent`; see [`lz_utf16`] for `compressToUTF16`). Only decodings
/// that can hold a value come back: base32 and base58 bytes that are text, of a digest's
/// length or a zlib or gzip stream; LZ-String text.
pub(super) fn rare_token(
    run: &[u8],
    alphabets: &Alphabets,
    whole: bool,
) -> impl Iterator<Item = (&'static str, Vec<u8>)> {
    let base32 = (alphabets.upper32 || alphabets.lower32)
        .then(|| base32(run))
        .flatten();
    let base58 = alphabets.base58.then(|| base58(run)).flatten();
    [
        ("base32", base32),
        ("base58", base58),
        ("lzstring", whole.then(|| lz_string(run)).flatten()),
    ]
    .into_iter()
    .filter_map(|(step, bytes)| Some((step, bytes?)))
}

/// Whether decoded bytes are worth a look: text, a digest's length, or a zlib or gzip stream.
fn holds_value(bytes: &[u8]) -> bool {
    matches!(bytes.len(), 16 | 20 | 28 | 32 | 48 | 64)
        || printable(bytes)
        || Codec::sniff(bytes).is_some()
}

/// An RFC 4648 base32 run (all upper or all lower case, no padding) decoded.
fn base32(run: &[u8]) -> Option<Vec<u8>> {
    if matches!(run.len() % 8, 1 | 3 | 6) {
        return None;
    }
    let decoded = data_encoding::BASE32_NOPAD
        .decode(&run.to_ascii_uppercase())
        .ok()?;
    holds_value(&decoded).then_some(decoded)
}

/// A base58 run (the Bitcoin alphabet: letters and digits but `0`, `O`, `I` and `l`) decoded.
fn base58(run: &[u8]) -> Option<Vec<u8>> {
    if run.len() > MAX_BASE58 {
        return None;
    }
    let decoded = bs58::decode(run).into_vec().ok()?;
    holds_value(&decoded).then_some(decoded)
}

/// An LZ-String run decompressed to text: `compressToEncodedURIComponent` when it has `$`
/// or `-`, else `compressToBase64` (the two agree on letters and digits). A run whose base64
/// is text is base64, not LZ-String.
fn lz_string(run: &[u8]) -> Option<Vec<u8>> {
    let uri = run.iter().any(|b| matches!(b, b'$' | b'-'));
    // The first two bits read (bit 5, then bit 4, of the first character's value) are a
    // literal's marker, 0 or 1: bit 4 is clear.
    let alphabet = if uri { &LZ_URI } else { &LZ_BASE64 };
    // Characters outside the alphabet are passed over, as LZ-String's own decoders do.
    let mut values = run
        .iter()
        .filter_map(|&b| alphabet[usize::from(b)].checked_sub(1).map(u16::from));
    let opens = run.first().map(|&b| alphabet[usize::from(b)]);
    if run.len() > MAX_LZ || opens.is_none_or(|value| value == 0 || (value - 1) & 0b1_0000 != 0) {
        return None;
    }
    let units = lz_str::decompress_internal(&mut values, 6)?;
    // Text compresses to at least half as many characters: a short decoding of a long run is
    // noise that happened to hit the end marker.
    if units.len() * 2 < run.len() || base64(run).is_some_and(|bytes| printable(&bytes)) {
        return None;
    }
    utf16_text(&units)
}

/// A whole text that looks like LZ-String's `compressToUTF16` (characters from U+0020 to
/// U+801F, most of them past Latin-1) decompressed.
pub(super) fn lz_utf16(text: &[u8]) -> Option<Vec<u8>> {
    // Past Latin-1, every character is two or three UTF-8 bytes of 0x80 and more.
    let high = shape::count(text, |b| b >= 0x80);
    if text.len() < 8 || high * 3 < text.len() {
        return None;
    }
    let text = std::str::from_utf8(text)
        .ok()?
        .trim_matches(|c: char| c.is_ascii_whitespace() && c != ' ');
    let count = text.chars().count();
    let wide = text.chars().filter(|&c| c >= '\u{100}').count();
    let in_range = text.chars().all(|c| ('\u{20}'..='\u{801f}').contains(&c));
    if !(4..=MAX_LZ).contains(&count) || !in_range || wide * 2 < count {
        return None;
    }
    utf16_text(&lz_str::decompress_from_utf16(text)?)
}

/// UTF-16 code units as UTF-8, when they are text.
fn utf16_text(units: &[u16]) -> Option<Vec<u8>> {
    let text = String::from_utf16(units).ok()?.into_bytes();
    printable(&text).then_some(text)
}

/// Bytes decoded from a token, inflated when they are a zlib or gzip stream (by their magic
/// bytes) or, with `raw`, a raw deflate stream that starts like one of text, and
/// inflate to text: the first `cap` bytes of it, marked when the stream went on past them.
pub(super) fn decompressed(bytes: &[u8], cap: usize, raw: bool) -> Option<Stream> {
    let (codec, step) = match Codec::sniff(bytes) {
        Some(Codec::Gzip) => (Codec::Gzip, "gzip"),
        Some(Codec::Zlib) => (Codec::Zlib, "zlib"),
        _ if raw && deflate_header(bytes) => return raw_deflate(bytes, cap),
        _ => return None,
    };
    Stream::of(step, inflate::inflate_at_most(codec, bytes, cap))
}

/// Text inflated from a compressed token.
#[derive(Debug, PartialEq)]
pub(super) struct Stream {
    /// The compression: `gzip`, `zlib` or `deflate`.
    pub step: &'static str,
    pub text: Vec<u8>,
    /// The stream went on past the cap: `text` is its head.
    pub capped: bool,
}

impl Stream {
    /// The text a sound stream inflated to, up to the cap; `None` for a broken stream or one
    /// that is no text.
    fn of(step: &'static str, inflated: inflate::Inflated) -> Option<Stream> {
        (!inflated.corrupt && printable(&inflated.bytes)).then_some(Stream {
            step,
            text: inflated.bytes,
            capped: inflated.capped,
        })
    }
}

/// A raw deflate stream inflated to text. It is first inflated into a small buffer on the
/// stack, so that the many binary tokens that are no deflate stream fail within a few bytes
/// without growing an output; only a stream whose first KiB is text is inflated whole.
fn raw_deflate(bytes: &[u8], cap: usize) -> Option<Stream> {
    let mut probe = [0u8; 1024];
    let (status, len) = inflate::with_inflater(false, |inflater| {
        let status = inflater.decompress(bytes, &mut probe, flate2::FlushDecompress::Finish);
        (status, usize::try_from(inflater.total_out()))
    });
    let (status, len) = (status.ok()?, len.ok()?);
    let whole = status == flate2::Status::StreamEnd;
    // A stream that neither ended nor filled the probe is truncated.
    if !whole && len < probe.len() {
        return None;
    }
    let head = probe.get(..len)?;
    let out = if whole && len <= cap {
        inflate::Inflated {
            bytes: head.to_vec(),
            corrupt: false,
            capped: false,
        }
    } else if printable(head) {
        inflate::inflate_at_most(Codec::RawDeflate, bytes, cap)
    } else {
        return None;
    };
    Stream::of("deflate", out)
}

/// Whether `bytes` start like a raw deflate stream of text: a fixed-Huffman block whose
/// first symbol is a printable ASCII literal (the shape short texts compress to), a
/// dynamic-Huffman block of 32 bytes or more with valid table sizes and a complete code for
/// its code lengths, or a stored block whose
/// length and its complement agree. Most random tokens fail here, before any inflating.
fn deflate_header(bytes: &[u8]) -> bool {
    // Deflate reads bits from the least significant end of each byte.
    let bit = |i: usize| bytes.get(i / 8).map(|b| u16::from((b >> (i % 8)) & 1));
    let bits = |from: usize, count: usize| {
        (from..from + count).try_fold(0u16, |value, i| Some(value | (bit(i)? << (i - from))))
    };
    match bits(1, 2) {
        // Huffman codes are read most significant bit first; literals 0-143 are 8-bit codes
        // from 0x30: tab, newline, carriage return, and space to tilde.
        Some(0b01) => (3..11)
            .try_fold(0u16, |code, i| Some((code << 1) | bit(i)?))
            .is_some_and(|code| matches!(code, 0x39 | 0x3a | 0x3d | 0x50..=0xae)),
        Some(0b10) => {
            // The lengths of the code-length code (3 bits each, HCLEN + 4 of them) must make
            // a complete prefix code, as every encoder writes and every inflater requires.
            let kraft = bits(13, 4).and_then(|hclen| {
                (0..usize::from(hclen) + 4).try_fold(0u16, |sum, k| {
                    let len = bits(17 + 3 * k, 3)?;
                    Some(if len == 0 {
                        sum
                    } else {
                        sum + (1 << (7 - len))
                    })
                })
            });
            bytes.len() >= 32
                && bits(3, 5).is_some_and(|hlit| hlit <= 29)
                && bits(8, 5).is_some_and(|hdist| hdist <= 29)
                && kraft == Some(1 << 7)
        }
        Some(0b00) => matches!(bytes, [_, a, b, c, d, ..]
            if u16::from_le_bytes([*a, *b]) == !u16::from_le_bytes([*c, *d])),
        _ => false,
    }
}

/// Whether decoded bytes look like text: at least 85% printable ASCII or whitespace.
pub(super) fn printable(bytes: &[u8]) -> bool {
    let text = shape::count(bytes, |b| matches!(b, b' '..=b'~' | b'\t' | b'\n' | b'\r'));
    !bytes.is_empty() && text * 100 >= bytes.len() * 85
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Every run of the base64 alphabets decodes as the lenient general decoder decodes
        /// it (no padding needed, the bits past the last byte ignored, a length of 4n + 1
        /// refused), in the standard alphabet too, which a vector decoder reads.
        #[test]
        fn a_run_decodes_as_the_lenient_decoder_decodes_it(
            run in "[A-Za-z0-9+/]{0,200}|[A-Za-z0-9_-]{0,200}|[A-Za-z0-9+/_-]{0,80}",
        ) {
            let run = run.as_bytes();
            proptest::prop_assert_eq!(base64(run), base64_engine(run).decode(run).ok());
        }
    }

    #[test]
    fn string_decoders() {
        assert_eq!(url(b"a%40b.com+x").as_deref(), Some(&b"a@b.com x"[..]));
        assert_eq!(url(b"plain"), None);
        assert_eq!(url(b"100%"), None);
        assert_eq!(url(b"100%+").as_deref(), Some(&b"100% "[..]));
        assert_eq!(url(b"a%2Bb+c").as_deref(), Some(&b"a+b c"[..]));
        assert_eq!(html(b"a&#64;b&amp;c").as_deref(), Some(&b"a@b&c"[..]));
        let escaped = br#"a\u0040b.com \/x\/ \"q\" \ud83d\ude00 \uZZ \"#;
        let decoded = json_escape(escaped).map(String::from_utf8);
        assert_eq!(
            decoded,
            Some(Ok("a@b.com /x/ \"q\" 😀 \\uZZ \\".to_owned()))
        );
        assert_eq!(
            base64(b"aGVsbG8gd29ybGQ").as_deref(),
            Some(&b"hello world"[..])
        );
        assert_eq!(base64(b"-_-_").as_deref(), Some(&[0xfb, 0xff, 0xbf][..]));
        assert_eq!(hex(b"48454C4c6f").as_deref(), Some(&b"HELLo"[..]));
        assert!(printable(b"hello\n") && !printable(&[0, 1, 2, b'a']));
    }

    #[test]
    fn gates_agree_with_decoding() {
        let texts: [&[u8]; 4] = [
            b"hello world",
            b"a@b.com\tx\r\n",
            b"~ ~ ~ ~",
            b" !\"#$%&'()*+,-./",
        ];
        for text in texts {
            for engine in [&BASE64, &BASE64URL] {
                let encoded = engine.encode(text);
                let run = encoded.trim_end_matches('=').as_bytes();
                assert!(base64_may_be_text(run), "{encoded}");
                assert_eq!(base64_len(run), text.len());
            }
            let hex: String = text.iter().map(|b| format!("{b:02x}")).collect();
            assert!(hex_may_be_text(hex.as_bytes()), "{hex}");
        }
        let binary = [0xffu8, 0x80, 0x01, 0xfe, 0x90, 0x00, 0xc3, 0xa9, 0x9f];
        assert!(!base64_may_be_text(BASE64.encode(binary).as_bytes()));
        assert!(!hex_may_be_text(b"ff8001fe9000c3a99f"));
        assert!(hexish(b"0123-abcd-EF") && !hexish(b"0123g"));
    }

    #[test]
    fn raw_deflate_is_told_by_its_first_block() {
        let raw = |text: &[u8]| {
            let mut encoder =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            std::io::Write::write_all(&mut encoder, text).expect("write to a Vec");
            encoder.finish().expect("finish to a Vec")
        };
        let long = br#"{"email":"adele.lovelace@gmail.com","events":["a","b","c"]}"#.repeat(40);
        for text in [&b"+16505551212"[..], b"a@b.co", b"\n{}", &long] {
            let stream = raw(text);
            assert!(deflate_header(&stream), "{}", String::from_utf8_lossy(text));
            // A cut stream first: the probes' shared inflater starts afresh for the next one.
            let cut = stream.get(..stream.len() / 2).unwrap_or_default();
            assert_eq!(decompressed(cut, 1 << 20, true), None);
            let inflated = decompressed(&stream, 1 << 20, true).expect("text");
            assert_eq!((inflated.step, inflated.text), ("deflate", text.to_vec()));
            assert!(!inflated.capped);
            assert_eq!(decompressed(&stream, 1 << 20, false), None);
        }
        // A fixed block opening with a length code, a reserved block type, a stored block whose
        // lengths disagree, a dynamic block too short to be one.
        for bytes in [
            &[0b0000_0010, 0xff][..],
            &[0b0000_0110, 0, 0],
            &[0, 4, 0, 4, 0],
            &[0b100; 20],
        ] {
            assert!(!deflate_header(bytes), "{bytes:?}");
        }
    }

    #[test]
    fn lying_and_unknown_encodings_are_noted() {
        let plain = inflate(b"{}", Some("gzip"));
        assert_eq!((plain.bytes.as_ref(), plain.step), (&b"{}"[..], None));
        assert_eq!(
            plain.notes,
            ["body: Content-Encoding says gzip but the body is not gzip; scanned as is"]
        );
        let unknown = inflate(b"{}", Some("zstd"));
        assert_eq!(
            unknown.notes,
            ["body: Content-Encoding zstd is not supported; scanned as is"]
        );
        assert!(inflate(b"{}", Some("identity")).notes.is_empty());
        let bodies = [
            &br#"{"email":"a@b.com","n":[1,2]}"#[..],
            b"a=b&c=d",
            b"plain text",
        ];
        for claim in ["br", "deflate", "gzip"] {
            for body in bodies {
                let inflated = inflate(body, Some(claim));
                assert_eq!((inflated.step, inflated.bytes.as_ref()), (None, body));
            }
        }
    }
}
