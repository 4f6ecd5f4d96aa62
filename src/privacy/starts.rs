//! The plaintext matcher: every plaintext needle that starts where the boundary rule lets a
//! needle start, overlapping matches included.
//!
//! An unanchored automaton over 40,000 needles reads every byte through sparse states. Most
//! places cannot start a needle, though: a needle that opens with a letter cannot start right
//! after a letter or digit, nor one that opens with a digit right after a digit (the rule of
//! `needles::bounded`). So the matcher visits only the places where some needle can start,
//! looks their first four bytes up in a bitmap of the needles' four-byte prefixes (every
//! needle has four bytes or more), and runs an anchored aho-corasick search only where the
//! lookup hits. The matches are the unanchored search's matches that pass the start rule.

use aho_corasick::automaton::OverlappingState;
use aho_corasick::{AhoCorasick, Anchored, BuildError, Input, MatchKind, StartKind};

/// The prefix bitmap holds 2^PREFIX_BITS bits (128 KiB): about 2% of the bits are set for
/// 1,000 customers' needles, so a place whose prefix is no needle's rarely costs a search.
const PREFIX_BITS: u32 = 20;

/// How a byte takes part in the start rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Digit,
    Letter,
    Other,
}

const fn class(byte: u8) -> Class {
    if byte.is_ascii_digit() {
        Class::Digit
    } else if byte.is_ascii_alphabetic() {
        Class::Letter
    } else {
        Class::Other
    }
}

/// Whether a needle opening with `first` may start right after `before`.
fn may_follow(first: u8, before: u8) -> bool {
    match class(first) {
        Class::Digit => class(before) != Class::Digit,
        Class::Letter => class(before) == Class::Other,
        Class::Other => true,
    }
}

/// The bitmap slot of four bytes, ASCII case folded.
fn slot(head: [u8; 4]) -> usize {
    let key = u32::from_le_bytes(head.map(|b| b.to_ascii_lowercase()));
    // Fibonacci hashing: the top bits of the product.
    (key.wrapping_mul(0x9E37_79B1) >> (32 - PREFIX_BITS)) as usize
}

/// Plaintext needles, ASCII case-insensitive, each of four bytes or more.
pub(super) struct Starts {
    automaton: AhoCorasick,
    /// The bytes some needle opens with, in both cases.
    opens: [bool; 256],
    /// One bit per prefix slot.
    prefixes: Box<[u64]>,
}

impl Starts {
    /// The matcher of `patterns`; a pattern shorter than four bytes can never match.
    pub fn build(patterns: &[Vec<u8>]) -> Result<Starts, BuildError> {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Anchored)
            .build(patterns)?;
        let mut opens = [false; 256];
        let mut prefixes = vec![0u64; 1 << (PREFIX_BITS - 6)].into_boxed_slice();
        for head in patterns.iter().filter_map(|p| p.first_chunk::<4>()) {
            for first in [head[0].to_ascii_lowercase(), head[0].to_ascii_uppercase()] {
                opens[usize::from(first)] = true;
            }
            let at = slot(*head);
            if let Some(word) = prefixes.get_mut(at / 64) {
                *word |= 1 << (at % 64);
            }
        }
        Ok(Starts {
            automaton,
            opens,
            prefixes,
        })
    }

    /// Calls `each(start, end, pattern)` for every needle in `hay` that starts where the start
    /// rule allows, in order of start.
    pub fn matches(&self, hay: &[u8], mut each: impl FnMut(usize, usize, usize)) {
        let mut before = b' ';
        for (start, window) in hay.windows(4).enumerate() {
            let first = window[0];
            let previous = std::mem::replace(&mut before, first);
            if !(self.opens[usize::from(first)] && may_follow(first, previous)) {
                continue;
            }
            let head = [window[0], window[1], window[2], window[3]];
            let at = slot(head);
            let hit = self
                .prefixes
                .get(at / 64)
                .is_some_and(|word| word & (1 << (at % 64)) != 0);
            if !hit {
                continue;
            }
            // Anchored overlapping search has no iterator: the state is stepped by hand, and
            // the search ends at its first error (none for this automaton) or its last match.
            let input = Input::new(hay).range(start..).anchored(Anchored::Yes);
            let mut state = OverlappingState::start();
            while self
                .automaton
                .try_find_overlapping(input.clone(), &mut state)
                .is_ok()
            {
                let Some(m) = state.get_match() else {
                    break;
                };
                if m.start() == start {
                    each(m.start(), m.end(), m.pattern().as_usize());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(patterns: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let patterns: Vec<Vec<u8>> = patterns.iter().map(|p| p.as_bytes().to_vec()).collect();
        let starts = Starts::build(&patterns).expect("patterns build");
        let mut all = Vec::new();
        starts.matches(hay.as_bytes(), |s, e, p| all.push((s, e, p)));
        all
    }

    #[test]
    fn finds_overlapping_needles_where_the_start_rule_allows() {
        let patterns = ["anne", "anne@x.io", "nne@", "94107", "(415) 555"];
        assert_eq!(
            found(&patterns, "to ANNE@x.io at 94107, (415) 5550"),
            vec![(3, 7, 0), (3, 12, 1), (16, 21, 3), (23, 32, 4)]
        );
        // Inside a word or a number, nothing starts; after a letter, a digit may.
        assert!(found(&patterns, "joanne 1941070").is_empty());
        assert_eq!(found(&patterns, "zip94107"), vec![(3, 8, 3)]);
    }

    #[test]
    fn short_haystacks_and_patterns_match_nothing() {
        assert!(found(&["anne"], "ann").is_empty());
        assert!(found(&["abc"], "abc abc").is_empty());
    }
}
