//! The shape of a string, told in one pass over its bytes: which byte classes it holds, how
//! many digits, and its longest runs of the token alphabets. A scan reads it to skip the
//! passes that cannot find anything in the string: most values are short words, numbers and
//! ids, and each pass costs more to start than the shape costs to tell.

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
}

impl Shape {
    pub fn of(text: &[u8]) -> Shape {
        let mut shape = Shape::default();
        let mut run = 0;
        for &b in text {
            let bits = TABLE[usize::from(b)];
            shape.seen |= bits;
            shape.digits += usize::from(bits & DIGIT != 0);
            run = if bits & TOKEN != 0 { run + 1 } else { 0 };
            shape.token_run = shape.token_run.max(run);
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
        let plain = Shape::of(b"page_view");
        assert!(!plain.url_encoded() && !plain.entities() && !plain.escapes());
        assert!(!plain.at_sign() && !plain.high());
        assert_eq!(plain.token_run, 9);
    }
}
