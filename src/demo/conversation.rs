//! Per-conversation state (opt-out, revoked consent) and the reply logic of the reference bot:
//! turns an intent into FDX calls and the reply texts that scenarios match on.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::Serialize;

use super::bank_client::{Account, BankClient, BankError, Transaction};
use super::intent::{classify, AccountKind, BankQuery, Intent};
use crate::customer::Money;

const MENU: [&str; 3] = ["Balance", "Transactions", "Advisor"];
const LINK: [&str; 1] = ["Link account"];
const HELP: &str = "Sorry, I didn't understand that. You can ask about your balance, \
    recent transactions, spending at a merchant, or talk to an advisor.";
const ADVISOR: &str = "I'm connecting you to an advisor. Someone will be with you shortly.";
const OPTED_OUT_NOW: &str = "You've opted out. I won't access your bank data in this conversation.";
const OPTED_OUT: &str =
    "You've opted out of bank data access. Say \"link account\" to opt back in.";
const LINKED: &str =
    "Your bank account is linked. Ask me about your balance, recent transactions or spending.";
const OPT_IN: &str = "To see your accounts, please link your bank account first.";
const REVOKED: &str = "Your bank consent has been revoked, so I can't access your accounts. \
    Please re-link your account to continue.";
const BANK_DOWN: &str = "Sorry, I can't reach your bank right now. Please try again later.";
const NO_ACCOUNTS: &str = "You don't have any accounts with us.";

/// One chat bubble.
#[derive(Debug, Serialize)]
pub struct Reply {
    pub text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<String>,
}

impl Reply {
    fn new(text: impl Into<String>, quick_replies: &[&str]) -> Self {
        let quick_replies = quick_replies.iter().map(|q| (*q).to_owned()).collect();
        Self {
            text: text.into(),
            quick_replies,
        }
    }

    fn plain(text: impl Into<String>) -> Self {
        Self::new(text, &[])
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    consent_revoked: bool,
    opted_out: bool,
}

/// The bot's brain: the bank client plus every conversation's state.
pub struct Bot {
    bank: BankClient,
    states: Mutex<HashMap<String, State>>,
}

impl Bot {
    pub fn new(bank: BankClient) -> Self {
        Self {
            bank,
            states: Mutex::new(HashMap::new()),
        }
    }

    /// Answers one user message in a conversation.
    pub async fn reply(&self, conversation_id: &str, text: &str, token: &str) -> Vec<Reply> {
        let state = self
            .states()
            .get(conversation_id)
            .copied()
            .unwrap_or_default();
        let query = match classify(text) {
            Intent::Bank(query) => query,
            Intent::Advisor => return vec![Reply::plain(ADVISOR)],
            Intent::Unknown => return vec![Reply::new(HELP, &MENU)],
            Intent::OptOut => {
                self.update(conversation_id, |s| s.opted_out = true);
                return vec![Reply::plain(OPTED_OUT_NOW)];
            }
            Intent::LinkAccount => {
                self.update(conversation_id, |s| s.opted_out = false);
                let reply = if token.is_empty() || state.consent_revoked {
                    Reply::new(OPT_IN, &LINK)
                } else {
                    Reply::new(LINKED, &MENU)
                };
                return vec![reply];
            }
        };
        if state.opted_out {
            return vec![Reply::new(OPTED_OUT, &LINK)];
        }
        if token.is_empty() || state.consent_revoked {
            return vec![Reply::new(OPT_IN, &LINK)];
        }
        match self.answer(query, token).await {
            Ok(replies) => replies,
            Err(BankError::ConsentRevoked) => {
                self.update(conversation_id, |s| s.consent_revoked = true);
                vec![Reply::new(REVOKED, &LINK)]
            }
            Err(BankError::Unauthorized) => vec![Reply::new(OPT_IN, &LINK)],
            Err(_) => vec![Reply::plain(BANK_DOWN)],
        }
    }

    async fn answer(&self, query: BankQuery, token: &str) -> Result<Vec<Reply>, BankError> {
        let texts = match query {
            BankQuery::Greeting => {
                let first = self.bank.customer(token).await?.name.first;
                let text = format!(
                    "Hello {first}! I can show your balances, recent transactions and spending, \
                     or connect you to an advisor."
                );
                return Ok(vec![Reply::new(text, &MENU)]);
            }
            BankQuery::Balance(kind) => self.balances(token, kind).await?,
            BankQuery::Transactions(kind, count) => self.transactions(token, kind, count).await?,
            BankQuery::Spending(merchant) => vec![self.spending(token, &merchant).await?],
        };
        Ok(texts.into_iter().map(Reply::plain).collect())
    }

    /// One account's authoritative balance when a type is named, else every account's balance.
    async fn balances(
        &self,
        token: &str,
        kind: Option<AccountKind>,
    ) -> Result<Vec<String>, BankError> {
        let accounts = self.bank.accounts(token).await?;
        match kind.map(|kind| (kind, find(&accounts, kind))) {
            None if accounts.is_empty() => Ok(vec![NO_ACCOUNTS.to_owned()]),
            None => Ok(accounts.iter().map(balance_line).collect()),
            Some((kind, None)) => Ok(vec![not_held(kind)]),
            Some((_, Some(account))) => {
                let account = self.bank.account(token, &account.account_id).await?;
                Ok(vec![balance_line(&account)])
            }
        }
    }

    /// The latest `count` transactions of the named account type, else of checking (or the first).
    async fn transactions(
        &self,
        token: &str,
        kind: Option<AccountKind>,
        count: usize,
    ) -> Result<Vec<String>, BankError> {
        let accounts = self.bank.accounts(token).await?;
        let account = match kind {
            Some(kind) => find(&accounts, kind),
            None => find(&accounts, AccountKind::Checking).or(accounts.first()),
        };
        let Some(account) = account else {
            return Ok(vec![kind.map_or_else(|| NO_ACCOUNTS.to_owned(), not_held)]);
        };
        let label = label(account);
        let id = &account.account_id;
        let transactions = self.bank.transactions(token, id, Some(count)).await?;
        if transactions.is_empty() {
            return Ok(vec![format!(
                "No recent transactions on your {label} account."
            )]);
        }
        let n = transactions.len();
        let header = format!("Here are your last {n} transactions on your {label} account:");
        let lines = transactions.iter().map(transaction_line);
        Ok(std::iter::once(header).chain(lines).collect())
    }

    /// Sums debits matching `merchant` over every transaction of checking and credit-card accounts.
    async fn spending(&self, token: &str, merchant: &str) -> Result<String, BankError> {
        let needle = merchant.to_lowercase();
        let (mut cents, mut count, mut name) = (0i64, 0usize, None);
        for account in self.bank.accounts(token).await? {
            let kind = AccountKind::from_fdx(&account.account_type);
            if !matches!(kind, Some(AccountKind::Checking | AccountKind::CreditCard)) {
                continue;
            }
            let transactions = self.bank.transactions(token, &account.account_id, None);
            for t in transactions.await? {
                if t.debit_credit_memo == "DEBIT" && t.description.to_lowercase().contains(&needle)
                {
                    cents = cents.saturating_add(t.amount.cents().saturating_abs());
                    count += 1;
                    name.get_or_insert(t.description);
                }
            }
        }
        let usd = Money::from_cents(cents).usd();
        Ok(match name {
            Some(name) => {
                format!("You spent {usd} at {name} in the last 90 days ({count} purchases).")
            }
            None => format!("I couldn't find any purchases at {merchant} in the last 90 days."),
        })
    }

    fn states(&self) -> MutexGuard<'_, HashMap<String, State>> {
        self.states.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn update(&self, conversation_id: &str, change: impl FnOnce(&mut State)) {
        change(self.states().entry(conversation_id.to_owned()).or_default());
    }
}

fn find(accounts: &[Account], kind: AccountKind) -> Option<&Account> {
    accounts.iter().find(|a| a.account_type == kind.fdx())
}

fn not_held(kind: AccountKind) -> String {
    format!("You don't have a {} account with us.", kind.label())
}

fn label(account: &Account) -> String {
    match AccountKind::from_fdx(&account.account_type) {
        Some(kind) => kind.label().to_owned(),
        None => account.account_type.to_lowercase(),
    }
}

/// "Your checking account ending 1234 has a balance of $2,481.17."
fn balance_line(account: &Account) -> String {
    let display = &account.account_number_display;
    let digits: Vec<char> = display.chars().filter(char::is_ascii_digit).collect();
    let last4: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    let usd = account.current_balance.usd();
    format!(
        "Your {} account ending {last4} has a balance of {usd}.",
        label(account)
    )
}

/// "2026-06-29 Starbucks -$4.75" for a debit, "+$…" for a credit.
fn transaction_line(t: &Transaction) -> String {
    let date = t.posted_timestamp.get(..10).unwrap_or(&t.posted_timestamp);
    let sign = if t.debit_credit_memo == "DEBIT" {
        "-"
    } else {
        "+"
    };
    let amount = Money::from_cents(t.amount.cents().saturating_abs());
    format!("{date} {} {sign}{}", t.description, amount.usd())
}
