//! The scan engine: searches one located string (a "site") for every needle form and
//! recursively decodes what it holds, collecting deduplicated findings, warnings and notes.
//!
//! Each site gets (a) the plaintext matcher over its bytes (whose needles hold the rot13 of
//! every needle too), (b) digest lookups of its hex and base64 tokens, and of 32-bit checksum
//! tokens under an identity key, (c) amount tokens and (d) warning patterns; then, depth and
//! budget permitting, it recurses into its url, HTML-entity and JSON-escape decodings, into
//! its base64 and hex tokens that decode to text or to a compressed stream, and into its rarer
//! tokens (base32, base58, LZ-String). The site's shape, told first, skips the passes that
//! cannot find anything in it, and holds its runs of token characters, from which every
//! token is taken without splitting the site again. A site or decoding that is JSON is walked
//! field by field instead, as it is parsed, and what the walk found is kept only when the
//! whole text is one document. When one value is found both in a container and in a field
//! decoded from it, only the deepest location is reported (see [`deepest_only`]).

use std::cmp::Reverse;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::amounts;
use super::clean;
use super::decode;
use super::derived;
use super::digests;
use super::key_memo;
use super::keys::{self, KeyKind};
use super::needles::Needles;
use super::owner::{Counts, Label, Owner, Weak};
use super::shape::{self, Alphabet, Shape};
use super::site::{Segment, Site};
use super::status::Vocabulary;
use super::warnings;
use super::{Finding, Scan, Signal, SignalField, ValueForm, ValueKind, Warning, WarningKind};

/// Nested decodings (url, html, json-escape, base64, hex) below a site.
const MAX_DEPTH: u8 = 4;
/// Base64 and hex tokens decoded and rescanned per scan.
const MAX_TOKENS: usize = 256;
/// The most one decoding may output.
const MAX_DECODED: usize = 1 << 20;
/// The most all decodings of one scan may output together.
const MAX_DECODED_TOTAL: usize = 64 << 20;
/// JSON and form fields scanned one by one per scan; beyond, documents are scanned as text.
const MAX_FIELDS: usize = 100_000;

/// A decoder of a whole string; `None` when there is nothing to decode.
type Decoder = fn(&[u8]) -> Option<Vec<u8>>;
/// Whether a string of some shape can change under a decoder.
type Changes = fn(&Shape) -> bool;

/// The whole-string decoders, by chain step, each with the shape a string needs for the
/// decoder to change it.
const WHOLE_DECODERS: [(&str, Decoder, Changes); 3] = [
    ("url", decode::url, Shape::url_encoded),
    ("html", decode::html, Shape::entities),
    ("json-escape", decode::json_escape, Shape::escapes),
];

/// How the tokens of one alphabet are decoded, and how their findings are chained.
struct TokenCodec {
    decode: Decoder,
    /// The chain step of what a token decodes to.
    step: &'static str,
    /// The chain step of a digest found as a token (a hex digest is found as itself).
    digest_step: Option<&'static str>,
    /// Whether bytes that are no text are tried as raw deflate too (not for hex, where every
    /// digest would be tried).
    raw: bool,
}

const BASE64: TokenCodec = TokenCodec {
    decode: decode::base64,
    step: "base64",
    digest_step: Some("base64"),
    raw: true,
};

const HEX: TokenCodec = TokenCodec {
    decode: decode::hex,
    step: "hex",
    digest_step: None,
    raw: false,
};

/// What a scan looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Mode {
    /// A sink request: every value, amounts, warnings.
    Request,
    /// A bot reply: identity values only.
    Text,
}

/// Collects one scan's results.
pub(super) struct Scanner<'n> {
    needles: &'n Needles,
    vocabulary: &'n Vocabulary,
    mode: Mode,
    findings: BTreeMap<(usize, ValueKind, String), FindingRank>,
    warnings: BTreeMap<(WarningKind, String, String), (usize, String)>,
    /// Derived values (rounded balances, buckets, sums per merchant) and short numbers found
    /// alone (see `Weak::Corroborated`), kept at the end only for customers the request holds
    /// another value of.
    derived: BTreeMap<(usize, ValueKind, String), FindingRank>,
    /// Financial-status terms by (location, term): where they were, the shortest chain first.
    signals: BTreeMap<(String, String), (usize, String, SignalField, String)>,
    notes: Vec<String>,
    /// Counts what the scan did beyond reading its texts: a record, a decoding (which draws
    /// on the budgets), a look at a site beyond its [`clean::Context`]. A text whose scan
    /// made no mark is clean in its context whatever the rest of the request holds.
    marks: u64,
    tokens_left: usize,
    fields_left: usize,
    bytes_left: usize,
}

/// How a finding's chain competes with others for one (customer, kind, location): the most
/// complete match first (the longest stretch of the haystack: the full name over the first
/// name, `url → email` over the local part found before decoding), then the fewest decoding
/// steps, then the shortest chain, then the alphabetically first. The chain and its form are last.
type FindingRank = (Reverse<usize>, usize, usize, String, ValueForm, u64);

/// What a finding matched, the same for every customer who shares the value: a plaintext
/// pattern, a digest, a checksum, an amount or a derived value, by `what` it is and its bytes.
fn needle(what: u8, value: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::fast::FixedState::default().hash_one((what, value))
}

/// Keeps the least value per key.
fn keep_best<K: Ord, V: Ord>(map: &mut BTreeMap<K, V>, key: K, value: V) {
    match map.entry(key) {
        Entry::Vacant(slot) => {
            slot.insert(value);
        }
        Entry::Occupied(mut slot) => {
            if value < *slot.get() {
                slot.insert(value);
            }
        }
    }
}

impl<'n> Scanner<'n> {
    pub fn new(needles: &'n Needles, vocabulary: &'n Vocabulary, mode: Mode) -> Scanner<'n> {
        Scanner {
            needles,
            vocabulary,
            mode,
            findings: BTreeMap::new(),
            warnings: BTreeMap::new(),
            derived: BTreeMap::new(),
            signals: BTreeMap::new(),
            notes: Vec::new(),
            marks: 0,
            tokens_left: MAX_TOKENS,
            fields_left: MAX_FIELDS,
            bytes_left: MAX_DECODED_TOTAL,
        }
    }

    pub fn finish(mut self) -> Scan {
        // Most requests are clean: nothing to rank.
        if self.findings.is_empty() && self.warnings.is_empty() && self.signals.is_empty() {
            return Scan {
                notes: self.notes,
                ..Scan::default()
            };
        }
        let identified: BTreeSet<usize> = self.findings.keys().map(|key| key.0).collect();
        for (key, rank) in std::mem::take(&mut self.derived) {
            if identified.contains(&key.0) {
                keep_best(&mut self.findings, key, rank);
            }
        }
        let findings = deepest_only(self.findings).into_iter();
        let warnings = self.warnings.into_iter();
        Scan {
            findings: findings
                .map(
                    |((customer, kind, location), (.., chain, form, needle))| Finding {
                        customer,
                        kind,
                        location,
                        chain,
                        form,
                        needle,
                    },
                )
                .collect(),
            warnings: warnings
                .map(|((pattern, location, masked), (_, chain))| Warning {
                    pattern,
                    location,
                    chain,
                    masked,
                })
                .collect(),
            signals: self
                .signals
                .into_iter()
                .map(|((location, term), (_, chain, field, text))| Signal {
                    term,
                    location,
                    chain,
                    field,
                    text,
                })
                .collect(),
            notes: self.notes,
        }
    }

    pub fn note(&mut self, note: String) {
        self.marks += 1;
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Scans a string: walked as JSON if it is JSON, else searched as text.
    pub fn value(&mut self, text: &[u8], site: &Site) {
        if !(decode::looks_like_json(text) && self.json(text, &site.step("json"))) {
            self.text(text, site);
        }
    }

    /// An item of a value that lists several (`a,b|c`), after the whole value was scanned:
    /// only the passes that read a text as one whole run on it (a JSON document, a bare
    /// amount or count, an identifier, an LZ-String value). The others would find again what
    /// they found in the whole value, at the same site.
    pub fn item(&mut self, text: &[u8], site: &Site) {
        if decode::looks_like_json(text) && self.json(text, &site.step("json")) {
            return;
        }
        let shape = Shape::of(text);
        self.whole_value(text, site, &shape);
        self.rare_tokens(text, site, &shape);
    }

    /// The passes that read a value as one whole: a financial-status term, an amount, a count
    /// (no amount or count in a value without a digit, and no amount without a `.` but a
    /// bare number under a value-like key: money is written with cents).
    fn whole_value(&mut self, text: &[u8], site: &Site, shape: &Shape) {
        if self.mode == Mode::Request {
            self.status_value(text, site, shape);
            if shape.digits > 0 {
                if amounts::possible(shape.dot(), site.key) {
                    self.amounts(text, site);
                }
                self.counts(text, site);
            }
        }
    }

    /// Walks `text` at `site` if it is a JSON document whose fields fit the field budget;
    /// `false` when it is no JSON or too large (noted), to be scanned as text instead.
    pub fn json(&mut self, text: &[u8], site: &Site) -> bool {
        if !decode::looks_like_json(text) {
            return false;
        }
        let fields = shape::count(text, |b| b == b',') + 1;
        if !self.admit(fields, site) {
            return false;
        }
        // The document is walked as it is parsed, by a scanner of its own whose results are
        // kept only when the whole text turns out to be one JSON document.
        let mut walked = Scanner {
            tokens_left: self.tokens_left,
            fields_left: self.fields_left,
            bytes_left: self.bytes_left,
            ..Scanner::new(self.needles, self.vocabulary, self.mode)
        };
        // A document is UTF-8 throughout: told once here, so that the parser does not check
        // each string again.
        let Ok(text) = std::str::from_utf8(text) else {
            return false;
        };
        let mut document = serde_json::Deserializer::from_str(text);
        let walk = Walk {
            scanner: &mut walked,
            site,
        };
        if walk.deserialize(&mut document).is_err() || document.end().is_err() {
            return false;
        }
        self.adopt(walked);
        true
    }

    /// The results and the budgets left of a scanner that scanned part of this scan.
    fn adopt(&mut self, part: Scanner) {
        for (key, rank) in part.findings {
            keep_best(&mut self.findings, key, rank);
        }
        for (key, rank) in part.derived {
            keep_best(&mut self.derived, key, rank);
        }
        for (key, rank) in part.warnings {
            keep_best(&mut self.warnings, key, rank);
        }
        for (key, signal) in part.signals {
            keep_best(&mut self.signals, key, signal);
        }
        for note in part.notes {
            self.note(note);
        }
        self.tokens_left = part.tokens_left;
        self.fields_left = part.fields_left;
        self.bytes_left = part.bytes_left;
    }

    /// Counts `fields` of a document at `site` against the field budget; `false` (noted)
    /// when they do not fit: a huge document is then scanned as one text, which is fast.
    pub fn admit(&mut self, fields: usize, site: &Site) -> bool {
        if fields > self.fields_left {
            self.note(format!(
                "{} holds {fields} fields, over the budget of {MAX_FIELDS} per request; scanned as text",
                site.location().trim_end_matches(':')
            ));
            return false;
        }
        self.fields_left -= fields;
        true
    }

    /// Scans a string as text, then what it decodes to; a text this thread found clean in
    /// the same context before is passed over (see [`clean`]).
    pub fn text(&mut self, text: &[u8], site: &Site) {
        self.text_of_shape(text, site, Shape::of);
    }

    /// [`Scanner::text`] for a string whose shape `shape` tells (a JSON number's digits).
    fn text_of_shape(&mut self, text: &[u8], site: &Site, shape: fn(&[u8]) -> Shape) {
        if text.len() > clean::MAX_TEXT {
            return self.scan_text(text, site, shape(text));
        }
        let context = clean::Context {
            needles: self.needles.id(),
            vocabulary: self.vocabulary.id(),
            mode: self.mode,
            key: site.key,
            depth: site.depth,
        };
        let Some(ticket) = clean::look_up(context, text) else {
            return;
        };
        let marks = self.marks;
        self.scan_text(text, site, shape(text));
        if self.marks == marks {
            clean::remember(ticket, text);
        }
    }

    fn scan_text(&mut self, text: &[u8], site: &Site, shape: Shape) {
        let needles = self.needles;
        for (id, span, whole_token, owners) in needles.plain(text, &shape) {
            let matched = needle(b'p', &id.to_le_bytes());
            for owner in owners {
                match owner.counts(whole_token, site.key) {
                    Counts::Yes => self.found(&[*owner], site, None, span, matched),
                    Counts::IfCorroborated => self.found_alone(owner, site, span, matched),
                    Counts::No => {}
                }
            }
        }
        self.whole_value(text, site, &shape);
        // A protocol header's numbers are lengths, ports and dates (its site's key is
        // `Protocol`, as are the items of a JSON array in it, which are not the header's).
        let protocol = |marks: &mut u64| {
            site.key == KeyKind::Protocol && {
                // The location is no part of the clean-text context.
                *marks += 1;
                keys::in_protocol_header(&site.location())
            }
        };
        if self.mode == Mode::Request
            && (shape.standing_number() || shape.at_sign())
            && !protocol(&mut self.marks)
        {
            for candidate in warnings::find(text, &shape) {
                if !needles.is_known(&candidate.normalized) {
                    self.warn(candidate, site);
                }
            }
        }
        self.tokens(text, site, &shape);
        self.checksums(text, site);
        if site.depth < MAX_DEPTH {
            let head = text.get(..MAX_DECODED).unwrap_or(text);
            let decoders = WHOLE_DECODERS.into_iter().filter(|(.., can)| can(&shape));
            for (step, decoder, _) in decoders {
                if let Some(decoded) = decoder(head) {
                    if head.len() < text.len() {
                        self.note(format!(
                            "{}: {step} decoding of a {} byte text stopped at 1 MiB",
                            site.location(),
                            text.len()
                        ));
                    }
                    self.recurse(&decoded, site, step, false);
                }
            }
        }
    }

    /// Base64 and hex tokens, taken from the shape's runs: looked up as digests, and
    /// rescanned when they decode to text. A token is decoded only when it can be one of
    /// them: of a digest's length, with the alphabet of encoded text where it matters (see
    /// `decode::base64_may_be_text`), or opening a compressed stream
    /// (`decode::base64_may_be_stream`).
    fn tokens(&mut self, text: &[u8], site: &Site, shape: &Shape) {
        // A value whose token characters are all hex digits and dashes has no base64 run.
        if shape.spelled() {
            shape.tokens(text, Alphabet::Base64, decode::MIN_BASE64, |token| {
                self.base64_token(token.bytes, site);
            });
        }
        if shape.long_hex {
            shape.tokens(text, Alphabet::Hex, shape::MIN_HEX, |token| {
                self.hex_token(token.bytes, site);
            });
        }
        self.rare_tokens(text, site, shape);
    }

    fn base64_token(&mut self, token: &[u8], site: &Site) {
        let token = self.capped(token, MAX_DECODED / 3 * 4, site);
        // Hex digits and dashes alone are hex, uuids and numbers: no base64 of a digest or
        // of text is made of them (a chance below 10^-10 for a 16-byte digest).
        if decode::hexish(token) {
            return;
        }
        let digest = Needles::digest_len(decode::base64_len(token));
        let holds = decode::base64_may_be_text(token) || decode::base64_may_be_stream(token);
        self.token(token, site, &BASE64, digest, holds);
    }

    fn hex_token(&mut self, run: &[u8], site: &Site) {
        let run = self.capped(run, MAX_DECODED * 2, site);
        let digest = Needles::digest_len(run.len() / 2);
        let holds = decode::hex_may_be_text(run) || decode::hex_may_be_stream(run);
        self.token(run, site, &HEX, digest, holds);
    }

    /// A token that may be a `digest` or may `hold` text or a stream, decoded by `codec`.
    fn token(&mut self, token: &[u8], site: &Site, codec: &TokenCodec, digest: bool, holds: bool) {
        if !(digest || holds) {
            return;
        }
        let Some(bytes) = (codec.decode)(token) else {
            return;
        };
        if digest {
            let owners = self.digest(&bytes);
            self.found(owners, site, codec.digest_step, 0, needle(b'd', &bytes));
        }
        if holds {
            self.decoded(&bytes, site, codec.step, codec.raw);
        }
    }

    /// Bytes decoded from a token at `site` by `encoding`: rescanned as text, or tried as a
    /// compressed stream (`raw`: raw deflate too).
    fn decoded(&mut self, bytes: &[u8], site: &Site, encoding: &'static str, raw: bool) {
        if decode::printable(bytes) {
            self.recurse(bytes, site, encoding, true);
        } else {
            self.compressed(bytes, site, encoding, raw);
        }
    }

    /// Binary decoded from a token at `site` by `encoding`: rescanned when it is a
    /// compressed stream that inflates to text; `raw` tries raw deflate too (not for hex,
    /// where every digest would be tried).
    fn compressed(&mut self, bytes: &[u8], site: &Site, encoding: &'static str, raw: bool) {
        self.marks += 1;
        if site.depth >= MAX_DEPTH || self.out_of_tokens() {
            return;
        }
        if self.out_of_bytes(1) {
            return;
        }
        let cap = MAX_DECODED.min(self.bytes_left);
        if let Some(stream) = decode::decompressed(bytes, cap, raw) {
            if stream.capped {
                // The cap is 1 MiB, or less when the request's byte budget is nearly spent.
                self.note(format!(
                    "{}: a {encoding} {} stream inflated past {cap} bytes; its first {cap} scanned",
                    site.location(),
                    stream.step
                ));
            }
            self.recurse(&stream.text, &site.step(encoding), stream.step, true);
        }
    }

    /// Base32, base58 and LZ-String tokens, in the first MiB of `text`: looked up as
    /// digests, and rescanned when they decode to text. None below 12 token characters in a
    /// row, except LZ-String's UTF-16 form, which is made of bytes past ASCII.
    fn rare_tokens(&mut self, text: &[u8], site: &Site, shape: &Shape) {
        if site.depth >= MAX_DEPTH {
            return;
        }
        let head = text.get(..MAX_DECODED).unwrap_or(text);
        if shape.spelled() {
            let whole = head.trim_ascii();
            shape.tokens(text, Alphabet::Rare, decode::MIN_RARE, |token| {
                // A run cut at the end of the first MiB keeps the alphabets of the whole run.
                let Some(run) = head.get(token.start..).map(|rest| {
                    let len = token.bytes.len().min(rest.len());
                    rest.get(..len).unwrap_or_default()
                }) else {
                    return;
                };
                let alphabets = token.alphabets();
                if run.len() < decode::MIN_RARE || alphabets.hexish {
                    return;
                }
                for (step, bytes) in decode::rare_token(run, &alphabets, run == whole) {
                    self.rare_decoded(&bytes, site, step);
                }
            });
        }
        if shape.high() {
            if let Some(bytes) = decode::lz_utf16(head) {
                self.rare_decoded(&bytes, site, "lzstring");
            }
        }
    }

    /// Bytes decoded by `step` from a rarer token at `site`: looked up as a digest, rescanned.
    fn rare_decoded(&mut self, bytes: &[u8], site: &Site, step: &'static str) {
        let owners = self.digest(bytes);
        self.found(owners, site, Some(step), 0, needle(b'd', bytes));
        self.decoded(bytes, site, step, true);
    }

    /// The owners of the digest `bytes`; noted when the digests of its length are missing.
    fn digest(&mut self, bytes: &[u8]) -> &'n [Owner] {
        self.needles.digest(bytes).unwrap_or_else(|why| {
            let len = bytes.len();
            self.note(format!("{len}-byte digest needles unavailable: {why}"));
            &[]
        })
    }

    /// 32-bit checksum tokens (8 hex digits, or a decimal), only under a key that names an
    /// identity and only as whole tokens: elsewhere they are ids and timestamps.
    fn checksums(&mut self, text: &[u8], site: &Site) {
        if !site.key.identifies() {
            return;
        }
        let needles = self.needles;
        let tokens = text.split(|&b| !(b.is_ascii_alphanumeric() || b == b'-'));
        for token in tokens.filter(|t| (1..=11).contains(&t.len())) {
            for sum in digests::checksum_values(token).into_iter().flatten() {
                let matched = needle(b'c', &sum.to_le_bytes());
                self.found(needles.checksum(sum), site, None, 0, matched);
            }
        }
    }

    /// The site of the field `key` of `container`, at `segment` of it: its key kind (a
    /// protocol header's is [`KeyKind::Protocol`]), and a financial-status term in `key`,
    /// a key on the way to the field's values: a JSON key (containers' too:
    /// `{"overdraft": {"amount": 5}}`), a query, form or cookie field's name, a header's name.
    pub fn key<'s>(
        &mut self,
        container: &'s Site<'s>,
        segment: Segment<'s>,
        key: &str,
        header: bool,
    ) -> Site<'s> {
        let reading = key_memo::read(key, self.vocabulary);
        let kind = if header && reading.protocol {
            KeyKind::Protocol
        } else {
            reading.kind
        };
        let site = container.field(segment, kind);
        if let Some(term) = reading.term.filter(|_| self.mode == Mode::Request) {
            self.record_signal(term, key.as_bytes(), SignalField::Key, &site);
        }
        site
    }

    /// A financial-status term in a value as written (none in a value without a letter from
    /// `g` to `z`, when every term has one, nor in a protocol header's: media types, encodings
    /// and user agents, where `application/json` is no loan application).
    fn status_value(&mut self, value: &[u8], site: &Site, shape: &Shape) {
        if site.key == KeyKind::Protocol
            || (!shape.late_letters() && self.vocabulary.needs_late_letters())
        {
            return;
        }
        self.signal(value, SignalField::Value, site);
    }

    fn signal(&mut self, text: &[u8], field: SignalField, site: &Site) {
        if let Some(term) = self.vocabulary.find(text) {
            self.record_signal(term, text, field, site);
        }
    }

    /// The financial-status `term` found in `text` at `site`.
    fn record_signal(&mut self, term: String, text: &[u8], field: SignalField, site: &Site) {
        self.marks += 1;
        let chain = site.chain(None, &format!("status({term})"));
        keep_best(
            &mut self.signals,
            (site.location(), term),
            (
                chain.len(),
                chain,
                field,
                String::from_utf8_lossy(text).into_owned(),
            ),
        );
    }

    /// A count of the customer's transactions under a key that names one.
    fn counts(&mut self, text: &[u8], site: &Site) {
        let text = text.trim_ascii();
        if text.is_empty() || text.len() > 4 || !text.iter().all(u8::is_ascii_digit) {
            return;
        }
        let count = std::str::from_utf8(text).map_or(0, |t| t.parse().unwrap_or(0));
        let customers = self.needles.derived().count(count);
        if customers.is_empty() {
            return;
        }
        // The last key is no part of the clean-text context.
        self.marks += 1;
        if !derived::counts_transactions(&site.last_key()) {
            return;
        }
        let matched = needle(b'n', text);
        for &(customer, label) in customers {
            self.derived_value(customer, ValueKind::FinancialStatus, label, site, matched);
        }
    }

    /// A value derived from `customer`'s data at `site`: kept if the request names them.
    fn derived_value(
        &mut self,
        customer: usize,
        kind: ValueKind,
        label: &str,
        site: &Site,
        matched: u64,
    ) {
        self.marks += 1;
        let chain = site.chain(None, label);
        let rank = (
            Reverse(0),
            site.steps(),
            chain.len(),
            chain,
            ValueForm::Other,
            matched,
        );
        keep_best(&mut self.derived, (customer, kind, site.location()), rank);
    }

    fn amounts(&mut self, text: &[u8], site: &Site) {
        let (cents, label) = amounts::find(text, site.key);
        if site.key == KeyKind::ValueLike {
            let derived = self.needles.derived();
            let rounded = cents.iter().flat_map(|&c| {
                let matched = needle(b'r', &c.to_le_bytes());
                derived
                    .amount(c)
                    .iter()
                    .map(move |&(customer, label)| (customer, label, matched))
            });
            let band = needle(b'b', text);
            let bucketed = derived
                .bucket(text)
                .into_iter()
                .map(|c| (c, "bucket(balance)", band));
            for (customer, label, matched) in rounded.chain(bucketed).collect::<Vec<_>>() {
                self.derived_value(customer, ValueKind::Amount, label, site, matched);
            }
        }
        for cents in cents {
            let matched = needle(b'a', &cents.to_le_bytes());
            for &customer in self.needles.amount(cents) {
                let owner = Owner {
                    customer,
                    kind: ValueKind::Amount,
                    label: Label::Plain(label),
                    rot13: false,
                    weak: None,
                };
                self.found(&[owner], site, None, 0, matched);
            }
        }
    }

    /// Rescans a decoding one level deeper, within the depth budget, the token budget (for a
    /// base64 or hex `token`) and the byte budget; a budget that runs out is noted.
    fn recurse(&mut self, decoded: &[u8], site: &Site, step: &'static str, token: bool) {
        self.marks += 1;
        if site.depth >= MAX_DEPTH {
            return;
        }
        if token && self.out_of_tokens() {
            return;
        }
        if self.out_of_bytes(decoded.len()) {
            return;
        }
        self.tokens_left -= usize::from(token);
        self.bytes_left -= decoded.len();
        let mut next = site.step(step);
        next.depth += 1;
        self.value(decoded, &next);
    }

    /// Whether the token budget is spent (noted).
    fn out_of_tokens(&mut self) -> bool {
        if self.tokens_left > 0 {
            return false;
        }
        self.note(format!(
            "decoding stopped after {MAX_TOKENS} base64/hex tokens"
        ));
        true
    }

    /// Whether `len` more decoded bytes are over the byte budget (noted).
    fn out_of_bytes(&mut self, len: usize) -> bool {
        if len <= self.bytes_left {
            return false;
        }
        self.note(format!(
            "decoding stopped after {} MiB of decoded output",
            MAX_DECODED_TOTAL >> 20
        ));
        true
    }

    /// The first `limit` bytes of a token, noting a cut.
    fn capped<'t>(&mut self, token: &'t [u8], limit: usize, site: &Site) -> &'t [u8] {
        match token.get(..limit) {
            Some(head) if token.len() > limit => {
                self.note(format!(
                    "{}: decoded the first {} KiB of a {} byte token",
                    site.location(),
                    limit >> 10,
                    token.len()
                ));
                head
            }
            _ => token,
        }
    }

    /// Records findings for `owners` at `site`, matched over `span` bytes, after the
    /// haystack `step` (base64 for a base64 digest) or the needle's rot13; `matched` is what
    /// they matched (see [`needle`]).
    fn found(
        &mut self,
        owners: &[Owner],
        site: &Site,
        step: Option<&'static str>,
        span: usize,
        matched: u64,
    ) {
        self.marks += u64::from(!owners.is_empty());
        for owner in owners {
            if let Some((key, rank)) = self.ranked(owner, site, step, span, matched) {
                keep_best(&mut self.findings, key, rank);
            }
        }
    }

    /// A short number of `owner`'s found alone at `site`: a finding if the request or reply
    /// also holds another value of the same customer.
    fn found_alone(&mut self, owner: &Owner, site: &Site, span: usize, matched: u64) {
        self.marks += 1;
        if let Some((key, rank)) = self.ranked(owner, site, None, span, matched) {
            keep_best(&mut self.derived, key, rank);
        }
    }

    /// The key and rank of a finding of `owner` at `site`, if it is one in this mode.
    fn ranked(
        &self,
        owner: &Owner,
        site: &Site,
        step: Option<&'static str>,
        span: usize,
        matched: u64,
    ) -> Option<((usize, ValueKind, String), FindingRank)> {
        let kind = owner.kind;
        let request_only = matches!(
            kind,
            ValueKind::Merchant | ValueKind::Amount | ValueKind::Payee
        );
        if (self.mode == Mode::Text && request_only)
            || (owner.weak == Some(Weak::Key) && !site.key.names(kind))
        {
            return None;
        }
        let step = if owner.rot13 { Some("rot13") } else { step };
        let chain = site.chain(step, &owner.label.to_string());
        let steps = site.steps() + usize::from(step.is_some());
        let rank = (
            Reverse(span),
            steps,
            chain.len(),
            chain,
            owner.label.form(),
            matched,
        );
        Some(((owner.customer, kind, site.location()), rank))
    }

    fn warn(&mut self, candidate: warnings::Candidate, site: &Site) {
        self.marks += 1;
        let chain = site.chain(None, candidate.kind.as_str());
        let rank = (chain.len(), chain);
        keep_best(
            &mut self.warnings,
            (candidate.kind, site.location(), candidate.masked),
            rank,
        );
    }
}

/// Scans every string and number of a JSON document as it is parsed, in document order, with
/// no tree built: strings without escapes are slices of the document. The location grows by
/// the JSON pointer of each field, and the key of the nearest object governs amounts.
struct Walk<'s, 'n> {
    scanner: &'s mut Scanner<'n>,
    site: &'s Site<'s>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, document: D) -> Result<(), D::Error> {
        document.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    // A number is scanned as the text serde_json writes it: the shortest form that reads
    // back the same.
    fn visit_i64<E>(self, number: i64) -> Result<(), E> {
        let mut digits = itoa::Buffer::new();
        self.scanner
            .text(digits.format(number).as_bytes(), self.site);
        Ok(())
    }

    fn visit_u64<E>(self, number: u64) -> Result<(), E> {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(number).as_bytes();
        self.scanner
            .text_of_shape(digits, self.site, Shape::of_digits);
        Ok(())
    }

    fn visit_f64<E>(self, number: f64) -> Result<(), E> {
        if number.is_finite() {
            let mut digits = zmij::Buffer::new();
            let digits = digits.format_finite(number).as_bytes();
            self.scanner
                .text_of_shape(digits, self.site, Shape::of_decimal);
        }
        Ok(())
    }

    fn visit_str<E>(self, text: &str) -> Result<(), E> {
        self.scanner.value(text.as_bytes(), self.site);
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        for i in 0usize.. {
            let site = self.site.field(Segment::Item(i), self.site.key);
            let walk = Walk {
                scanner: &mut *self.scanner,
                site: &site,
            };
            if items.next_element_seed(walk)?.is_none() {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut fields: A) -> Result<(), A::Error> {
        while let Some(Key(key)) = fields.next_key()? {
            let site = self
                .scanner
                .key(self.site, Segment::Member(&key), &key, false);
            fields.next_value_seed(Walk {
                scanner: &mut *self.scanner,
                site: &site,
            })?;
        }
        Ok(())
    }
}

/// An object key: borrowed from the document unless it had escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(document: D) -> Result<Self, D::Error> {
        document.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(key)))
    }

    fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(key.to_owned())))
    }
}

/// One leak, one finding: a finding is dropped when the same value (customer, kind and needle
/// form) was also found in a field decoded from its location (`body:form:data` against
/// `body:form:data/0/user_data/em/0`), which says more precisely where it sat.
fn deepest_only(
    findings: BTreeMap<(usize, ValueKind, String), FindingRank>,
) -> BTreeMap<(usize, ValueKind, String), FindingRank> {
    let needle = |chain: &str| chain.rsplit(" → ").next().unwrap_or(chain).to_owned();
    // The locations under `location` sort together, from `location/` up to `location0` ('0'
    // follows '/'): a range of the map, not a pass over every finding, so that a document
    // with thousands of findings is not judged in quadratic time.
    let deeper = |customer: usize, kind: ValueKind, location: &str, form: &str| {
        let from = (customer, kind, format!("{location}/"));
        let to = (customer, kind, format!("{location}0"));
        findings
            .range(from..to)
            .any(|(_, rank)| needle(&rank.3) == form)
    };
    let keep: Vec<bool> = findings
        .iter()
        .map(|((customer, kind, location), rank)| {
            !deeper(*customer, *kind, location, &needle(&rank.3))
        })
        .collect();
    findings
        .into_iter()
        .zip(keep)
        .filter_map(|(finding, keep)| keep.then_some(finding))
        .collect()
}
