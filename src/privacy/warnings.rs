//! Unknown-value patterns: Luhn-valid card numbers, ABA-valid routing numbers, SSN shapes and
//! email addresses that belong to no known customer. They are warnings, never failures.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::shape::{Shape, NUMBER_DIGITS};
use super::WarningKind;
use crate::customer::{aba_valid, luhn_valid};

/// SSN shape, card grouped 4-4-4-4 by spaces or dashes, or a compact run of 9 to 19 digits.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{4}(?:[ -][0-9]{4}){3}|[0-9]{9,19}")
        .expect("valid number regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
        .expect("valid email regex")
});

/// A sensitive-looking value: its pattern, its normal form (digits only, or the lowercase
/// email) to compare with known values, and its masked form for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Candidate {
    pub kind: WarningKind,
    pub normalized: String,
    pub masked: String,
}

/// Every candidate in `text`, of shape `shape` (a scan looks for none in a protocol header:
/// numbers there are lengths, ports and dates, not personal data).
pub(super) fn find(text: &[u8], shape: &Shape) -> Vec<Candidate> {
    let mut found = Vec::new();
    if shape.digits == text.len() {
        // A bare number (a JSON number, a query value): a candidate of its own length, or none.
        if NUMBER_DIGITS.contains(&text.len()) {
            found.extend(number(text));
        }
    } else if shape.standing_number() {
        for m in NUMBER.find_iter(text) {
            let before = m.start().checked_sub(1).and_then(|i| text.get(i));
            if !glued(before) && !glued(text.get(m.end())) {
                found.extend(number(m.as_bytes()));
            }
        }
    }
    if shape.at_sign() {
        for m in EMAIL.find_iter(text) {
            let email = String::from_utf8_lossy(m.as_bytes()).to_lowercase();
            if let Some((local, domain)) = email.split_once('@') {
                let first: String = local.chars().take(1).collect();
                found.push(Candidate {
                    kind: WarningKind::Email,
                    masked: format!("{first}***@{domain}"),
                    normalized: email,
                });
            }
        }
    }
    found
}

/// A number glued to letters, digits or dots is an id, a version or a timestamp part.
fn glued(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
}

/// What a number token (digits, dashes and spaces) is, if anything. Most are ids and
/// timestamps, told apart without an allocation: the digits are gathered on the stack.
fn number(token: &[u8]) -> Option<Candidate> {
    let mut gathered = [0u8; *NUMBER_DIGITS.end()];
    let mut count = 0;
    for &digit in token.iter().filter(|b| b.is_ascii_digit()) {
        *gathered.get_mut(count)? = digit;
        count += 1;
    }
    let digits = gathered.get(..count)?;
    // Most numbers are ids and timestamps, told from the digits as bytes: a number is read
    // as text only once it has a card's, a routing number's or an SSN's shape.
    let kind = if token.len() == 11 && token.contains(&b'-') {
        let parts: Vec<u32> = token
            .split(|&b| b == b'-')
            .filter_map(|p| std::str::from_utf8(p).ok()?.parse().ok())
            .collect();
        match parts.as_slice() {
            [area, group, serial] if ssn_valid(*area, *group, *serial) => WarningKind::Ssn,
            _ => return None,
        }
    } else if card_shaped(digits) && luhn_valid(std::str::from_utf8(digits).ok()?) {
        WarningKind::CardNumber
    } else if token.len() == 9
        && routing_prefix(digits)
        && aba_valid(std::str::from_utf8(digits).ok()?)
    {
        WarningKind::RoutingNumber
    } else {
        return None;
    };
    let digits = std::str::from_utf8(digits).ok()?;
    let last4: String = digits
        .chars()
        .skip(digits.len().saturating_sub(4))
        .collect();
    let hidden = |n: usize| "*".repeat(n);
    let masked = match kind {
        WarningKind::Ssn => format!("***-**-{last4}"),
        WarningKind::CardNumber => {
            let first4: String = digits.chars().take(4).collect();
            format!("{first4}{}{last4}", hidden(digits.len().saturating_sub(8)))
        }
        _ => format!("{}{last4}", hidden(digits.len().saturating_sub(4))),
    };
    Some(Candidate {
        kind,
        normalized: digits.to_owned(),
        masked,
    })
}

/// The number the first `n` of ASCII `digits` write, 0 when there are fewer.
fn leading(digits: &[u8], n: usize) -> u32 {
    digits.get(..n).map_or(0, |head| {
        head.iter()
            .fold(0, |sum, &d| sum * 10 + u32::from(d.wrapping_sub(b'0')))
    })
}

/// Whether a brand issues cards with this prefix and length (Visa, Mastercard, Amex,
/// Discover, Diners, JCB), so that ids and timestamps rarely pass for cards; `digits` are
/// ASCII digits.
fn card_shaped(digits: &[u8]) -> bool {
    let prefix = |n: usize| leading(digits, n);
    match digits.len() {
        len if digits.first() == Some(&b'4') => matches!(len, 13 | 16 | 19),
        14 => matches!(prefix(2), 36 | 38) || (300..=305).contains(&prefix(3)),
        15 => matches!(prefix(2), 34 | 37),
        16..=19 => {
            matches!(prefix(2), 51..=55 | 65)
                || matches!(prefix(4), 2221..=2720 | 3528..=3589 | 6011)
                || (644..=649).contains(&prefix(3))
        }
        _ => false,
    }
}

/// Area not 000, 666 or 9xx; group not 00; serial not 0000.
fn ssn_valid(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Federal Reserve prefixes of routing numbers: 01-12, 21-32, 61-72, 80; `digits` are ASCII
/// digits.
fn routing_prefix(digits: &[u8]) -> bool {
    digits.len() >= 2 && matches!(leading(digits, 2), 1..=12 | 21..=32 | 61..=72 | 80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_passes_every_text_the_regex_finds_a_number_in() {
        let alphabet = b"0123456789- .a";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut draw = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..100_000 {
            let len = usize::try_from(draw() % 28).unwrap_or(0);
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    let pick = usize::try_from(draw() % 20).unwrap_or(0);
                    alphabet.get(pick).copied().unwrap_or(b'7')
                })
                .collect();
            let standing = NUMBER.find_iter(&text).any(|m| {
                let before = m.start().checked_sub(1).and_then(|i| text.get(i));
                !glued(before) && !glued(text.get(m.end()))
            });
            if standing {
                let shape = Shape::of(&text);
                assert!(
                    shape.standing_number(),
                    "{}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        assert!(!Shape::of(b"fb.1.1717171717123.1234567890").standing_number());
    }

    fn masked(text: &str) -> Vec<(WarningKind, String)> {
        find(text.as_bytes(), &Shape::of(text.as_bytes()))
            .into_iter()
            .map(|c| (c.kind, c.masked))
            .collect()
    }

    #[test]
    fn finds_and_masks_each_pattern() {
        use WarningKind::*;
        let text = "card 4111 1111 1111 1111, 4111-1111-1111-1111 or 4111111111111111; \
                    aba 011000015; ssn 123-45-6789; mail Bob.Smith@Example.com";
        let card = (CardNumber, "4111********1111".to_owned());
        assert_eq!(
            masked(text),
            vec![
                card.clone(),
                card.clone(),
                card,
                (RoutingNumber, "*****0015".to_owned()),
                (Ssn, "***-**-6789".to_owned()),
                (Email, "b***@example.com".to_owned()),
            ]
        );
    }

    #[test]
    fn skips_invalid_and_glued_numbers() {
        for text in [
            "4111111111111112",         // Luhn fails
            "1719792000000",            // a timestamp: no card prefix
            "538267327569642",          // Luhn-valid, but no brand issues 15 digits after 53
            "GA1.2.011000015.17197920", // glued to dots
            "id011000015",              // glued to letters
            "000-12-3456 666-12-3456 912-12-3456 123-00-4567 123-45-0000",
            "131000015", // prefix 13 is no Federal Reserve district
        ] {
            assert_eq!(masked(text), vec![], "{text}");
        }
    }

    /// A Luhn-valid number of `len` digits opening with `prefix`.
    fn luhn_number(prefix: &str, len: usize) -> String {
        let mut digits: String = format!("{prefix}{}", "0".repeat(len - prefix.len() - 1));
        for check in 0..10 {
            let candidate = format!("{digits}{check}");
            if luhn_valid(&candidate) {
                digits = candidate;
                break;
            }
        }
        digits
    }

    #[test]
    fn tells_each_card_network_by_its_prefix_and_length() {
        // (prefix, length, whether a network issues it)
        let numbers = [
            ("4", 13, true),
            ("4", 16, true),
            ("4", 19, true),
            ("4", 14, false),
            ("4", 15, false),
            ("36", 14, true),
            ("38", 14, true),
            ("36", 15, false),
            ("300", 14, true),
            ("305", 14, true),
            ("306", 14, false),
            ("34", 15, true),
            ("37", 15, true),
            ("35", 15, false),
            ("51", 16, true),
            ("55", 19, true),
            ("56", 16, false),
            ("65", 16, true),
            ("66", 16, false),
            ("2221", 16, true),
            ("2720", 16, true),
            ("2220", 16, false),
            ("2721", 16, false),
            ("3528", 16, true),
            ("3589", 17, true),
            ("6011", 16, true),
            ("6012", 16, false),
            ("644", 16, true),
            ("649", 19, true),
            ("643", 16, false),
        ];
        for (prefix, len, card) in numbers {
            let number = luhn_number(prefix, len);
            let expected = if card {
                vec![WarningKind::CardNumber]
            } else {
                vec![]
            };
            let found: Vec<WarningKind> = masked(&number).into_iter().map(|(k, _)| k).collect();
            assert_eq!(found, expected, "{number}");
        }
    }
}
