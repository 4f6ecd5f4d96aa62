//! What each key says, worked out once per thread: its [`KeyKind`], whether it names a
//! protocol header, and the financial-status term it holds. Sink traffic repeats the same few
//! hundred keys (`event_type`, `user_data`, `em`, a cookie's name) in every request, and
//! reading a key (a scan of its words, a status-term search) costs more than a hash lookup.
//! The readings are pure functions of the key and the vocabulary, so a remembered reading is
//! the reading.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::keys::{self, KeyKind};
use super::status::Vocabulary;

/// Keys longer than this are read each time: they are rarely repeated.
const MAX_KEY: usize = 64;
/// Keys remembered per thread; past this, new keys are read each time.
const MAX_KEYS: usize = 4096;
/// Slots of the recently read keys, in front of the hash map.
const RECENT: usize = 256;

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
struct Memo {
    /// The vocabulary the terms were found with (see [`Vocabulary::id`]).
    vocabulary: u64,
    readings: HashMap<Rc<str>, Reading, foldhash::fast::FixedState>,
    /// The key last read in each slot (see [`slot`]), and its reading: the keys of a
    /// document are mostly those of the one before, found here without hashing them whole.
    recent: Vec<Option<(Rc<str>, Reading)>>,
}

impl Default for Memo {
    fn default() -> Memo {
        Memo {
            vocabulary: 0,
            readings: HashMap::default(),
            recent: vec![None; RECENT],
        }
    }
}

/// The slot of a key among the recent ones, told from its length and its end bytes.
fn slot(key: &[u8]) -> usize {
    let ends = match (key.first_chunk::<2>(), key.last_chunk::<2>()) {
        (Some(&[a, b]), Some(&[y, z])) => u32::from_le_bytes([a, b, y, z]),
        _ => key.first().map_or(0, |&b| u32::from(b)),
    };
    let mixed = (ends ^ key.len() as u32).wrapping_mul(0x9E37_79B1);
    (mixed >> 24) as usize % RECENT
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
            *memo = Memo::default();
            memo.vocabulary = vocabulary.id();
        }
        let at = slot(key.as_bytes());
        if let Some(Some((recent, reading))) = memo.recent.get(at) {
            if **recent == *key {
                return reading.clone();
            }
        }
        let (key, reading) = match memo.readings.get_key_value(key) {
            Some((key, reading)) => (key.clone(), reading.clone()),
            None => {
                let (key, reading): (Rc<str>, Reading) = (key.into(), fresh());
                if memo.readings.len() < MAX_KEYS {
                    memo.readings.insert(key.clone(), reading.clone());
                }
                (key, reading)
            }
        };
        if let Some(slot) = memo.recent.get_mut(at) {
            *slot = Some((key, reading.clone()));
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
        // A key of the slot another key was read in last is its own, not the other's.
        let email = "email";
        let other = (0..10_000)
            .map(|i| format!("e{i:04}"))
            .find(|key| slot(key.as_bytes()) == slot(email.as_bytes()))
            .expect("some key shares the slot");
        for _ in 0..2 {
            assert_eq!(read(email, &builtin).kind, KeyKind::Names(ValueKind::Email));
            assert_eq!(read(&other, &builtin).kind, KeyKind::Other);
        }
        let long = format!("{}_balance", "x".repeat(MAX_KEY));
        assert_eq!(read(&long, &builtin).kind, KeyKind::ValueLike);
    }
}
