//! What the key a value sat under says about it: whether it names money (so a bare number
//! there may be an amount) or names one kind of personal value (so a short value there may be
//! that value, where the same digits elsewhere are a coincidence).

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::ValueKind;

/// The key a value sat under, as far as the scan cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum KeyKind {
    /// No key: a path segment, a plain text body, a bot reply.
    None,
    /// value, amount, revenue, price, balance, total, sum, currentBalance, ...
    ValueLike,
    /// A key that names one kind of personal value: `zip`, `zp`, `email`, `em`, `dob`, ...
    Names(ValueKind),
    /// A key that names a person's identifier (`id`, `uid`, `user_id`, `external_id`, …):
    /// where a 32-bit checksum of an identity value may stand for the person.
    Identity,
    /// A header that holds protocol values (`Host`, `Content-Length`, `Date`, …): its numbers
    /// are ports, lengths and dates, so short digit needles never count there.
    Protocol,
    Other,
}

/// Headers whose values are protocol values (lengths, media types, encodings, hosts, dates).
const PROTOCOL_HEADERS: [&str; 24] = [
    "accept",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "cache-control",
    "connection",
    "content-encoding",
    "content-language",
    "content-length",
    "content-range",
    "content-type",
    "date",
    "etag",
    "expect",
    "host",
    "if-modified-since",
    "if-none-match",
    "keep-alive",
    "last-modified",
    "pragma",
    "range",
    "te",
    "transfer-encoding",
    "user-agent",
];

/// Whether `location` is a protocol header's (`header:content-length`), not one of its
/// fields' (`header:cookie:x`, a JSON member of a header's value).
pub(super) fn in_protocol_header(location: &str) -> bool {
    location
        .strip_prefix("header:")
        .is_some_and(is_protocol_header)
}

/// Whether the header `name` holds only protocol values.
pub(super) fn is_protocol_header(name: &str) -> bool {
    PROTOCOL_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// Whole keys, ignoring case and `_`, `-`, `$`, that name a person's identifier.
const IDENTITY: [&str; 8] = [
    "id",
    "uid",
    "user",
    "userid",
    "externalid",
    "customerid",
    "distinctid",
    "hashedid",
];

/// Keys that name a kind of value: whole keys (Meta's short `user_data` keys), and words a key
/// may contain.
const NAMING: [(ValueKind, &[&str], &[&str]); 5] = [
    (ValueKind::Email, &["em"], &["email", "mail"]),
    (
        ValueKind::Address,
        &["zp", "ct", "st", "city", "state", "region", "country"],
        &["zip", "postal", "postcode"],
    ),
    (ValueKind::DateOfBirth, &["db"], &["dob", "birth"]),
    (ValueKind::Ssn, &[], &["ssn", "social", "tax"]),
    (ValueKind::Phone, &["ph"], &["phone", "mobile", "tel"]),
];

/// Whole keys that name money.
const VALUE_KEYS: [&str; 2] = ["total", "sum"];
/// Words that make a key name money.
const VALUE_WORDS: [&str; 5] = ["amount", "balance", "price", "revenue", "value"];

/// The value words, then every word of `NAMING`, in one case-insensitive automaton.
static KEY_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let naming = NAMING.iter().flat_map(|(_, _, words)| words.iter());
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(VALUE_WORDS.iter().chain(naming))
        .expect("valid key words")
});

/// Per pattern of `KEY_WORDS`: `None` for a value word, else its entry in `NAMING`.
static KEY_WORD_ENTRIES: LazyLock<Vec<Option<usize>>> = LazyLock::new(|| {
    let naming = NAMING
        .iter()
        .enumerate()
        .flat_map(|(entry, (_, _, words))| words.iter().map(move |_| Some(entry)));
    VALUE_WORDS.iter().map(|_| None).chain(naming).collect()
});

impl KeyKind {
    pub fn of(key: &str) -> KeyKind {
        if key.is_empty() {
            return KeyKind::None;
        }
        let whole = |w: &&str| key.eq_ignore_ascii_case(w);
        if VALUE_KEYS.iter().any(whole) {
            return KeyKind::ValueLike;
        }
        // The first entry of NAMING whose whole key or word matches; a value word wins outright.
        let mut named = NAMING
            .iter()
            .position(|(_, keys, _)| keys.iter().any(whole));
        for word in KEY_WORDS.find_overlapping_iter(key) {
            match KEY_WORD_ENTRIES
                .get(word.pattern().as_usize())
                .copied()
                .flatten()
            {
                None => return KeyKind::ValueLike,
                Some(entry) => named = Some(named.map_or(entry, |n| n.min(entry))),
            }
        }
        if let Some(&(kind, ..)) = named.and_then(|entry| NAMING.get(entry)) {
            return KeyKind::Names(kind);
        }
        let key = key.as_bytes();
        let bare = || {
            key.iter()
                .filter(|b| !matches!(b, b'_' | b'-' | b'$'))
                .map(u8::to_ascii_lowercase)
        };
        // Every identifier key ends in `id` or `user`.
        let last = key.last().map(u8::to_ascii_lowercase);
        if matches!(last, Some(b'd' | b'r')) && IDENTITY.iter().any(|w| w.bytes().eq(bare())) {
            KeyKind::Identity
        } else {
            KeyKind::Other
        }
    }

    /// Whether a value under this key may be a person's identifier: a key naming an email
    /// or a phone number, or an identifier key.
    pub fn identifies(self) -> bool {
        matches!(
            self,
            KeyKind::Identity | KeyKind::Names(ValueKind::Email | ValueKind::Phone)
        )
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
        assert!(KeyKind::of("st").names(ValueKind::Address));
        assert!(KeyKind::of("country").names(ValueKind::Address));
        for key in [
            "uid",
            "user_id",
            "userId",
            "$user_id",
            "external_id",
            "id",
            "distinct_id",
        ] {
            assert!(KeyKind::of(key).identifies(), "{key}");
        }
        for key in [
            "session_id",
            "event_id",
            "insert_id",
            "sid",
            "ts",
            "latency_ms",
        ] {
            assert!(!KeyKind::of(key).identifies(), "{key}");
        }
        assert!(KeyKind::of("ph").identifies() && KeyKind::of("email").identifies());
    }
}
