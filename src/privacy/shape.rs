//! The shape of a string: which byte classes it holds, how many digits, whether a number
//! stands alone in it, whether it holds a hex token's run of hex digits, and where its long
//! runs of token characters are, with the alphabets each is written in. It is told from the
//! classes of its bytes 64 at a time (`classes`): only the ends of runs of digits and of
//! token characters are visited one by one, and only the bytes of the long token runs are
//! read again. A scan reads the shape to skip the passes that cannot find anything in the
//! string (most values are short words, numbers and ids, and each pass costs more to start
//! than the shape costs to tell), and takes the base64, hex and rarer tokens to decode from
//! its runs, without splitting the string again.

use std::ops::RangeInclusive;

use super::classes::{self, Block, Seen};

/// How many digits a number that stands alone holds: an SSN's nine up to a card's nineteen.
pub(super) const NUMBER_DIGITS: RangeInclusive<usize> = 9..=19;

// A byte's classes, as bits, for the runs of token characters and the numbers.

/// In some token alphabet: base64 and base64url (letters, digits, `+ / _ -`), the rarer
/// tokens' (letters, digits, `+ / - $`) or hex.
const TOKEN: u32 = 1;
/// The rarer tokens' alphabet; hex digits and dashes; base32 upper and lower case; base58.
const RARE: u32 = 1 << 1;
const HEXISH: u32 = 1 << 2;
const UPPER32: u32 = 1 << 3;
const LOWER32: u32 = 1 << 4;
const BASE58: u32 = 1 << 5;
const HEX: u32 = 1 << 6;
/// Glues a number to an id, a version or a timestamp: letters, digits, dots.
const GLUE: u32 = 1 << 7;
/// Groups the digits of an SSN or a card: a dash or a space.
const GAP: u32 = 1 << 8;
/// The base64 and base64url alphabets: letters, digits, `+ / _ -`.
const BASE64: u32 = 1 << 9;

/// The shortest run of hex digits worth decoding (8 bytes), which a shape tells apart.
pub(super) const MIN_HEX: usize = 16;

/// Whether the bits of `word` hold [`MIN_HEX`] set bits in a row: halving the run each step.
fn sixteen_in_a_row(word: u64) -> bool {
    const _: () = assert!(MIN_HEX == 16);
    let pairs = word & word >> 1;
    let fours = pairs & pairs >> 2;
    let eights = fours & fours >> 4;
    eights & eights >> 8 != 0
}

/// The shortest run of token characters a shape records: no token shorter is decoded.
const MIN_RUN: usize = 12;
/// The most runs a shape records; a string with more is split again when its tokens are read.
const MAX_RUNS: usize = 6;

const fn classes(b: u8) -> u32 {
    let mut bits = 0;
    if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'$') {
        bits |= TOKEN;
    }
    if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'$') {
        bits |= RARE;
    }
    if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-') {
        bits |= BASE64;
    }
    if b.is_ascii_hexdigit() || b == b'-' {
        bits |= HEXISH;
    }
    if b.is_ascii_hexdigit() {
        bits |= HEX;
    }
    if matches!(b, b'A'..=b'Z' | b'2'..=b'7') {
        bits |= UPPER32;
    }
    if matches!(b, b'a'..=b'z' | b'2'..=b'7') {
        bits |= LOWER32;
    }
    if b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l') {
        bits |= BASE58;
    }
    if b.is_ascii_alphanumeric() || b == b'.' {
        bits |= GLUE;
    }
    if matches!(b, b'-' | b' ') {
        bits |= GAP;
    }
    bits
}

const TABLE: [u32; 256] = byte_table!(u32, classes);

/// What a string is made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Shape {
    /// The rarer classes some byte is in.
    seen: Seen,
    pub digits: usize,
    /// Whether it holds a run of [`MIN_HEX`] hex digits or more.
    pub long_hex: bool,
    /// Whether it holds a number that stands alone (see [`Shape::standing_number`]).
    standing: bool,
    /// The first [`MAX_RUNS`] maximal runs of [`MIN_RUN`] or more bytes of the token
    /// alphabets together (`TOKEN`): every base64, hex or rarer token worth decoding lies in
    /// one of them.
    runs: [Run; MAX_RUNS],
    /// How many such runs the string holds, recorded or not.
    run_count: usize,
    /// The classes of its bytes, when it is one block long (64 bytes or fewer, as most
    /// values are): the plaintext matcher's places are told from them, not told again.
    block: Option<Block>,
}

/// A run of token characters: where it is, and the classes all of its bytes are in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Run {
    start: u32,
    end: u32,
    all: u32,
}

impl Shape {
    pub fn of(text: &[u8]) -> Shape {
        let mut shape = Shape::default();
        let mut token_run = None;
        // The hex digits that end the bytes told so far.
        let mut hex_tail = 0;
        // Whether the byte before the block is a letter or digit (as its lowest bit).
        let mut alnum_before = 0;
        let seen = classes::blocks(text, |at, block| {
            if text.len() <= 64 {
                shape.block = Some(block);
            }
            shape.digits += block.digit.count_ones() as usize;
            shape.long_hex |= hex_tail + block.hex.trailing_ones() as usize >= MIN_HEX
                || sixteen_in_a_row(block.hex);
            hex_tail = match block.hex {
                u64::MAX => hex_tail + 64,
                hex => hex.leading_ones() as usize,
            };
            runs(block.token, at, &mut token_run, |start, end| {
                shape.token_run(text, start, end);
            });
            // A number glued to a letter or digit before it does not stand alone: only the
            // runs of digits that open after another byte are read (in ids and digests, few).
            let alnum = block.digit | block.letter;
            let mut open = block.digit & !(alnum << 1 | alnum_before);
            alnum_before = alnum >> 63;
            while open != 0 && !shape.standing {
                let offset = open.trailing_zeros();
                let start = at + offset as usize;
                open &= open - 1;
                // The run's length from the block's digits when it ends within the block (the
                // bits past the block's end read as no digit); read on from its bytes when not.
                let run = (!(block.digit >> offset)).trailing_zeros();
                let len = if offset + run < 64 {
                    (run as usize).min(*NUMBER_DIGITS.end() + 1)
                } else {
                    let digits = text.get(start..).unwrap_or_default();
                    digits
                        .iter()
                        .take(*NUMBER_DIGITS.end() + 1)
                        .take_while(|b| b.is_ascii_digit())
                        .count()
                };
                shape.standing = stands(text, start, start + len);
            }
        });
        if let Some(start) = token_run {
            shape.token_run(text, start, text.len());
        }
        shape.seen = seen;
        shape
    }

    /// The shape of a string of ASCII digits alone (a JSON number's), told without
    /// telling the classes of its bytes: what [`Shape::of`] tells of it.
    pub fn of_digits(text: &[u8]) -> Shape {
        debug_assert!(text.iter().all(u8::is_ascii_digit), "digits alone");
        let Some(all) = (1..=64)
            .contains(&text.len())
            .then(|| u64::MAX >> (64 - text.len()))
        else {
            // Longer than a block, or empty.
            return Shape::of(text);
        };
        let mut shape = Shape {
            digits: text.len(),
            long_hex: text.len() >= MIN_HEX,
            // Nothing glues a number that is the whole string.
            standing: NUMBER_DIGITS.contains(&text.len()),
            block: Some(Block {
                digit: all,
                token: all,
                hex: all,
                letter: 0,
            }),
            ..Shape::default()
        };
        shape.token_run(text, 0, text.len());
        shape
    }

    /// The shape of a decimal number (`-12.5`, a JSON float's digits), told without telling
    /// the classes of its bytes when both of its parts are shorter than a run ([`MIN_RUN`]):
    /// no run, no hex token and no number that stands alone (the dot glues both parts).
    /// What [`Shape::of`] tells of it.
    pub fn of_decimal(text: &[u8]) -> Shape {
        let sign = usize::from(text.first() == Some(&b'-'));
        let dot = text.iter().position(|&b| b == b'.').unwrap_or(0);
        let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
        let (whole, fraction) = (
            text.get(sign..dot).unwrap_or_default(),
            text.get(dot + 1..).unwrap_or_default(),
        );
        if !(digits(whole) && digits(fraction)) || dot >= MIN_RUN || fraction.len() >= MIN_RUN {
            return Shape::of(text);
        }
        // Each byte's bit: all of them but the sign's and the dot's are digits.
        let all = u64::MAX >> (64 - text.len());
        let digit = all & !(1 << dot) & !(sign as u64);
        Shape {
            seen: Seen::DOT,
            digits: whole.len() + fraction.len(),
            block: Some(Block {
                digit,
                letter: 0,
                // A minus sign is a token character.
                token: all & !(1 << dot),
                hex: digit,
            }),
            ..Shape::default()
        }
    }

    /// The run of token characters from `start` to `end` in `text`: recorded, with the
    /// classes all of its bytes are in, when it is [`MIN_RUN`] long or more.
    fn token_run(&mut self, text: &[u8], start: usize, end: usize) {
        if end - start < MIN_RUN {
            return;
        }
        let bytes = text.get(start..end).unwrap_or_default();
        let all = bytes
            .iter()
            .fold(u32::MAX, |all, &b| all & TABLE[usize::from(b)]);
        // A run past 4 GiB is not recorded: the string is split again when its tokens are read.
        let span = u32::try_from(start).ok().zip(u32::try_from(end).ok());
        match (self.runs.get_mut(self.run_count), span) {
            (Some(slot), Some((start, end))) => *slot = Run { start, end, all },
            (_, None) => self.run_count = MAX_RUNS,
            (None, Some(_)) => {}
        }
        self.run_count += 1;
    }

    /// Calls `each` with every maximal run of `alphabet` in `text`, the string this is the
    /// shape of, that is `min` bytes or longer (`min` is [`MIN_RUN`] or more), in order.
    pub fn tokens<'t>(
        &self,
        text: &'t [u8],
        alphabet: Alphabet,
        min: usize,
        mut each: impl FnMut(Token<'t>),
    ) {
        debug_assert!(
            min >= MIN_RUN,
            "runs shorter than {MIN_RUN} are not recorded"
        );
        let class = alphabet.class();
        // A token run whose bytes are all in the alphabet is one of its runs, whole: the
        // bytes around it are in no token alphabet. Another is split again.
        let mut within = |run: Token<'t>| {
            if run.all & class == 0 {
                split(run, class, min, &mut each);
            } else if run.bytes.len() >= min {
                each(run);
            }
        };
        match self.runs.get(..self.run_count) {
            Some(runs) => runs.iter().for_each(|run| {
                let (start, end) = (run.start as usize, run.end as usize);
                within(Token {
                    start,
                    bytes: text.get(start..end).unwrap_or_default(),
                    all: run.all,
                })
            }),
            None => split(
                Token {
                    start: 0,
                    bytes: text,
                    all: 0,
                },
                TOKEN,
                MIN_RUN,
                &mut within,
            ),
        }
    }

    /// Whether it can hold a number candidate that stands alone: a run of 9 to 19 digits
    /// glued on neither side, or a run of 3 or 4 digits not glued before it that goes on with
    /// a dash or a space (an SSN, a grouped card), with 9 digits in all. A number glued to
    /// letters, digits or dots is an id, a version or a timestamp part.
    pub fn standing_number(&self) -> bool {
        self.standing && self.digits >= *NUMBER_DIGITS.start()
    }

    /// What the whole of the string, `len` bytes, is spelled in when it is one run of token
    /// characters from end to end; nothing otherwise.
    pub fn whole_run(&self, len: usize) -> WholeRun {
        match self.runs.get(..self.run_count) {
            Some([run]) if run.start == 0 && run.end as usize == len => WholeRun {
                hexish: run.all & HEXISH != 0,
                // Token characters that glue a number: letters and digits.
                alnum: run.all & GLUE != 0,
            },
            _ => WholeRun::default(),
        }
    }

    /// The classes of the string's bytes, when it is 64 bytes or fewer.
    pub fn block(&self) -> Option<Block> {
        self.block
    }

    pub fn late_letters(&self) -> bool {
        self.seen.has(Seen::LATE)
    }

    pub fn high(&self) -> bool {
        self.seen.has(Seen::HIGH)
    }

    /// Whether url decoding can change it: a `%` or a `+`.
    pub fn url_encoded(&self) -> bool {
        self.seen.has(Seen::PERCENT.or(Seen::PLUS))
    }

    /// Whether it can hold an HTML entity: a `&` and a `;`.
    pub fn entities(&self) -> bool {
        self.seen.has(Seen::AMPERSAND) && self.seen.has(Seen::SEMICOLON)
    }

    /// Whether it can hold a JSON escape.
    pub fn escapes(&self) -> bool {
        self.seen.has(Seen::BACKSLASH)
    }

    /// Whether it holds a `.`, as every money token does.
    pub fn dot(&self) -> bool {
        self.seen.has(Seen::DOT)
    }

    pub fn at_sign(&self) -> bool {
        self.seen.has(Seen::AT)
    }

    /// Whether some token character is no hex digit or dash: without one, every token run is
    /// hex, a uuid or a number, which no base64 or rarer decoding is tried on.
    pub fn spelled(&self) -> bool {
        self.seen.has(Seen::SPELLED)
    }
}

/// Calls `close(start, end)` for every run of set bits in `mask`, the bits of the 64 bytes
/// of a string from `at`, that ends within them; `open` holds the start of the run that
/// reaches their end, if one does, from one call to the next.
fn runs(mask: u64, at: usize, open: &mut Option<usize>, mut close: impl FnMut(usize, usize)) {
    let mut from = 0;
    while from < 64 {
        let rest = mask >> from;
        match *open {
            Some(start) => {
                // The bits above the shifted mask are clear: its run of ones ends by bit 64.
                let end = from + (!rest).trailing_zeros();
                if end >= 64 {
                    return;
                }
                close(start, at + end as usize);
                *open = None;
                from = end;
            }
            None if rest == 0 => return,
            None => {
                from += rest.trailing_zeros();
                *open = Some(at + from as usize);
            }
        }
    }
}

/// Whether the run of digits from `start` to `end` in `text` stands alone: 9 to 19 digits
/// glued on neither side, or 3 or 4 not glued before them that go on with a dash or a space.
fn stands(text: &[u8], start: usize, end: usize) -> bool {
    let bits = |at: Option<usize>| {
        at.and_then(|at| text.get(at))
            .map_or(0, |&b| TABLE[usize::from(b)])
    };
    let (before, after) = (bits(start.checked_sub(1)), bits(Some(end)));
    let len = end - start;
    let alone = NUMBER_DIGITS.contains(&len) && after & GLUE == 0;
    let grouped = (3..=4).contains(&len) && after & GAP != 0;
    before & GLUE == 0 && (alone || grouped)
}

/// How many bytes of `text` are ones that `is` holds: counted in blocks of 255 in one-byte
/// counters, which the compiler counts many bytes at a time.
pub(super) fn count(text: &[u8], is: impl Fn(u8) -> bool) -> usize {
    text.chunks(255)
        .map(|block| usize::from(block.iter().fold(0u8, |n, &b| n + u8::from(is(b)))))
        .sum()
}

/// The maximal runs of `class` bytes in `token`, `min` long or more, each with the classes
/// all of its bytes are in.
fn split<'t>(token: Token<'t>, class: u32, min: usize, each: &mut impl FnMut(Token<'t>)) {
    let (mut start, mut all) = (0, u32::MAX);
    for (at, &b) in token.bytes.iter().chain([&0]).enumerate() {
        let bits = TABLE[usize::from(b)];
        if at < token.bytes.len() && bits & class != 0 {
            all &= bits;
            continue;
        }
        if at - start >= min {
            each(Token {
                start: token.start + start,
                bytes: token.bytes.get(start..at).unwrap_or_default(),
                all,
            });
        }
        (start, all) = (at + 1, u32::MAX);
    }
}

/// Whether a whole string is hex digits and dashes, or ASCII letters and digits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct WholeRun {
    pub hexish: bool,
    pub alnum: bool,
}

/// A token alphabet.
#[derive(Debug, Clone, Copy)]
pub(super) enum Alphabet {
    /// Base64 and base64url: letters, digits, `+ / _ -`.
    Base64,
    /// Hex digits.
    Hex,
    /// The rarer tokens' alphabet (base32, base58, LZ-String): letters, digits, `+ / - $`.
    Rare,
}

impl Alphabet {
    fn class(self) -> u32 {
        match self {
            Alphabet::Base64 => BASE64,
            Alphabet::Hex => HEX,
            Alphabet::Rare => RARE,
        }
    }
}

/// A maximal run of one alphabet in a string: where it starts, its bytes, and the classes all
/// of them are in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Token<'t> {
    pub start: usize,
    pub bytes: &'t [u8],
    all: u32,
}

impl Token<'_> {
    /// Which alphabets it is written in entirely.
    pub fn alphabets(&self) -> Alphabets {
        Alphabets {
            hexish: self.all & HEXISH != 0,
            upper32: self.all & UPPER32 != 0,
            lower32: self.all & LOWER32 != 0,
            base58: self.all & BASE58 != 0,
        }
    }
}

/// Which alphabets a token is written in entirely.
pub(super) struct Alphabets {
    /// Hex digits and dashes: hex, uuids and numbers.
    pub hexish: bool,
    /// Base32 in upper case, or in lower case.
    pub upper32: bool,
    pub lower32: bool,
    /// Base58: letters and digits but `0 O I l`.
    pub base58: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_tells_classes_and_runs() {
        let shape = Shape::of(b"id=ab12_-/+cd&x;%41 caf\xc3\xa9 deadbeef0123 a@b.io \\u0040");
        assert!(shape.late_letters() && shape.high() && shape.url_encoded());
        assert!(!Shape::of(b"deadbeef-0123 C0FFEE").late_letters());
        assert!(shape.entities() && shape.escapes() && shape.at_sign());
        assert_eq!(shape.digits, 12);
        // "deadbeef0123"; "ab12" sits in a longer token run, "cd" and "caf" are short.
        // "deadbeef0123" is 12 hex digits in a row, short of a hex token.
        assert!(!shape.long_hex);
        assert!(Shape::of(b"id deadbeef0123abcd").long_hex);
        assert!(!Shape::of(b"deadbeef-0123abcd").long_hex);
        // A run across the 64-byte steps the classes are told in.
        let across = format!("{}0123456789abcdef", "x".repeat(56));
        assert!(Shape::of(across.as_bytes()).long_hex);
        let spread = format!("{}0123456789abcde x", "x".repeat(56));
        assert!(!Shape::of(spread.as_bytes()).long_hex);
        let plain = Shape::of(b"page_view");
        assert!(!plain.url_encoded() && !plain.entities() && !plain.escapes());
        assert!(!plain.at_sign() && !plain.high() && plain.spelled());
        assert!(tokens(b"page_view", Alphabet::Rare, MIN_RUN).is_empty());
        assert!(!Shape::of(b"3f2a9c1e-7b4d, 1719234567.123").spelled());
    }

    proptest::proptest! {
        /// A number stands alone where one of the maximal runs of digits does, however the
        /// runs fall across the 64-byte steps the classes are told in.
        #[test]
        fn a_number_stands_alone_where_a_run_of_digits_does(
            text in "([0-9]{1,22}|[a-zA-Z.]{1,3}|[ _/-]){0,40}",
        ) {
            let text = text.as_bytes();
            let mut standing = false;
            let mut start = None;
            for (at, b) in text.iter().chain([&b'x']).enumerate() {
                match (b.is_ascii_digit() && at < text.len(), start) {
                    (true, None) => start = Some(at),
                    (false, Some(from)) => {
                        standing |= stands(text, from, at);
                        start = None;
                    }
                    _ => {}
                }
            }
            proptest::prop_assert_eq!(Shape::of(text).standing, standing);
        }
    }

    proptest::proptest! {
        /// The runs a shape records are the first maximal runs of token characters of
        /// [`MIN_RUN`] bytes or more, however they fall across the 64-byte steps.
        #[test]
        fn the_runs_recorded_are_the_long_runs_of_token_characters(
            text in "([a-z0-9]{1,30}|[ .,:]{1,3}){0,24}",
        ) {
            let text = text.as_bytes();
            let mut expected = Vec::new();
            let whole = Token { start: 0, bytes: text, all: 0 };
            split(whole, TOKEN, MIN_RUN, &mut |run| expected.push(run.start..run.start + run.bytes.len()));
            let shape = Shape::of(text);
            proptest::prop_assert_eq!(shape.run_count, expected.len());
            let recorded: Vec<_> = shape.runs.iter().take(shape.run_count).map(|run| run.start as usize..run.end as usize).collect();
            expected.truncate(MAX_RUNS);
            proptest::prop_assert_eq!(recorded, expected);
        }
    }

    proptest::proptest! {
        /// The shape of digits alone is the shape of any string.
        #[test]
        fn the_shape_of_digits_alone_is_their_shape(text in "[0-9]{0,80}") {
            let text = text.as_bytes();
            proptest::prop_assert_eq!(Shape::of_digits(text), Shape::of(text));
        }

        /// The shape of a decimal number is the shape of any string, whatever its parts'
        /// lengths and whether it is a number at all.
        #[test]
        fn the_shape_of_a_decimal_is_its_shape(
            text in "-?[0-9]{0,14}(\\.[0-9]{0,14})?(e-?[0-9]{1,3})?|[0-9.-]{0,6}",
            number in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL,
        ) {
            let text = text.as_bytes();
            proptest::prop_assert_eq!(Shape::of_decimal(text), Shape::of(text));
            let mut buffer = zmij::Buffer::new();
            let float = buffer.format_finite(number).as_bytes();
            proptest::prop_assert_eq!(Shape::of_decimal(float), Shape::of(float));
        }
    }

    fn tokens(text: &[u8], alphabet: Alphabet, min: usize) -> Vec<(usize, &[u8])> {
        let mut all = Vec::new();
        Shape::of(text).tokens(text, alphabet, min, |t| all.push((t.start, t.bytes)));
        all
    }

    #[test]
    fn tokens_are_the_maximal_runs_of_their_alphabet() {
        let text = b"k=QUJDREVGR0hJSktM_x$MZXW6YTBOI====;4f9e12ab4f9e12ab4f9e, ab";
        assert_eq!(
            tokens(text, Alphabet::Base64, 12),
            vec![
                (2, &b"QUJDREVGR0hJSktM_x"[..]),
                (36, b"4f9e12ab4f9e12ab4f9e")
            ]
        );
        assert_eq!(
            tokens(text, Alphabet::Rare, 12),
            vec![
                (2, &b"QUJDREVGR0hJSktM"[..]),
                (19, b"x$MZXW6YTBOI"),
                (36, b"4f9e12ab4f9e12ab4f9e")
            ]
        );
        assert_eq!(
            tokens(text, Alphabet::Hex, 16),
            vec![(36, &b"4f9e12ab4f9e12ab4f9e"[..])]
        );
        // Past the recorded runs, the string is split again: the same tokens.
        let many: Vec<u8> = (0..20)
            .flat_map(|i| format!("{i:02}abcdefghijklmnop ").into_bytes())
            .collect();
        let found = tokens(&many, Alphabet::Rare, 12);
        assert_eq!(found.len(), 20);
        assert_eq!(found[19], (361, &b"19abcdefghijklmnop"[..]));
        let mut alphabets = Vec::new();
        Shape::of(b"x 4f9e-12ab-4f9e-12ab MZXW6YTBOI2A====").tokens(
            b"x 4f9e-12ab-4f9e-12ab MZXW6YTBOI2A====",
            Alphabet::Rare,
            12,
            |t| alphabets.push(t.alphabets()),
        );
        let [id, base32] = &alphabets[..] else {
            panic!("two runs: {}", alphabets.len())
        };
        assert!(id.hexish && !id.upper32 && !id.lower32 && !id.base58);
        assert!(base32.upper32 && !base32.lower32 && !base32.hexish && !base32.base58);
    }
}
