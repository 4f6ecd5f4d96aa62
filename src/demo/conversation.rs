//! Per-conversation state (opt-out, revoked consent, turn count, cached customer record) and the
//! reply logic of the demo bot: turns an intent into FDX calls and the reply texts that
//! scenarios match on, then hands what the turn showed to telemetry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use super::bank_client::{BankAccount, BankClient, BankClientError, BankTransaction, Profile};
use super::intent::{classify, AccountKind, BankQuery, Intent};
use super::money::Payments;
use super::telemetry::{HandledMessage, LeakedData, Sender};
use crate::money::Money;

/// The quick replies of the main menu (the greeting offers them).
pub const MENU: [&str; 3] = ["Balance", "Transactions", "Advisor"];
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
    /// Money moved: Messenger shows a receipt after the text; `/chat` has the text only.
    #[serde(skip)]
    pub receipt: Option<Receipt>,
}

/// The receipt of a transfer or payment.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Who or which account got the money.
    pub recipient: String,
    /// The transfer's or payment's id, when the bank gave one.
    pub order: String,
    pub total: Money,
    /// Its one line: "Payment to Maria Garcia".
    pub item: String,
}

impl Reply {
    pub(super) fn new(text: impl Into<String>, quick_replies: &[&str]) -> Self {
        let quick_replies = quick_replies.iter().map(|q| (*q).to_owned()).collect();
        Self {
            text: text.into(),
            quick_replies,
            receipt: None,
        }
    }

    pub(super) fn plain(text: impl Into<String>) -> Self {
        Self::new(text, &[])
    }

    pub(super) fn with_receipt(mut self, receipt: Receipt) -> Self {
        self.receipt = Some(receipt);
        self
    }
}

#[derive(Debug, Default, Clone)]
struct State {
    consent_revoked: bool,
    opted_out: bool,
    /// Messages received so far in this conversation.
    turns: u64,
    /// The customer record a leaky bot keeps, with the token it was read with.
    customer: Option<(String, Arc<Profile>)>,
}

impl State {
    /// Whether the bot may read the bank for this conversation with `token`.
    fn may_call_bank(&self, token: &str) -> bool {
        !token.is_empty() && !self.opted_out && !self.consent_revoked
    }
}

/// What a turn showed that telemetry cares about.
enum Shown {
    Nothing,
    /// A greeting with the customer's record.
    Profile(Profile),
    /// The first balance shown.
    Balance(Money),
    /// The description of the first transaction shown.
    Merchant(String),
    Spending,
    Advisor,
    /// Money moved: to whom, how much.
    Payment(String, Money),
}

type Answer = (Vec<Reply>, Shown);

/// The bot's brain: the bank client, the telemetry sender, money movement and every
/// conversation's state.
pub struct Brain {
    bank: BankClient,
    telemetry: Sender,
    payments: Payments,
    states: Mutex<HashMap<String, State>>,
}

impl Brain {
    /// A careless brain moves money without confirmation or idempotency key (see `money`).
    pub fn new(bank: BankClient, telemetry: Sender, careless: bool) -> Self {
        Self {
            bank,
            telemetry,
            payments: Payments::new(careless),
            states: Mutex::new(HashMap::new()),
        }
    }

    /// Answers one user message in a conversation, then reports the turn to telemetry (awaited,
    /// so the events land within the turn).
    pub async fn reply(&self, conversation_id: &str, text: &str, token: &str) -> Vec<Reply> {
        let state = self.update(conversation_id, |s| {
            s.turns = s.turns.saturating_add(1);
            s.clone()
        });
        let intent = classify(text);
        let name = intent.name();
        let (replies, shown) = self.respond(conversation_id, intent, token, &state).await;
        let leak = if self.telemetry.leaky() {
            self.leak(conversation_id, token, shown).await
        } else {
            None
        };
        let turn = HandledMessage {
            conversation_id,
            number: state.turns,
            intent: name,
            replies: replies.len(),
        };
        self.telemetry.send(&turn, leak.as_ref()).await;
        replies
    }

    /// A fresh bank link for the conversation (Messenger account linking): forgets an opt-out and
    /// a revoked consent, so the new token is used.
    pub fn relink(&self, conversation_id: &str) {
        self.update(conversation_id, |s| {
            s.opted_out = false;
            s.consent_revoked = false;
        });
    }

    async fn respond(
        &self,
        conversation_id: &str,
        intent: Intent,
        token: &str,
        state: &State,
    ) -> Answer {
        let only = |reply| (vec![reply], Shown::Nothing);
        let query = match &intent {
            Intent::Bank(query) => Some(query.clone()),
            Intent::Move(_) | Intent::Confirm | Intent::Cancel => None,
            Intent::Advisor => return (vec![Reply::plain(ADVISOR)], Shown::Advisor),
            Intent::Unknown => return only(Reply::new(HELP, &MENU)),
            Intent::OptOut => {
                self.update(conversation_id, |s| s.opted_out = true);
                return only(Reply::plain(OPTED_OUT_NOW));
            }
            Intent::LinkAccount => {
                self.update(conversation_id, |s| s.opted_out = false);
                let reply = if token.is_empty() || state.consent_revoked {
                    Reply::new(OPT_IN, &LINK)
                } else {
                    Reply::new(LINKED, &MENU)
                };
                return only(reply);
            }
        };
        if state.opted_out {
            return only(Reply::new(OPTED_OUT, &LINK));
        }
        if !state.may_call_bank(token) {
            return only(Reply::new(OPT_IN, &LINK));
        }
        let answered = match (query, intent) {
            (Some(query), _) => self.answer(query, token).await,
            (None, Intent::Move(request)) => {
                let moving =
                    self.payments
                        .request(&self.bank, conversation_id, token, state.turns, request);
                moving.await.map(paid)
            }
            (None, Intent::Confirm) => {
                let confirmed = self.payments.confirm(&self.bank, conversation_id, token);
                confirmed.await.map(paid)
            }
            (None, _) => Ok((self.payments.cancel(conversation_id), Shown::Nothing)),
        };
        match answered {
            Ok(answer) => answer,
            Err(error) => only(self.bank_failed(conversation_id, error)),
        }
    }

    /// The reply to a failed bank call; a revoked consent stops bank calls for the conversation.
    fn bank_failed(&self, conversation_id: &str, error: BankClientError) -> Reply {
        match error {
            BankClientError::ConsentRevoked => {
                self.update(conversation_id, |s| s.consent_revoked = true);
                Reply::new(REVOKED, &LINK)
            }
            BankClientError::Unauthorized => Reply::new(OPT_IN, &LINK),
            _ => Reply::plain(BANK_DOWN),
        }
    }

    async fn answer(&self, query: BankQuery, token: &str) -> Result<Answer, BankClientError> {
        let (texts, shown) = match query {
            BankQuery::Greeting => {
                let customer = self.bank.profile(token).await?;
                let text = format!(
                    "Hello {}! I can show your balances, recent transactions and spending, \
                     or connect you to an advisor.",
                    customer.name.first
                );
                return Ok((vec![Reply::new(text, &MENU)], Shown::Profile(customer)));
            }
            BankQuery::Balance(kind) => self.balances(token, kind).await?,
            BankQuery::Transactions(kind, count) => self.transactions(token, kind, count).await?,
            BankQuery::Spending(merchant) => (
                vec![self.spending(token, &merchant).await?],
                Shown::Spending,
            ),
        };
        Ok((texts.into_iter().map(Reply::plain).collect(), shown))
    }

    /// What a leaky bot leaks for what the turn showed. Needs the customer record for all but a
    /// balance: the greeting's, else the cached one, else one fetch (only where consent allows).
    async fn leak(&self, conversation_id: &str, token: &str, shown: Shown) -> Option<LeakedData> {
        Some(match shown {
            Shown::Nothing => return None,
            Shown::Balance(balance) => LeakedData::Balance(balance),
            Shown::Profile(customer) => LeakedData::Greeting {
                customer: self.remember(conversation_id, token, customer),
                token: token.to_owned(),
            },
            Shown::Merchant(merchant) => LeakedData::Transactions {
                customer: self.customer(conversation_id, token).await?,
                merchant,
            },
            Shown::Spending => LeakedData::Spending(self.customer(conversation_id, token).await?),
            Shown::Advisor => LeakedData::Advisor(self.customer(conversation_id, token).await?),
            Shown::Payment(payee, amount) => LeakedData::Payment { payee, amount },
        })
    }

    /// The conversation's cached customer record for `token`, fetched if missing; `None` when the
    /// conversation may not call the bank or the bank does not answer.
    async fn customer(&self, conversation_id: &str, token: &str) -> Option<Arc<Profile>> {
        let state = self.update(conversation_id, |s| s.clone());
        if !state.may_call_bank(token) {
            return None;
        }
        if let Some((cached_for, customer)) = state.customer {
            if cached_for == token {
                return Some(customer);
            }
        }
        match self.bank.profile(token).await {
            Ok(customer) => Some(self.remember(conversation_id, token, customer)),
            Err(error) => {
                self.bank_failed(conversation_id, error);
                None
            }
        }
    }

    fn remember(&self, conversation_id: &str, token: &str, customer: Profile) -> Arc<Profile> {
        let customer = Arc::new(customer);
        let cached = Some((token.to_owned(), Arc::clone(&customer)));
        self.update(conversation_id, |s| s.customer = cached);
        customer
    }

    /// One account's authoritative balance when a type is named, else every account's balance.
    async fn balances(
        &self,
        token: &str,
        kind: Option<AccountKind>,
    ) -> Result<(Vec<String>, Shown), BankClientError> {
        let accounts = self.bank.accounts(token).await?;
        let shown = |account: &BankAccount| Shown::Balance(account.current_balance);
        match kind.map(|kind| (kind, find(&accounts, kind))) {
            None => match accounts.first() {
                None => Ok((vec![NO_ACCOUNTS.to_owned()], Shown::Nothing)),
                Some(first) => Ok((accounts.iter().map(balance_line).collect(), shown(first))),
            },
            Some((kind, None)) => Ok((vec![not_held(kind)], Shown::Nothing)),
            Some((_, Some(account))) => {
                let account = self.bank.account(token, &account.account_id).await?;
                Ok((vec![balance_line(&account)], shown(&account)))
            }
        }
    }

    /// The latest `count` transactions of the named account type, else of checking (or the first).
    async fn transactions(
        &self,
        token: &str,
        kind: Option<AccountKind>,
        count: usize,
    ) -> Result<(Vec<String>, Shown), BankClientError> {
        let accounts = self.bank.accounts(token).await?;
        let account = match kind {
            Some(kind) => find(&accounts, kind),
            None => find(&accounts, AccountKind::Checking).or(accounts.first()),
        };
        let Some(account) = account else {
            let text = kind.map_or_else(|| NO_ACCOUNTS.to_owned(), not_held);
            return Ok((vec![text], Shown::Nothing));
        };
        let label = label(account);
        let id = &account.account_id;
        let transactions = self.bank.transactions(token, id, Some(count)).await?;
        let Some(first) = transactions.first() else {
            let text = format!("No recent transactions on your {label} account.");
            return Ok((vec![text], Shown::Nothing));
        };
        let shown = Shown::Merchant(first.description.clone());
        let n = transactions.len();
        let header = format!("Here are your last {n} transactions on your {label} account:");
        let lines = transactions.iter().map(transaction_line);
        Ok((std::iter::once(header).chain(lines).collect(), shown))
    }

    /// Sums debits matching `merchant` over every transaction of checking and credit-card accounts.
    async fn spending(&self, token: &str, merchant: &str) -> Result<String, BankClientError> {
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
        crate::sync::lock(&self.states)
    }

    /// Changes (or just reads) a conversation's state, creating it if new.
    fn update<T>(&self, conversation_id: &str, change: impl FnOnce(&mut State) -> T) -> T {
        change(self.states().entry(conversation_id.to_owned()).or_default())
    }
}

/// Replies about money, with what they showed: the payment their receipt is for, if any.
fn paid(replies: Vec<Reply>) -> Answer {
    let receipt = replies.iter().find_map(|r| r.receipt.as_ref());
    let shown = receipt.map_or(Shown::Nothing, |r| {
        Shown::Payment(r.recipient.clone(), r.total)
    });
    (replies, shown)
}

fn find(accounts: &[BankAccount], kind: AccountKind) -> Option<&BankAccount> {
    accounts.iter().find(|a| a.account_type == kind.fdx())
}

fn not_held(kind: AccountKind) -> String {
    format!("You don't have a {} account with us.", kind.label())
}

fn label(account: &BankAccount) -> String {
    match AccountKind::from_fdx(&account.account_type) {
        Some(kind) => kind.label().to_owned(),
        None => account.account_type.to_lowercase(),
    }
}

/// "Your checking account ending 1234 has a balance of $2,481.17."
fn balance_line(account: &BankAccount) -> String {
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
fn transaction_line(t: &BankTransaction) -> String {
    let date = t.posted_timestamp.get(..10).unwrap_or(&t.posted_timestamp);
    let sign = if t.debit_credit_memo == "DEBIT" {
        "-"
    } else {
        "+"
    };
    let amount = Money::from_cents(t.amount.cents().saturating_abs());
    format!("{date} {} {sign}{}", t.description, amount.usd())
}
