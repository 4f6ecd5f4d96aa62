//! Byte classes told many bytes at a time. The scan asks the same questions of every byte of
//! every value (a digit? a token character? does the value hold a `%`, a `\`, a byte past
//! ASCII?); this module answers them for 64 bytes at once, as the bits of words: on x86-64
//! with SSSE3 byte shuffles, as two 16-entry tables looked up 16 bytes at a time, where the
//! CPU runs them (almost every x86-64 CPU does), with SSE2 compares on the others (every
//! x86-64 CPU runs SSE2), and with a table elsewhere. The shape then visits only the places
//! where a run of digits or of token characters begins or ends.

/// The classes of up to 64 bytes of a string, bit `i` for its byte `i`; the bits past its
/// end are clear.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Block {
    pub digit: u64,
    /// An ASCII letter.
    pub letter: u64,
    /// In some token alphabet: letters, digits, `+ / - _ $`.
    pub token: u64,
    /// A hex digit, in either case.
    pub hex: u64,
}

/// Which of the rarer classes some byte of a string is in, as bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Seen(u16);

impl Seen {
    pub const HIGH: Seen = Seen(1);
    pub const PERCENT: Seen = Seen(1 << 1);
    pub const PLUS: Seen = Seen(1 << 2);
    pub const AMPERSAND: Seen = Seen(1 << 3);
    pub const SEMICOLON: Seen = Seen(1 << 4);
    pub const BACKSLASH: Seen = Seen(1 << 5);
    pub const AT: Seen = Seen(1 << 6);
    /// An ASCII letter from `g` to `z`, in either case: the letters of no hex digest.
    pub const LATE: Seen = Seen(1 << 7);
    /// A token character that is no hex digit or dash: a late letter or `+ / _ $`.
    pub const SPELLED: Seen = Seen(1 << 8);
    /// A `.`: which every money token holds (`12.50`).
    pub const DOT: Seen = Seen(1 << 9);

    /// Whether some byte was in `class`.
    pub fn has(self, class: Seen) -> bool {
        self.0 & class.0 != 0
    }

    /// The classes of both.
    pub const fn or(self, other: Seen) -> Seen {
        Seen(self.0 | other.0)
    }
}

/// Calls `each(offset, block)` for the classes of every 64 bytes of `text` from `offset`,
/// and returns the rarer classes the text holds.
pub(super) fn blocks(text: &[u8], each: impl FnMut(usize, Block)) -> Seen {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if std::arch::is_x86_feature_detected!("ssse3") {
        // SAFETY: the CPU runs SSSE3, as just asked (and std remembers the answer).
        return unsafe { ssse3::blocks(text, each) };
    }
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    // SAFETY: this is compiled only where SSE2 is enabled, which every x86-64 CPU runs.
    return unsafe { sse2::blocks(text, each) };
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    return table::blocks(text, each);
}

/// Calls `each(offset, block)` for the digits and letters of every 64 bytes of `text` from
/// `offset` (the block's other classes are left clear): the start rule of the plaintext
/// matcher, told for less than [`blocks`] costs. SSE2 compares tell these two classes in as
/// few instructions as SSSE3 shuffles would, so they do on every x86-64 CPU.
pub(super) fn alnum(text: &[u8], each: impl FnMut(usize, Block)) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    // SAFETY: this is compiled only where SSE2 is enabled, which every x86-64 CPU runs.
    return unsafe { sse2::alnum(text, each) };
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    table::blocks(text, each);
}

/// The classes told one byte at a time, from a table.
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
mod table {
    use super::{Block, Seen};

    /// A byte's classes, as the bits of [`Seen`] and these.
    const DIGIT: u16 = 1 << 11;
    const LETTER: u16 = 1 << 12;
    const TOKEN: u16 = 1 << 13;
    const HEX: u16 = 1 << 14;

    const fn classes(b: u8) -> u16 {
        let mut bits = 0;
        if b.is_ascii_hexdigit() {
            bits |= HEX;
        }
        if b.is_ascii_digit() {
            bits |= DIGIT | TOKEN;
        }
        if b.is_ascii_alphabetic() {
            bits |= LETTER | TOKEN;
        }
        if matches!(b.to_ascii_lowercase(), b'g'..=b'z') {
            bits |= Seen::LATE.0 | Seen::SPELLED.0;
        }
        if b >= 0x80 {
            bits |= Seen::HIGH.0;
        }
        match b {
            b'+' => bits | TOKEN | Seen::SPELLED.0 | Seen::PLUS.0,
            b'/' | b'_' | b'$' => bits | TOKEN | Seen::SPELLED.0,
            b'-' => bits | TOKEN,
            b'%' => bits | Seen::PERCENT.0,
            b'&' => bits | Seen::AMPERSAND.0,
            b';' => bits | Seen::SEMICOLON.0,
            b'\\' => bits | Seen::BACKSLASH.0,
            b'@' => bits | Seen::AT.0,
            b'.' => bits | Seen::DOT.0,
            _ => bits,
        }
    }

    const TABLE: [u16; 256] = byte_table!(u16, classes);

    /// [`super::blocks`] told one byte at a time, from a table: where SSE2 is missing, and as the
    /// reference the SSE2 and SSSE3 versions are tested against.
    pub(super) fn blocks(text: &[u8], mut each: impl FnMut(usize, Block)) -> Seen {
        let mut seen = 0;
        for (i, chunk) in text.chunks(64).enumerate() {
            let mut block = Block::default();
            for (bit, &b) in chunk.iter().enumerate() {
                let bits = TABLE[usize::from(b)];
                seen |= bits;
                let set = |class: u16| u64::from(bits & class != 0) << bit;
                block.digit |= set(DIGIT);
                block.letter |= set(LETTER);
                block.token |= set(TOKEN);
                block.hex |= set(HEX);
            }
            each(i * 64, block);
        }
        Seen(seen & !(DIGIT | LETTER | TOKEN | HEX))
    }
}

/// The classes told with SSE2 compares, and the walk over a string, 16 bytes at a time, that
/// the SSSE3 version shares.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_set_epi64x, _mm_setzero_si128, _mm_sub_epi8,
    };

    use super::{Block, Seen};

    /// Up to 16 bytes as a vector, zero past their end, read as words rather than through a
    /// buffer (a vector read of bytes just stored one by one stalls).
    fn short(bytes: &[u8]) -> (u64, u64) {
        let word = |at: usize| {
            bytes
                .get(at..at + 8)
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_le_bytes)
        };
        let half = |at: usize| {
            bytes
                .get(at..at + 4)
                .and_then(|b| b.try_into().ok())
                .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
        };
        let len = bytes.len();
        // Two reads that overlap fill the bytes between them twice, with the same value.
        match len {
            8.. => {
                let last = word(len - 8).checked_shr(8 * (16 - len) as u32);
                (word(0), last.unwrap_or(0))
            }
            4.. => (half(0) | half(len - 4) << (8 * (len - 4)), 0),
            _ => {
                let low = bytes
                    .iter()
                    .rev()
                    .fold(0, |word, &b| word << 8 | u64::from(b));
                (low, 0)
            }
        }
    }

    /// The bytes equal to `b`, as 0xff.
    #[target_feature(enable = "sse2")]
    fn eq(v: __m128i, b: u8) -> __m128i {
        _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))
    }

    /// The bytes from `low` to `low + len - 1`, as 0xff.
    #[target_feature(enable = "sse2")]
    fn within(v: __m128i, low: u8, len: u8) -> __m128i {
        let above = _mm_sub_epi8(v, _mm_set1_epi8(low as i8));
        _mm_cmpeq_epi8(_mm_min_epu8(above, _mm_set1_epi8((len - 1) as i8)), above)
    }

    /// One bit per byte of `v`: its top bit.
    #[target_feature(enable = "sse2")]
    pub(super) fn bits(v: __m128i) -> u64 {
        u64::from(_mm_movemask_epi8(v) as u16)
    }

    /// The 16 bytes of `bytes` as a vector.
    #[inline(always)]
    pub(super) fn load(bytes: &[u8; 16]) -> __m128i {
        // SAFETY: the load reads the 16 bytes of `bytes`, unaligned, with SSE2, which is
        // enabled wherever this module is compiled.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    /// The rarer classes met so far, one vector each, a byte's 0xff where it was in one.
    struct Rarer {
        high: __m128i,
        percent: __m128i,
        plus: __m128i,
        ampersand: __m128i,
        semicolon: __m128i,
        backslash: __m128i,
        at: __m128i,
        late: __m128i,
        spelled: __m128i,
        dot: __m128i,
    }

    impl Rarer {
        #[target_feature(enable = "sse2")]
        fn seen(&self) -> Seen {
            let classes = [
                (self.high, Seen::HIGH),
                (self.percent, Seen::PERCENT),
                (self.plus, Seen::PLUS),
                (self.ampersand, Seen::AMPERSAND),
                (self.semicolon, Seen::SEMICOLON),
                (self.backslash, Seen::BACKSLASH),
                (self.at, Seen::AT),
                (self.late, Seen::LATE),
                (self.spelled, Seen::SPELLED),
                (self.dot, Seen::DOT),
            ];
            let mut seen = Seen::default();
            for (v, class) in classes {
                if bits(v) != 0 {
                    seen = seen.or(class);
                }
            }
            seen
        }
    }

    /// Where the classes of 16 bytes go in a block: the bits of the first `skip` bytes are
    /// dropped (they were told already), the others are set from bit `at` on.
    #[derive(Clone, Copy)]
    pub(super) struct Place {
        skip: u32,
        at: u32,
    }

    impl Place {
        /// The bits of a class of the 16 bytes (bit `i` for byte `i`), moved to their place.
        pub(super) fn put(self, bits: u64) -> u64 {
            bits >> self.skip << self.at
        }
    }

    /// The classes of 16 bytes at `v`, set in `block` at `place`, the rarer ones gathered
    /// into `rarer`.
    #[target_feature(enable = "sse2")]
    fn sixteen(v: __m128i, place: Place, block: &mut Block, rarer: &mut Rarer) {
        let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let digit = within(v, b'0', 10);
        let letter = within(lower, b'a', 26);
        let hex = _mm_or_si128(digit, within(lower, b'a', 6));
        let late = within(lower, b'g', 20);
        let plus = eq(v, b'+');
        let spelled = _mm_or_si128(
            _mm_or_si128(late, plus),
            _mm_or_si128(_mm_or_si128(eq(v, b'/'), eq(v, b'_')), eq(v, b'$')),
        );
        let token = _mm_or_si128(
            _mm_or_si128(digit, letter),
            _mm_or_si128(spelled, eq(v, b'-')),
        );
        let set = |v: __m128i| place.put(bits(v));
        block.digit |= set(digit);
        block.letter |= set(letter);
        block.token |= set(token);
        block.hex |= set(hex);
        rarer.high = _mm_or_si128(rarer.high, v);
        rarer.percent = _mm_or_si128(rarer.percent, eq(v, b'%'));
        rarer.plus = _mm_or_si128(rarer.plus, plus);
        rarer.ampersand = _mm_or_si128(rarer.ampersand, eq(v, b'&'));
        rarer.semicolon = _mm_or_si128(rarer.semicolon, eq(v, b';'));
        rarer.backslash = _mm_or_si128(rarer.backslash, eq(v, b'\\'));
        rarer.at = _mm_or_si128(rarer.at, eq(v, b'@'));
        rarer.late = _mm_or_si128(rarer.late, late);
        rarer.spelled = _mm_or_si128(rarer.spelled, spelled);
        rarer.dot = _mm_or_si128(rarer.dot, eq(v, b'.'));
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn blocks(text: &[u8], each: impl FnMut(usize, Block)) -> Seen {
        let none = _mm_setzero_si128();
        let mut rarer = Rarer {
            high: none,
            percent: none,
            plus: none,
            ampersand: none,
            semicolon: none,
            backslash: none,
            at: none,
            late: none,
            spelled: none,
            dot: none,
        };
        walk(
            text,
            |v, place, block| sixteen(v, place, block, &mut rarer),
            each,
        );
        rarer.seen()
    }

    #[target_feature(enable = "sse2")]
    pub(super) fn alnum(text: &[u8], each: impl FnMut(usize, Block)) {
        walk(
            text,
            |v, place, block| {
                let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
                let set = |v: __m128i| place.put(bits(v));
                block.digit |= set(within(v, b'0', 10));
                block.letter |= set(within(lower, b'a', 26));
            },
            each,
        );
    }

    /// Tells every 16 bytes of `text` with `sixteen` into the block of the 64 they are in,
    /// and calls `each(offset, block)` for each block. Always inlined, into a caller that
    /// enables the CPU features `sixteen` needs (SSSE3 for the SSSE3 version), so that
    /// `sixteen` is inlined into the loop too.
    #[inline(always)]
    pub(super) fn walk(
        text: &[u8],
        mut sixteen: impl FnMut(__m128i, Place, &mut Block),
        mut each: impl FnMut(usize, Block),
    ) {
        for (i, chunk) in text.chunks(64).enumerate() {
            let mut block = Block::default();
            let mut sixteens = chunk.chunks_exact(16);
            for (k, bytes) in sixteens
                .by_ref()
                .flat_map(<&[u8; 16]>::try_from)
                .enumerate()
            {
                let place = Place {
                    skip: 0,
                    at: 16 * k as u32,
                };
                sixteen(load(bytes), place, &mut block);
            }
            let tail = sixteens.remainder();
            if !tail.is_empty() {
                let at = (chunk.len() - tail.len()) as u32;
                let (v, skip) = match text.last_chunk::<16>() {
                    // The last 16 bytes of the text, of which the tail is the end.
                    Some(last) => (load(last), 16 - tail.len() as u32),
                    None => {
                        let (low, high) = short(tail);
                        // SAFETY: SSE2 is enabled wherever this module is compiled.
                        (unsafe { _mm_set_epi64x(high as i64, low as i64) }, 0)
                    }
                };
                sixteen(v, Place { skip, at }, &mut block);
            }
            each(i * 64, block);
        }
    }
}

/// The classes told with SSSE3 byte shuffles: each of 16 bytes looks its classes up in two
/// 16-entry tables at once, one for its low four bits and one for its high four.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod ssse3 {
    use std::arch::x86_64::{
        __m128i, _mm_adds_epu8, _mm_and_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si32, _mm_or_si128,
        _mm_set1_epi8, _mm_setzero_si128, _mm_shuffle_epi8, _mm_srli_epi16, _mm_srli_si128,
    };

    use super::sse2::{bits, load, walk, Place};
    use super::{Block, Seen};

    /// A byte's classes, as the bits set both in `low[b & 0xf]` and in `high[b >> 4]`: each
    /// class is every byte with one of some high halves and one of some low halves. No class
    /// holds a byte past ASCII (`high[8..]` is clear).
    struct Nibbles {
        low: [u8; 16],
        high: [u8; 16],
    }

    /// The tables of `classes`, each a bit, the high halves and the low halves of its bytes
    /// (as sets, half `h` as bit `h`).
    const fn nibbles(classes: &[(u8, u16, u16)]) -> Nibbles {
        let mut tables = Nibbles {
            low: [0; 16],
            high: [0; 16],
        };
        let mut c = 0;
        while c < classes.len() {
            let (bit, highs, lows) = classes[c];
            let mut h = 0;
            while h < 16 {
                if highs >> h & 1 != 0 {
                    tables.high[h] |= bit;
                }
                if lows >> h & 1 != 0 {
                    tables.low[h] |= bit;
                }
                h += 1;
            }
            c += 1;
        }
        tables
    }

    /// The half `h`, as a set.
    const fn half(h: u8) -> u16 {
        1 << h
    }

    /// The halves from `first` to `last`, as a set.
    const fn halves(first: u8, last: u8) -> u16 {
        u16::MAX >> (15 - last) & u16::MAX << first
    }

    /// The classes the blocks are told from. Digits and hex letters are the top two bits
    /// (a byte is a hex digit when its classes are 0x40 or more), letters the three after
    /// them, and every class is in the token alphabets.
    const DIGIT: u8 = 1 << 7;
    /// A letter from `a` to `f`, in either case.
    const HEX_LETTER: u8 = 1 << 6;
    /// A letter from `g` to `o`, in either case.
    const LATE_LOW: u8 = 1 << 5;
    /// A letter from `p` to `z`, in either case.
    const LATE_HIGH: u8 = 1 << 4;
    /// `$`, `/`, `_` (and `T`, a letter anyway), then `+`, `-`.
    const SIGN: u8 = 1 << 1;
    const PLUS_OR_DASH: u8 = 1;

    const TOKENS: Nibbles = nibbles(&[
        (DIGIT, half(0x3), halves(0x0, 0x9)),
        (HEX_LETTER, half(0x4) | half(0x6), halves(0x1, 0x6)),
        (LATE_LOW, half(0x4) | half(0x6), halves(0x7, 0xF)),
        (LATE_HIGH, half(0x5) | half(0x7), halves(0x0, 0xA)),
        (SIGN, half(0x2) | half(0x5), half(0x4) | half(0xF)),
        (PLUS_OR_DASH, half(0x2), half(0xB) | half(0xD)),
    ]);

    /// The rarer classes of marks, where [`Seen`] has them, and `$ / _` (and `T`) in bit 0.
    const PERCENT: u8 = Seen::PERCENT.0 as u8;
    const PLUS: u8 = Seen::PLUS.0 as u8;
    const AMPERSAND: u8 = Seen::AMPERSAND.0 as u8;
    const SEMICOLON: u8 = Seen::SEMICOLON.0 as u8;
    const BACKSLASH: u8 = Seen::BACKSLASH.0 as u8;
    const AT: u8 = Seen::AT.0 as u8;
    const DOT: u8 = 1 << 7;
    const SPELLED_SIGN: u8 = 1;

    const MARKS: Nibbles = nibbles(&[
        (PERCENT, half(0x2), half(0x5)),
        (PLUS, half(0x2), half(0xB)),
        (AMPERSAND, half(0x2), half(0x6)),
        (SEMICOLON, half(0x3), half(0xB)),
        (BACKSLASH, half(0x5), half(0xC)),
        (AT, half(0x4), half(0x0)),
        (DOT, half(0x2), half(0xE)),
        (SPELLED_SIGN, half(0x2) | half(0x5), half(0x4) | half(0xF)),
    ]);

    /// The classes in `tables` of the bytes whose halves are `low` and `high`.
    #[target_feature(enable = "ssse3")]
    fn lookup(tables: &Nibbles, low: __m128i, high: __m128i) -> __m128i {
        _mm_and_si128(
            _mm_shuffle_epi8(load(&tables.low), low),
            _mm_shuffle_epi8(load(&tables.high), high),
        )
    }

    /// The bytes of `v` at `min` or above, as a top bit.
    #[target_feature(enable = "ssse3")]
    fn at_least(v: __m128i, min: u8) -> __m128i {
        _mm_adds_epu8(v, _mm_set1_epi8((0x80 - min) as i8))
    }

    /// The rarer classes met so far: every byte's marks, and every byte (a top bit is one past
    /// ASCII), ORed together.
    struct Rarer {
        marks: __m128i,
        high: __m128i,
    }

    /// The classes of 16 bytes at `v`, set in `block` at `place`, the rarer ones gathered
    /// into `rarer`.
    #[target_feature(enable = "ssse3")]
    fn sixteen(v: __m128i, place: Place, block: &mut Block, rarer: &mut Rarer) {
        let nibble = _mm_set1_epi8(0x0f);
        let low = _mm_and_si128(v, nibble);
        let high = _mm_and_si128(_mm_srli_epi16(v, 4), nibble);
        let tokens = lookup(&TOKENS, low, high);
        let letters = _mm_and_si128(tokens, _mm_set1_epi8(!DIGIT as i8));
        block.digit |= place.put(bits(tokens));
        block.letter |= place.put(bits(at_least(letters, LATE_HIGH)));
        block.token |= place.put(!bits(_mm_cmpeq_epi8(tokens, _mm_setzero_si128())) & 0xffff);
        block.hex |= place.put(bits(at_least(tokens, HEX_LETTER)));
        rarer.marks = _mm_or_si128(rarer.marks, lookup(&MARKS, low, high));
        rarer.high = _mm_or_si128(rarer.high, v);
    }

    #[target_feature(enable = "ssse3")]
    pub(super) fn blocks(text: &[u8], mut each: impl FnMut(usize, Block)) -> Seen {
        let mut rarer = Rarer {
            marks: _mm_setzero_si128(),
            high: _mm_setzero_si128(),
        };
        let mut late = 0;
        walk(
            text,
            |v, place, block| sixteen(v, place, block, &mut rarer),
            |at, block| {
                // The letters that are no hex digits are the late ones.
                late |= block.letter & !block.hex;
                each(at, block);
            },
        );
        let folded = _mm_or_si128(rarer.marks, _mm_srli_si128(rarer.marks, 8));
        let folded = _mm_or_si128(folded, _mm_srli_si128(folded, 4));
        let folded = _mm_cvtsi128_si32(folded) as u32;
        let folded = folded | folded >> 16;
        let marks = (folded | folded >> 8) as u8;
        let mut seen = Seen(u16::from(
            marks & (PERCENT | PLUS | AMPERSAND | SEMICOLON | BACKSLASH | AT),
        ));
        if marks & DOT != 0 {
            seen = seen.or(Seen::DOT);
        }
        if late != 0 {
            seen = seen.or(Seen::LATE);
        }
        if late != 0 || marks & (PLUS | SPELLED_SIGN) != 0 {
            seen = seen.or(Seen::SPELLED);
        }
        if bits(rarer.high) != 0 {
            seen = seen.or(Seen::HIGH);
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a version of [`blocks`] tells of a string, given `each`: every block, and the
    /// rarer classes.
    fn told(
        tell: impl FnOnce(&mut dyn FnMut(usize, Block)) -> Seen,
    ) -> (Vec<(usize, Block)>, Seen) {
        let mut found = Vec::new();
        let seen = tell(&mut |at, block| found.push((at, block)));
        (found, seen)
    }

    fn all_blocks(text: &[u8]) -> (Vec<(usize, Block)>, Seen) {
        told(|each| blocks(text, each))
    }

    /// Asserts that every version of [`blocks`] this CPU runs, and [`alnum`], tell of `text`
    /// what the table tells.
    fn agree(text: &[u8]) {
        let by_table = told(|each| table::blocks(text, each));
        assert_eq!(all_blocks(text), by_table, "chosen version, {text:x?}");
        #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
        {
            // SAFETY: this is compiled only where SSE2 is enabled.
            let by_sse2 = told(|each| unsafe { sse2::blocks(text, each) });
            assert_eq!(by_sse2, by_table, "SSE2, {text:x?}");
            if std::arch::is_x86_feature_detected!("ssse3") {
                // SAFETY: the CPU runs SSSE3, as just asked.
                let by_ssse3 = told(|each| unsafe { ssse3::blocks(text, each) });
                assert_eq!(by_ssse3, by_table, "SSSE3, {text:x?}");
            }
        }
        let mut alnum_rows = Vec::new();
        alnum(text, |at, block| alnum_rows.push((at, block)));
        let digits_and_letters = by_table.0.into_iter().map(|(at, block)| {
            let (digit, letter) = (block.digit, block.letter);
            (
                at,
                Block {
                    digit,
                    letter,
                    ..Block::default()
                },
            )
        });
        assert_eq!(
            alnum_rows,
            digits_and_letters.collect::<Vec<_>>(),
            "alnum, {text:x?}"
        );
    }

    #[test]
    fn tells_the_classes_of_each_byte() {
        let (found, seen) = all_blocks(b"ab1-9 %+\xc3\xa9(");
        assert_eq!(
            found,
            vec![(
                0,
                Block {
                    digit: 0b0000_0000_0001_0100,
                    letter: 0b0000_0000_0000_0011,
                    token: 0b1001_1111,
                    hex: 0b0001_0111,
                }
            )]
        );
        assert!(seen.has(Seen::PERCENT) && seen.has(Seen::PLUS) && seen.has(Seen::HIGH));
        assert!(seen.has(Seen::SPELLED) && !seen.has(Seen::LATE) && !seen.has(Seen::AT));
        assert!(all_blocks(b"").0.is_empty());
    }

    /// Every byte, alone and all 256 in one string (in both orders, so each falls in a
    /// different place of its 16 and its 64), is told as the table tells it.
    #[test]
    fn tells_every_byte_as_the_table() {
        let every: Vec<u8> = (0..=u8::MAX).collect();
        agree(&every);
        agree(&every.iter().rev().copied().collect::<Vec<_>>());
        for b in every {
            agree(&[b]);
        }
    }

    proptest! {
        /// Every version tells what the table tells, over strings of every length around the
        /// 16- and 64-byte steps, of bytes of every kind (printable ASCII more often, where the
        /// classes are).
        #[test]
        fn agrees_with_the_table(
            text in proptest::collection::vec(prop_oneof![any::<u8>(), b' '..=b'~'], 0..200),
        ) {
            agree(&text);
        }
    }
}
