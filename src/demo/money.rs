//! The demo bot's transfers and payments. Careful (the default): it reads the accounts and
//! payees, asks the user to confirm the amount, the payee and the account, and only on "yes"
//! sends the transfer or payment with an idempotency key made from the conversation and the
//! turn that asked, so a retry after a lost answer, or a replayed webhook, moves nothing more.
//! Careless (`demo.careless`): it moves the money at once, retries without a key, and says it
//! is done whatever the bank answered.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::json;

use super::bank_client::{BankAccount, BankClient, BankClientError, Order};
use super::conversation::{Receipt, Reply};
use super::intent::{AccountKind, Destination, MoveRequest};
use crate::money::Money;
use crate::sync::lock;

const CONFIRM: [&str; 2] = ["Yes", "No"];
const NOTHING_PENDING: &str = "There's nothing to confirm. You can ask me to pay someone or to \
    transfer money between your accounts.";
const CANCELLED: &str = "Cancelled. No money was moved.";
const FAILED: &str = "Sorry, I couldn't complete that. No money was moved.";

/// A transfer or payment waiting for the user's "yes".
#[derive(Clone)]
struct Pending {
    /// `transfers` or `payments`.
    collection: &'static str,
    /// `Transfer` or `Payment`.
    noun: &'static str,
    body: serde_json::Value,
    /// The idempotency key: the conversation and the turn that asked.
    key: String,
    amount: Money,
    /// "Maria Garcia", "your savings account ending 1234".
    to: String,
    /// "your checking account ending 1234".
    from: String,
}

/// Money movement for every conversation of the bot.
pub struct Payments {
    careless: bool,
    pending: Mutex<HashMap<String, Pending>>,
}

/// "your checking account ending 1234"
fn account_phrase(account: &BankAccount) -> String {
    let digits: String = account
        .account_number_display
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let last4 = &digits[digits.len().saturating_sub(4)..];
    let label = AccountKind::from_fdx(&account.account_type).map_or("", AccountKind::label);
    format!("your {label} account ending {last4}")
}

impl Payments {
    pub fn new(careless: bool) -> Self {
        Self {
            careless,
            pending: Mutex::default(),
        }
    }

    /// The user asked to move money in turn `turn`: the confirmation question (careful), or
    /// what happened (careless).
    pub async fn request(
        &self,
        bank: &BankClient,
        conversation: &str,
        token: &str,
        turn: u64,
        request: MoveRequest,
    ) -> Result<Vec<Reply>, BankClientError> {
        let accounts = bank.accounts(token).await?;
        let find = |kind: AccountKind| accounts.iter().find(|a| a.account_type == kind.fdx());
        let from = request.from.unwrap_or(AccountKind::Checking);
        let Some(source) = find(from) else {
            let text = format!("You don't have a {} account to send from.", from.label());
            return Ok(vec![Reply::plain(text)]);
        };
        let (collection, noun, body, to) = match &request.to {
            Destination::Account(kind) => {
                let Some(target) = find(*kind).filter(|t| t.account_id != source.account_id) else {
                    let text = format!("You don't have another {} account.", kind.label());
                    return Ok(vec![Reply::plain(text)]);
                };
                let body = json!({"fromAccountId": source.account_id,
                    "toAccountId": target.account_id, "amount": request.amount});
                ("transfers", "Transfer", body, account_phrase(target))
            }
            Destination::Payee(name) => {
                let payees = bank.payees(token).await?;
                let wanted = name.to_lowercase();
                let found = payees
                    .iter()
                    .find(|p| p.merchant.display_name.to_lowercase().contains(&wanted));
                let Some(payee) = found else {
                    let known: Vec<&str> = payees
                        .iter()
                        .map(|p| p.merchant.display_name.as_str())
                        .collect();
                    let text = format!(
                        "I couldn't find a payee called {name}. Your payees are: {}.",
                        known.join(", ")
                    );
                    return Ok(vec![Reply::plain(text)]);
                };
                let body = json!({"fromAccountId": source.account_id,
                    "toPayeeId": payee.payee_id, "amount": request.amount});
                let to = payee.merchant.display_name.clone();
                ("payments", "Payment", body, to)
            }
        };
        let pending = Pending {
            collection,
            noun,
            body,
            key: format!("{conversation}-{turn}"),
            amount: request.amount,
            to,
            from: account_phrase(source),
        };
        if self.careless {
            return self.execute(bank, token, pending).await;
        }
        let text = format!(
            "Please confirm: send {} to {} from {}. Reply yes to confirm or no to cancel.",
            pending.amount.usd(),
            pending.to,
            pending.from
        );
        lock(&self.pending).insert(conversation.to_owned(), pending);
        Ok(vec![Reply::new(text, &CONFIRM)])
    }

    /// The user said yes: moves the money that was waiting, if any.
    pub async fn confirm(
        &self,
        bank: &BankClient,
        conversation: &str,
        token: &str,
    ) -> Result<Vec<Reply>, BankClientError> {
        let pending = lock(&self.pending).remove(conversation);
        match pending {
            Some(pending) => self.execute(bank, token, pending).await,
            None => Ok(vec![Reply::plain(NOTHING_PENDING)]),
        }
    }

    /// The user said no.
    pub fn cancel(&self, conversation: &str) -> Vec<Reply> {
        let text = match lock(&self.pending).remove(conversation) {
            Some(_) => CANCELLED,
            None => NOTHING_PENDING,
        };
        vec![Reply::plain(text)]
    }

    /// Sends the transfer or payment, once more if the answer was lost (with the same key, or
    /// none when careless), and says what happened.
    async fn execute(
        &self,
        bank: &BankClient,
        token: &str,
        pending: Pending,
    ) -> Result<Vec<Reply>, BankClientError> {
        let key = (!self.careless).then_some(pending.key.as_str());
        let send = || bank.create(token, pending.collection, &pending.body, key);
        let lost = |e: &BankClientError| match e {
            BankClientError::Transport(_) => true,
            BankClientError::Status { status, .. } => *status >= 500,
            _ => false,
        };
        let sent = match send().await {
            Err(e) if lost(&e) => send().await,
            other => other,
        };
        let done = |order: Option<Order>| {
            let id = order
                .as_ref()
                .map(|o| format!(" Confirmation {} ({}).", o.id, o.status));
            let text = format!(
                "Done: {} sent to {} from {}.{}",
                pending.amount.usd(),
                pending.to,
                pending.from,
                id.unwrap_or_default()
            );
            let receipt = Receipt {
                recipient: pending.to.clone(),
                order: order.map(|o| o.id).unwrap_or_default(),
                total: pending.amount,
                item: format!("{} to {}", pending.noun, pending.to),
            };
            vec![Reply::plain(text).with_receipt(receipt)]
        };
        let code = |e: &BankClientError| match e {
            BankClientError::Status { code, .. } => code.clone().unwrap_or_default(),
            _ => String::new(),
        };
        match sent {
            Ok(order) => Ok(done(Some(order))),
            Err(BankClientError::ConsentRevoked) => Err(BankClientError::ConsentRevoked),
            Err(BankClientError::Unauthorized) => Err(BankClientError::Unauthorized),
            // A careless bot tells the user it worked, whatever the bank said.
            Err(_) if self.careless => Ok(done(None)),
            Err(e) => {
                let text = match code(&e).as_str() {
                    "1201" => format!(
                        "You don't have enough money in {} for that. No money was moved.",
                        pending.from
                    ),
                    "1203" => "That's above the limit for one payment. No money was moved.".into(),
                    _ => FAILED.into(),
                };
                Ok(vec![Reply::plain(text)])
            }
        }
    }
}
