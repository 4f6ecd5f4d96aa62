//! Needles: every value of every customer in each of its normal forms, prepared once.
//!
//! Plaintext forms go into ONE case-insensitive aho-corasick automaton searched with
//! overlapping matches; digests (7 algorithms, and hash-of-hash for email and phone) go into a
//! sorted table keyed by digest bytes; amounts into a map keyed by cents. Each needle maps to
//! its owners: (customer, value kind, form label).

use std::collections::{HashMap, HashSet};
use std::fmt;

use aho_corasick::{AhoCorasick, MatchKind};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use sha3::Sha3_256;

use super::ValueKind;
use crate::customer::Customer;

/// Plaintext needles shorter than this many characters are skipped (too coincidental).
const MIN_PLAIN_CHARS: usize = 4;
/// Amounts below $1.00 are skipped (too coincidental).
const MIN_AMOUNT_CENTS: i64 = 100;
/// The byte lengths of the supported digests, for haystack tokens worth a lookup.
pub(super) const DIGEST_LENS: [usize; 6] = [16, 20, 28, 32, 48, 64];

/// Latin-1 accented letters and their unaccented ASCII letter.
const FOLD: [(&str, char); 16] = [
    ("ÀÁÂÃÄÅ", 'A'),
    ("àáâãäå", 'a'),
    ("Ç", 'C'),
    ("ç", 'c'),
    ("ÈÉÊË", 'E'),
    ("èéêë", 'e'),
    ("ÌÍÎÏ", 'I'),
    ("ìíîï", 'i'),
    ("Ñ", 'N'),
    ("ñ", 'n'),
    ("ÒÓÔÕÖØ", 'O'),
    ("òóôõöø", 'o'),
    ("ÙÚÛÜ", 'U'),
    ("ùúûü", 'u'),
    ("Ý", 'Y'),
    ("ýÿ", 'y'),
];

/// `text` with Latin-1 accents stripped: "José" → "Jose".
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| {
            FOLD.iter()
                .find(|(set, _)| set.contains(c))
                .map_or(c, |&(_, a)| a)
        })
        .collect()
}

fn lower_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash algorithm an ad platform or a careless bot may apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Algo {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
    Sha3_256,
}

impl Algo {
    const ALL: [Algo; 7] = [
        Algo::Md5,
        Algo::Sha1,
        Algo::Sha224,
        Algo::Sha256,
        Algo::Sha384,
        Algo::Sha512,
        Algo::Sha3_256,
    ];

    fn name(self) -> &'static str {
        match self {
            Algo::Md5 => "md5",
            Algo::Sha1 => "sha1",
            Algo::Sha224 => "sha224",
            Algo::Sha256 => "sha256",
            Algo::Sha384 => "sha384",
            Algo::Sha512 => "sha512",
            Algo::Sha3_256 => "sha3-256",
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Algo::Md5 => Md5::digest(data).to_vec(),
            Algo::Sha1 => Sha1::digest(data).to_vec(),
            Algo::Sha224 => Sha224::digest(data).to_vec(),
            Algo::Sha256 => Sha256::digest(data).to_vec(),
            Algo::Sha384 => Sha384::digest(data).to_vec(),
            Algo::Sha512 => Sha512::digest(data).to_vec(),
            Algo::Sha3_256 => Sha3_256::digest(data).to_vec(),
        }
    }
}

/// The needle form that matched, rendered as the end of a finding's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    /// A plaintext form: "email", "formatted(phone)", "value(amount)".
    Plain(&'static str),
    /// `algo(form)`, or `algo(inner(form))` when the form's lowercase-hex `inner` digest was hashed again.
    Digest {
        algo: Algo,
        inner: Option<Algo>,
        form: &'static str,
    },
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Label::Plain(form) => f.write_str(form),
            Label::Digest {
                algo,
                inner: None,
                form,
            } => write!(f, "{}({form})", algo.name()),
            Label::Digest {
                algo,
                inner: Some(inner),
                form,
            } => write!(f, "{}({}({form}))", algo.name(), inner.name()),
        }
    }
}

/// Whose value a needle is, and in which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub customer: usize,
    pub kind: ValueKind,
    pub label: Label,
}

/// A digest by its first 16 bytes and its length: exact for md5, and a 2^-128 coincidence for
/// the longer ones, without a heap allocation per needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct DigestKey([u8; 16], u8);

impl DigestKey {
    fn of(bytes: &[u8]) -> Option<DigestKey> {
        let len = u8::try_from(bytes.len()).ok()?;
        let head = bytes.get(..16)?.try_into().ok()?;
        DIGEST_LENS
            .contains(&bytes.len())
            .then_some(DigestKey(head, len))
    }
}

/// Every needle of a set of customers.
pub(super) struct Needles {
    /// `None` only if the automaton could not be built; then `broken` says why.
    automaton: Option<AhoCorasick>,
    broken: Option<String>,
    /// The owners of each automaton pattern, by pattern id.
    owners: Vec<Vec<Owner>>,
    /// Sorted digest keys, and the owner of each.
    digest_keys: Vec<DigestKey>,
    digest_owners: Vec<Owner>,
    /// Customers by amount in cents.
    amounts: HashMap<i64, Vec<usize>>,
    /// Known values as the warning patterns normalise them (digits only; lowercase email).
    known: HashSet<String>,
}

impl Needles {
    pub fn build(customers: &[Customer]) -> Needles {
        let mut builder = Builder::default();
        for (i, customer) in customers.iter().enumerate() {
            builder.customer(i, customer);
        }
        builder.finish()
    }

    /// Why the plaintext automaton is missing, to be noted on every scan.
    pub fn broken(&self) -> Option<&str> {
        self.broken.as_deref()
    }

    /// Every plaintext needle in `hay` as (match length, owners), once per needle however
    /// often it occurs, overlapping matches included, except matches that continue a word or
    /// number (see [`bounded`]). With `lettered`, only needles with a letter in them (what
    /// rot13 can hide).
    pub fn plain(&self, hay: &[u8], lettered: bool) -> Vec<(usize, &[Owner])> {
        let Some(automaton) = &self.automaton else {
            return Vec::new();
        };
        let has_letter = |m: &aho_corasick::Match| {
            hay.get(m.range())
                .is_some_and(|t| t.iter().any(u8::is_ascii_alphabetic))
        };
        let mut hits: Vec<(usize, usize)> = automaton
            .find_overlapping_iter(hay)
            .filter(|m| bounded(hay, m.start(), m.end()) && (!lettered || has_letter(m)))
            .map(|m| (m.pattern().as_usize(), m.len()))
            .collect();
        hits.sort_unstable();
        hits.dedup_by_key(|hit| hit.0);
        hits.into_iter()
            .filter_map(|(id, len)| Some((len, self.owners.get(id)?.as_slice())))
            .collect()
    }

    /// The owners of the digest `bytes` (raw digest bytes), if it is one of ours.
    pub fn digest(&self, bytes: &[u8]) -> &[Owner] {
        let Some(key) = DigestKey::of(bytes) else {
            return &[];
        };
        let start = self.digest_keys.partition_point(|k| *k < key);
        let end = self.digest_keys.partition_point(|k| *k <= key);
        self.digest_owners.get(start..end).unwrap_or_default()
    }

    /// The customers with an amount of exactly `cents`.
    pub fn amount(&self, cents: i64) -> &[usize] {
        self.amounts.get(&cents).map_or(&[], Vec::as_slice)
    }

    /// Whether a warning candidate, normalised, is a known customer value.
    pub fn is_known(&self, normalized: &str) -> bool {
        self.known.contains(normalized)
    }
}

/// The boundary rule: a match is rejected when the byte next to it continues the class of the
/// needle's edge there: a digit next to a digit edge, an ASCII letter or digit next to a letter
/// edge. So zip "94107" does not hit inside "1719410723", "Anne" not in "Annexe", and a name
/// not inside a random id. A match inside a longer run of 16 or more hex digits and dashes (a
/// digest, a uuid) is rejected too: there, digits are noise.
fn bounded(hay: &[u8], start: usize, end: usize) -> bool {
    let clash = |edge: Option<&u8>, next: Option<&u8>| match (edge, next) {
        (Some(e), Some(n)) if e.is_ascii_digit() => n.is_ascii_digit(),
        (Some(e), Some(n)) if e.is_ascii_alphabetic() => n.is_ascii_alphanumeric(),
        _ => false,
    };
    let before = start.checked_sub(1).and_then(|i| hay.get(i));
    let last = end.checked_sub(1).and_then(|i| hay.get(i));
    let hexish = |b: &u8| b.is_ascii_hexdigit() || *b == b'-';
    let run = |side: &mut dyn Iterator<Item = &u8>| side.take(16).take_while(|b| hexish(b)).count();
    let left = run(&mut hay.get(..start).unwrap_or_default().iter().rev());
    let right = run(&mut hay.get(end..).unwrap_or_default().iter());
    let hex_match = hay.get(start..end).is_some_and(|m| m.iter().all(hexish));
    let in_hex_run = hex_match && left + right > 0 && left + (end - start) + right >= 16;
    !clash(hay.get(start), before) && !clash(last, hay.get(end)) && !in_hex_run
}

#[derive(Default)]
struct Builder {
    patterns: Vec<Vec<u8>>,
    index: HashMap<Vec<u8>, usize>,
    owners: Vec<Vec<Owner>>,
    digests: Vec<(DigestKey, Owner)>,
    amounts: HashMap<i64, Vec<usize>>,
    known: HashSet<String>,
}

impl Builder {
    /// A plaintext needle; the automaton is ASCII case-insensitive, so forms are keyed lowercased.
    fn plain(&mut self, customer: usize, kind: ValueKind, form: &'static str, text: &str) {
        if text.chars().count() < MIN_PLAIN_CHARS {
            return;
        }
        let key = text.to_ascii_lowercase().into_bytes();
        let id = match self.index.get(&key) {
            Some(&id) => id,
            None => {
                self.index.insert(key.clone(), self.patterns.len());
                self.patterns.push(key);
                self.owners.push(Vec::new());
                self.patterns.len() - 1
            }
        };
        if let Some(owners) = self.owners.get_mut(id) {
            if !owners
                .iter()
                .any(|o| o.customer == customer && o.kind == kind)
            {
                owners.push(Owner {
                    customer,
                    kind,
                    label: Label::Plain(form),
                });
            }
        }
    }

    /// Digest needles of `text` under every algorithm; with `nested`, also every
    /// outer(lowercase-hex(inner(text))) pair.
    fn hashed(
        &mut self,
        customer: usize,
        kind: ValueKind,
        form: &'static str,
        text: &str,
        nested: bool,
    ) {
        if text.is_empty() {
            return;
        }
        for inner in Algo::ALL {
            let digest = inner.digest(text.as_bytes());
            self.digest(customer, kind, &digest, inner, None, form);
            if nested {
                let hex = lower_hex(&digest);
                for outer in Algo::ALL {
                    let twice = outer.digest(hex.as_bytes());
                    self.digest(customer, kind, &twice, outer, Some(inner), form);
                }
            }
        }
    }

    fn digest(
        &mut self,
        customer: usize,
        kind: ValueKind,
        digest: &[u8],
        algo: Algo,
        inner: Option<Algo>,
        form: &'static str,
    ) {
        if let Some(key) = DigestKey::of(digest) {
            let label = Label::Digest { algo, inner, form };
            self.digests.push((
                key,
                Owner {
                    customer,
                    kind,
                    label,
                },
            ));
        }
    }

    fn amount(&mut self, customer: usize, cents: i64) {
        let cents = cents.saturating_abs();
        if cents >= MIN_AMOUNT_CENTS {
            let owners = self.amounts.entry(cents).or_default();
            if !owners.contains(&customer) {
                owners.push(customer);
            }
        }
    }

    fn known(&mut self, value: &str) {
        self.known.insert(value.to_owned());
    }

    fn customer(&mut self, i: usize, c: &Customer) {
        use ValueKind::*;
        self.email(i, &c.email);
        self.phone(i, &c.phone);

        let full_name = c.full_name();
        let names = [
            ("first_name", "lower(first_name)", c.first_name.as_str()),
            ("last_name", "lower(last_name)", c.last_name.as_str()),
            ("full_name", "lower(full_name)", full_name.as_str()),
        ];
        for (form, hashed_form, name) in names {
            let name = name.trim();
            let folded = fold(name);
            let lowers = [name.to_lowercase(), folded.to_lowercase()];
            for variant in [name, &folded, &lowers[0], &lowers[1]] {
                self.plain(i, Name, form, variant);
            }
            self.hashed(i, Name, hashed_form, &lowers[0], false);
            if lowers[1] != lowers[0] {
                self.hashed(i, Name, hashed_form, &lowers[1], false);
            }
        }

        let dob = c.date_of_birth;
        let compact_dob = dob.format("%Y%m%d").to_string();
        self.plain(i, DateOfBirth, "yyyymmdd(date_of_birth)", &compact_dob);
        self.hashed(
            i,
            DateOfBirth,
            "yyyymmdd(date_of_birth)",
            &compact_dob,
            false,
        );
        for (form, pattern) in [
            ("yyyy-mm-dd(date_of_birth)", "%Y-%m-%d"),
            ("mm/dd/yyyy(date_of_birth)", "%m/%d/%Y"),
            ("dd/mm/yyyy(date_of_birth)", "%d/%m/%Y"),
        ] {
            self.plain(i, DateOfBirth, form, &dob.format(pattern).to_string());
        }

        let address = [
            ("street", "lower(street)", c.address.street.trim()),
            ("city", "lower(city)", c.address.city.trim()),
            ("zip", "zip", c.address.zip.trim()),
        ];
        for (form, hashed_form, value) in address {
            self.plain(i, Address, form, value);
            self.hashed(i, Address, hashed_form, &value.to_lowercase(), false);
        }

        let ssn_digits: String = c.ssn.chars().filter(char::is_ascii_digit).collect();
        for (form, value) in [("ssn", c.ssn.trim()), ("compact(ssn)", &ssn_digits)] {
            self.plain(i, Ssn, form, value);
            self.hashed(i, Ssn, form, value, false);
        }
        self.known(&ssn_digits);

        let (mut merchants, mut numbers_seen) = (HashSet::new(), HashSet::new());
        for account in &c.accounts {
            let mut numbers = vec![
                (AccountNumber, "account_number", account.number.as_str()),
                (
                    RoutingNumber,
                    "routing_number",
                    account.routing_number.as_str(),
                ),
            ];
            if let Some(card) = &account.card_number {
                numbers.push((CardNumber, "card_number", card));
                self.card_groups(i, card);
            }
            for (kind, form, number) in numbers {
                let digits: String = number.chars().filter(char::is_ascii_digit).collect();
                if numbers_seen.insert((kind, digits.clone())) {
                    self.plain(i, kind, form, &digits);
                    self.hashed(i, kind, form, &digits, false);
                    self.known(&digits);
                }
            }
            self.amount(i, account.balance.cents());
            self.amount(i, account.available_balance.cents());
            for transaction in &account.transactions {
                self.amount(i, transaction.amount.cents());
                if merchants.insert(transaction.merchant.as_str()) {
                    self.plain(i, Merchant, "merchant", transaction.merchant.trim());
                }
            }
        }

        if !c.token.is_empty() {
            self.plain(i, Token, "token", &c.token);
            self.hashed(i, Token, "token", &c.token, false);
        }
        if let Some(code) = authorization_code(c) {
            self.plain(i, Token, "authorization_code", &code);
        }
    }

    fn email(&mut self, i: usize, email: &str) {
        let email = email.trim();
        if email.is_empty() {
            return;
        }
        let lower = email.to_lowercase();
        // Case-insensitive matching covers the lowercased and upper-case forms.
        self.plain(i, ValueKind::Email, "email", email);
        self.hashed(i, ValueKind::Email, "lower(email)", &lower, true);
        if email != lower {
            self.hashed(i, ValueKind::Email, "email", email, true);
        }
        self.known(&lower);
        let Some((local, domain)) = lower.split_once('@') else {
            return;
        };
        if local.chars().count() >= 5 {
            self.plain(i, ValueKind::Email, "local(email)", local);
        }
        if matches!(domain, "gmail.com" | "googlemail.com") && local.contains('.') {
            let nodots = format!("{}@{domain}", local.replace('.', ""));
            self.plain(i, ValueKind::Email, "nodots(email)", &nodots);
            self.hashed(i, ValueKind::Email, "nodots(email)", &nodots, true);
            self.known(&nodots);
        }
    }

    fn phone(&mut self, i: usize, phone: &str) {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.is_empty() {
            return;
        }
        let e164 = format!("+{digits}");
        for (form, value) in [("e164(phone)", &e164), ("digits(phone)", &digits)] {
            self.plain(i, ValueKind::Phone, form, value);
            self.hashed(i, ValueKind::Phone, form, value, true);
        }
        self.known(&digits);
        // National forms for NANP numbers (+1 and ten digits).
        let Some(national) = digits.strip_prefix('1').filter(|n| n.len() == 10) else {
            return;
        };
        self.plain(i, ValueKind::Phone, "national(phone)", national);
        self.hashed(i, ValueKind::Phone, "national(phone)", national, true);
        self.known(national);
        let (area, rest) = national.split_at(3);
        let (exchange, line) = rest.split_at(3);
        for (form, value) in [
            ("formatted(phone)", format!("({area}) {exchange}-{line}")),
            ("dashed(phone)", format!("{area}-{exchange}-{line}")),
            ("dotted(phone)", format!("{area}.{exchange}.{line}")),
        ] {
            self.plain(i, ValueKind::Phone, form, &value);
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

    fn finish(mut self) -> Needles {
        let (automaton, broken) = match AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&self.patterns)
        {
            Ok(automaton) => (Some(automaton), None),
            Err(error) => (
                None,
                Some(format!("plaintext needles unavailable: {error}")),
            ),
        };
        // Stable: among equal keys of one customer and kind, the first form added wins.
        self.digests
            .sort_by(|(a, x), (b, y)| (a, x.customer, x.kind).cmp(&(b, y.customer, y.kind)));
        self.digests
            .dedup_by(|(a, x), (b, y)| a == b && x.customer == y.customer && x.kind == y.kind);
        let (digest_keys, digest_owners) = self.digests.into_iter().unzip();
        Needles {
            automaton,
            broken,
            owners: self.owners,
            digest_keys,
            digest_owners,
            amounts: self.amounts,
            known: self.known,
        }
    }
}

/// The bank's authorization code for a customer: "code_" and the first 10 bytes, in hex, of
/// sha256("code:" + token); `None` without a token.
// TODO(lead): replace with `crate::bank::authorization_code` when integrating.
pub(super) fn authorization_code(customer: &Customer) -> Option<String> {
    if customer.token.is_empty() {
        return None;
    }
    let digest = Sha256::digest(format!("code:{}", customer.token).as_bytes());
    Some(format!(
        "code_{}",
        lower_hex(digest.get(..10).unwrap_or_default())
    ))
}
