//! What each key says, worked out once per thread: its [`KeyKind`], whether it names a
//! protocol header, and the financial-status term it holds. Sink traffic repeats the same few hundred keys (`event_type`, `user_data`,
//! `em`, a cookie's name) in every request, and reading a key (a scan of its words, a
//! status-term search) costs more than a hash lookup. Both readings are pure functions of the
//! key and the vocabulary, so a remembered reading is the reading.

use std::cell::RefCell;
use std::collections::HashMap;

use super::keys::{self, KeyKind};
use super::status::Vocabulary;

/// Keys longer than this are read each time: they are rarely repeated.
const MAX_KEY: usize = 64;
/// Keys remembered per thread; past this, new keys are read each time.
const MAX_KEYS: usize = 4096;

/// A key's reading.
#[derive(Clone)]
pub(super) struct Reading {
    pub kind: KeyKind,
    /// Whether a header of this name holds only protocol values (see
    /// [`keys::is_protocol_header`]).
    pub protocol: bool,
    /// The financial-status term the key holds, if any.
    pub term: Option<String>,
}

/// The readings of one vocabulary's keys.
#[derive(Default)]
struct Memo {
    /// The vocabulary the terms were found with (see [`Vocabulary::id`]).
    vocabulary: u64,
    readings: HashMap<Box<str>, Reading, foldhash::fast::FixedState>,
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::default();
}

/// The reading of `key` under `vocabulary`.
pub(super) fn read(key: &str, vocabulary: &Vocabulary) -> Reading {
    let fresh = || Reading {
        kind: KeyKind::of(key),
        protocol: keys::is_protocol_header(key),
        term: vocabulary.find(key),
    };
    if key.len() > MAX_KEY {
        return fresh();
    }
    MEMO.with_borrow_mut(|memo| {
        if memo.vocabulary != vocabulary.id() {
            memo.readings.clear();
            memo.vocabulary = vocabulary.id();
        }
        if let Some(reading) = memo.readings.get(key) {
            return reading.clone();
        }
        let reading = fresh();
        if memo.readings.len() < MAX_KEYS {
            memo.readings.insert(key.into(), reading.clone());
        }
        reading
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::ValueKind;

    #[test]
    fn a_remembered_reading_is_the_reading_under_its_own_vocabulary() {
        let builtin = Vocabulary::default();
        let custom = Vocabulary::new(["loyalty tier"], ["overdraft"]);
        for _ in 0..2 {
            let read_builtin = read("overdraft_flag", &builtin);
            assert_eq!(read_builtin.term.as_deref(), Some("overdraft"));
            assert_eq!(read_builtin.kind, KeyKind::Other);
            assert_eq!(read("overdraft_flag", &custom).term, None);
            assert_eq!(
                read("loyaltyTier", &custom).term.as_deref(),
                Some("loyalty tier")
            );
            assert_eq!(read("loyaltyTier", &builtin).term, None);
            assert_eq!(read("em", &custom).kind, KeyKind::Names(ValueKind::Email));
            assert!(read("Content-Length", &custom).protocol && !read("em", &custom).protocol);
        }
        let long = format!("{}_balance", "x".repeat(MAX_KEY));
        assert_eq!(read(&long, &builtin).kind, KeyKind::ValueLike);
    }
}
