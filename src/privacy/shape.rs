//! The shape of a string, told in one pass over its bytes: which byte classes it holds, how
//! many digits, and its longest runs of token characters and of hex digits; and the token alphabets a run is
//! written in. A scan reads the shape to skip the passes that cannot find anything in the
//! string: most values are short words, numbers and ids, and each pass costs more to start
//! than the shape costs to tell.

/// A byte's classes, as bits.
const DIGIT: u16 = 1;
const LETTER: u16 = 1 << 1;
const HIGH: u16 = 1 << 2;
const PERCENT: u16 = 1 << 3;
const PLUS: u16 = 1 << 4;
const AMPERSAND: u16 = 1 << 5;
const SEMICOLON: u16 = 1 << 6;
const BACKSLASH: u16 = 1 << 7;
const AT: u16 = 1 << 8;
/// In some token alphabet: base64 and base64url (letters, digits, `+ / _ -`), the rarer
/// tokens' (letters, digits, `+ / - $`) or hex.
const TOKEN: u16 = 1 << 9;
/// The rarer tokens' alphabet; hex digits and dashes; base32 upper and lower case; base58.
const RARE: u16 = 1 << 10;
const HEXISH: u16 = 1 << 11;
const UPPER32: u16 = 1 << 12;
const LOWER32: u16 = 1 << 13;
const BASE58: u16 = 1 << 14;
const HEX: u16 = 1 << 15;

const fn classes(b: u8) -> u16 {
    let mut bits = 0;
    if b.is_ascii_digit() {
        bits |= DIGIT;
    }
    if b.is_ascii_alphabetic() {
        bits |= LETTER;
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
    if matches!(b, b'A'..=b'Z' | b'2'..=b'7') {
        bits |= UPPER32;
    }
    if matches!(b, b'a'..=b'z' | b'2'..=b'7') {
        bits |= LOWER32;
    }
    if b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l') {
        bits |= BASE58;
    }
    match b {
        b'%' => bits | PERCENT,
        b'+' => bits | PLUS,
        b'&' => bits | AMPERSAND,
        b';' => bits | SEMICOLON,
        b'\\' => bits | BACKSLASH,
        b'@' => bits | AT,
        _ => bits,
    }
}

const TABLE: [u16; 256] = {
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
    seen: u16,
    pub digits: usize,
    /// The longest run of bytes of the token alphabets together: no base64, hex or rarer
    /// token is longer.
    pub token_run: usize,
    /// The longest run of hex digits.
    pub hex_run: usize,
}

impl Shape {
    pub fn of(text: &[u8]) -> Shape {
        let mut shape = Shape::default();
        let (mut run, mut hex) = (0, 0);
        for &b in text {
            let bits = TABLE[usize::from(b)];
            shape.seen |= bits;
            shape.digits += usize::from(bits & DIGIT != 0);
            run = if bits & TOKEN != 0 { run + 1 } else { 0 };
            shape.token_run = shape.token_run.max(run);
            hex = if bits & HEX != 0 { hex + 1 } else { 0 };
            shape.hex_run = shape.hex_run.max(hex);
        }
        shape
    }

    fn has(self, class: u16) -> bool {
        self.seen & class != 0
    }

    pub fn letters(self) -> bool {
        self.has(LETTER)
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
            .fold(u16::MAX, |all, &b| all & TABLE[usize::from(b)]);
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
        assert!(shape.letters() && shape.high() && shape.url_encoded());
        assert!(shape.entities() && shape.escapes() && shape.at_sign());
        assert_eq!(shape.digits, 12);
        assert_eq!(shape.token_run, 12);
        // "deadbeef0123"; "ab12" sits in a longer token run, "cd" and "caf" are short.
        assert_eq!(shape.hex_run, 12);
        assert_eq!(Shape::of(b"deadbeef-0123").hex_run, 8);
        let plain = Shape::of(b"page_view");
        assert!(!plain.url_encoded() && !plain.entities() && !plain.escapes());
        assert!(!plain.at_sign() && !plain.high());
        assert_eq!(plain.token_run, 9);
        let id = Alphabets::of(b"4f9e-12ab");
        assert!(id.hexish && !id.upper32 && !id.lower32 && !id.base58);
        let base32 = Alphabets::of(b"MZXW6YTB");
        assert!(base32.upper32 && !base32.lower32 && base32.base58 && !base32.hexish);
        assert!(in_rare_alphabet(b'$') && !in_rare_alphabet(b'_'));
    }
}
