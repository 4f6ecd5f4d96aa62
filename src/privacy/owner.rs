//! Whose value a needle is: the customer, the kind of value and the form that matched (its
//! label, the end of a finding's chain), and where a short needle counts.

use std::fmt;
use std::ops::Range;

use super::digests::{Algo, Checksum};
use super::keys::KeyKind;
use super::{ValueForm, ValueKind};

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
    /// `sum(form)`: a 32-bit checksum of the form.
    Checksum { sum: Checksum, form: &'static str },
}

impl Label {
    /// The typed form of this label.
    pub fn form(self) -> ValueForm {
        match self {
            Label::Plain("full_name") => ValueForm::FullName,
            Label::Plain("street") => ValueForm::Street,
            Label::Plain(_) | Label::Digest { .. } | Label::Checksum { .. } => ValueForm::Other,
        }
    }
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
            Label::Checksum { sum, form } => write!(f, "{}({form})", sum.name()),
        }
    }
}

/// Whose value a needle is, and in which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub customer: usize,
    pub kind: ValueKind,
    pub label: Label,
    /// The needle is the rot13 of the form: the chain gets a "rot13" step.
    pub rot13: bool,
    /// Set for needles too short to mean the value anywhere: where they count.
    pub weak: Option<Weak>,
}

/// Where a short plaintext needle can really mean its value. Five digits of a zip code turn up
/// inside ids and hashes everywhere, and the local part of an email is often a first name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Weak {
    /// As a whole token (no ASCII letter or digit on either side) outside protocol headers
    /// (a port in `Host`, a `Content-Length`), or under a key that names its kind (`zp`,
    /// `zip`, `dob`, …): digit runs of 7 to 9 digits, and local parts that are no word.
    Token,
    /// Under a key that names its kind; as a whole token elsewhere only when the same request
    /// or reply also holds another value of the same customer: runs of up to 6 digits (a zip
    /// code, a year). With thousands of customers in a run, their zip codes cover a few
    /// percent of all five-digit numbers, so a bot's own number alone would match one.
    Corroborated,
    /// Only under a key that names its kind (`em`, `email`, `st`, `country`, …): a local part
    /// that is a plain word, which in free text is just a name, and the digests of a value
    /// that many customers share (a state, the country).
    Key,
}

/// Whether a plaintext match counts as a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Counts {
    Yes,
    /// Only if the same request or reply holds another value of the same customer.
    IfCorroborated,
    No,
}

impl Owner {
    /// The owner of a digest of the form `form`, before its label names the algorithm.
    pub fn digest(
        customer: usize,
        kind: ValueKind,
        form: &'static str,
        weak: Option<Weak>,
    ) -> Owner {
        Owner {
            customer,
            kind,
            label: Label::Plain(form),
            rot13: false,
            weak,
        }
    }

    /// Whether a plaintext match of this owner's needle counts, given whether it was a whole
    /// token and the key it sat under.
    pub fn counts(&self, whole_token: bool, key: KeyKind) -> Counts {
        let named = key.names(self.kind);
        let alone = whole_token && key != KeyKind::Protocol;
        match self.weak {
            None => Counts::Yes,
            _ if named => Counts::Yes,
            Some(Weak::Token) if alone => Counts::Yes,
            Some(Weak::Corroborated) if alone => Counts::IfCorroborated,
            Some(_) => Counts::No,
        }
    }
}

/// Whether `owners` already hold an owner of `owner`'s customer for which `same` holds. Owners
/// are added customer by customer, so only the last ones can be of the same customer: a
/// value that thousands of customers share (a merchant, a country) is not searched whole for
/// each of them.
pub(super) fn owned(owners: &[Owner], owner: &Owner, same: impl Fn(&Owner) -> bool) -> bool {
    owners
        .iter()
        .rev()
        .take_while(|o| o.customer == owner.customer)
        .any(same)
}

/// The owners of `sorted`, a list of owners grouped by key, each key's in the order added,
/// without the later owners of a customer that has one of the same kind under that key (its
/// first form wins); and each key with the range of its owners in them.
pub(super) fn grouped<K: Copy + PartialEq>(
    sorted: &[(K, Owner)],
) -> (Vec<(K, Range<usize>)>, Vec<Owner>) {
    let (mut keys, mut owners) = (Vec::new(), Vec::with_capacity(sorted.len()));
    for group in sorted.chunk_by(|a, b| a.0 == b.0) {
        let start = owners.len();
        for &(_, owner) in group {
            let theirs = owners.get(start..).unwrap_or_default();
            if !owned(theirs, &owner, |o| o.kind == owner.kind) {
                owners.push(owner);
            }
        }
        if let Some(&(key, _)) = group.first() {
            keys.push((key, start..owners.len()));
        }
    }
    (keys, owners)
}
