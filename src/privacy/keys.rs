//! What the key a value sat under says about it: whether it names money (so a bare number
//! there may be an amount) or names one kind of personal value (so a short value there may be
//! that value, where the same digits elsewhere are a coincidence).

use super::ValueKind;

/// The key a value sat under, as far as the scan cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyKind {
    /// No key: a path segment, a plain text body, a bot reply.
    None,
    /// value, amount, revenue, price, balance, total, sum, currentBalance, ...
    ValueLike,
    /// A key that names one kind of personal value: `zip`, `zp`, `email`, `em`, `dob`, ...
    Names(ValueKind),
    Other,
}

/// Keys that name a kind of value: whole keys (Meta's short `user_data` keys), and words a key
/// may contain.
const NAMING: [(ValueKind, &[&str], &[&str]); 5] = [
    (ValueKind::Email, &["em"], &["email", "mail"]),
    (ValueKind::Address, &["zp"], &["zip", "postal", "postcode"]),
    (ValueKind::DateOfBirth, &["db"], &["dob", "birth"]),
    (ValueKind::Ssn, &[], &["ssn", "social", "tax"]),
    (ValueKind::Phone, &["ph"], &["phone", "mobile", "tel"]),
];

impl KeyKind {
    pub fn of(key: &str) -> KeyKind {
        let key = key.as_bytes();
        let has = |word: &str| {
            key.windows(word.len())
                .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
        };
        if key.is_empty() {
            return KeyKind::None;
        }
        let value_like = key.eq_ignore_ascii_case(b"total")
            || key.eq_ignore_ascii_case(b"sum")
            || ["amount", "balance", "price", "revenue", "value"]
                .into_iter()
                .any(has);
        if value_like {
            return KeyKind::ValueLike;
        }
        NAMING
            .iter()
            .find(|(_, whole, words)| {
                whole.iter().any(|w| key.eq_ignore_ascii_case(w.as_bytes()))
                    || words.iter().copied().any(has)
            })
            .map_or(KeyKind::Other, |&(kind, ..)| KeyKind::Names(kind))
    }

    /// Whether the key names values of `kind`.
    pub fn names(self, kind: ValueKind) -> bool {
        self == KeyKind::Names(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_money_or_one_kind_of_value() {
        assert_eq!(KeyKind::of("availableBalance"), KeyKind::ValueLike);
        assert_eq!(KeyKind::of("latency_ms"), KeyKind::Other);
        assert_eq!(KeyKind::of("session_id"), KeyKind::Other);
        assert_eq!(KeyKind::of(""), KeyKind::None);
        assert!(KeyKind::of("zp").names(ValueKind::Address));
        assert!(KeyKind::of("postalCode").names(ValueKind::Address));
        assert!(KeyKind::of("$email").names(ValueKind::Email));
        assert!(KeyKind::of("em").names(ValueKind::Email));
        assert!(!KeyKind::of("item").names(ValueKind::Email));
        assert!(KeyKind::of("date_of_birth").names(ValueKind::DateOfBirth));
    }
}
