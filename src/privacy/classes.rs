//! Byte classes told many bytes at a time. The scan asks the same questions of every byte of
//! every value (a digit? a token character? does the value hold a `%`, a `\`, a byte past
//! ASCII?); this module answers them for 64 bytes at once, as the bits of words, with SSE2
//! compares on x86-64 (which every x86-64 CPU has) and a table elsewhere. The shape then
//! visits only the places where a run of digits or of token characters begins or ends.

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
    // SAFETY: this is compiled only where SSE2 is enabled, which every x86-64 CPU runs.
    return unsafe { sse2::blocks(text, each) };
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    return table::blocks(text, each);
}

/// Calls `each(offset, block)` for the digits and letters of every 64 bytes of `text` from
/// `offset` (the block's other classes are left clear): the start rule of the plaintext
/// matcher, told for less than [`blocks`] costs.
pub(super) fn alnum(text: &[u8], each: impl FnMut(usize, Block)) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    // SAFETY: as in `blocks`.
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
    /// reference the SSE2 version is tested against.
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
    fn bits(v: __m128i) -> u64 {
        u64::from(_mm_movemask_epi8(v) as u16)
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
    struct Place {
        skip: u32,
        at: u32,
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
        let set = |v: __m128i| bits(v) >> place.skip << place.at;
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
                let set = |v: __m128i| bits(v) >> place.skip << place.at;
                block.digit |= set(within(v, b'0', 10));
                block.letter |= set(within(lower, b'a', 26));
            },
            each,
        );
    }

    /// Tells every 16 bytes of `text` with `sixteen` into the block of the 64 they are in,
    /// and calls `each(offset, block)` for each block.
    #[target_feature(enable = "sse2")]
    fn walk(
        text: &[u8],
        mut sixteen: impl FnMut(__m128i, Place, &mut Block),
        mut each: impl FnMut(usize, Block),
    ) {
        let load = |bytes: &[u8; 16]| {
            // SAFETY: the load reads the 16 bytes of `bytes`, unaligned.
            unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
        };
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
                        (_mm_set_epi64x(high as i64, low as i64), 0)
                    }
                };
                sixteen(v, Place { skip, at }, &mut block);
            }
            each(i * 64, block);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn all_blocks(text: &[u8]) -> (Vec<(usize, Block)>, Seen) {
        let mut found = Vec::new();
        let seen = blocks(text, |at, block| found.push((at, block)));
        (found, seen)
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

    proptest! {
        /// The SSE2 version tells what the table tells, over strings of every length
        /// around the 16- and 64-byte steps, of bytes of every kind.
        #[test]
        fn agrees_with_the_table(text in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut by_rows = Vec::new();
            let seen = table::blocks(&text, |at, block| by_rows.push((at, block)));
            prop_assert_eq!(all_blocks(&text), (by_rows.clone(), seen));
            let mut alnum_rows = Vec::new();
            alnum(&text, |at, block| alnum_rows.push((at, block)));
            let digits_and_letters = by_rows.into_iter().map(|(at, block)| {
                (at, Block { digit: block.digit, letter: block.letter, ..Block::default() })
            });
            prop_assert_eq!(alnum_rows, digits_and_letters.collect::<Vec<_>>());
        }
    }
}
