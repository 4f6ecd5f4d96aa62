//! The texts a scan found clean, remembered per thread, so that a text met again in the same
//! context is not scanned again. Sink traffic repeats most of its values from request to
//! request: user agents, media types, event and page names, library versions, small numbers.
//!
//! A text's scan is a pure function of its bytes, the detector (needles and vocabulary) and
//! the context the [`Context`] holds (mode, key kind, depth), except where it decodes (which
//! draws on the request's budgets) or looks further at its site (its location, the last key).
//! The scan marks those cases and every record it makes; a text is remembered only when its
//! scan made no mark, so passing it over the next time records what its scan would: nothing.
//! The memo holds the text itself, not a digest of it, so that no two texts are confused.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault};

use super::keys::KeyKind;
use super::scan::Mode;
use super::starts::WordHasher;

/// Texts longer than this are scanned each time: long values rarely repeat.
pub(super) const MAX_TEXT: usize = 256;
/// The bytes of texts remembered per thread; past this, the memo starts over.
const MAX_BYTES: usize = 8 << 20;
/// What a remembered text costs besides its bytes.
const ENTRY_COST: usize = 48;
/// The texts met once, by the low bits of their hash: a text is remembered when it is found
/// clean a second time, so that ids and timestamps, which never repeat, are not kept.
const ONCE_BITS: u32 = 12;

/// Everything besides its bytes that a clean text's scan depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Context {
    /// The detector's needles and vocabulary, by their ids.
    pub needles: u64,
    pub vocabulary: u64,
    pub mode: Mode,
    pub key: KeyKind,
    pub depth: u8,
}

/// A text not known to be clean: its hash and context, to remember it by once it is found
/// clean.
pub(super) struct Ticket {
    hash: u64,
    context: Context,
}

/// One thread's clean texts.
struct Memo {
    /// By the hash of context and text; two texts of one hash are never confused, as the
    /// second is not remembered.
    clean: HashMap<u64, (Context, Box<[u8]>), BuildHasherDefault<WordHasher>>,
    bytes: usize,
    /// The hashes of texts found clean once, by their low bits.
    once: Box<[u64]>,
    /// Hashes with a random seed, so that no sender can aim texts at one hash.
    hasher: foldhash::fast::FixedState,
}

impl Default for Memo {
    fn default() -> Memo {
        let seed = std::collections::hash_map::RandomState::new().hash_one(0u8);
        Memo {
            clean: HashMap::default(),
            bytes: 0,
            once: vec![0; 1 << ONCE_BITS].into_boxed_slice(),
            hasher: foldhash::fast::FixedState::with_seed(seed),
        }
    }
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::default();
}

/// `None` when `text` is known clean in `context` on this thread; else the ticket to
/// [`remember`] it by once it is found clean.
pub(super) fn look_up(context: Context, text: &[u8]) -> Option<Ticket> {
    MEMO.with_borrow(|memo| {
        let hash = memo.hasher.hash_one((context, text));
        let known = memo
            .clean
            .get(&hash)
            .is_some_and(|(c, t)| *c == context && **t == *text);
        (!known).then_some(Ticket { hash, context })
    })
}

/// Remembers that the text of `ticket` was found clean: the second time it is.
pub(super) fn remember(ticket: Ticket, text: &[u8]) {
    if text.len() > MAX_TEXT {
        return;
    }
    MEMO.with_borrow_mut(|memo| {
        let slot = (ticket.hash & ((1 << ONCE_BITS) - 1)) as usize;
        let Some(once) = memo.once.get_mut(slot) else {
            return;
        };
        if *once != ticket.hash {
            *once = ticket.hash;
            return;
        }
        let cost = text.len() + ENTRY_COST;
        if memo.bytes + cost > MAX_BYTES {
            memo.clean.clear();
            memo.bytes = 0;
        }
        if let std::collections::hash_map::Entry::Vacant(entry) = memo.clean.entry(ticket.hash) {
            entry.insert((ticket.context, text.into()));
            memo.bytes += cost;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(needles: u64, key: KeyKind, depth: u8) -> Context {
        Context {
            needles,
            vocabulary: 1,
            mode: Mode::Request,
            key,
            depth,
        }
    }

    fn known(context: Context, text: &[u8]) -> bool {
        look_up(context, text).is_none()
    }

    /// Found clean as often as it takes to be remembered.
    fn clean(context: Context, text: &[u8]) {
        for _ in 0..2 {
            if let Some(ticket) = look_up(context, text) {
                remember(ticket, text);
            }
        }
    }

    #[test]
    fn a_text_is_clean_only_in_the_context_it_was_found_clean_in_twice() {
        let here = context(u64::MAX, KeyKind::Other, 0);
        let once = look_up(here, b"page_view").expect("not known yet");
        remember(once, b"page_view");
        assert!(!known(here, b"page_view"), "found clean once");
        clean(here, b"page_view");
        assert!(known(here, b"page_view"));
        assert!(!known(here, b"page_views"));
        for elsewhere in [
            context(u64::MAX - 1, KeyKind::Other, 0),
            context(u64::MAX, KeyKind::ValueLike, 0),
            context(u64::MAX, KeyKind::Other, 1),
            Context {
                mode: Mode::Text,
                ..here
            },
        ] {
            assert!(!known(elsewhere, b"page_view"));
        }
        let long = vec![b'a'; MAX_TEXT + 1];
        clean(here, &long);
        assert!(!known(here, &long));
    }

    #[test]
    fn a_full_memo_starts_over() {
        let here = context(u64::MAX - 2, KeyKind::None, 0);
        clean(here, b"first");
        assert!(known(here, b"first"));
        let text = vec![b'x'; MAX_TEXT];
        for i in 0..=MAX_BYTES / (MAX_TEXT + ENTRY_COST) {
            let mut text = text.clone();
            text[..8].copy_from_slice(&(i as u64).to_le_bytes());
            clean(here, &text);
        }
        assert!(!known(here, b"first"));
        MEMO.with_borrow(|memo| assert!(memo.bytes <= MAX_BYTES));
    }
}
