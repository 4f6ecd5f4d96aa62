//! The shape of a string, told in one pass over its bytes: which byte classes it holds, how
//! many digits, its longest runs of token characters and of hex digits, and whether a number
//! stands alone in it; and the token alphabets a run is written in. A scan reads the shape to
//! skip the passes that cannot find anything in the string: most values are short words,
//! numbers and ids, and each pass costs more to start than the shape costs to tell.

use std::ops::RangeInclusive;

/// How many digits a number that stands alone holds: an SSN's nine up to a card's nineteen.
pub(super) const NUMBER_DIGITS: RangeInclusive<usize> = 9..=19;

/// A byte's classes, as bits.
const DIGIT: u32 = 1;
const HIGH: u32 = 1 << 1;
const PERCENT: u32 = 1 << 2;
const PLUS: u32 = 1 << 3;
const AMPERSAND: u32 = 1 << 4;
const SEMICOLON: u32 = 1 << 5;
const BACKSLASH: u32 = 1 << 6;
const AT: u32 = 1 << 7;
/// In some token alphabet: base64 and base64url (letters, digits, `+ / _ -`), the rarer
/// tokens' (letters, digits, `+ / - $`) or hex.
const TOKEN: u32 = 1 << 8;
/// The rarer tokens' alphabet; hex digits and dashes; base32 upper and lower case; base58.
const RARE: u32 = 1 << 9;
const HEXISH: u32 = 1 << 10;
const UPPER32: u32 = 1 << 11;
const LOWER32: u32 = 1 << 12;
const BASE58: u32 = 1 << 13;
const HEX: u32 = 1 << 14;
/// In the token alphabets but no hex digit or dash: a run without one is [`Alphabets::hexish`].
const SPELLED: u32 = 1 << 15;
/// Glues a number to an id, a version or a timestamp: letters, digits, dots.
const GLUE: u32 = 1 << 16;
/// Groups the digits of an SSN or a card: a dash or a space.
const GAP: u32 = 1 << 17;
/// An ASCII letter from `g` to `z`, in either case: the letters of no hex digest.
const LATE: u32 = 1 << 18;

const fn classes(b: u8) -> u32 {
    let mut bits = 0;
    if b.is_ascii_digit() {
        bits |= DIGIT;
    }
    if b >= 0x80 {
        bits |= HIGH;
    }
    if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_' | b'$') {
        bits |= TOKEN;
    }
    if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'$') {
        bits |= RARE;
    }
    if b.is_ascii_hexdigit() || b == b'-' {
        bits |= HEXISH;
    }
    if b.is_ascii_hexdigit() {
        bits |= HEX;
    }
    if bits & TOKEN != 0 && bits & HEXISH == 0 {
        bits |= SPELLED;
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
    if matches!(b.to_ascii_lowercase(), b'g'..=b'z') {
        bits |= LATE;
    }
    match b {
        b'-' | b' ' => bits | GAP,
        b'%' => bits | PERCENT,
        b'+' => bits | PLUS,
        b'&' => bits | AMPERSAND,
        b';' => bits | SEMICOLON,
        b'\\' => bits | BACKSLASH,
        b'@' => bits | AT,
        _ => bits,
    }
}

const TABLE: [u32; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = classes(b as u8);
        b += 1;
    }
    table
};

/// What a string is made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Shape {
    /// Every class some byte is in.
    seen: u32,
    pub digits: usize,
    /// The longest run of bytes of the token alphabets together: no base64, hex or rarer
    /// token is longer.
    pub token_run: usize,
    /// The longest run of hex digits.
    pub hex_run: usize,
    /// Whether it holds a number that stands alone (see [`Shape::standing_number`]).
    standing: bool,
}

/// The state of the standing-number test along a string: the current run of digits, and
/// whether the byte before the run, and the byte before this one, glue.
#[derive(Default)]
struct Numbers {
    run: usize,
    glued_before_run: bool,
    glued_before: bool,
    standing: bool,
}

impl Numbers {
    fn step(&mut self, bits: u32) {
        if bits & DIGIT != 0 {
            if self.run == 0 {
                self.glued_before_run = self.glued_before;
            }
            self.run += 1;
        } else if self.run > 0 {
            self.end(bits);
        }
        self.glued_before = bits & GLUE != 0;
    }

    /// The end of a run of digits at a byte of classes `after` (0 past the end).
    fn end(&mut self, after: u32) {
        let alone = NUMBER_DIGITS.contains(&self.run) && after & GLUE == 0;
        let grouped = (3..=4).contains(&self.run) && after & GAP != 0;
        self.standing |= !self.glued_before_run && (alone || grouped);
        self.run = 0;
    }
}

impl Shape {
    pub fn of(text: &[u8]) -> Shape {
        let mut shape = Shape::default();
        let (mut run, mut hex) = (0, 0);
        let mut numbers = Numbers::default();
        for &b in text {
            let bits = TABLE[usize::from(b)];
            shape.seen |= bits;
            shape.digits += usize::from(bits & DIGIT != 0);
            run = if bits & TOKEN != 0 { run + 1 } else { 0 };
            shape.token_run = shape.token_run.max(run);
            hex = if bits & HEX != 0 { hex + 1 } else { 0 };
            shape.hex_run = shape.hex_run.max(hex);
            numbers.step(bits);
        }
        numbers.end(0);
        shape.standing = numbers.standing;
        shape
    }

    /// Whether it can hold a number candidate that stands alone: a run of 9 to 19 digits
    /// glued on neither side, or a run of 3 or 4 digits not glued before it that goes on with
    /// a dash or a space (an SSN, a grouped card), with 9 digits in all. A number glued to
    /// letters, digits or dots is an id, a version or a timestamp part.
    pub fn standing_number(self) -> bool {
        self.standing && self.digits >= *NUMBER_DIGITS.start()
    }

    fn has(self, class: u32) -> bool {
        self.seen & class != 0
    }

    pub fn late_letters(self) -> bool {
        self.has(LATE)
    }

    pub fn high(self) -> bool {
        self.has(HIGH)
    }

    /// Whether url decoding can change it: a `%` or a `+`.
    pub fn url_encoded(self) -> bool {
        self.has(PERCENT | PLUS)
    }

    /// Whether it can hold an HTML entity: a `&` and a `;`.
    pub fn entities(self) -> bool {
        self.has(AMPERSAND) && self.has(SEMICOLON)
    }

    /// Whether it can hold a JSON escape.
    pub fn escapes(self) -> bool {
        self.has(BACKSLASH)
    }

    pub fn at_sign(self) -> bool {
        self.has(AT)
    }

    /// Whether some token character is no hex digit or dash: without one, every token run is
    /// hex, a uuid or a number, which no base64 or rarer decoding is tried on.
    pub fn spelled(self) -> bool {
        self.has(SPELLED)
    }
}

/// Whether `b` is in the rarer tokens' alphabet: letters, digits, `+ / - $`.
pub(super) fn in_rare_alphabet(b: u8) -> bool {
    TABLE[usize::from(b)] & RARE != 0
}

/// Which alphabets a run is written in entirely.
pub(super) struct Alphabets {
    /// Hex digits and dashes: hex, uuids and numbers.
    pub hexish: bool,
    /// Base32 in upper case, or in lower case.
    pub upper32: bool,
    pub lower32: bool,
    /// Base58: letters and digits but `0 O I l`.
    pub base58: bool,
}

impl Alphabets {
    pub fn of(run: &[u8]) -> Alphabets {
        let all = run
            .iter()
            .fold(u32::MAX, |all, &b| all & TABLE[usize::from(b)]);
        Alphabets {
            hexish: all & HEXISH != 0,
            upper32: all & UPPER32 != 0,
            lower32: all & LOWER32 != 0,
            base58: all & BASE58 != 0,
        }
    }
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
        assert_eq!(shape.token_run, 12);
        // "deadbeef0123"; "ab12" sits in a longer token run, "cd" and "caf" are short.
        assert_eq!(shape.hex_run, 12);
        assert_eq!(Shape::of(b"deadbeef-0123").hex_run, 8);
        let plain = Shape::of(b"page_view");
        assert!(!plain.url_encoded() && !plain.entities() && !plain.escapes());
        assert!(!plain.at_sign() && !plain.high() && plain.spelled());
        assert!(!Shape::of(b"3f2a9c1e-7b4d, 1719234567.123").spelled());
        assert_eq!(plain.token_run, 9);
        let id = Alphabets::of(b"4f9e-12ab");
        assert!(id.hexish && !id.upper32 && !id.lower32 && !id.base58);
        let base32 = Alphabets::of(b"MZXW6YTB");
        assert!(base32.upper32 && !base32.lower32 && base32.base58 && !base32.hexish);
        assert!(in_rare_alphabet(b'$') && !in_rare_alphabet(b'_'));
    }
}
