//! The plaintext matcher: every plaintext needle that starts where the boundary rule lets a
//! needle start, overlapping matches included.
//!
//! An automaton over 40,000 needles reads every byte through sparse states, and building one
//! takes a quarter of a second. Most places cannot start a needle, though: a needle that
//! opens with a letter cannot start right after a letter or digit, nor one that opens with a
//! digit right after a digit (the rule of `needles::bounded`). So the matcher tells those
//! places 64 at a time as the bits of a word, with no branch per byte, visits only them,
//! looks their first four bytes up in a bitmap of the needles' four-byte prefixes (every
//! needle has four bytes or more), and only where that hits compares the needles of that
//! prefix with the text: first their next eight bytes, kept in one word beside each other,
//! so that the many needles of a common prefix (years, area codes) are told apart without a
//! cache miss each. The matches are an unanchored search's matches that pass the start rule.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::classes::{self, Block};

/// The prefix bitmap holds 2^PREFIX_BITS bits (128 KiB): about 2% of the bits are set for
/// 1,000 customers' needles, so a place whose prefix is no needle's rarely costs a lookup.
const PREFIX_BITS: u32 = 20;

/// Four bytes, ASCII case folded, as one key.
fn prefix(head: [u8; 4]) -> u32 {
    lowercase(u64::from(u32::from_le_bytes(head))) as u32
}

/// The bytes of a word (little-endian) with their ASCII capitals lowercased, all eight at
/// once: a byte is a capital when it is ASCII and adding to its low seven bits carries it
/// past `A - 1` but not past `Z`; its bit 5 is then set.
fn lowercase(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const TOP: u64 = 0x8080_8080_8080_8080;
    let low = word & LOW7;
    let from_a = low + 0x0101_0101_0101_0101 * u64::from(0x80 - b'A');
    let past_z = low + 0x0101_0101_0101_0101 * u64::from(0x7f - b'Z');
    let capital = (from_a ^ past_z) & !word & TOP;
    word | capital >> 2
}

/// The bitmap slot of a prefix.
fn slot(prefix: u32) -> usize {
    // Fibonacci hashing: the top bits of the product.
    (prefix.wrapping_mul(0x9E37_79B1) >> (32 - PREFIX_BITS)) as usize
}

/// The bytes of a needle that follow its prefix and are compared as one word.
const TAIL: usize = 8;

/// Up to [`TAIL`] bytes, ASCII lowercased, as one word, zero past their end.
fn word(bytes: &[u8]) -> u64 {
    let raw = match bytes.first_chunk::<TAIL>() {
        Some(head) => u64::from_le_bytes(*head),
        None => {
            let mut word = [0u8; TAIL];
            for (slot, byte) in word.iter_mut().zip(bytes) {
                *slot = *byte;
            }
            u64::from_le_bytes(word)
        }
    };
    lowercase(raw)
}

/// The bits of [`word`] that a needle of `len` bytes fills after its prefix.
fn tail_mask(len: usize) -> u64 {
    match len.saturating_sub(4).min(TAIL) {
        0 => 0,
        n => u64::MAX >> (64 - 8 * n),
    }
}

/// A needle of some prefix: the [`word`] of its bytes after the prefix, the bits of that
/// word it fills, its length and id.
#[derive(Clone, Copy)]
struct Entry {
    tail: u64,
    mask: u64,
    len: u32,
    id: u32,
}

/// The hasher of keys that are one word: a word of random bits (a digest's leading bytes, a
/// hash the clean-text memo made) is kept as it is, and a four-byte prefix is spread over all
/// 64 bits by one multiplication.
#[derive(Default)]
pub(super) struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u32(&mut self, prefix: u32) {
        self.0 = u64::from(prefix).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }
}

/// Plaintext needles, ASCII case-insensitive, each of four bytes or more.
pub(super) struct Starts {
    /// The needles, ASCII lowercased, by pattern id: read only past their prefix and tail.
    patterns: Vec<Vec<u8>>,
    /// Whether some needle opens with each byte (in either case).
    opens: [bool; 256],
    /// One bit per prefix slot.
    prefixes: Box<[u64]>,
    /// The needles of each prefix, in order of id, as a range of `entries`.
    by_prefix: HashMap<u32, (usize, usize), BuildHasherDefault<WordHasher>>,
    entries: Vec<Entry>,
}

impl Starts {
    /// The matcher of `patterns`; a pattern shorter than four bytes never matches.
    pub fn build(mut patterns: Vec<Vec<u8>>) -> Starts {
        patterns.iter_mut().for_each(|p| p.make_ascii_lowercase());
        let mut starts = Starts {
            patterns: Vec::new(),
            opens: [false; 256],
            prefixes: vec![0u64; 1 << (PREFIX_BITS - 6)].into_boxed_slice(),
            by_prefix: HashMap::default(),
            entries: Vec::new(),
        };
        let mut by_prefix: HashMap<u32, Vec<Entry>, BuildHasherDefault<WordHasher>> =
            HashMap::default();
        for (id, pattern) in patterns.iter().enumerate() {
            let (Some((&head, rest)), Ok(len), Ok(id)) = (
                pattern.split_first_chunk::<4>(),
                u32::try_from(pattern.len()),
                u32::try_from(id),
            ) else {
                continue;
            };
            for first in [head[0].to_ascii_lowercase(), head[0].to_ascii_uppercase()] {
                starts.opens[usize::from(first)] = true;
            }
            let key = prefix(head);
            let at = slot(key);
            if let Some(word) = starts.prefixes.get_mut(at / 64) {
                *word |= 1 << (at % 64);
            }
            let tail = word(rest);
            by_prefix.entry(key).or_default().push(Entry {
                tail,
                mask: tail_mask(pattern.len()),
                len,
                id,
            });
        }
        for (key, entries) in by_prefix {
            let from = starts.entries.len();
            starts.entries.extend(entries);
            starts.by_prefix.insert(key, (from, starts.entries.len()));
        }
        starts.patterns = patterns;
        starts
    }

    /// Calls `each(start, end, pattern)` for every needle in `hay` that starts where the start
    /// rule allows, in order of start; `told` is the classes of `hay` when it is one block
    /// long and they were told already.
    pub fn matches(
        &self,
        hay: &[u8],
        told: Option<Block>,
        mut each: impl FnMut(usize, usize, usize),
    ) {
        // The places where a needle may start are told 64 at a time, as the bits of a word,
        // without a branch per byte (whether a place may start a needle is as good as random
        // in ids and digests); then only those places are looked up. A needle that opens
        // with a digit may not start right after a digit; one that opens with a letter, right
        // after a letter or a digit; one that opens with another byte may start anywhere.
        let places = hay.len().saturating_sub(3);
        // Whether the byte before the block is a digit, a letter (as its lowest bit).
        let (mut digit_before, mut letter_before) = (0, 0);
        let mut visit = |block: usize, classes: Block| {
            let after_digit = classes.digit << 1 | digit_before;
            let after_alnum = after_digit | classes.letter << 1 | letter_before;
            (digit_before, letter_before) = (classes.digit >> 63, classes.letter >> 63);
            let other = !(classes.digit | classes.letter);
            let within = match places.saturating_sub(block) {
                64.. => u64::MAX,
                n => (1 << n) - 1,
            };
            let mut may =
                within & (classes.digit & !after_digit | classes.letter & !after_alnum | other);
            while may != 0 {
                let start = block + may.trailing_zeros() as usize;
                may &= may - 1;
                self.at(hay, start, &mut each);
            }
        };
        match told {
            Some(classes) if hay.len() <= 64 => visit(0, classes),
            _ => classes::alnum(hay, visit),
        }
    }

    /// Calls `each(0, end, pattern)` for every needle that `hay` starts with.
    pub fn at_start(&self, hay: &[u8], mut each: impl FnMut(usize, usize, usize)) {
        self.at(hay, 0, &mut each);
    }

    /// The needles that start at `start` in `hay`, a place where some needle may start.
    fn at(&self, hay: &[u8], start: usize, each: &mut impl FnMut(usize, usize, usize)) {
        let rest = hay.get(start..).unwrap_or_default();
        let Some(&head) = rest
            .first_chunk::<4>()
            .filter(|h| self.opens[usize::from(h[0])])
        else {
            return;
        };
        let key = prefix(head);
        let at = slot(key);
        let hit = self
            .prefixes
            .get(at / 64)
            .is_some_and(|word| word & (1 << (at % 64)) != 0);
        let Some(&(from, to)) = hit.then(|| self.by_prefix.get(&key)).flatten() else {
            return;
        };
        let tail = word(rest.get(4..).unwrap_or_default());
        for entry in self.entries.get(from..to).unwrap_or_default() {
            let (len, id) = (entry.len as usize, entry.id as usize);
            if len > rest.len() || tail & entry.mask != entry.tail {
                continue;
            }
            let beyond = 4 + TAIL;
            let whole = len <= beyond
                || rest.get(beyond..len).is_some_and(|text| {
                    self.patterns
                        .get(id)
                        .and_then(|p| p.get(beyond..))
                        .is_some_and(|pattern| text.eq_ignore_ascii_case(pattern))
                });
            if whole {
                each(start, start + len, id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(patterns: &[&str], hay: &str) -> Vec<(usize, usize, usize)> {
        let patterns: Vec<Vec<u8>> = patterns.iter().map(|p| p.as_bytes().to_vec()).collect();
        let starts = Starts::build(patterns);
        let mut all = Vec::new();
        starts.matches(hay.as_bytes(), None, |s, e, p| all.push((s, e, p)));
        all
    }

    #[test]
    fn lowercases_ascii_capitals_only() {
        for b in 0..=255u8 {
            let word = u64::from_le_bytes([b, b'Q', 0x80 | b, b'@', b'[', b'`', b'{', b'Z']);
            let expected = u64::from_le_bytes(word.to_le_bytes().map(|b| b.to_ascii_lowercase()));
            assert_eq!(lowercase(word), expected, "byte {b:#x}");
        }
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

    /// Whether a needle opening with `first` may start right after `before`: not a letter
    /// after a letter or digit, nor a digit after a digit.
    fn may_follow(first: u8, before: u8) -> bool {
        !(first.is_ascii_alphabetic() && before.is_ascii_alphanumeric()
            || first.is_ascii_digit() && before.is_ascii_digit())
    }

    /// The matches of an unanchored, overlapping, ASCII case-insensitive aho-corasick search
    /// that pass the start rule: what the matcher must find.
    fn by_automaton(patterns: &[Vec<u8>], hay: &[u8]) -> Vec<(usize, usize, usize)> {
        let automaton = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(patterns)
            .expect("patterns build");
        let mut all: Vec<(usize, usize, usize)> = automaton
            .find_overlapping_iter(hay)
            .filter(|m| {
                let before = m.start().checked_sub(1).and_then(|i| hay.get(i));
                may_follow(hay[m.start()], before.copied().unwrap_or(b' '))
            })
            .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
            .collect();
        all.sort_unstable();
        all
    }

    #[test]
    fn finds_what_an_overlapping_automaton_finds_where_a_needle_can_start() {
        let alphabet: &[u8] = b"aAb1 -.\xc3";
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut draw = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap_or(0)
        };
        for _ in 0..2_000 {
            let hay: Vec<u8> = (0..draw(150))
                .map(|_| alphabet[draw(alphabet.len())])
                .collect();
            // Two patterns in three are cut from the haystack, case swapped or with one byte
            // changed, so that long ones match and nearly match too.
            let patterns: Vec<Vec<u8>> = (0..1 + draw(12))
                .map(|_| {
                    let len = 4 + draw(14);
                    let from = draw(hay.len().max(1));
                    match (hay.get(from..from + len), draw(3)) {
                        (Some(cut), 0) => cut.iter().map(u8::to_ascii_uppercase).collect(),
                        // A near miss: one byte changed.
                        (Some(cut), 1) => {
                            let mut near = cut.to_vec();
                            let at = draw(len);
                            near[at] = if near[at] == b'-' { b'.' } else { b'-' };
                            near
                        }
                        _ => (0..len).map(|_| alphabet[draw(alphabet.len())]).collect(),
                    }
                })
                .collect();
            let starts = Starts::build(patterns.clone());
            // With the classes told here, and with those a shape told before.
            let told = crate::privacy::shape::Shape::of(&hay).block();
            for told in [None, told] {
                let mut mine = Vec::new();
                starts.matches(&hay, told, |s, e, p| mine.push((s, e, p)));
                mine.sort_unstable();
                assert_eq!(
                    mine,
                    by_automaton(&patterns, &hay),
                    "{patterns:?} in {:?}",
                    String::from_utf8_lossy(&hay)
                );
            }
        }
    }

    #[test]
    fn non_ascii_bytes_match_as_they_are_and_start_anywhere() {
        let patterns = ["josé", "émile"];
        // ASCII letters fold; others do not, as with an ASCII case-insensitive automaton.
        assert_eq!(found(&patterns, "hola JOSé"), vec![(5, 10, 0)]);
        assert!(found(&patterns, "hola JOSÉ").is_empty());
        // A needle opening with a byte that is no ASCII letter or digit may follow anything.
        assert_eq!(found(&patterns, "xémile"), vec![(1, 7, 1)]);
    }

    #[test]
    fn short_haystacks_and_patterns_match_nothing() {
        assert!(found(&["anne"], "ann").is_empty());
        assert!(found(&["abc"], "abc abc").is_empty());
    }
}
