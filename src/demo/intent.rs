//! Text → intent classification for the demo bot: case-insensitive keyword rules on whole words,
//! robust to punctuation.

use std::sync::LazyLock;

use regex::Regex;

use crate::money::Money;

/// Default number of transactions shown when the text names none.
const DEFAULT_COUNT: usize = 5;
/// Most transactions shown in one answer.
const MAX_COUNT: usize = 25;

// The patterns are literals; holding an `Option` keeps the classifier free of panics.
/// "… spend/spent/spending … at X": X is everything after the first "at".
static SPENDING: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:spend|spent|spending)\b.*?\bat\b(.*)$").ok());
/// "last N …" in normalised text.
static LAST_N: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r" last \d+ ").ok());
/// "transfer/move … $N … to (my) savings", with "from (my) checking" anywhere.
static TRANSFER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:transfer|move)\b.*?\bto\s+(?:my\s+)?(checking|savings|credit card|card)\b",
    )
    .ok()
});
static FROM: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bfrom\s+(?:my\s+)?(checking|savings)\b").ok());
/// "pay …" or "send …": the payee and the amount are in the rest.
static PAY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:pay|send)\s+(.+)$").ok());
/// An amount: `$1,250.50`, `25`, `25.5`.
static AMOUNT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\$?\s*(\d[\d,]*(?:\.\d{1,2})?)").ok());

/// The account types the bot can talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Checking,
    Savings,
    CreditCard,
}

impl AccountKind {
    /// Reads an FDX `accountType`.
    pub fn from_fdx(account_type: &str) -> Option<Self> {
        [Self::Checking, Self::Savings, Self::CreditCard]
            .into_iter()
            .find(|kind| kind.fdx() == account_type)
    }

    /// The FDX `accountType`.
    pub fn fdx(self) -> &'static str {
        match self {
            Self::Checking => "CHECKING",
            Self::Savings => "SAVINGS",
            Self::CreditCard => "CREDITCARD",
        }
    }

    /// How replies name the account type.
    pub fn label(self) -> &'static str {
        match self {
            Self::Checking => "checking",
            Self::Savings => "savings",
            Self::CreditCard => "credit card",
        }
    }
}

/// A request that needs the customer's bank data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankQuery {
    Greeting,
    Balance(Option<AccountKind>),
    /// The account type named, if any, and how many transactions to show.
    Transactions(Option<AccountKind>, usize),
    /// The merchant as the user wrote it.
    Spending(String),
}

/// Where the user wants money to go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// One of their own accounts.
    Account(AccountKind),
    /// A payee, by the name the user wrote.
    Payee(String),
}

/// Money the user asked to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveRequest {
    pub amount: Money,
    pub to: Destination,
    /// The account named after "from", if any.
    pub from: Option<AccountKind>,
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Bank(BankQuery),
    Move(MoveRequest),
    /// "yes": go ahead with what the bot asked to confirm.
    Confirm,
    /// "no": drop it.
    Cancel,
    Advisor,
    OptOut,
    LinkAccount,
    Unknown,
}

impl Intent {
    /// The intent's snake_case name, as analytics events report it.
    pub fn name(&self) -> &'static str {
        match self {
            Intent::Bank(BankQuery::Greeting) => "greeting",
            Intent::Bank(BankQuery::Balance(_)) => "balance",
            Intent::Bank(BankQuery::Transactions(..)) => "transactions",
            Intent::Bank(BankQuery::Spending(_)) => "spending",
            Intent::Move(MoveRequest {
                to: Destination::Account(_),
                ..
            }) => "transfer",
            Intent::Move(_) => "payment",
            Intent::Confirm => "confirm",
            Intent::Cancel => "cancel",
            Intent::Advisor => "advisor",
            Intent::OptOut => "opt_out",
            Intent::LinkAccount => "link_account",
            Intent::Unknown => "unknown",
        }
    }
}

/// Classifies one user message.
pub fn classify(text: &str) -> Intent {
    let words = normalise(text);
    // `phrases` is a `|`-separated list of whole-word phrases.
    let has = |phrases: &str| {
        phrases
            .split('|')
            .any(|p| words.contains(&format!(" {p} ")))
    };
    if has("stop|opt out|optout|unlink|revoke") {
        return Intent::OptOut;
    }
    if has("link account|link my account|opt in|opt back in") {
        return Intent::LinkAccount;
    }
    if has("advisor|adviser|human|agent|representative")
        || has("talk to someone|talk to a person|speak to someone|speak to a person")
    {
        return Intent::Advisor;
    }
    if let Some(request) = move_request(text) {
        return Intent::Move(request);
    }
    // Only a short answer: "no" or "ok" inside a question is not one.
    let short = words.split_whitespace().count() <= 4;
    if short && has("yes|y|yep|yeah|confirm|ok|okay|sure|go ahead|send it") {
        return Intent::Confirm;
    }
    if short && has("no|nope|cancel|never mind") {
        return Intent::Cancel;
    }
    if let Some(merchant) = spending_merchant(text) {
        return Intent::Bank(BankQuery::Spending(merchant));
    }
    let kind = if has("credit card|card|cards") {
        Some(AccountKind::CreditCard)
    } else if has("checking") {
        Some(AccountKind::Checking)
    } else if has("savings|saving") {
        Some(AccountKind::Savings)
    } else {
        None
    };
    let last_n = LAST_N.as_ref().is_some_and(|re| re.is_match(&words));
    if last_n || has("transaction|transactions|activity|recent purchases") {
        let count = first_number(text).unwrap_or(DEFAULT_COUNT);
        return Intent::Bank(BankQuery::Transactions(kind, count.clamp(1, MAX_COUNT)));
    }
    if has("balance|balances|how much money|how much do i have") {
        return Intent::Bank(BankQuery::Balance(kind));
    }
    if has("hi|hello|hey|good morning|good afternoon|good evening") {
        return Intent::Bank(BankQuery::Greeting);
    }
    Intent::Unknown
}

/// Lower-case words separated by single spaces, with a space at each end: `" what s my balance "`.
fn normalise(text: &str) -> String {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    format!(" {} ", words.join(" "))
}

fn account_kind(word: &str) -> Option<AccountKind> {
    match word.to_lowercase().as_str() {
        "checking" => Some(AccountKind::Checking),
        "savings" => Some(AccountKind::Savings),
        "credit card" | "card" => Some(AccountKind::CreditCard),
        _ => None,
    }
}

/// The first amount in `text`, and where it is.
fn amount(text: &str) -> Option<(Money, std::ops::Range<usize>)> {
    let captures = AMOUNT.as_ref()?.captures(text)?;
    let digits = captures.get(1)?.as_str().replace(',', "");
    let dollars: f64 = digits.parse().ok()?;
    let at = captures.get(0)?.range();
    (dollars > 0.0 && dollars < 1e12).then(|| (Money::from_dollars(dollars), at))
}

/// "transfer $50 from checking to savings", "move 50 to savings", "pay Maria $25",
/// "send $25 to Acme Corp from savings".
fn move_request(text: &str) -> Option<MoveRequest> {
    let from = FROM
        .as_ref()
        .and_then(|re| re.captures(text))
        .and_then(|c| account_kind(c.get(1)?.as_str()));
    if let Some(captures) = TRANSFER.as_ref()?.captures(text) {
        let to = account_kind(captures.get(1)?.as_str())?;
        let (amount, _) = amount(text)?;
        return Some(MoveRequest {
            amount,
            to: Destination::Account(to),
            from,
        });
    }
    let rest = PAY.as_ref()?.captures(text)?.get(1)?.as_str();
    let (amount, at) = amount(rest)?;
    let without = format!("{} {}", &rest[..at.start], &rest[at.end..]);
    let without = match FROM.as_ref()?.find(&without) {
        Some(found) => without[..found.start()].to_string(),
        None => without,
    };
    let name = without.trim().trim_start_matches("to ").trim();
    let name = name.trim_matches(|c: char| !c.is_alphanumeric());
    (!name.is_empty()).then(|| MoveRequest {
        amount,
        to: Destination::Payee(name.to_string()),
        from,
    })
}

fn spending_merchant(text: &str) -> Option<String> {
    let captures = SPENDING.as_ref()?.captures(text)?;
    let merchant = captures
        .get(1)?
        .as_str()
        .trim_matches(|c: char| !c.is_alphanumeric());
    (!merchant.is_empty()).then(|| merchant.to_owned())
}

/// The first integer in the text; a number too large to represent counts as the maximum.
fn first_number(text: &str) -> Option<usize> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let digits = text[start..].split(|c: char| !c.is_ascii_digit()).next()?;
    Some(digits.parse().unwrap_or(MAX_COUNT))
}

#[cfg(test)]
mod tests {
    use super::AccountKind::*;
    use super::BankQuery::*;
    use super::*;

    #[test]
    fn classifies_the_documented_phrasings() {
        let bank = Intent::Bank;
        let spend = |m: &str| bank(Spending(m.into()));
        let pay = |name: &str, cents, from| {
            Intent::Move(MoveRequest {
                amount: Money::from_cents(cents),
                to: Destination::Payee(name.into()),
                from,
            })
        };
        let transfer = |to, cents, from| {
            Intent::Move(MoveRequest {
                amount: Money::from_cents(cents),
                to: Destination::Account(to),
                from,
            })
        };
        let table = [
            ("hi", bank(Greeting)),
            ("Good morning.", bank(Greeting)),
            ("this is it", Intent::Unknown),
            ("blah", Intent::Unknown),
            ("", Intent::Unknown),
            ("what's my checking balance?", bank(Balance(Some(Checking)))),
            ("Savings balance", bank(Balance(Some(Savings)))),
            ("credit card balance pls", bank(Balance(Some(CreditCard)))),
            ("What are my balances", bank(Balance(None))),
            ("How much money do I have?", bank(Balance(None))),
            ("show my last 3 transactions", bank(Transactions(None, 3))),
            ("Recent activity", bank(Transactions(None, 5))),
            (
                "last 10 on my card",
                bank(Transactions(Some(CreditCard), 10)),
            ),
            (
                "last 400 savings transactions",
                bank(Transactions(Some(Savings), 25)),
            ),
            (
                "last 99999999999999999999999 transactions",
                bank(Transactions(None, 25)),
            ),
            ("how much did I spend at Starbucks?", spend("Starbucks")),
            ("Spent at Trader Joe's??", spend("Trader Joe's")),
            ("spending at AT&T", spend("AT&T")),
            ("how much did I spend at", Intent::Unknown),
            ("I want to talk to a person", Intent::Advisor),
            ("STOP", Intent::OptOut),
            ("opt-out please", Intent::OptOut),
            ("unlink my bank", Intent::OptOut),
            ("Link account", Intent::LinkAccount),
            ("yes", Intent::Confirm),
            ("YES", Intent::Confirm),
            ("Yes, go ahead", Intent::Confirm),
            ("no", Intent::Cancel),
            ("Cancel", Intent::Cancel),
            ("pay Maria $25", pay("Maria", 2_500, None)),
            (
                "Send $1,250.50 to Acme Corp from savings",
                pay("Acme Corp", 125_050, Some(Savings)),
            ),
            ("pay $25 to Maria Garcia.", pay("Maria Garcia", 2_500, None)),
            ("pay Maria", Intent::Unknown),
            (
                "transfer $50 from checking to savings",
                transfer(Savings, 5_000, Some(Checking)),
            ),
            (
                "move 20.5 to my credit card",
                transfer(CreditCard, 2_050, None),
            ),
        ];
        for (text, expected) in table {
            assert_eq!(classify(text), expected, "text: {text:?}");
        }
    }

    #[test]
    fn names_intents_in_snake_case() {
        let table = [
            ("hello", "greeting"),
            ("balance", "balance"),
            ("last 3 transactions", "transactions"),
            ("spent at Shell", "spending"),
            ("agent", "advisor"),
            ("opt out", "opt_out"),
            ("link account", "link_account"),
            ("blah", "unknown"),
        ];
        for (text, name) in table {
            assert_eq!(classify(text).name(), name, "text: {text:?}");
        }
    }
}
