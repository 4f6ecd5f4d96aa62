//! The hash functions a platform, a tracker script or a careless bot may apply to a value:
//! digests of 16 bytes or more (found by their bytes, as hex, base64, base32 or base58) and
//! 32-bit checksums (found by their number, as 8 hex digits or in decimal).
//!
//! The list is at least the union of the hashes that Englehardt et al.'s LeakDetector
//! (PETS 2018) and Leaky Forms (USENIX Security 2022) search for.

use std::io::Cursor;

use blake2::{Blake2b512, Blake2s256};
use md2::Md2;
use md4::Md4;
use md5::Md5;
use ripemd::Ripemd160;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use sha3::{Keccak256, Sha3_224, Sha3_256, Sha3_384, Sha3_512};
use whirlpool::Whirlpool;

/// A hash function with an output of 16 bytes or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Algo {
    Md2,
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_224,
    Sha3_256,
    Sha3_384,
    Sha3_512,
    Keccak256,
    Ripemd160,
    Whirlpool,
    Blake2b,
    Blake2s,
    /// MurmurHash3 x64 128-bit, seed 0.
    Murmur128,
}

impl Algo {
    pub const ALL: [Algo; 18] = {
        use Algo::*;
        [
            Md2, Md4, Md5, Sha1, Sha224, Sha256, Sha384, Sha512, Sha3_224, Sha3_256, Sha3_384,
            Sha3_512, Keccak256, Ripemd160, Whirlpool, Blake2b, Blake2s, Murmur128,
        ]
    };

    /// The algorithms whose lowercase-hex digest gets hashed again (`sha256(md5(email))`):
    /// the ones platforms and bots chain in practice.
    pub const NESTED: [Algo; 7] = {
        use Algo::*;
        [Md5, Sha1, Sha224, Sha256, Sha384, Sha512, Sha3_256]
    };

    pub fn name(self) -> &'static str {
        match self {
            Algo::Md2 => "md2",
            Algo::Md4 => "md4",
            Algo::Md5 => "md5",
            Algo::Sha1 => "sha1",
            Algo::Sha224 => "sha224",
            Algo::Sha256 => "sha256",
            Algo::Sha384 => "sha384",
            Algo::Sha512 => "sha512",
            Algo::Sha3_224 => "sha3-224",
            Algo::Sha3_256 => "sha3-256",
            Algo::Sha3_384 => "sha3-384",
            Algo::Sha3_512 => "sha3-512",
            Algo::Keccak256 => "keccak256",
            Algo::Ripemd160 => "ripemd160",
            Algo::Whirlpool => "whirlpool",
            Algo::Blake2b => "blake2b",
            Algo::Blake2s => "blake2s",
            Algo::Murmur128 => "murmur3-128",
        }
    }

    /// Every byte string this algorithm's output of `data` is written as. One for a digest;
    /// three for MurmurHash3 x64-128, whose two 64-bit halves libraries lay out differently:
    /// the reference C output (both little-endian), murmurhash3js's hex (h1 then h2,
    /// big-endian) and Python's `mmh3.hash128` integer (h2 then h1, big-endian).
    /// The length of the algorithm's digests in bytes.
    pub fn len(self) -> usize {
        match self {
            Algo::Md2 | Algo::Md4 | Algo::Md5 | Algo::Murmur128 => 16,
            Algo::Sha1 | Algo::Ripemd160 => 20,
            Algo::Sha224 | Algo::Sha3_224 => 28,
            Algo::Sha256 | Algo::Sha3_256 | Algo::Keccak256 | Algo::Blake2s => 32,
            Algo::Sha384 | Algo::Sha3_384 => 48,
            Algo::Sha512 | Algo::Sha3_512 | Algo::Whirlpool | Algo::Blake2b => 64,
        }
    }

    pub fn outputs(self, data: &[u8]) -> Vec<Vec<u8>> {
        let digest = match self {
            Algo::Md2 => Md2::digest(data).to_vec(),
            Algo::Md4 => Md4::digest(data).to_vec(),
            Algo::Md5 => Md5::digest(data).to_vec(),
            Algo::Sha1 => Sha1::digest(data).to_vec(),
            Algo::Sha224 => Sha224::digest(data).to_vec(),
            Algo::Sha256 => Sha256::digest(data).to_vec(),
            Algo::Sha384 => Sha384::digest(data).to_vec(),
            Algo::Sha512 => Sha512::digest(data).to_vec(),
            Algo::Sha3_224 => Sha3_224::digest(data).to_vec(),
            Algo::Sha3_256 => Sha3_256::digest(data).to_vec(),
            Algo::Sha3_384 => Sha3_384::digest(data).to_vec(),
            Algo::Sha3_512 => Sha3_512::digest(data).to_vec(),
            Algo::Keccak256 => Keccak256::digest(data).to_vec(),
            Algo::Ripemd160 => Ripemd160::digest(data).to_vec(),
            Algo::Whirlpool => Whirlpool::digest(data).to_vec(),
            Algo::Blake2b => Blake2b512::digest(data).to_vec(),
            Algo::Blake2s => Blake2s256::digest(data).to_vec(),
            Algo::Murmur128 => return murmur3_128(data),
        };
        vec![digest]
    }
}

fn murmur3_128(data: &[u8]) -> Vec<Vec<u8>> {
    // Reading from a slice cannot fail.
    let Ok(x) = murmur3::murmur3_x64_128(&mut Cursor::new(data), 0) else {
        return Vec::new();
    };
    let h1 = u64::try_from(x & u128::from(u64::MAX)).unwrap_or_default();
    let h2 = u64::try_from(x >> 64).unwrap_or_default();
    vec![
        x.to_le_bytes().to_vec(),
        [h1.to_be_bytes(), h2.to_be_bytes()].concat(),
        x.to_be_bytes().to_vec(),
    ]
}

/// A 32-bit checksum or hash: eight hex digits or a decimal of up to ten digits, so common
/// in ids and timestamps that it only counts as a whole token under an identity key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Checksum {
    Crc32,
    Adler32,
    /// MurmurHash3 x86 32-bit, seed 0.
    Murmur32,
}

impl Checksum {
    pub const ALL: [Checksum; 3] = [Checksum::Crc32, Checksum::Adler32, Checksum::Murmur32];

    pub fn name(self) -> &'static str {
        match self {
            Checksum::Crc32 => "crc32",
            Checksum::Adler32 => "adler32",
            Checksum::Murmur32 => "murmur3-32",
        }
    }

    pub fn of(self, data: &[u8]) -> u32 {
        match self {
            Checksum::Crc32 => crc32fast::hash(data),
            Checksum::Adler32 => adler2::adler32_slice(data),
            // Reading from a slice cannot fail.
            Checksum::Murmur32 => murmur3::murmur3_32(&mut Cursor::new(data), 0).unwrap_or(0),
        }
    }
}

/// The 32-bit numbers a whole token may spell: eight hex digits (either case), a decimal of
/// one to ten digits that fits in 32 bits, or a negative one that fits in a signed 32-bit
/// integer (JavaScript's `hash | 0`). Eight decimal digits are read both ways.
pub(super) fn checksum_values(token: &[u8]) -> [Option<u32>; 2] {
    let Ok(text) = std::str::from_utf8(token) else {
        return [None, None];
    };
    let hex = (token.len() == 8 && token.iter().all(u8::is_ascii_hexdigit))
        .then(|| u32::from_str_radix(text, 16).ok())
        .flatten();
    let digits = text.strip_prefix('-').unwrap_or(text);
    let decimal =
        (!digits.is_empty() && digits.len() <= 10 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| {
                if text.starts_with('-') {
                    let signed = text.parse::<i32>().ok()?;
                    Some(u32::from_ne_bytes(signed.to_ne_bytes()))
                } else {
                    text.parse::<u32>().ok()
                }
            })
            .flatten();
    [hex, decimal]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        // Published test vectors for "abc" (md2: RFC 1319; md4: RFC 1320; ripemd160, keccak,
        // blake2: their reference papers) and for "" (whirlpool).
        let cases = [
            (Algo::Md2, "abc", "da853b0d3f88d99b30283a69e6ded6bb"),
            (Algo::Md4, "abc", "a448017aaf21d8525fc10ae87aa6729d"),
            (
                Algo::Ripemd160,
                "abc",
                "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc",
            ),
            (
                Algo::Sha3_224,
                "abc",
                "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf",
            ),
            (
                Algo::Keccak256,
                "",
                "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
            ),
            (
                Algo::Blake2s,
                "abc",
                "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982",
            ),
        ];
        for (algo, input, expected) in cases {
            assert_eq!(
                hex(&algo.outputs(input.as_bytes())[0]),
                expected,
                "{algo:?}"
            );
        }
        let whirlpool = hex(&Algo::Whirlpool.outputs(b"")[0]);
        assert!(whirlpool.starts_with("19fa61d75522a466"), "{whirlpool}");
        let blake2b = hex(&Algo::Blake2b.outputs(b"abc")[0]);
        assert!(blake2b.starts_with("ba80a53f981c4d0d"), "{blake2b}");
        // The three layouts of one MurmurHash3 x64-128 output: (h1, h2) little-endian,
        // (h1, h2) big-endian, (h2, h1) big-endian.
        let murmur = Algo::Murmur128.outputs(b"hello");
        let reversed: Vec<u8> = murmur[0].iter().rev().copied().collect();
        assert_eq!(reversed, murmur[2]);
        assert_eq!(murmur[1][..8], murmur[2][8..]);
        assert_eq!(murmur.len(), 3);
        assert_eq!(Checksum::Crc32.of(b"123456789"), 0xcbf4_3926);
        assert_eq!(Checksum::Adler32.of(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(Checksum::Murmur32.of(b"hello"), 0x248b_fa47);
    }

    #[test]
    fn checksum_tokens() {
        let one = |token: &[u8]| checksum_values(token);
        assert_eq!(one(b"cbf43926"), [Some(0xcbf4_3926), None]);
        assert_eq!(one(b"CBF43926"), [Some(0xcbf4_3926), None]);
        assert_eq!(one(b"3421780262"), [None, Some(3_421_780_262)]);
        assert_eq!(one(b"12345678"), [Some(0x1234_5678), Some(12_345_678)]);
        assert_eq!(one(b"-1"), [None, Some(u32::MAX)]);
        for no in [
            &b"cbf4392"[..],
            b"cbf43926a",
            b"4294967296",
            b"12345678901",
            b"",
            b"-",
            b"xyz12345",
        ] {
            assert_eq!(one(no), [None, None], "{}", String::from_utf8_lossy(no));
        }
    }
}
