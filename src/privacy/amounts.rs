//! Amount tokens on the haystack side. Money-formatted text (`1234.56`, `1,234.56`,
//! `$1,234.56`) hits anywhere; a bare number (`12.5`, `1250`, a JSON number) hits only under a
//! value-like key, so that a coincidental latency of `12.5` is no hit.

use std::sync::LazyLock;

use regex::bytes::Regex;

use super::keys::KeyKind;

/// Money with exactly two decimals, optionally `$` and thousands commas.
static MONEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)\.[0-9]{2}").expect("valid money regex")
});

/// The candidate amounts in cents in `text` under a key of kind `key`, and the needle label.
pub(super) fn find(text: &[u8], key: KeyKind) -> (Vec<i64>, &'static str) {
    let trimmed = text.trim_ascii();
    match key {
        KeyKind::ValueLike if is_bare_number(trimmed) => (bare_cents(trimmed), "value(amount)"),
        KeyKind::None => (money(text), "amount"),
        _ if is_bare_number(trimmed) => (Vec::new(), "value(amount)"),
        _ => (money(text), "amount"),
    }
}

/// Whether text can hold an amount, told from whether it holds a `.` and from its key: money
/// is written with cents, and a bare number counts only under a value-like key. The scan
/// looks for amounts only where this holds.
pub(super) fn possible(dotted: bool, key: KeyKind) -> bool {
    dotted || key == KeyKind::ValueLike
}

/// A byte that glues a number to what surrounds it: then it is part of an id or a path.
fn glued(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/'))
}

/// Whether `text` can hold a money token that stands alone, told without the regex: some
/// `.dd` not glued to what follows, whose digits (with commas and a `$`) are either not glued
/// to what precedes them or hold a comma or a `$` where a token could start. The user agents,
/// versions and ids most values are end here.
fn may_hold_money(text: &[u8]) -> bool {
    let cents = |i: usize| matches!(text.get(i..i + 3), Some([b'.', a, b]) if a.is_ascii_digit() && b.is_ascii_digit());
    let dots = text.iter().enumerate().filter(|&(_, &b)| b == b'.');
    dots.map(|(i, _)| i).filter(|&i| cents(i)).any(|dot| {
        if glued(text.get(dot + 3)) {
            return false;
        }
        let head = text.get(..dot).unwrap_or_default();
        let number = head
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit() || matches!(b, b',' | b'$'))
            .count();
        let start = dot - number;
        let before = start.checked_sub(1).and_then(|i| text.get(i));
        let marked = head
            .get(start..)
            .unwrap_or_default()
            .iter()
            .any(|b| matches!(b, b',' | b'$'));
        number > 0 && (marked || !(glued(before) || before == Some(&b'.')))
    })
}

/// `-?digits(.digits)?`
fn is_bare_number(text: &[u8]) -> bool {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    let (whole, fraction) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => (&digits[..dot], digits.get(dot + 1..).unwrap_or_default()),
        None => (digits, &b"0"[..]),
    };
    let all_digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    all_digits(whole) && all_digits(fraction)
}

/// A bare number as cents: a decimal with at most two places; an integer as cents, and as
/// whole dollars.
fn bare_cents(text: &[u8]) -> Vec<i64> {
    let text = String::from_utf8_lossy(text.strip_prefix(b"-").unwrap_or(text)).into_owned();
    match text.split_once('.') {
        Some((whole, fraction)) if fraction.len() <= 2 => {
            let scale = if fraction.len() == 1 { 10 } else { 1 };
            let cents = whole.parse::<i64>().ok().and_then(|w| w.checked_mul(100));
            let fraction = if fraction.is_empty() {
                Some(0)
            } else {
                fraction.parse::<i64>().ok()
            };
            cents
                .zip(fraction)
                .and_then(|(w, f)| w.checked_add(f * scale))
                .into_iter()
                .collect()
        }
        Some(_) => Vec::new(),
        None => text
            .parse::<i64>()
            .ok()
            .map(|n| [Some(n), n.checked_mul(100)])
            .into_iter()
            .flatten()
            .flatten()
            .collect(),
    }
}

/// Money-formatted tokens, as cents. A token next to a digit, a dot followed by a digit, or a
/// letter, `_` or `/` is part of something else (a version, `Safari/537.36`) and skipped.
fn money(text: &[u8]) -> Vec<i64> {
    if !may_hold_money(text) {
        return Vec::new();
    }
    standalone(text)
}

/// The money tokens of `text` that stand alone, by the regex.
fn standalone(text: &[u8]) -> Vec<i64> {
    MONEY
        .find_iter(text)
        .filter(|m| {
            let before = m.start().checked_sub(1).and_then(|i| text.get(i));
            let after = text.get(m.end());
            let dotted = before == Some(&b'.')
                || (after == Some(&b'.') && text.get(m.end() + 1).is_some_and(u8::is_ascii_digit));
            !glued(before) && !glued(after) && !dotted
        })
        .filter_map(|m| {
            let digits: String = m
                .as_bytes()
                .iter()
                .filter(|b| b.is_ascii_digit())
                .map(|&b| char::from(b))
                .collect();
            digits.parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_tokens_stand_alone() {
        assert_eq!(money(b"balance $1,234.56."), vec![123456]);
        assert_eq!(money(b"1234.56 and 12.50,13.00"), vec![123456, 1250, 1300]);
        for text in [
            "Safari/537.36",
            "v1.2.34",
            "1234.567",
            "12.5",
            "x12.50",
            "12.50.1",
        ] {
            assert_eq!(money(text.as_bytes()), Vec::<i64>::new(), "{text}");
        }
    }

    /// Calls `each` with every text of up to seven bytes of `alphabet` (some more than once).
    fn every_text(alphabet: &[u8], mut each: impl FnMut(&[u8])) {
        let mut text = Vec::new();
        for n in 0..alphabet.len().pow(7) {
            text.clear();
            let mut rest = n;
            while rest > 0 {
                text.push(alphabet[rest % alphabet.len()]);
                rest /= alphabet.len();
            }
            each(&text);
        }
    }

    #[test]
    fn the_quick_test_passes_every_text_the_regex_finds_money_in() {
        every_text(b"1.,$a/ ", |text| {
            if !standalone(text).is_empty() {
                assert!(may_hold_money(text), "{}", String::from_utf8_lossy(text));
            }
        });
        assert!(!may_hold_money(
            b"Mozilla/5.0 AppleWebKit/537.36 Chrome/126.0.0.0"
        ));
    }

    /// Where `possible` says no amount can be, `find` finds none.
    #[test]
    fn no_amount_where_none_is_possible() {
        let keys = [
            KeyKind::None,
            KeyKind::ValueLike,
            KeyKind::Names(crate::privacy::ValueKind::Email),
            KeyKind::Identity,
            KeyKind::Protocol,
            KeyKind::Other,
        ];
        every_text(b"1,$- a", |text| {
            for key in keys.into_iter().filter(|&key| !possible(false, key)) {
                assert_eq!(find(text, key).0, Vec::<i64>::new(), "{key:?}");
            }
        });
        assert!(possible(false, KeyKind::ValueLike) && possible(true, KeyKind::Other));
        assert_eq!(find(b"1250", KeyKind::ValueLike).0, vec![1250, 125000]);
    }

    #[test]
    fn bare_numbers_only_under_value_keys() {
        assert_eq!(
            find(b"12.5", KeyKind::ValueLike),
            (vec![1250], "value(amount)")
        );
        assert_eq!(find(b"1250", KeyKind::ValueLike).0, vec![1250, 125000]);
        assert_eq!(find(b"12.50", KeyKind::Other).0, Vec::<i64>::new());
        assert_eq!(find(b"12.345", KeyKind::ValueLike).0, Vec::<i64>::new());
        assert_eq!(find(b"12.50", KeyKind::None), (vec![1250], "amount"));
    }
}
