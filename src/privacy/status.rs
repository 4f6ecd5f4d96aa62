//! Financial-status signals: words that reveal a customer's financial situation when a bot
//! sends them to an ad or analytics service, even with no customer value beside them
//! (`overdraft_warning`, `credit_tier: subprime`, `has_loan: true`).
//!
//! Identifiers are split into words (`snake_case`, `camelCase`, `kebab-case`, dots, brackets
//! and spaces all separate words) and a term matches when its words appear in a row. Terms
//! name a status, not a topic: `balance_viewed` and `intent: balance` say what the customer
//! looked at, not what their balance is, and match nothing; `low_balance` does.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// The built-in vocabulary, each term as words. Multi-word terms keep common words (`balance`,
/// `loan`, `declined`) from matching where they only name a feature or a consent choice.
pub const BUILTIN_TERMS: &[&str] = &[
    // Overdraft and low funds.
    "overdraft",
    "overdrafts",
    "overdrawn",
    "low balance",
    "negative balance",
    "insufficient funds",
    "nsf",
    "below minimum balance",
    // Debt and loans.
    "debt",
    "debts",
    "indebted",
    "has loan",
    "has loans",
    "has credit card",
    "has credit cards",
    "active loan",
    "loan declined",
    "loan denied",
    "loan rejected",
    "loan default",
    "payday loan",
    "defaulted",
    // Credit standing.
    "credit score",
    "credit rating",
    "credit tier",
    "credit band",
    "subprime",
    "bad credit",
    "poor credit",
    "low credit",
    // Income.
    "income",
    "salary band",
    "high income",
    "low income",
    // Distress.
    "bankruptcy",
    "bankrupt",
    "insolvency",
    "insolvent",
    "collections",
    "debt collection",
    "late payment",
    "missed payment",
    "past due",
    "delinquent",
    "delinquency",
    "repossession",
    "foreclosure",
    "garnishment",
    "financial hardship",
    // Refusals of money.
    "payment declined",
    "card declined",
    "transaction declined",
    "application declined",
    "credit declined",
    "credit denied",
];

/// Values and keys longer than this are free text (a logged message), not an identifier.
const MAX_IDENTIFIER: usize = 256;

/// The terms a scan looks for: the built-in ones, plus the config's, less those it allows.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    /// Each term as its words, longest first so the most specific term names a match.
    terms: Vec<Vec<String>>,
    /// The longest word of every term, case-insensitive: text that holds none of them as a
    /// substring holds no term, and most keys and values are rejected here without splitting.
    prefilter: Option<AhoCorasick>,
    /// The length of the shortest of those words: shorter text holds no term.
    shortest: usize,
    /// Whether every one of those words has an ASCII letter from `g` to `z`: then text without
    /// one (numbers, hex digests, uuids, timestamps) holds no term, which a loop over its bytes
    /// tells faster than the automaton.
    late_letter: bool,
    /// Tells this vocabulary (and its clones, which hold the same terms) from every other one
    /// made in this process, for what is remembered per vocabulary (`key_memo`).
    id: u64,
}

/// The id of the next vocabulary made; 0 is none's.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Whether `text` has an ASCII letter from `g` to `z`, in either case.
fn has_late_letter(text: &[u8]) -> bool {
    text.iter()
        .any(|b| matches!(b.to_ascii_lowercase(), b'g'..=b'z'))
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary::new(std::iter::empty::<&str>(), std::iter::empty::<&str>())
    }
}

impl Vocabulary {
    /// The built-in terms with `extra` added and `allowed` removed, each compared by its words
    /// (`low-balance`, `lowBalance` and `low balance` are one term).
    pub fn new<E: AsRef<str>, A: AsRef<str>>(
        extra: impl IntoIterator<Item = E>,
        allowed: impl IntoIterator<Item = A>,
    ) -> Vocabulary {
        let allowed: BTreeSet<Vec<String>> =
            allowed.into_iter().map(|t| words(t.as_ref())).collect();
        let mut terms: Vec<Vec<String>> = BUILTIN_TERMS
            .iter()
            .copied()
            .map(words)
            .chain(extra.into_iter().map(|t| words(t.as_ref())))
            .filter(|t| !t.is_empty() && !allowed.contains(t))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        terms.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let longest: Vec<&String> = terms
            .iter()
            .filter_map(|term| term.iter().max_by_key(|word| word.len()))
            .collect();
        // A few dozen short words: a full DFA is small and the fastest to run on short text.
        let prefilter = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(&longest)
            .ok();
        let shortest = longest.iter().map(|w| w.len()).min().unwrap_or(0);
        let late_letter = longest
            .iter()
            .all(|w| w.is_ascii() && has_late_letter(w.as_bytes()));
        Vocabulary {
            terms,
            prefilter,
            shortest,
            late_letter,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The same for this vocabulary and its clones, different from every other one's.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Whether only text with an ASCII letter from `g` to `z` can hold a term (as with the
    /// built-in terms).
    pub fn needs_late_letters(&self) -> bool {
        self.late_letter
    }

    /// The term `identifier` holds, as words joined by spaces, if any (none in text that is
    /// no UTF-8). The prefilters read bytes: most text is rejected before it is checked as UTF-8.
    pub fn find(&self, identifier: impl AsRef<[u8]>) -> Option<String> {
        let identifier = identifier.as_ref();
        if !(self.shortest..=MAX_IDENTIFIER).contains(&identifier.len())
            || (self.late_letter && !has_late_letter(identifier))
            || self
                .prefilter
                .as_ref()
                .is_some_and(|p| !p.is_match(identifier))
        {
            return None;
        }
        let words = words(std::str::from_utf8(identifier).ok()?);
        self.terms
            .iter()
            .find(|term| words.windows(term.len()).any(|w| w == term.as_slice()))
            .map(|term| term.join(" "))
    }
}

/// `overdraftWarning_v2` → `[overdraft, warning, v2]`: lowercase words split at every
/// non-alphanumeric character and at a lowercase-to-uppercase step.
pub fn words(identifier: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut previous_lower = false;
    for c in identifier.chars() {
        if !c.is_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_split_into_words_in_every_casing() {
        for (identifier, expected) in [
            ("low_balance", &["low", "balance"][..]),
            ("lowBalance", &["low", "balance"]),
            ("low-balance", &["low", "balance"]),
            ("LOW_BALANCE", &["low", "balance"]),
            ("cd[credit_tier]", &["cd", "credit", "tier"]),
            ("overdraftWarning_v2", &["overdraft", "warning", "v2"]),
            ("", &[]),
        ] {
            assert_eq!(words(identifier), expected, "{identifier}");
        }
    }

    #[test]
    fn status_matches_and_usage_does_not() {
        let vocabulary = Vocabulary::default();
        for (identifier, term) in [
            ("overdraft_warning", Some("overdraft")),
            ("lowBalanceAlert", Some("low balance")),
            ("low-balance", Some("low balance")),
            ("credit_tier", Some("credit tier")),
            ("subprime", Some("subprime")),
            ("has_loan", Some("has loan")),
            ("hasCreditCard", Some("has credit card")),
            ("loan_declined", Some("loan declined")),
            ("income_bracket", Some("income")),
            ("PaymentDeclined", Some("payment declined")),
            ("balance_viewed", None),
            ("balance", None),
            ("intent: balance", None),
            ("transactions_viewed", None),
            ("advisor_handoff", None),
            ("consent_declined", None),
            ("loan_info_viewed", None),
            ("page_view", None),
            ("Lead", None),
        ] {
            assert_eq!(vocabulary.find(identifier).as_deref(), term, "{identifier}");
        }
    }

    #[test]
    fn the_config_adds_and_allows_terms_in_any_casing() {
        let vocabulary = Vocabulary::new(["payday-advance", "fee"], ["income", "Credit Tier"]);
        // A term of letters up to `f` alone still matches.
        assert_eq!(vocabulary.find("late_fee").as_deref(), Some("fee"));
        assert_eq!(
            vocabulary.find("payday_advance_offer").as_deref(),
            Some("payday advance")
        );
        assert_eq!(vocabulary.find("income_bracket"), None);
        assert_eq!(vocabulary.find("creditTier"), None);
        assert_eq!(
            vocabulary.find("credit_score").as_deref(),
            Some("credit score")
        );
    }

    #[test]
    fn free_text_is_not_an_identifier() {
        let long = format!("{} overdraft", "word ".repeat(60));
        assert_eq!(Vocabulary::default().find(&long), None);
    }
}
