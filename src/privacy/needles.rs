//! Needles: every value of every customer in each of its normal forms, prepared once.
//!
//! The forms come from `normalise`. Plaintext forms, and their rot13, go into ONE
//! case-insensitive matcher (`starts`) that reports overlapping matches; the texts to hash go
//! to `hashed`, whose digests (every algorithm of `digests`, and hash-of-hash for email and
//! phone) are built by length when first looked up, as are the 32-bit checksums of the same
//! texts; amounts (by cents) go into a list sorted by their number. Each needle maps to its
//! owners: (customer, value kind, form label).

use std::borrow::Borrow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use super::derived::Derived;
use super::digests::Checksum;
use super::hashed::{Hashed, Job, DIGEST_LENS};
use super::normalise::{self, Form, Hash as Hashing};
use super::owner::{grouped, owned, Label, Owner, Weak};
use super::shape::{Shape, WholeRun};
use super::starts::Starts;
use super::ValueKind;
use crate::chunks::{across_cpus, spawn};
use crate::customer::{Account, Customer, Payee};
use crate::money::Money;

/// Plaintext needles shorter than this many characters are skipped (too coincidental).
const MIN_PLAIN_CHARS: usize = 4;
/// Amounts below $1.00 are skipped (too coincidental).
const MIN_AMOUNT_CENTS: i64 = 100;

/// ASCII letters rotated by 13.
fn rot13(text: &[u8]) -> Vec<u8> {
    text.iter()
        .map(|&b| match b {
            b'a'..=b'z' => (b - b'a' + 13) % 26 + b'a',
            b'A'..=b'Z' => (b - b'A' + 13) % 26 + b'A',
            _ => b,
        })
        .collect()
}

/// Digit-only needles shorter than this are weak: a zip code, a compact date or SSN.
const STRONG_DIGITS: usize = 10;
/// Digit-only needles this short need corroboration outside their keys: a zip code.
const SHORT_DIGITS: usize = 6;

/// The maps and sets of needles keyed by text and numbers: hashed with foldhash (the keys are
/// the customers' own values, so a fixed seed is no weakness), which is several times faster
/// than std's SipHash on short keys.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
type HashSet<T> = std::collections::HashSet<T, foldhash::fast::FixedState>;

/// Values by a numeric key, in one list sorted by key: filled once, looked up by binary
/// search, without a heap allocation per key.
struct Sorted<K, V> {
    keys: Vec<K>,
    values: Vec<V>,
}

impl<K: Ord + Copy, V> Sorted<K, V> {
    /// The list of `pairs`, sorted by key already.
    fn of(pairs: Vec<(K, V)>) -> Sorted<K, V> {
        let (keys, values) = pairs.into_iter().unzip();
        Sorted { keys, values }
    }

    /// The values of `key`.
    fn get(&self, key: K) -> &[V] {
        let start = self.keys.partition_point(|&k| k < key);
        let end = self.keys.partition_point(|&k| k <= key);
        self.values.get(start..end).unwrap_or_default()
    }
}

/// Every needle of a set of customers.
pub(super) struct Needles {
    /// Different for every set of needles built (see [`Needles::id`]).
    id: u64,
    starts: Starts,
    /// The owners of each plaintext pattern, by pattern id.
    owners: Vec<Vec<Owner>>,
    /// The digests, built by length when first looked up.
    hashed: Hashed,
    /// The owners of each 32-bit checksum of the texts to hash: built when first looked up
    /// (only a whole token under a key that names an identity is), from the digests' jobs.
    checksums: OnceLock<Sorted<u32, Owner>>,
    /// Customers by amount in cents.
    amounts: Sorted<i64, usize>,
    /// Known values as the warning patterns normalise them (digits only; lowercase email).
    known: HashSet<String>,
    /// Rounded balances, buckets and sums per merchant.
    derived: Derived,
}

impl Needles {
    /// Prepares the plaintext needles (matcher, amounts, known values) and the texts to hash;
    /// their digests are built by length when first looked up, and their checksums too.
    /// `amounts[i]` are amounts customer `i` moves, known besides their accounts.
    ///
    /// The customers are split in chunks across the available CPUs, the derived values
    /// computed beside them, and the chunks merged in customer order: the needles are the ones
    /// a single thread prepares.
    pub fn build<C: Borrow<Customer> + Sync>(customers: &[C], amounts: &[Vec<Money>]) -> Needles {
        let (builders, derived) = std::thread::scope(|scope| {
            let derived = spawn(scope, || Derived::new(customers));
            (across_cpus(customers, Builder::of), derived.join())
        });
        let mut builders = builders.into_iter();
        let mut builder = builders.next().unwrap_or_default();
        builders.for_each(|later| builder.merge(later));
        for (i, moved) in amounts.iter().enumerate() {
            moved.iter().for_each(|m| builder.amount(i, m.cents()));
        }
        let mut needles = builder.finish();
        needles.derived = derived;
        needles
    }

    /// Tells these needles from every other set built in this process.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The values derived from the customers' data.
    pub fn derived(&self) -> &Derived {
        &self.derived
    }

    /// Every plaintext needle in `hay` as (pattern id, match length, whether some occurrence
    /// is a whole token, owners), once per needle however often it occurs, overlapping
    /// matches included, except matches that continue a word or number (see [`bounded`]).
    /// `shape` is the shape of `hay`.
    pub fn plain(&self, hay: &[u8], shape: &Shape) -> Vec<(usize, usize, bool, &[Owner])> {
        let whole = shape.whole_run(hay.len());
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        let mut keep = |start, end, id| {
            if bounded(hay, start, end) {
                spans.push((start, end, id));
            }
        };
        if all_one_burying_run(hay.len(), whole) {
            // Any other match is buried: only one of the whole string can count.
            self.starts.at_start(hay, |start, end, id| {
                if end == hay.len() {
                    keep(start, end, id);
                }
            });
        } else {
            self.starts.matches(hay, shape.block(), keep);
        }
        if spans.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(usize, bool, usize)> = uncovered(&mut spans)
            .map(|(start, end, id)| (id, !whole_token(hay, start, end), end - start))
            .collect();
        // Per needle, a whole-token occurrence first.
        hits.sort_unstable();
        hits.dedup_by_key(|hit| hit.0);
        hits.into_iter()
            .filter_map(|(id, partial, len)| {
                Some((id, len, !partial, self.owners.get(id)?.as_slice()))
            })
            .collect()
    }

    /// Whether `len` bytes can be a digest needle.
    pub fn digest_len(len: usize) -> bool {
        DIGEST_LENS.contains(&len)
    }

    /// The owners of the digest `bytes` (raw digest bytes), if it is one of ours; `Err` says
    /// why the digests of that length are missing.
    pub fn digest(&self, bytes: &[u8]) -> Result<&[Owner], &'static str> {
        self.hashed.owners(bytes)
    }

    /// The owners of the 32-bit checksum `sum`, if it is one of ours.
    pub fn checksum(&self, sum: u32) -> &[Owner] {
        self.checksums
            .get_or_init(|| checksums(self.hashed.jobs()))
            .get(sum)
    }

    /// The customers with an amount of exactly `cents`.
    pub fn amount(&self, cents: i64) -> &[usize] {
        self.amounts.get(cents)
    }

    /// Whether a warning candidate, normalised, is a known customer value.
    pub fn is_known(&self, normalized: &str) -> bool {
        self.known.contains(normalized)
    }
}

/// The matches not inside a longer one: a first name inside the email that holds it is part
/// of the email finding, not a finding of its own. Matches of the very same span all stay.
fn uncovered(
    spans: &mut [(usize, usize, usize)],
) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    spans.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut cover: Option<usize> = None;
    let mut previous: Option<(usize, usize)> = None;
    let mut group_covered = false;
    spans.iter().copied().filter(move |&(start, end, _)| {
        if previous != Some((start, end)) {
            if let Some((_, prev_end)) = previous {
                cover = Some(cover.map_or(prev_end, |c| c.max(prev_end)));
            }
            group_covered = cover.is_some_and(|c| c >= end);
            previous = Some((start, end));
        }
        !group_covered
    })
}

/// The boundary rule: a match is rejected when the byte next to it continues the class of the
/// needle's edge there: a digit next to a digit edge, an ASCII letter or digit next to a letter
/// edge. So zip "94107" does not hit inside "1719410723", "Anne" not in "Annexe", and a name
/// not inside a random id. A match buried in a random-looking token is rejected too, because
/// there digits are noise: inside a run of 16 or more hex digits and dashes (a digest, a
/// uuid), or of 20 or more ASCII letters and digits (an api key).
fn bounded(hay: &[u8], start: usize, end: usize) -> bool {
    clear_edges(hay, start, end)
        && !buried(hay, start, end, hexish, HEXISH_RUN)
        && !buried(hay, start, end, u8::is_ascii_alphanumeric, ALNUM_RUN)
}

/// Whether the match `start..end` neither continues a word or number before it nor goes on
/// into one after it.
fn clear_edges(hay: &[u8], start: usize, end: usize) -> bool {
    let clash = |edge: Option<&u8>, next: Option<&u8>| match (edge, next) {
        (Some(e), Some(n)) if e.is_ascii_digit() => n.is_ascii_digit(),
        (Some(e), Some(n)) if e.is_ascii_alphabetic() => n.is_ascii_alphanumeric(),
        _ => false,
    };
    let before = start.checked_sub(1).and_then(|i| hay.get(i));
    let last = end.checked_sub(1).and_then(|i| hay.get(i));
    !clash(hay.get(start), before) && !clash(last, hay.get(end))
}

/// The shortest run of hex digits and dashes (a digest, a uuid) that buries a match in it.
const HEXISH_RUN: usize = 16;
/// The shortest run of ASCII letters and digits (an api key) that buries a match in it.
const ALNUM_RUN: usize = 20;

fn hexish(b: &u8) -> bool {
    b.is_ascii_hexdigit() || *b == b'-'
}

/// Whether a string of `len` bytes spelled `whole` is one burying run from end to end: every
/// match in it but one of the whole of it is buried. Such a match lies in the run, and has the
/// run on one side or the other, which holds [`HEXISH_RUN`] or [`ALNUM_RUN`] bytes with it
/// (see [`buried`]).
fn all_one_burying_run(len: usize, whole: WholeRun) -> bool {
    (len >= HEXISH_RUN && whole.hexish) || (len >= ALNUM_RUN && whole.alnum)
}

/// Whether the match `start..end` stands alone: no ASCII letter or digit right before or after.
fn whole_token(hay: &[u8], start: usize, end: usize) -> bool {
    let alone = |b: Option<&u8>| !b.is_some_and(u8::is_ascii_alphanumeric);
    alone(start.checked_sub(1).and_then(|i| hay.get(i))) && alone(hay.get(end))
}

/// Whether the match `start..end`, all of `class`, sits inside a longer run of `class` of at
/// least `min` bytes.
fn buried(hay: &[u8], start: usize, end: usize, class: impl Fn(&u8) -> bool, min: usize) -> bool {
    let side =
        |bytes: &mut dyn Iterator<Item = &u8>| bytes.take(min).take_while(|b| class(b)).count();
    let left = side(&mut hay.get(..start).unwrap_or_default().iter().rev());
    let right = side(&mut hay.get(end..).unwrap_or_default().iter());
    let matched = hay.get(start..end).unwrap_or_default();
    left + right > 0 && left + matched.len() + right >= min && matched.iter().all(&class)
}

#[derive(Default)]
struct Builder {
    /// The pattern ids of the plaintext needles, keyed lowercased.
    index: HashMap<Vec<u8>, usize>,
    owners: Vec<Vec<Owner>>,
    jobs: Vec<Job>,
    /// The (kind, text) pairs of a customer already hashed: each digest is computed once.
    hashed_texts: HashSet<(ValueKind, String)>,
    /// Every amount in cents with its customer, customer by customer, then the amounts moved.
    amounts: Vec<(i64, usize)>,
    known: HashSet<String>,
}

impl Builder {
    /// The needles of `customers`, the first of which is customer `first`.
    fn of<C: Borrow<Customer>>(customers: &[C], first: usize) -> Builder {
        let mut builder = Builder::default();
        for (i, customer) in customers.iter().enumerate() {
            builder.customer(first + i, customer.borrow());
        }
        builder.sort();
        builder
    }

    /// Sorts the amounts, without repeats. Each chunk's builder sorts on its own thread, so
    /// that the builder they are merged into sorts runs already sorted (the sort is stable,
    /// which merges them in one pass).
    fn sort(&mut self) {
        self.amounts.sort();
        self.amounts.dedup();
    }

    /// Adds the needles of `later`, whose customers all come after this builder's: the same
    /// needles, in the same order, as if one builder had prepared them all.
    fn merge(&mut self, mut later: Builder) {
        let patterns = later.patterns();
        // Room for them all at once: growing the map would hash every pattern again.
        self.index.reserve(patterns.len());
        self.owners.reserve(patterns.len());
        for (pattern, owners) in patterns.into_iter().zip(later.owners) {
            let next = self.owners.len();
            let id = *self.index.entry(pattern).or_insert(next);
            if id == next {
                self.owners.push(owners);
            } else if let Some(mine) = self.owners.get_mut(id) {
                mine.extend(owners);
            }
        }
        self.jobs.extend(later.jobs);
        self.amounts.extend(later.amounts);
        self.known.extend(later.known);
    }

    /// A plaintext needle, and its rot13 when it has letters; the matcher is ASCII
    /// case-insensitive, so needles are keyed lowercased.
    fn plain(&mut self, customer: usize, kind: ValueKind, form: &'static str, text: &str) {
        if text.chars().count() < MIN_PLAIN_CHARS {
            return;
        }
        let key = text.to_ascii_lowercase().into_bytes();
        let weak = if form == "local(email)" {
            let word = key.iter().all(u8::is_ascii_alphabetic);
            Some(if word { Weak::Key } else { Weak::Token })
        } else {
            let digits = key.iter().all(u8::is_ascii_digit);
            if !digits || key.len() >= STRONG_DIGITS {
                None
            } else if key.len() <= SHORT_DIGITS {
                Some(Weak::Corroborated)
            } else {
                Some(Weak::Token)
            }
        };
        let owner = |rot13| Owner {
            customer,
            kind,
            label: Label::Plain(form),
            rot13,
            weak,
        };
        if key.iter().any(u8::is_ascii_alphabetic) {
            self.pattern(rot13(&key), owner(true));
        }
        self.pattern(key, owner(false));
    }

    fn pattern(&mut self, key: Vec<u8>, owner: Owner) {
        let next = self.owners.len();
        let id = *self.index.entry(key).or_insert(next);
        if id == next {
            self.owners.push(Vec::new());
        }
        if let Some(owners) = self.owners.get_mut(id) {
            if !owned(owners, &owner, |o| {
                (o.kind, o.rot13) == (owner.kind, owner.rot13)
            }) {
                owners.push(owner);
            }
        }
    }

    /// Digest and checksum needles of `text` under every algorithm; with `nested`, also every
    /// outer(lowercase-hex(inner(text))) pair of the nested algorithms. A text already hashed
    /// for this customer and kind is skipped.
    fn hashed(&mut self, owner: Owner, text: &str, nested: bool) {
        if text.is_empty() || !self.hashed_texts.insert((owner.kind, text.to_owned())) {
            return;
        }
        if matches!(owner.label, Label::Plain(_)) {
            self.jobs.push(Job::new(owner, text, nested));
        }
    }

    /// The plaintext and digest needles of one form.
    fn form(&mut self, i: usize, form: &Form) {
        if form.plain {
            self.plain(i, form.kind, form.label, &form.text);
        }
        if form.known {
            self.known(&form.text);
        }
        let weak = (form.hash == Hashing::UnderKey).then_some(Weak::Key);
        if form.hash != Hashing::No {
            self.hashed(
                Owner::digest(i, form.kind, form.label, weak),
                &form.text,
                form.hash == Hashing::Twice,
            );
        }
    }

    fn amount(&mut self, customer: usize, cents: i64) {
        let cents = cents.saturating_abs();
        // Sorted and deduplicated once, in `finish`.
        if cents >= MIN_AMOUNT_CENTS {
            self.amounts.push((cents, customer));
        }
    }

    fn known(&mut self, value: &str) {
        self.known.insert(value.to_owned());
    }

    /// Every needle of customer `i`.
    fn customer(&mut self, i: usize, c: &Customer) {
        self.hashed_texts.clear();
        for form in normalise::identity_forms(c) {
            self.form(i, &form);
        }
        self.ssn(i, &c.ssn);
        self.accounts(i, &c.accounts);
        self.payees(i, &c.payees);
        if !c.token.is_empty() {
            self.plain(i, ValueKind::Token, "token", &c.token);
            self.hashed(
                Owner::digest(i, ValueKind::Token, "token", None),
                &c.token,
                false,
            );
        }
        if let Some(code) = c.authorization_code() {
            self.plain(i, ValueKind::Token, "authorization_code", &code);
        }
    }

    fn ssn(&mut self, i: usize, ssn: &str) {
        let digits: String = ssn.chars().filter(char::is_ascii_digit).collect();
        for (form, value) in [("ssn", ssn.trim()), ("compact(ssn)", &digits)] {
            self.plain(i, ValueKind::Ssn, form, value);
            self.hashed(Owner::digest(i, ValueKind::Ssn, form, None), value, false);
        }
        self.known(&digits);
    }

    /// Account, routing and card numbers, balances, transaction amounts and merchants.
    fn accounts(&mut self, i: usize, accounts: &[Account]) {
        let (mut merchants, mut numbers_seen) = (HashSet::default(), HashSet::default());
        for account in accounts {
            let mut numbers = vec![
                (ValueKind::AccountNumber, "account_number", &account.number),
                (
                    ValueKind::RoutingNumber,
                    "routing_number",
                    &account.routing_number,
                ),
            ];
            if let Some(card) = &account.card_number {
                numbers.push((ValueKind::CardNumber, "card_number", card));
                self.card_groups(i, card);
            }
            for (kind, form, number) in numbers {
                let digits: String = number.chars().filter(char::is_ascii_digit).collect();
                if numbers_seen.insert((kind, digits.clone())) {
                    self.plain(i, kind, form, &digits);
                    self.hashed(Owner::digest(i, kind, form, None), &digits, false);
                    self.known(&digits);
                }
            }
            self.amount(i, account.balance.cents());
            self.amount(i, account.available_balance.cents());
            for transaction in &account.transactions {
                self.amount(i, transaction.amount.cents());
                if merchants.insert(transaction.merchant.as_str()) {
                    let merchant = transaction.merchant.trim();
                    self.plain(i, ValueKind::Merchant, "merchant", merchant);
                }
            }
        }
    }

    /// The names of the customer's payees and their account and routing numbers.
    fn payees(&mut self, i: usize, payees: &[Payee]) {
        for payee in payees {
            let name = payee.name.trim();
            self.plain(i, ValueKind::Payee, "payee", name);
            let owner = Owner::digest(i, ValueKind::Payee, "lower(payee)", None);
            self.hashed(owner, &name.to_lowercase(), false);
            let numbers = [
                (
                    ValueKind::AccountNumber,
                    "payee_account_number",
                    &payee.account_number,
                ),
                (
                    ValueKind::RoutingNumber,
                    "payee_routing_number",
                    &payee.routing_number,
                ),
            ];
            for (kind, form, number) in numbers {
                let digits: String = number.chars().filter(char::is_ascii_digit).collect();
                self.plain(i, kind, form, &digits);
                self.hashed(Owner::digest(i, kind, form, None), &digits, false);
                self.known(&digits);
            }
        }
    }

    /// A card number grouped 4-4-4-4, with spaces and with dashes.
    fn card_groups(&mut self, i: usize, card: &str) {
        let digits: Vec<char> = card.chars().filter(char::is_ascii_digit).collect();
        let groups: Vec<String> = digits.chunks(4).map(|g| g.iter().collect()).collect();
        for separator in [" ", "-"] {
            let grouped = groups.join(separator);
            self.plain(i, ValueKind::CardNumber, "grouped(card_number)", &grouped);
        }
    }

    /// The patterns, by id.
    fn patterns(&mut self) -> Vec<Vec<u8>> {
        let mut patterns: Vec<(usize, Vec<u8>)> = self
            .index
            .drain()
            .map(|(pattern, id)| (id, pattern))
            .collect();
        patterns.sort_unstable_by_key(|&(id, _)| id);
        patterns.into_iter().map(|(_, pattern)| pattern).collect()
    }

    /// The needles: the matcher of the patterns, the owners sorted where they may not be.
    fn finish(mut self) -> Needles {
        // The matcher is built beside the sorting of the amounts.
        let patterns = std::sync::Mutex::new(self.patterns());
        let patterns = &patterns;
        std::thread::scope(|scope| {
            let starts = spawn(scope, move || {
                Starts::build(std::mem::take(&mut *crate::sync::lock(patterns)))
            });
            self.sort();
            static NEXT_ID: AtomicU64 = AtomicU64::new(1);
            Needles {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                starts: starts.join(),
                owners: self.owners,
                hashed: Hashed::new(self.jobs),
                checksums: OnceLock::new(),
                amounts: Sorted::of(self.amounts),
                known: self.known,
                derived: Derived::default(),
            }
        })
    }
}

/// The owners of each 32-bit checksum of the texts of `jobs`, sorted by checksum. The sort is
/// stable: each checksum's owners stay customer by customer, so that a customer's first form
/// of a kind is the one kept (see [`grouped`]).
fn checksums(jobs: &[Job]) -> Sorted<u32, Owner> {
    let mut all: Vec<(u32, Owner)> = Vec::with_capacity(jobs.len() * Checksum::ALL.len());
    for job in jobs {
        let Label::Plain(form) = job.owner.label else {
            continue;
        };
        for sum in Checksum::ALL {
            let owner = Owner {
                label: Label::Checksum { sum, form },
                ..job.owner
            };
            all.push((sum.of(job.text.as_bytes()), owner));
        }
    }
    all.sort_by_key(|&(sum, _)| sum);
    let (sums, owners) = grouped(&all);
    Sorted {
        keys: sums
            .into_iter()
            .flat_map(|(sum, range)| std::iter::repeat_n(sum, range.len()))
            .collect(),
        values: owners,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::CustomerSpec;

    /// Everything a builder prepared, in a form that compares: patterns with their owners,
    /// digest jobs (whose checksums are built from them), amounts and the known values.
    type Prepared = (
        Vec<(Vec<u8>, Vec<Owner>)>,
        Vec<Job>,
        Vec<(i64, usize)>,
        Vec<String>,
    );

    fn prepared(mut builder: Builder) -> Prepared {
        builder.sort();
        let patterns = builder.patterns().into_iter().zip(builder.owners).collect();
        let amounts = builder.amounts;
        let mut known: Vec<_> = builder.known.into_iter().collect();
        known.sort_unstable();
        (patterns, builder.jobs, amounts, known)
    }

    fn customers(count: usize) -> Vec<Customer> {
        (0..count)
            .map(|i| Customer::generate(3, &format!("c{i}"), &CustomerSpec::default()))
            .collect()
    }

    proptest::proptest! {
        /// In a string that is one burying run from end to end, the matches that count are
        /// those of the whole string: what the full search keeps, the shortcut keeps.
        #[test]
        fn a_burying_run_keeps_only_a_match_of_the_whole_of_it(
            hay in "[0-9a-f-]{14,40}|[0-9A-Za-z]{18,44}",
            picks in proptest::collection::vec(proptest::num::usize::ANY, 0..6),
        ) {
            let hay = hay.as_bytes();
            // Needles cut from the string with clear edges (which count in a string too short
            // to bury them), and the string itself.
            let cuts: Vec<(usize, usize)> = (0..hay.len())
                .flat_map(|start| (start + 4..=hay.len()).map(move |end| (start, end)))
                .filter(|&(start, end)| clear_edges(hay, start, end))
                .collect();
            let mut patterns: Vec<Vec<u8>> = picks
                .iter()
                .filter_map(|pick| cuts.get(pick % cuts.len().max(1)))
                .filter_map(|&(start, end)| hay.get(start..end).map(<[u8]>::to_vec))
                .collect();
            patterns.push(hay.to_vec());
            let starts = Starts::build(patterns);
            let mut everywhere = Vec::new();
            starts.matches(hay, None, |start, end, id| {
                if bounded(hay, start, end) {
                    everywhere.push((start, end, id));
                }
            });
            let whole = crate::privacy::shape::Shape::of(hay).whole_run(hay.len());
            proptest::prop_assert_eq!(whole, WholeRun {
                hexish: hay.iter().all(hexish),
                alnum: hay.iter().all(u8::is_ascii_alphanumeric),
            });
            if all_one_burying_run(hay.len(), whole) {
                let mut whole = Vec::new();
                starts.at_start(hay, |start, end, id| {
                    if end == hay.len() {
                        whole.push((start, end, id));
                    }
                });
                everywhere.sort_unstable();
                whole.sort_unstable();
                proptest::prop_assert_eq!(everywhere, whole);
            }
        }
    }

    #[test]
    fn needles_prepared_in_chunks_and_merged_are_the_ones_one_builder_prepares() {
        let customers = customers(9);
        let single = Builder::of(&customers, 0);
        let mut merged = Builder::of(&customers[..4], 0);
        merged.merge(Builder::of(&customers[4..7], 4));
        merged.merge(Builder::of(&customers[7..], 7));
        assert_eq!(prepared(merged), prepared(single));
    }

    #[test]
    fn checksums_are_built_when_first_looked_up_for_every_text_to_hash() {
        let customers = customers(3);
        let needles = Needles::build(&customers, &[]);
        assert!(needles.checksums.get().is_none(), "built before a lookup");
        let email = customers[1].email.as_bytes();
        for sum in Checksum::ALL {
            let labels: Vec<String> = needles
                .checksum(sum.of(email))
                .iter()
                .filter(|o| o.customer == 1)
                .map(|o| o.label.to_string())
                .collect();
            let of_email = |l: &String| l.starts_with(sum.name()) && l.contains("(email)");
            assert!(labels.iter().any(of_email), "{labels:?}");
        }
        assert!(needles.checksums.get().is_some());
        assert_eq!(needles.checksum(0x1234_5678), &[]);
    }

    #[test]
    fn a_value_many_customers_share_has_each_of_them_once() {
        let customers = customers(50);
        let builder = Builder::of(&customers, 0);
        // Merchants are shared by many customers, and a name without accents gives the
        // same pattern as written and folded: each owner is there once all the same.
        let most = builder
            .owners
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or_default();
        assert!(most > 10, "the most owners of a pattern: {most}");
        for owners in &builder.owners {
            let distinct: std::collections::HashSet<(usize, ValueKind, bool)> = owners
                .iter()
                .map(|o| (o.customer, o.kind, o.rot13))
                .collect();
            assert_eq!(distinct.len(), owners.len(), "{owners:?}");
        }
    }
}
